"""What a live instance knows on the morning of a day: earlier picks and earlier papers.

`replay` walks the days in order and yields the history as it stood before each one, so every
feature is time-respecting by construction. A pick becomes known the day after both its feed
date and its paper's own listing day: a paper the feed picked before arXiv listed it here is
still the answer of its listing day, not history.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from papertide.rank.curate.records import Candidate, Pick, author_key
from papertide.rank.curate.taste import EMPTY, Taste

ONE_DAY = dt.timedelta(days=1)
# Picks in this many days count as "recent" for an author.
RECENT_DAYS = 90
# More authors than this (large collaborations) add nothing but time.
MAX_AUTHORS = 40

AUTHOR_FEATURES = (
    "auth_picks_max",
    "auth_picks_sum",
    "auth_picked_n",
    "auth_picked_frac",
    "auth_gain_max",
    "auth_gain_sum",
    "auth_rate_max",
    "auth_recent_max",
    "auth_first_picks",
    "auth_last_picks",
    "auth_papers_max",
    "auth_papers_mean",
    "auth_new_frac",
    "auth_decay_max",
    "auth_decay_sum",
    "auth_smooth_max",
    "auth_smooth_mean",
    "auth_gain_per_pick_max",
    "auth_days_since_pick",
    "auth_last_rate",
)
# Half-life (days) of an earlier pick in the time-decayed counts.
HALF_LIFE = 180.0
# Smoothing of the per-author pick rate: this many pseudo-papers at the overall pick rate.
SMOOTH_PAPERS = 5.0
PRIOR_RATE = 0.05


def author_keys(authors: Sequence[str]) -> list[str]:
    """The folded names of a paper's first MAX_AUTHORS authors, once each, in order."""
    return list(dict.fromkeys(k for k in map(author_key, authors[:MAX_AUTHORS]) if k))


@dataclass
class AuthorStats:
    picks: int = 0
    gain: float = 0.0
    papers: int = 0
    pick_days: list[dt.date] = field(default_factory=list)


@dataclass
class History:
    """Per author (by `author_key`): earlier picks, their gains and earlier listed papers."""

    authors: dict[str, AuthorStats] = field(default_factory=lambda: defaultdict(AuthorStats))
    picked: set[str] = field(default_factory=set)
    picks: list[Pick] = field(default_factory=list)
    # The dense vectors of the authors' earlier papers, when the caller has them (taste.py).
    taste: Taste | None = None

    def add_pick(self, pick: Pick) -> None:
        if pick.arxiv_id in self.picked:
            return
        self.picked.add(pick.arxiv_id)
        self.picks.append(pick)
        gain = math.log2(2 + max(pick.upvotes, 0))
        keys = author_keys(pick.authors)
        for key in keys:
            stats = self.authors[key]
            stats.picks += 1
            stats.gain += gain
            stats.pick_days.append(pick.day)
        if self.taste is not None:
            self.taste.add_pick(pick.arxiv_id, keys, gain, pick.title)

    def add_paper(self, candidate: Candidate) -> None:
        keys = author_keys(candidate.authors)
        for key in keys:
            self.authors[key].papers += 1
        if self.taste is not None:
            self.taste.add_paper(candidate.arxiv_id, keys)

    def taste_features(
        self, authors: Sequence[str], vector: NDArray[np.float32], day: dt.date
    ) -> tuple[float, ...]:
        """TASTE_FEATURES (taste.py) of a paper: its authors with an earlier pick only."""
        if self.taste is None:
            return EMPTY
        keys = self._picked_keys(authors)
        return self.taste.features(keys, vector, day) if keys else EMPTY

    def _picked_keys(self, authors: Sequence[str]) -> list[str]:
        """The folded names of these authors that have an earlier pick."""
        return [k for k in author_keys(authors) if k in self.authors and self.authors[k].picks]

    def author_features(self, authors: Sequence[str], day: dt.date) -> list[float]:
        """AUTHOR_FEATURES for a paper by `authors` scored on `day`."""
        keys = [author_key(a) for a in authors[:MAX_AUTHORS]]
        keys = [k for k in keys if k]
        if not keys:
            return [0.0] * len(AUTHOR_FEATURES)
        empty = AuthorStats()
        stats = [self.authors.get(k, empty) for k in keys]
        since = day - dt.timedelta(days=RECENT_DAYS)
        o = day.toordinal()
        picks = [s.picks for s in stats]
        gains = [s.gain for s in stats]
        papers = [s.papers for s in stats]
        recent = [sum(1 for d in s.pick_days if d >= since) for s in stats]
        decay = [
            sum(0.5 ** ((o - d.toordinal()) / HALF_LIFE) for d in s.pick_days) if s.picks else 0.0
            for s in stats
        ]
        smooth = [
            (s.picks + SMOOTH_PAPERS * PRIOR_RATE) / (s.papers + SMOOTH_PAPERS) for s in stats
        ]
        last_pick = max((max(s.pick_days) for s in stats if s.pick_days), default=None)
        picked_n = sum(1 for p in picks if p)
        return [
            float(max(picks)),
            float(sum(picks)),
            float(picked_n),
            picked_n / len(keys),
            max(gains),
            sum(gains),
            max((s.picks + 0.1) / (s.papers + 1.0) for s in stats),
            float(max(recent)),
            float(picks[0]),
            float(picks[-1]),
            math.log1p(max(papers)),
            math.log1p(sum(papers) / len(papers)),
            sum(1 for p in papers if p == 0) / len(keys),
            max(decay),
            sum(decay),
            max(smooth),
            sum(smooth) / len(smooth),
            max((s.gain / s.picks for s in stats if s.picks), default=0.0),
            float(min((day - last_pick).days, 999)) if last_pick is not None else 999.0,
            smooth[-1],
        ]

    def closest_pick(
        self, authors: Sequence[str], vector: NDArray[np.float32]
    ) -> tuple[str, float]:
        """Title and cosine of the picked earlier paper of these authors closest to `vector`."""
        if self.taste is None:
            return "", -1.0
        return self.taste.closest_pick(self._picked_keys(authors), vector)

    def author_counts(self, authors: Sequence[str]) -> tuple[int, int]:
        """(authors with earlier picks, their picks in all) — for the reason in words."""
        keys = {author_key(a) for a in authors[:MAX_AUTHORS]} - {""}
        picked = [self.authors[k].picks for k in keys if k in self.authors]
        picked = [p for p in picked if p]
        return len(picked), sum(picked)


def known_from(pick: Pick, listed: Mapping[str, dt.date]) -> dt.date:
    """The first morning a pick is history: the day after its feed date and its listing day."""
    day = pick.day
    listed_day = listed.get(pick.arxiv_id)
    if listed_day is not None and listed_day > day:
        day = listed_day
    return day + ONE_DAY


def replay(
    by_day: Mapping[dt.date, Sequence[Candidate]],
    picks: Iterable[Pick],
    *,
    history: History | None = None,
    all_papers: Iterable[Candidate] = (),
) -> Iterator[tuple[dt.date, History]]:
    """(day, history before that day) for each day of `by_day`, ascending; one shared object.

    `all_papers` are earlier listed papers outside `by_day` (they count as authors' papers).
    """
    history = history if history is not None else History()
    listed = {c.arxiv_id: c.day for papers in by_day.values() for c in papers}
    events: list[tuple[dt.date, int, int, Pick | Candidate]] = []
    seq = 0
    for pick in picks:
        events.append((known_from(pick, listed), 0, seq, pick))
        seq += 1
    for papers in by_day.values():
        for c in papers:
            events.append((c.day + ONE_DAY, 1, seq, c))
            seq += 1
    for c in all_papers:
        if c.arxiv_id not in listed:
            events.append((c.day + ONE_DAY, 1, seq, c))
            seq += 1
    heapq.heapify(events)
    for day in sorted(by_day):
        while events and events[0][0] <= day:
            _, kind, _, item = heapq.heappop(events)
            if kind == 0:
                assert isinstance(item, Pick)
                history.add_pick(item)
            else:
                assert isinstance(item, Candidate)
                history.add_paper(item)
        yield day, history
