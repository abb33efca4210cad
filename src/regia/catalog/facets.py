"""Facets of the catalogue search: for each facet (province, target, modality, funding, Fund, hours, start
month, digital, green) the (course, value) pairs, a boolean mask per value for filtering, the same packed in
bits for counting over many courses, and the pairs grouped by course for counting over few.

Semantics: a facet's count for a value is the number of courses matching the whole query (every filter,
that facet's own included) that have that value; a course with editions in two provinces counts in both.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np


class Facet:
    """A facet as (course position, value code) pairs: counts are one gather and one bincount."""

    def __init__(self, pairs: Iterable[tuple[int, str]], order: Sequence[str] | None = None) -> None:
        courses: list[int] = []
        values: list[str] = []
        for pos, value in pairs:
            courses.append(pos)
            values.append(value)
        self.values = list(order) if order else sorted(set(values))
        for v in sorted(set(values) - set(self.values)):
            self.values.append(v)
        code = {v: i for i, v in enumerate(self.values)}
        self.course = np.asarray(courses, dtype=np.int32)
        self.code = np.asarray([code[v] for v in values], dtype=np.int32)
        # the same pairs grouped by course (CSR), for counting over few matching courses
        order = np.argsort(self.course, kind="stable")
        self.by_course = self.code[order]
        self.indptr = np.zeros(0, dtype=np.int64)
        self._sorted_course = self.course[order]

    def prepare(self, n: int) -> None:
        self.indptr = np.searchsorted(self._sorted_course, np.arange(n + 1)).astype(np.int64)
        # one boolean mask per value (filters), and the same packed in bits (counts over many courses)
        self.value_masks = np.zeros((len(self.values), n), dtype=bool)
        self.value_masks[self.code, self.course] = True
        self.value_bits = np.packbits(self.value_masks, axis=1)

    def counts(self, mask: np.ndarray, matched: np.ndarray | None = None,
               packed_mask: np.ndarray | None = None) -> dict[str, int]:
        """Value -> matching courses. With ``matched`` (the matching positions, when few) only their pairs are
        read; otherwise one pass over all pairs."""
        if matched is not None and len(self.indptr):
            starts = self.indptr[matched]
            lens = self.indptr[matched + 1] - starts
            total = int(lens.sum())
            gather = np.arange(total, dtype=np.int64) + np.repeat(starts - (np.cumsum(lens) - lens), lens)
            counts = np.bincount(self.by_course[gather], minlength=len(self.values))
        else:
            packed = packed_mask if packed_mask is not None else np.packbits(mask)
            counts = np.bitwise_count(self.value_bits & packed).sum(axis=1, dtype=np.int64)
        return {v: int(c) for v, c in zip(self.values, counts, strict=True) if c}

    def mask(self, n: int, wanted: Iterable[str]) -> np.ndarray:
        want = set(wanted)
        codes = [i for i, v in enumerate(self.values) if v in want]
        if not codes:
            return np.zeros(n, dtype=bool)
        if len(codes) == 1:
            return self.value_masks[codes[0]]
        return np.logical_or.reduce(self.value_masks[codes], axis=0)
