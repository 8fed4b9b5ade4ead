"""The bridge to the search package: one searcher per app, loaded on first use.

When the index cannot be loaded, pages show a clear empty state with the reason instead of failing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from papertide.search.api import MAX_LIMIT, Searcher, SearchFilters, get_searcher
from papertide.search.engine import Mode
from papertide.search.query import MAX_QUERY_CHARS, QueryTooLong
from papertide.web.errors import WebError
from papertide.web.state import WebState

log = logging.getLogger("papertide.web")
__all__ = [
    "MAX_LIMIT",
    "MAX_QUERY_CHARS",
    "SearchOutcome",
    "counted_words",
    "related",
    "run_search",
    "searcher",
    "with_snippets",
]


@dataclass
class SearchOutcome:
    results: list[Any] = field(default_factory=list)
    total: int = 0
    mode: str = ""
    message: str | None = None
    unavailable: str | None = None
    # The search package's calibrated default cutoff for this mode: results below it are shown
    # (people like to see the whole ranking) but under a "less likely relevant" divider.
    cutoff: float | None = None
    relevant: int = 0  # ranked papers at or above the cutoff ...
    relevant_at_least: bool = False  # ... and maybe more beyond the ranking
    matching: int | None = None  # papers with a query word (when counted)
    counted: tuple[str, ...] = ()  # the words `matching` looks for
    suggestion: str | None = None  # the query with words no paper has corrected ("did you mean")


def searcher(state: WebState) -> tuple[Searcher | None, str | None]:
    """The process's searcher for these settings, or None and why (a missing index or model
    must not take the site down)."""
    try:
        return get_searcher(state.settings), None
    except Exception as exc:
        log.warning("search unavailable: %s", exc)
        return None, f"Search is unavailable: {exc}"


def run_search(
    state: WebState,
    q: str,
    *,
    categories: list[str] | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    has_code: bool | None = None,
    limit: int = 20,
    offset: int = 0,
    mode: Mode = "hybrid",
    min_relevance: float | None = 0.0,
    count_matching: bool = False,
    snippets: bool = True,
) -> SearchOutcome:
    """Run a search; `min_relevance=0.0` (the default here) lists every ranked paper with its
    relevance, so people see the full ranking; None applies the search package's tuned cutoff."""
    if len(q) > MAX_QUERY_CHARS:
        raise WebError(422, str(QueryTooLong(len(q))), code="query_too_long")
    engine, unavailable = searcher(state)
    if engine is None:
        return SearchOutcome(unavailable=unavailable)
    filters = SearchFilters(
        categories=tuple(categories or ()),
        date_from=date_from,
        date_to=date_to,
        has_code=has_code,
        on_feed=None,
    )
    try:
        response = engine.search(
            q,
            filters,
            limit,
            offset,
            min_relevance,
            mode,
            count_matching=count_matching,
            snippets=snippets,
        )
    except QueryTooLong as exc:
        raise WebError(422, str(exc), code="query_too_long") from None
    except ValueError as exc:
        raise WebError(400, str(exc)) from None
    return SearchOutcome(
        results=list(response.results),
        total=response.total_candidates,
        mode=response.mode,
        message=response.message,
        cutoff=response.line,
        relevant=response.relevant,
        relevant_at_least=response.relevant_at_least,
        matching=response.matching,
        counted=response.counted,
        suggestion=response.suggestion,
    )


def with_snippets(state: WebState, q: str, results: list[Any]) -> list[Any]:
    """`results` (of a search run without excerpts) with their excerpts for `q`."""
    engine, _ = searcher(state)
    if engine is None or not results:
        return results
    found = engine.snippets(q, [r.paper_id for r in results])
    return [dataclasses.replace(r, snippet_html=found.get(r.paper_id, "")) for r in results]


def counted_words(words: tuple[str, ...]) -> str:
    """The words the "matching" count looks for, as a reader reads them: `“diffusion” or
    “models”`, or "a word of the query" for many or none."""
    if not words or len(words) > 4:
        return "a word of the query"
    quoted = [f"“{w}”" for w in words]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def related(state: WebState, arxiv_id: str, limit: int = 6) -> tuple[list[Any], str | None]:
    engine, unavailable = searcher(state)
    if engine is None:
        return [], unavailable
    try:
        return list(engine.related(arxiv_id, limit)), None
    except Exception as exc:  # related papers are a nicety: never break the paper page
        log.warning("related papers for %s failed: %s", arxiv_id, exc)
        return [], "Related papers are unavailable right now."
