"""The evaluation protocol of issue 12: candidate days, gains and P@15, nDCG@15, R@50.

Candidates are the papers listed in the instance's categories, grouped by listing day.
Positives are papers the community picked on any feed date, each with gain log2(2 + upvotes)
(its highest count when it was picked twice). A day counts only when it has a positive.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from papertide.rank.curate.records import Candidate, Pick

PRECISION_AT = 15
NDCG_AT = 15
RECALL_AT = 50
# The shared feed starts long before the arXiv snapshot is complete; days before this one have
# too few listed papers to be a fair day.
FIRST_FULL_DAY = dt.date(2025, 3, 20)


def gains(picks: Iterable[Pick], *, before: dt.date | None = None) -> dict[str, float]:
    """Gain per picked arXiv id (log2(2 + most upvotes)); only picks dated before `before`."""
    best: dict[str, int] = {}
    for pick in picks:
        if before is not None and pick.day >= before:
            continue
        if pick.upvotes > best.get(pick.arxiv_id, -1):
            best[pick.arxiv_id] = max(pick.upvotes, 0)
    return {arxiv_id: math.log2(2 + votes) for arxiv_id, votes in best.items()}


def group_days(
    candidates: Iterable[Candidate],
    *,
    start: dt.date | None = FIRST_FULL_DAY,
    until: dt.date | None = None,
) -> dict[dt.date, list[Candidate]]:
    """Candidates by listing day, days ascending, within [start, until]."""
    days: dict[dt.date, list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        if start is not None and candidate.day < start:
            continue
        if until is not None and candidate.day > until:
            continue
        days[candidate.day].append(candidate)
    return {day: days[day] for day in sorted(days)}


def days_with_positive(
    by_day: Mapping[dt.date, Sequence[Candidate]],
    gain: Mapping[str, float],
    *,
    start: dt.date,
    until: dt.date | None = None,
) -> list[dt.date]:
    """The evaluated days: in [start, until] and with at least one positive."""
    return [
        day
        for day, papers in by_day.items()
        if day >= start
        and (until is None or day <= until)
        and any(p.arxiv_id in gain for p in papers)
    ]


@dataclass(frozen=True, slots=True)
class DayResult:
    day: dt.date
    candidates: int
    positives: int
    precision: float
    ndcg: float
    recall: float


def day_result(day: dt.date, ranked_ids: Sequence[str], gain: Mapping[str, float]) -> DayResult:
    """P@15, nDCG@15 and R@50 of one day's ranking (best first) against the gains."""
    day_gains = sorted((gain[i] for i in ranked_ids if i in gain), reverse=True)
    positives = len(day_gains)
    hits15 = sum(1 for i in ranked_ids[:PRECISION_AT] if i in gain)
    hits50 = sum(1 for i in ranked_ids[:RECALL_AT] if i in gain)
    dcg = sum(gain.get(i, 0.0) / math.log2(r + 2) for r, i in enumerate(ranked_ids[:NDCG_AT]))
    ideal = sum(g / math.log2(r + 2) for r, g in enumerate(day_gains[:NDCG_AT]))
    return DayResult(
        day=day,
        candidates=len(ranked_ids),
        positives=positives,
        precision=hits15 / PRECISION_AT,
        ndcg=dcg / ideal if ideal > 0 else 0.0,
        recall=hits50 / positives if positives else 0.0,
    )


@dataclass(frozen=True, slots=True)
class Summary:
    days: int
    precision: float
    ndcg: float
    recall: float
    median_candidates: float
    median_positives: float

    def as_dict(self) -> dict[str, float | int]:
        return {
            "days": self.days,
            f"precision@{PRECISION_AT}": round(self.precision, 4),
            f"ndcg@{NDCG_AT}": round(self.ndcg, 4),
            f"recall@{RECALL_AT}": round(self.recall, 4),
            "median_candidates": self.median_candidates,
            "median_positives": self.median_positives,
        }


def _median(values: list[int]) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    mid = len(ordered) // 2
    return float(ordered[mid]) if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def summarise(results: Sequence[DayResult]) -> Summary:
    """Figures averaged over days (every day weighs the same)."""
    n = len(results)
    if n == 0:
        return Summary(0, 0.0, 0.0, 0.0, 0.0, 0.0)
    return Summary(
        days=n,
        precision=sum(r.precision for r in results) / n,
        ndcg=sum(r.ndcg for r in results) / n,
        recall=sum(r.recall for r in results) / n,
        median_candidates=_median([r.candidates for r in results]),
        median_positives=_median([r.positives for r in results]),
    )
