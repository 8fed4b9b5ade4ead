"""Closeness to what the community picked in the past weeks ("this week's trending topic").

Similarities are cosines of the text model's tf-idf vectors: a day's papers against the picks
known by that morning, and against the papers listed in the past four weeks with whether each
was picked (a nearest-neighbour vote that follows topics as they rise and fade).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

WEEK = 7
WINDOW = 28
NEIGHBOURS = 20

TREND_FEATURES = (
    "pick_max_7",
    "pick_top3_7",
    "pick_top5_28",
    "knn_picked_28",
    "density_28",
)


@dataclass
class TrendIndex:
    """Vectors of listed papers (by day) and of picks (with the morning they became known)."""

    paper_vectors: sparse.csr_matrix
    paper_days: NDArray[np.int64]  # ordinal listing days, ascending
    paper_ids: Sequence[str]
    pick_vectors: sparse.csr_matrix
    pick_days: NDArray[np.int64]  # ordinal feed dates
    pick_known: NDArray[np.int64]  # ordinal first morning known
    pick_titles: Sequence[str]

    def features(
        self, day: dt.date, vectors: sparse.csr_matrix, picked: set[str]
    ) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        """TREND_FEATURES for the day's papers, and the index of each one's closest recent pick
        (-1 when none)."""
        n = vectors.shape[0]
        out = np.zeros((n, len(TREND_FEATURES)), dtype=np.float32)
        nearest = np.full(n, -1, dtype=np.int64)
        if n == 0:
            return out, nearest
        o = day.toordinal()
        known = self.pick_known <= o
        week = np.flatnonzero(known & (self.pick_days >= o - WEEK))
        month = np.flatnonzero(known & (self.pick_days >= o - WINDOW))
        if month.size:
            sims = (vectors @ self.pick_vectors[month].T).toarray()
            k = min(5, month.size)
            out[:, 2] = np.sort(sims, axis=1)[:, -k:].mean(axis=1)
            in_week = np.isin(month, week)
            if in_week.any():
                week_sims = sims[:, in_week]
                out[:, 0] = week_sims.max(axis=1)
                k3 = min(3, week_sims.shape[1])
                out[:, 1] = np.sort(week_sims, axis=1)[:, -k3:].mean(axis=1)
                nearest = month[in_week][week_sims.argmax(axis=1)]
        lo = int(np.searchsorted(self.paper_days, o - WINDOW, side="left"))
        hi = int(np.searchsorted(self.paper_days, o, side="left"))
        if hi > lo:
            sims = (vectors @ self.paper_vectors[lo:hi].T).toarray()
            labels = np.fromiter(
                (pid in picked for pid in self.paper_ids[lo:hi]), dtype=np.float32, count=hi - lo
            )
            k = min(NEIGHBOURS, hi - lo)
            top = np.argpartition(sims, -k, axis=1)[:, -k:]
            top_sims = np.take_along_axis(sims, top, axis=1)
            weight = top_sims.sum(axis=1) + 1e-6
            out[:, 3] = (top_sims * labels[top]).sum(axis=1) / weight
            out[:, 4] = top_sims.mean(axis=1)
        return out, nearest
