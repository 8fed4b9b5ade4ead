"""The bridge to the search package: one searcher per app, loaded on first use.

When the index cannot be loaded, pages show a clear empty state with the reason instead of failing.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from papertide.search.query import MAX_QUERY_CHARS, QueryTooLong
from papertide.web.errors import WebError
from papertide.web.state import WebState

log = logging.getLogger("papertide.web")
_lock = threading.Lock()
__all__ = ["MAX_QUERY_CHARS", "SearchOutcome", "related", "run_search", "searcher"]


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


def searcher(state: WebState) -> Any | None:
    if state.searcher is not None or state.searcher_error is not None:
        return state.searcher
    with _lock:
        if state.searcher is not None or state.searcher_error is not None:
            return state.searcher
        from papertide.search.api import get_searcher

        try:
            state.searcher = get_searcher(state.settings)
        except Exception as exc:  # a missing index must not take the site down
            log.warning("search unavailable: %s", exc)
            state.searcher_error = f"Search is unavailable: {exc}"
    return state.searcher


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
    mode: str = "hybrid",
    min_relevance: float | None = 0.0,
) -> SearchOutcome:
    """Run a search; `min_relevance=0.0` (the default here) lists every ranked paper with its
    relevance, so people see the full ranking; None applies the search package's tuned cutoff."""
    if len(q) > MAX_QUERY_CHARS:
        raise WebError(422, str(QueryTooLong(len(q))), code="query_too_long")
    engine = searcher(state)
    if engine is None:
        return SearchOutcome(unavailable=state.searcher_error)
    from papertide.search import api as search_api

    filters = search_api.SearchFilters(
        categories=tuple(categories or ()),
        date_from=date_from,
        date_to=date_to,
        has_code=has_code,
        on_feed=None,
    )
    try:
        response = engine.search(q, filters, limit, offset, min_relevance, mode)
    except QueryTooLong as exc:
        raise WebError(422, str(exc), code="query_too_long") from None
    except ValueError as exc:
        raise WebError(400, str(exc)) from None
    return SearchOutcome(
        results=list(response.results),
        total=response.total_candidates,
        mode=response.mode,
        message=response.message,
        cutoff=engine.params.min_relevance.get(response.mode),
    )


def related(state: WebState, arxiv_id: str, limit: int = 6) -> tuple[list[Any], str | None]:
    engine = searcher(state)
    if engine is None:
        return [], state.searcher_error
    try:
        return list(engine.related(arxiv_id, limit)), None
    except Exception as exc:  # related papers are a nicety: never break the paper page
        log.warning("related papers for %s failed: %s", arxiv_id, exc)
        return [], "Related papers are unavailable right now."
