"""Which of a group's lines of work this community picks.

The authors' pick counts say that a group is followed here; they cannot say which of its papers.
`Taste` keeps the dense vectors of the earlier papers of every author with an earlier pick,
marked picked or not as the community's history stood that morning, and compares a new paper
with them: how close it is to the group's picked papers and to its unpicked ones, and a
similarity-weighted pick rate over them (a lab's agent papers picked, its theory papers not).

Only authors with an earlier pick take part: their papers are what a shipped model must carry
(about 64,000 of 111,000 papers), and a paper by authors never picked here gets the empty row.
A paper listed in the past week is left out of the unpicked side: a pick often comes days
after the listing. Measured on the validation split (bench/curate_probes.py `author_taste2`,
docs/curation.md): P@15 +0.011 and nDCG@15 +0.007 averaged over three booster seeds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

TASTE_FEATURES = (
    "taste_papers",
    "taste_pick_max",
    "taste_other_max",
    "taste_rate",
    "taste_gain_rate",
    "taste_near_rate",
    "taste_near",
    "taste_pick_top3",
)
# An author's latest this-many earlier papers are compared (older work of a prolific lab says
# less, and the cost of a paper stays bounded).
PER_AUTHOR = 400
# A paper listed fewer days ago than this may still be picked: not counted as unpicked yet.
SETTLE_DAYS = 7
# The similarity weight of an earlier paper: its cosine (clipped at 0) to this power.
POWER = 4
# "Near": an earlier paper at a cosine above this.
NEAR = 0.5
# Smoothing of the weighted rate: a prior pick mass over one unit of weight.
PRIOR = 0.05
# Rows not listed here (picks of papers outside the listing, e.g. older ones) have this day.
NOT_LISTED = -1
EMPTY = (0.0, -1.0, -1.0, 0.0, 0.0, -1.0, 0.0, -1.0)


def unit_rows(vectors: NDArray[np.float32]) -> NDArray[np.float32]:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-9)).astype(np.float32)


@dataclass
class Taste:
    """Vectors of earlier papers and picks (one row each), and per author the rows of their
    earlier papers in the order they became known. Flags change as the history is replayed."""

    vectors: NDArray[np.float32]  # unit rows
    days: NDArray[np.int64]  # listing day (ordinal), NOT_LISTED for picks not listed here
    ids: list[str]
    gains: NDArray[np.float32] = field(default_factory=lambda: np.zeros(0, np.float32))
    picked: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, np.bool_))
    author_rows: dict[str, list[int]] = field(default_factory=dict)
    row_of: dict[str, int] = field(default_factory=dict)
    # Titles of the picked rows, for the reason that names the closest one.
    titles: dict[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.ids)
        if len(self.gains) != n:
            self.gains = np.zeros(n, dtype=np.float32)
        if len(self.picked) != n:
            self.picked = np.zeros(n, dtype=np.bool_)
        if not self.row_of:
            self.row_of = {arxiv_id: i for i, arxiv_id in enumerate(self.ids)}

    def unmarked(self) -> Taste:
        """The same rows (vectors shared, not copied) with nothing picked or listed yet: a
        replay marks its own copy day by day."""
        return Taste(self.vectors, self.days, list(self.ids))

    def add_rows(
        self, ids: Sequence[str], vectors: NDArray[np.float32], days: Iterable[int]
    ) -> None:
        """Rows for papers not held yet (ids already held are skipped)."""
        fresh = [i for i, arxiv_id in enumerate(ids) if arxiv_id not in self.row_of]
        if not fresh:
            return
        start = len(self.ids)
        day_list = list(days)
        for k, i in enumerate(fresh):
            self.row_of[ids[i]] = start + k
        self.ids.extend(ids[i] for i in fresh)
        self.vectors = np.vstack([self.vectors, unit_rows(vectors[fresh])])
        self.days = np.concatenate([self.days, np.asarray([day_list[i] for i in fresh])])
        self.gains = np.concatenate([self.gains, np.zeros(len(fresh), np.float32)])
        self.picked = np.concatenate([self.picked, np.zeros(len(fresh), np.bool_)])

    def add_paper(self, arxiv_id: str, keys: Iterable[str]) -> None:
        """A paper listed here becomes an earlier paper of its authors."""
        row = self.row_of.get(arxiv_id)
        if row is None:
            return
        for key in keys:
            self.author_rows.setdefault(key, []).append(row)

    def add_pick(self, arxiv_id: str, keys: Iterable[str], gain: float, title: str = "") -> None:
        """A pick becomes known; a picked paper never listed here joins its authors' papers."""
        row = self.row_of.get(arxiv_id)
        if row is None or self.picked[row]:
            return
        self.picked[row] = True
        self.gains[row] = gain
        if title:
            self.titles[row] = " ".join(title.split())
        if self.days[row] == NOT_LISTED:
            self.add_paper(arxiv_id, keys)

    def features(
        self, keys: Iterable[str], vector: NDArray[np.float32], day: dt.date
    ) -> tuple[float, ...]:
        """TASTE_FEATURES of a paper with dense `vector` on `day`, over the earlier papers of
        `keys` (the folded names of its authors with an earlier pick)."""
        idx = self._rows(keys)
        if not idx.size:
            return EMPTY
        sims = self._cosines(idx, vector)
        hit = self.picked[idx]
        settled = hit | (self.days[idx] < day.toordinal() - SETTLE_DAYS)
        weight = np.clip(sims, 0.0, None) ** POWER
        mass = float(weight[settled].sum()) + 1.0
        near = (sims > NEAR) & settled
        top = np.sort(sims[hit])[-3:] if hit.any() else np.asarray([-1.0])
        return (
            float(idx.size),
            float(sims[hit].max()) if hit.any() else -1.0,
            float(sims[~hit].max()) if (~hit).any() else -1.0,
            (float((weight * hit).sum()) + PRIOR) / mass,
            float((weight * self.gains[idx]).sum()) / mass,
            float(hit[near].mean()) if near.any() else -1.0,
            float(near.sum()),
            float(top.mean()),
        )

    def closest_pick(self, keys: Iterable[str], vector: NDArray[np.float32]) -> tuple[str, float]:
        """The title of the picked earlier paper of `keys` closest to `vector`, and its cosine
        ("", -1.0 when there is none or its title is unknown)."""
        idx = self._rows(keys)
        idx = idx[self.picked[idx]]
        if not idx.size:
            return "", -1.0
        sims = self._cosines(idx, vector)
        best = int(np.argmax(sims))
        return self.titles.get(int(idx[best]), ""), float(sims[best])

    def _rows(self, keys: Iterable[str]) -> NDArray[np.int64]:
        """The rows of these authors' latest PER_AUTHOR earlier papers each, once, ascending."""
        rows = {r for k in keys for r in self.author_rows.get(k, ())[-PER_AUTHOR:]}
        return np.asarray(sorted(rows), dtype=np.int64)

    def _cosines(self, idx: NDArray[np.int64], vector: NDArray[np.float32]) -> NDArray[np.float32]:
        return self.vectors[idx] @ (vector / max(float(np.linalg.norm(vector)), 1e-9))

    def subset(self, keys: Iterable[str]) -> Taste:
        """A copy holding only these authors' rows (a day's scoring touches its own authors)."""
        lists = {k: self.author_rows[k][-PER_AUTHOR:] for k in keys if k in self.author_rows}
        rows = sorted({r for rs in lists.values() for r in rs})
        remap = {r: i for i, r in enumerate(rows)}
        idx = np.asarray(rows, dtype=np.int64)
        return Taste(
            vectors=self.vectors[idx],
            days=self.days[idx],
            ids=[self.ids[r] for r in rows],
            gains=self.gains[idx],
            picked=self.picked[idx],
            author_rows={k: [remap[r] for r in rs] for k, rs in lists.items()},
            titles={remap[r]: t for r, t in self.titles.items() if r in remap},
        )
