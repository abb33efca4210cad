"""The robust CSV reader: every valid record kept, each bad one reported with its line."""

from __future__ import annotations

import csv
import gzip
import io
import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from regia.importing.csvfile import BadRow, Row, read_rows

START = re.compile(r"^Skill,")
cell = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\x00"), max_size=30)


def _write(path: Path, rows: list[list[str]]) -> list[str]:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["conceptType", "conceptUri", "preferredLabel", "altLabels"])
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return buf.getvalue().split("\n")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(cell, cell), min_size=1, max_size=25))
def test_every_record_read_back_with_its_line(tmp_path_factory, cells: list[tuple[str, str]]) -> None:
    path = tmp_path_factory.mktemp("csv") / "f.csv"
    rows = [["Skill", f"http://x/{i}", a, b] for i, (a, b) in enumerate(cells)]
    _write(path, rows)
    header, records = read_rows(path, record_start=START)
    got = list(records)
    assert header == ["conceptType", "conceptUri", "preferredLabel", "altLabels"]
    assert all(isinstance(r, Row) for r in got)
    assert [[r.values[h] for h in header] for r in got] == rows
    lines = [r.line for r in got]
    assert lines == sorted(lines) and lines[0] == 2


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(cell, cell), min_size=3, max_size=25), st.data())
def test_truncated_record_does_not_swallow_the_next_ones(tmp_path_factory, cells, data) -> None:
    path = tmp_path_factory.mktemp("csv") / "f.csv"
    rows = [["Skill", f"http://x/{i}", a, f"multi\nline {b}"] for i, (a, b) in enumerate(cells)]
    text = "\n".join(_write(path, rows))
    victim = data.draw(st.integers(0, len(rows) - 2))
    # Cut the victim record right after the opening quote of its multi-line cell.
    start = text.index(f"Skill,http://x/{victim},")
    cut = text.index('"multi', start) + 3
    end = text.index("Skill,http://x/", cut)
    path.write_text(text[:cut] + "\n" + text[end:], encoding="utf-8")
    _, records = read_rows(path, record_start=START)
    got = list(records)
    good = [r.values["conceptUri"] for r in got if isinstance(r, Row)]
    bad = [r for r in got if isinstance(r, BadRow)]
    assert good == [f"http://x/{i}" for i in range(len(rows)) if i != victim]
    assert len(bad) == 1 and "http://x/" + str(victim) in bad[0].raw


def test_gzip_latin1_and_multiline_header(tmp_path: Path) -> None:
    content = 'Codice;"Nome del\ncomune"\n001;Città\n'.encode("latin-1")
    path = tmp_path / "c.csv.gz"
    path.write_bytes(gzip.compress(content))
    header, records = read_rows(path, delimiter=";")
    assert header == ["Codice", "Nome del comune"]
    (row,) = list(records)
    assert isinstance(row, Row) and row.values["Nome del comune"] == "Città" and row.line == 3


def test_short_rows_padded_only_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("a,b,c\n1,2\n")
    assert isinstance(next(read_rows(path)[1]), BadRow)
    row = next(read_rows(path, pad_short=True)[1])
    assert isinstance(row, Row) and row.values == {"a": "1", "b": "2", "c": ""}
