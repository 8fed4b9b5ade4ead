"""Who gets what: the content of one subscription's mail for one period, or None when nothing
passes the bar (an alert with nothing relevant is not sent at all).

Composition is pure reading. A `Composer` lives for one run and caches what recipients share
(the period's trending list, candidate pool, search results per query), so composing ten thousand
personal digests costs one shared computation per period plus a small one per person.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session

from papertide.config import Settings
from papertide.digest.schedule import Period
from papertide.digest.subscriptions import describe, seed_owner
from papertide.latex import latex_to_text
from papertide.models import SeedOwner, web_link
from papertide.rank.curate.service import chance_label, day_suggestions
from papertide.rank.curate.suggest import Suggestion
from papertide.rank.recommend import (
    MIN_SCORE,
    Ranker,
    load_seeds,
    load_seeds_many,
    recent_candidates,
    short_title,
)
from papertide.rank.trending import trending_papers
from papertide.search.api import SearchFilters, SearchStatus, get_searcher
from papertide.store.schema import FeedEntry, Paper, PaperCategory, Subscription

log = logging.getLogger("papertide.digest")

MAX_ITEMS = 10
ABSTRACT_CHARS = 320


class ContentUnavailable(Exception):
    """The content cannot be computed now (e.g. no search index): retry later, do not skip."""


@dataclass(frozen=True, slots=True)
class DigestItem:
    arxiv_id: str
    title: str
    authors: str
    abstract: str
    url: str  # the paper's page here
    arxiv_url: str
    pdf_url: str
    code_url: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class Section:
    heading: str
    items: list[DigestItem]


@dataclass
class Digest:
    """One mail's content for one subscription and period."""

    subscription_id: int
    email: str
    kind: str
    period: Period
    subject: str
    intro: str
    sections: list[Section] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(s.items) for s in self.sections)


def short_abstract(text: str | None, limit: int = ABSTRACT_CHARS) -> str:
    text = " ".join((text or "").split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:.") + "…"


def author_line(names: Sequence[str] | None, limit: int = 4) -> str:
    names = list(names or [])
    if len(names) <= limit:
        return ", ".join(names)
    return ", ".join(names[:limit]) + f" et al. ({len(names)} authors)"


# (query, categories, period, min_relevance or None for the calibrated default, limit)
#   -> [(paper id, relevance)], only results at or above the cutoff.
SearchFn = Callable[[str, list[str], Period, float | None, int], list[tuple[int, float]]]


def default_search(settings: Settings) -> SearchFn:
    """Saved searches through the search engine's calibrated relevance (papertide.search.api)."""

    def run(
        query: str, categories: list[str], period: Period, threshold: float | None, limit: int
    ) -> list[tuple[int, float]]:
        try:
            response = get_searcher(settings).search(
                query,
                SearchFilters(
                    categories=tuple(categories),
                    # first_announced dates of the period: [start day, day before the send day]
                    date_from=period.start.date(),
                    date_to=period.end.date() - dt.timedelta(days=1),
                ),
                limit=limit,
                offset=0,
                min_relevance=threshold,
                mode="hybrid",
            )
        except Exception as exc:  # an index being rebuilt must not lose the alert: retry
            raise ContentUnavailable(f"search failed: {exc}") from None
        if response.status is SearchStatus.INDEX_NOT_BUILT:
            raise ContentUnavailable(response.message or "search index not built")
        floor = threshold if threshold is not None else 0.0
        return [(r.paper_id, r.relevance) for r in response.results if r.relevance >= floor]

    return run


class Composer:
    """Composes digests for one run (one `now`), sharing work between recipients."""

    def __init__(
        self,
        session: Session,
        settings: Settings,
        *,
        search: SearchFn | None = None,
        max_items: int = MAX_ITEMS,
    ) -> None:
        self.session = session
        self.settings = settings
        self.base = settings.base_url.rstrip("/")
        self.search = search or default_search(settings)
        self.max_items = max_items
        self._trending: dict[tuple[str, dt.datetime], list[tuple[Paper, str]]] = {}
        self._rankers: dict[tuple[dt.datetime, dt.datetime], Ranker] = {}
        self._searches: dict[tuple[Any, ...], list[tuple[int, float]]] = {}
        self._seeds: dict[SeedOwner, tuple[list[Paper], list[Paper]]] = {}
        self._papers: dict[int, Paper] = {}
        self._picked: dict[tuple[dt.datetime, dt.datetime], list[tuple[Paper, str]]] = {}

    # Pieces --------------------------------------------------------------------------------

    def item(self, paper: Paper, reason: str) -> DigestItem:
        code = next(filter(None, map(web_link, paper.code_links or [])), None)
        return DigestItem(
            arxiv_id=paper.arxiv_id,
            title=" ".join(latex_to_text(paper.title).split()),
            authors=author_line(paper.authors),
            abstract=short_abstract(latex_to_text(paper.abstract)),
            url=f"{self.base}/papers/{paper.arxiv_id}",
            arxiv_url=f"https://arxiv.org/abs/{paper.arxiv_id}",
            pdf_url=f"https://arxiv.org/pdf/{paper.arxiv_id}",
            code_url=code,
            reason=reason,
        )

    def trending(self, window: str, period: Period) -> list[tuple[Paper, str]]:
        """Trending papers whose feed day lies in the period (the days before the send day), so
        a quiet day sends nothing rather than yesterday's list again."""
        key = (window, period.end)
        if key not in self._trending:
            first, last = period.start.date(), period.end.date() - dt.timedelta(days=1)
            span = "day" if window == "day" and first == last else "week"
            ranked = trending_papers(
                self.session,
                span,  # type: ignore[arg-type]
                dt.datetime.combine(last, dt.time(23, 59, 59), dt.UTC),
                limit=self.max_items * 5,
            )
            in_period = [t for t in ranked if first <= t.item.feed_date <= last]
            when = "of the day" if window == "day" else "of the week"
            self._trending[key] = [
                (t.item.paper, f"#{i} {when} · {t.item.upvotes} upvotes")
                for i, t in enumerate(in_period[: self.max_items], 1)
            ]
        return self._trending[key]

    def picked_for_today(self, period: Period) -> list[tuple[Paper, str]]:
        """The suggested papers (above the model's line) of the period's listing days, best
        first, each with its chance and reasons; shared by every recipient of the period."""
        key = (period.start, period.end)
        if key not in self._picked:
            bind = self.session.get_bind()
            engine = bind if isinstance(bind, Engine) else bind.engine
            first, last = period.start.date(), period.end.date() - dt.timedelta(days=1)
            above: list[Suggestion] = []
            day = first
            while day <= last:
                above.extend(
                    day_suggestions(
                        engine,
                        self.settings.data_dir,
                        day,
                        categories=tuple(self.settings.categories),
                    ).above
                )
                day += dt.timedelta(days=1)
            above.sort(key=lambda s: (-s.score, s.paper.arxiv_id))
            above = above[: self.max_items * 3]  # room for those trending already
            ids = [s.paper.arxiv_id for s in above]
            rows = {
                p.arxiv_id: p
                for p in self.session.scalars(select(Paper).where(Paper.arxiv_id.in_(ids)))
            }
            self._picked[key] = [
                (
                    rows[s.paper.arxiv_id],
                    f"{chance_label(s.score)} chance of being picked · " + "; ".join(s.reasons),
                )
                for s in above
                if s.paper.arxiv_id in rows
            ]
        return self._picked[key]

    def ranker(self, period: Period) -> Ranker:
        key = (period.start, period.end)
        if key not in self._rankers:
            days = max(1, round((period.end - period.start).total_seconds() / 86400))
            pool = recent_candidates(
                self.session, period.end, days=days, categories=self.settings.categories
            )
            ranker = Ranker(pool)
            ranker.prepare(list(self._papers.values()))  # every prefetched library at once
            self._rankers[key] = ranker
        return self._rankers[key]

    def prefetch_seeds(self, subs: Sequence[Subscription]) -> None:
        """Load the libraries of many subscribers in a few queries (instead of two each)."""
        owners = {
            seed_owner(s)
            for s in subs
            if s.kind in ("daily_trending", "weekly_trending", "recommendations")
        }
        loaded = load_seeds_many(self.session, owners - set(self._seeds))
        for owner, (liked, disliked) in loaded.items():
            self._seeds[owner] = (liked, disliked)
            self._papers.update((p.id, p) for p in liked + disliked)

    def recommendations(
        self, sub: Subscription, period: Period, min_score: float = MIN_SCORE
    ) -> list[tuple[Paper, str]]:
        owner = seed_owner(sub)
        if owner not in self._seeds:
            self._seeds[owner] = load_seeds(self.session, owner)
        liked, disliked = self._seeds[owner]
        if not liked:
            return []
        ranker = self.ranker(period)
        recs = ranker.rank(liked, disliked, limit=self.max_items, min_score=min_score)
        by_id = {p.id: p for p in ranker.candidates}
        return [(by_id[r.paper_id], r.reason) for r in recs]

    def category_papers(self, category: str, period: Period) -> list[tuple[Paper, str]]:
        start, end = period.start.date(), period.end.date()
        on_feed = select(FeedEntry.paper_id).where(
            FeedEntry.feed_date >= start, FeedEntry.feed_date < end, FeedEntry.hidden.is_(False)
        )
        stmt = (
            select(Paper)
            .join(PaperCategory, PaperCategory.paper_id == Paper.id)
            .where(
                PaperCategory.category == category,
                Paper.withdrawn.is_(False),
                or_(
                    (Paper.first_announced >= start) & (Paper.first_announced < end),
                    Paper.id.in_(on_feed),
                ),
            )
            .order_by(Paper.published_at.desc().nulls_last(), Paper.id.desc())
            .limit(self.max_items)
        )
        return [(p, f"new in {category}") for p in self.session.scalars(stmt)]

    def search_papers(self, sub: Subscription, period: Period) -> list[tuple[Paper, str]]:
        query = str(sub.params.get("query", ""))
        categories = [str(c) for c in sub.params.get("categories", []) or []]
        raw = sub.params.get("min_relevance")
        threshold = float(raw) if raw is not None else None
        key = (query, tuple(categories), period.start, period.end, threshold)
        if key not in self._searches:
            self._searches[key] = self.search(query, categories, period, threshold, self.max_items)
        hits = self._searches[key]
        ids = [i for i, _ in hits]
        by_key = {p.id: p for p in self.session.scalars(select(Paper).where(Paper.id.in_(ids)))}
        shown = short_title(query, 40)
        return [
            (by_key[i], f"matches “{shown}” (relevance {rel:.2f})")
            for i, rel in hits
            if i in by_key
        ]

    # The mail ------------------------------------------------------------------------------

    def compose(self, sub: Subscription, period: Period) -> Digest | None:
        """The digest for `sub` in `period`, or None when nothing passes the bar."""
        sections: list[Section] = []
        kind = sub.kind
        if kind in ("daily_trending", "weekly_trending"):
            window = "day" if kind == "daily_trending" else "week"
            trending = self.trending(window, period)
            if trending:
                heading = "Trending today" if window == "day" else "Trending this week"
                sections.append(Section(heading, [self.item(p, r) for p, r in trending]))
            shown = {p.id for p, _ in trending}
            if kind == "daily_trending":
                # What the model expects this community to pick among the day's new papers.
                picked = [(p, r) for p, r in self.picked_for_today(period) if p.id not in shown]
                picked = picked[: self.max_items]
                if picked:
                    sections.append(
                        Section("Picked for today", [self.item(p, r) for p, r in picked])
                    )
                shown |= {p.id for p, _ in picked}
            recs = [(p, r) for p, r in self.recommendations(sub, period) if p.id not in shown]
            if recs:
                sections.append(Section("Picked for you", [self.item(p, r) for p, r in recs]))
        elif kind == "category":
            category = str(sub.params.get("category", ""))
            found = self.category_papers(category, period)
            if found:
                sections.append(Section(f"New in {category}", [self.item(p, r) for p, r in found]))
        elif kind == "search":
            found = self.search_papers(sub, period)
            if found:
                query = short_title(str(sub.params.get("query", "")), 60)
                sections.append(Section(f"New for “{query}”", [self.item(p, r) for p, r in found]))
        elif kind == "recommendations":
            min_score = float(sub.params.get("min_score", MIN_SCORE))
            recs = self.recommendations(sub, period, min_score)
            if recs:
                sections.append(Section("Recommended for you", [self.item(p, r) for p, r in recs]))
        if not sections:
            return None
        digest = Digest(
            subscription_id=sub.id,
            email=sub.email,
            kind=kind,
            period=period,
            subject="",
            intro=f"{describe(sub).capitalize()} — {period.label}.",
            sections=sections,
        )
        digest.subject = subject_for(self.settings.site_name, sub, digest)
        return digest


def subject_for(site: str, sub: Subscription, digest: Digest) -> str:
    """A one-line subject; anything a person typed is already stripped of line breaks."""
    what = describe(sub)
    n = digest.count
    papers = "paper" if n == 1 else "papers"
    subject = f"[{site}] {n} {papers}: {what} ({digest.period.label})"
    return " ".join(subject.split())[:200]
