"""Closeness to what the community picked in the past weeks ("this week's trending topic").

Similarities are cosines of the text model's small dense vectors (a truncated SVD of tf-idf): a
day's papers against the picks known by that morning (past 3, 7, 28 and 180 days), and a
kernel-weighted vote of the papers listed in the past four weeks, picked or not, which follows
topics as they rise and fade. The vote reads every recent pick but only a fixed one-in-eight
sample of the other recent papers (chosen by a hash of the arXiv id, never by the label),
weighted back up by eight: an instance listing 1,000 papers a day compares each new paper with
about 3,500 earlier ones instead of 28,000.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

WEEK = 7
WINDOW = 28
LONG = 180
# One in this many of the window's papers takes part in the vote (by a hash of its id).
SAMPLE_EVERY = 8
# Width of the similarity kernel of the vote (cosines of 128-d SVD vectors).
KERNEL = 0.1

TREND_FEATURES = (
    "pick_max_3",
    "pick_max_7",
    "pick_top3_7",
    "pick_top5_28",
    "pick_top10_180",
    "knn_picked_28",
    "density_28",
)


def in_sample(arxiv_id: str) -> bool:
    """Whether a listed paper takes part in the trend vote (the same on every machine)."""
    return zlib.crc32(arxiv_id.encode()) % SAMPLE_EVERY == 0


def _top_mean(sims: NDArray[np.float32], k: int) -> NDArray[np.float32]:
    k = min(k, sims.shape[1])
    if k == sims.shape[1]:
        return sims.mean(axis=1)
    return np.partition(sims, sims.shape[1] - k, axis=1)[:, -k:].mean(axis=1)


@dataclass
class TrendIndex:
    """Dense vectors of sampled listed papers (by day) and of picks (with when they are known)."""

    paper_vectors: NDArray[np.float32]  # sampled listed papers, listing days ascending
    paper_days: NDArray[np.int64]
    paper_ids: Sequence[str]
    pick_vectors: NDArray[np.float32]
    pick_days: NDArray[np.int64]  # ordinal feed dates
    pick_known: NDArray[np.int64]  # ordinal first morning known

    def features(
        self, day: dt.date, vectors: NDArray[np.float32], picked: set[str]
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        """TREND_FEATURES for the day's papers (dense unit rows), and the index of each one's
        closest pick of the past week (-1 when none)."""
        n = vectors.shape[0]
        out = np.zeros((n, len(TREND_FEATURES)), dtype=np.float32)
        nearest = np.full(n, -1, dtype=np.int64)
        if n == 0:
            return out, nearest
        o = day.toordinal()
        known = self.pick_known <= o
        recent = np.flatnonzero(known & (self.pick_days >= o - LONG))
        month_kernel = np.zeros(n, dtype=np.float32)
        if recent.size:
            sims = vectors @ self.pick_vectors[recent].T
            days = self.pick_days[recent]
            out[:, 4] = _top_mean(sims, 10)
            month = days >= o - WINDOW
            if month.any():
                m = sims[:, month]
                out[:, 3] = _top_mean(m, 5)
                month_kernel = np.exp((m - 1.0) / KERNEL).sum(axis=1)
            week = days >= o - WEEK
            if week.any():
                w = sims[:, week]
                out[:, 1] = w.max(axis=1)
                out[:, 2] = _top_mean(w, 3)
                nearest = recent[week][w.argmax(axis=1)]
            three = days >= o - 3
            if three.any():
                out[:, 0] = sims[:, three].max(axis=1)
        lo = int(np.searchsorted(self.paper_days, o - WINDOW, side="left"))
        hi = int(np.searchsorted(self.paper_days, o, side="left"))
        if hi > lo:
            unpicked = np.fromiter(
                (pid not in picked for pid in self.paper_ids[lo:hi]), dtype=np.bool_, count=hi - lo
            )
            kernel = np.exp((vectors @ self.paper_vectors[lo:hi].T - 1.0) / KERNEL)
            others = kernel[:, unpicked].sum(axis=1) * SAMPLE_EVERY
            out[:, 5] = month_kernel / (month_kernel + others + 1e-9)
            out[:, 6] = 1.0 + KERNEL * np.log(kernel.mean(axis=1) + 1e-30)
        return out, nearest
