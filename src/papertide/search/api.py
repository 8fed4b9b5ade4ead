"""The one search API used by the web app, feeds and digests alike.

    searcher = get_searcher(settings)
    response = searcher.search("graph neural networks", SearchFilters(categories=("cs.LG",)))

`relevance` of each result is a calibrated probability that it is relevant (fitted on SciFact
train and three classic collections, see search/calibration.py); `min_relevance=None` applies
the default cutoff chosen to maximise set-F1, so a list can be short or empty (nonsense returns
nothing); pass `min_relevance=0.0` for a plain ranked list. An arXiv id or an exact title puts
that paper first.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

import numpy as np
from sqlalchemy import Engine

from papertide.config import Settings
from papertide.embed.base import Embedder
from papertide.embed.job import embed_pending
from papertide.embed.registry import get_embedder
from papertide.models import parse_arxiv_id
from papertide.search.demo_vectors import load_sample_vectors
from papertide.search.engine import HybridEngine, Mode, Ranked, extend
from papertide.search.keyword import Filter, KeywordIndex, content_words
from papertide.search.params import SearchParams, load_params
from papertide.search.query import MAX_QUERY_CHARS, QueryTooLong, parse_query
from papertide.search.relevance import missing_words, query_words
from papertide.search.state import STATE_FILE, IndexState, read_state
from papertide.search.sync import SyncReport, rebuild_index, sync_index
from papertide.search.vectors import VectorIndex

__all__ = [
    "MAX_QUERY_CHARS",
    "QueryTooLong",
    "SearchFilters",
    "SearchResponse",
    "SearchResult",
    "SearchStatus",
    "Searcher",
    "SyncReport",
    "get_searcher",
    "prepare_demo_index",
]

MAX_LIMIT = 200


@dataclass(frozen=True)
class SearchFilters:
    categories: tuple[str, ...] = ()  # any of; "cs" matches cs.*
    date_from: dt.date | None = None  # on papers.first_announced
    date_to: dt.date | None = None
    has_code: bool | None = None
    on_feed: bool | None = None  # has a feed_entries row

    def to_filter(self) -> Filter:
        cats = self.categories or ()
        if isinstance(cats, str):
            cats = (cats,)
        return Filter(
            categories=tuple(c for c in cats if c and c.strip()),
            date_from=self.date_from,
            date_to=self.date_to,
            has_code=self.has_code,
            on_feed=self.on_feed,
        )


@dataclass(frozen=True)
class SearchResult:
    paper_id: int
    arxiv_id: str
    title: str
    score: float
    relevance: float
    keyword_score: float | None
    semantic_score: float | None
    snippet_html: str  # escaped text with <mark> highlights only
    # The query's words this paper has in none of its title, abstract and authors (a partial
    # match: "giraffe neural network" -> ("giraffe",)); see relevance.missing_words.
    missing: tuple[str, ...] = ()


class SearchStatus(StrEnum):
    """What a search could do; `SearchResponse.message` says the same to a person."""

    OK = "ok"  # ranked in the mode asked for, every paper embedded (or keyword mode)
    EMPTY_QUERY = "empty_query"
    # "*", ":" or emoji alone, or only stop words ("the", "of the"): nothing to match
    NO_SEARCHABLE_WORDS = "no_searchable_words"
    INDEX_NOT_BUILT = "index_not_built"  # no usable index yet: a sync or rebuild builds one
    INDEX_UNREADABLE = "index_unreadable"  # files damaged or of another version: rebuild
    SEMANTIC_PENDING = "semantic_pending"  # some papers have no vector yet (mode says which ran)


@dataclass(frozen=True)
class SearchResponse:
    query: str
    mode: str
    results: list[SearchResult]
    total_candidates: int  # papers ranked: both retrievers' candidates (at least `depth`)
    message: str | None  # e.g. "empty query", "semantic results pending: 40% embedded"
    status: SearchStatus
    # Ranked papers at or above the mode's default line (whatever `min_relevance` was asked);
    # when every ranked paper is, more may exist beyond the ranking: `relevant_at_least`.
    relevant: int = 0
    relevant_at_least: bool = False
    # With `count_matching`: papers (passing the filters) that contain a query word other than
    # a stop word, plus relevant ones found by meaning or by id alone. None when not counted.
    matching: int | None = None
    # The words `matching` looks for (the query's words but stop words), for saying what it counts.
    counted: tuple[str, ...] = ()
    # The line of the relevance model that judged the results (None: no model, no line).
    line: float | None = None
    # The query with its words that no paper contains corrected ("difusion" -> "diffusion"),
    # when a correction is near enough; the results are those of the query as typed.
    suggestion: str | None = None


class Searcher:
    """Reads the index files of one folder; reloads them when a sync (any process) changed them."""

    def __init__(
        self,
        settings: Settings,
        params: SearchParams | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        self.settings = settings
        self.index_dir = settings.effective_index_dir
        self.params = params or load_params()
        self._embedder = embedder
        self._engine: HybridEngine | None = None
        self._state_mtime: float | None = None
        self._nothing_to_embed = False  # the last embedding run found no paper to embed
        self._open_error: str | None = None
        self._lock = threading.Lock()

    # Loading -----------------------------------------------------------------------------------

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = get_embedder(self.settings)
        return self._embedder

    def _current(self) -> HybridEngine | None:
        """The engine over the files as they are now; None when no index was built."""
        path = self.index_dir / STATE_FILE
        try:
            mtime = path.stat().st_mtime
        except OSError:
            self._engine = None
            return None
        if self._engine is not None and mtime == self._state_mtime:
            return self._engine
        with self._lock:
            if self._engine is not None and mtime == self._state_mtime:
                return self._engine
            if not isinstance(read_state(self.index_dir), IndexState):
                return None
            try:
                keyword = KeywordIndex(self.index_dir / "keyword", self.params.field_boosts)
                vectors = VectorIndex.load(self.index_dir / "vectors", read_only=True)
            except Exception as exc:  # damaged or from another version: say so, do not crash
                self._open_error = f"{type(exc).__name__}: {exc}"
                return None
            self._open_error = None
            embedder = self.embedder if vectors is not None and vectors.live_count else None
            if embedder is not None and vectors is not None and vectors.model != embedder.name:
                vectors, embedder = None, None  # vectors of another model: keyword only
            self._engine = HybridEngine(keyword, vectors, embedder, self.params)
            self._state_mtime = mtime
            return self._engine

    # Searching ---------------------------------------------------------------------------------

    def search(
        self,
        query: str,
        filters: SearchFilters = SearchFilters(),
        limit: int = 20,
        offset: int = 0,
        min_relevance: float | None = None,
        mode: Literal["hybrid", "keyword", "semantic"] = "hybrid",
        count_matching: bool = False,
        snippets: bool = True,
    ) -> SearchResponse:
        """Ranked papers for `query`; bad syntax is searched as plain text, never an error.

        `count_matching` also counts every paper that contains a query word (one more index
        query, which reads every posting of the query's words: for pages, not alerts).
        `snippets=False` leaves `snippet_html` empty: a page that sorts a long ranking and shows
        20 of it asks `snippets()` for those 20 (200 excerpts cost ~50 ms, 20 ~5 ms).
        Raises QueryTooLong (> 1,000 characters) and ValueError for a bad mode/limit.
        """
        if mode not in ("hybrid", "keyword", "semantic"):
            raise ValueError(f"unknown search mode {mode!r}; use hybrid, keyword or semantic")
        if limit < 0 or offset < 0:
            raise ValueError("limit and offset must not be negative")
        limit = min(limit, MAX_LIMIT)
        parsed = parse_query(query or "")
        filters = filters or SearchFilters()
        if not parsed.text:
            return SearchResponse(query, mode, [], 0, "empty query", SearchStatus.EMPTY_QUERY)
        engine = self._current()
        if engine is None:
            hint = f"in {self.index_dir}; run `papertide index rebuild`"
            if self._open_error:
                return SearchResponse(
                    query,
                    mode,
                    [],
                    0,
                    f"search index unreadable {hint} ({self._open_error})",
                    SearchStatus.INDEX_UNREADABLE,
                )
            return SearchResponse(
                query, mode, [], 0, f"search index not built {hint}", SearchStatus.INDEX_NOT_BUILT
            )
        if not parsed.has_keywords:
            # "*", ":" or emoji alone: nothing to match, and a vector of it would be noise
            return SearchResponse(
                query,
                mode,
                [],
                0,
                "no searchable words in the query",
                SearchStatus.NO_SEARCHABLE_WORDS,
            )
        said = query_words(parsed)
        words = content_words(said)
        if not parsed.fielded and not words:
            # "the", "of the": every paper has these words and a vector of them says nothing,
            # so every paper would come out relevant.
            return SearchResponse(
                query,
                mode,
                [],
                0,
                "only common words in the query (such as “the” or “of”): add a word that says "
                "what you are looking for",
                SearchStatus.NO_SEARCHABLE_WORDS,
            )
        if not parsed.fielded and len(said) > 1 and all(len(word) == 1 for word in words):
            # "a b c", "x y": letters that half the papers contain somewhere (a variable, a
            # band, an initial), so they would rank noise as relevant. One letter alone ("R",
            # "x") stays a query: a language or an X-ray paper may be what was meant.
            return SearchResponse(
                query,
                mode,
                [],
                0,
                "only single letters in the query: add a word that says what you are looking for",
                SearchStatus.NO_SEARCHABLE_WORDS,
            )
        status, message = self._coverage(engine, mode)
        effective: Mode = mode
        if mode != "keyword" and not engine.semantic_ready:
            effective = "keyword"
        ranked = engine.rank(parsed, filters.to_filter(), effective, depth=self.params.depth)
        if offset + limit > self.params.depth:  # a page past the first pool: look deeper
            deeper = engine.rank(parsed, filters.to_filter(), effective, depth=offset + limit)
            ranked = extend(ranked, deeper)
        judged_line = self.params.min_relevance.get(ranked.judged_by)
        line = judged_line or 0.0
        cutoff = line if min_relevance is None else min_relevance
        highlight = " ".join(words)
        results = self._results(
            engine, highlight if snippets else None, ranked, cutoff, offset, limit, words
        )
        rel = np.nan_to_num(ranked.relevance)
        relevant = int((rel >= line).sum()) if line > 0 else 0
        matching = None
        if count_matching:
            # Papers with a query word that also have the query's field words (`ti:`, `au:`,
            # `cat:`); with field words alone, every paper that has them.
            counted = dataclasses.replace(filters.to_filter(), must=parsed.split_fields()[1])
            matching = engine.keyword.count_matching(highlight, counted)
            if highlight:
                # Relevant papers without any query word (found by meaning, an id or an author)
                # count as matching too, so that "12 relevant of 240 matching" always adds up.
                wordless = int(((rel >= line) & (ranked.fused.keyword <= 0)).sum()) if line else 0
                matching += wordless
        return SearchResponse(
            query,
            ranked.mode,
            results,
            ranked.total_candidates,
            message,
            status,
            relevant=relevant,
            relevant_at_least=bool(relevant) and relevant == ranked.total_candidates,
            matching=matching,
            counted=tuple(highlight.split()),
            line=judged_line,
            suggestion=engine.speller.suggest(query, words),
        )

    def _coverage(self, engine: HybridEngine, mode: str) -> tuple[SearchStatus, str | None]:
        if mode == "keyword":
            return SearchStatus.OK, None
        total = engine.keyword.num_docs
        have = engine.vectors.live_count if engine.vectors is not None else 0
        if total and have < total:
            share = int(100 * have / total)
            if have == 0:
                message = "semantic results pending: 0% embedded; showing keyword results"
            else:
                message = f"semantic results pending: {share}% embedded"
            return SearchStatus.SEMANTIC_PENDING, message
        return SearchStatus.OK, None

    def snippets(self, query: str, paper_ids: list[int]) -> dict[int, str]:
        """Excerpts of these papers' abstracts with the query's words marked (see `search`)."""
        engine = self._current()
        if engine is None or not paper_ids:
            return {}
        try:
            parsed = parse_query(query or "")
        except QueryTooLong:
            return {}
        highlight = " ".join(content_words(query_words(parsed)))
        return engine.keyword.snippets(highlight, paper_ids)[1]

    def _results(
        self,
        engine: HybridEngine,
        highlight: str | None,
        ranked: Ranked,
        cutoff: float,
        offset: int,
        limit: int,
        words: Sequence[str] = (),
    ) -> list[SearchResult]:
        """The results in [offset, offset + limit); excerpts marking `highlight`'s words (None:
        no excerpts), and which of the query's `words` each lacks."""
        fused = ranked.fused
        rel = ranked.relevance
        rel = np.where(np.isfinite(rel), rel, 0.0)  # uncalibrated (no params): no evidence
        keep = [i for i in range(len(fused.paper_ids)) if rel[i] >= cutoff][offset : offset + limit]
        ids = [fused.paper_ids[i] for i in keep]
        snippets: dict[int, str] = {}
        if highlight is None:
            docs = engine.keyword.documents(ids)
        else:
            docs, snippets = engine.keyword.snippets(highlight, ids)
        missing = missing_words(engine.keyword, words, ids)
        out = []
        for i in keep:
            paper_id = fused.paper_ids[i]
            doc = docs.get(paper_id)
            if doc is None:  # deleted between retrieval and display
                continue
            sem = float(fused.semantic[i])
            out.append(
                SearchResult(
                    paper_id=paper_id,
                    arxiv_id=doc["arxiv_id"][0],
                    title=doc["title"][0],
                    score=round(float(fused.fused[i]), 6),
                    relevance=round(float(rel[i]), 4),
                    keyword_score=float(fused.keyword[i]) if ranked.mode != "semantic" else None,
                    semantic_score=sem if np.isfinite(sem) and ranked.mode != "keyword" else None,
                    snippet_html=snippets.get(paper_id, ""),
                    missing=missing.get(paper_id, ()),
                )
            )
        return out

    def related(self, arxiv_id: str, limit: int = 10) -> list[SearchResult]:
        """Papers like this one: its stored vector plus its title's keywords; itself excluded."""
        engine = self._current()
        if engine is None:
            return []
        id_version = parse_arxiv_id(arxiv_id)
        if id_version is None:
            return []
        found = engine.keyword.find_arxiv_id(id_version[0])
        if found is None:
            return []
        paper_id, title, _abstract = found
        parsed = parse_query(" ".join(title.split())[:MAX_QUERY_CHARS])
        vector = None
        mode: Mode = "keyword"
        if engine.semantic_ready and engine.vectors is not None:
            ids, vecs = engine.vectors.vectors_for([paper_id])
            if ids:
                vector, mode = vecs[0], "hybrid"
        ranked = engine.rank(parsed, Filter(), mode, depth=limit + 20, query_vector=vector)
        keep = [i for i, pid in enumerate(ranked.fused.paper_ids) if pid != paper_id]
        fused = ranked.fused
        ranked.fused = type(fused)(
            [fused.paper_ids[i] for i in keep],
            fused.fused[keep],
            fused.keyword[keep],
            fused.semantic[keep],
        )
        ranked.relevance = ranked.relevance[keep]
        highlight = " ".join(content_words(query_words(parsed)))
        return self._results(engine, highlight, ranked, 0.0, 0, limit)

    # Maintenance -------------------------------------------------------------------------------

    def sync(
        self,
        engine: Engine,
        embed: bool = True,
        embed_limit: int | None = 5000,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> SyncReport:
        """Bring the local index files up to date with the database (rebuild when missing).

        With `embed`, first index the papers (keyword search has them at once), then embed up
        to `embed_limit` new or changed papers (a periodic job catches up a long backfill in
        steps) and index their vectors. `should_stop` ends the work early, between batches.
        """
        model, dim = self.embedder.name, self.embedder.dim
        report = sync_index(self.index_dir, engine, model, dim, self.params, None, should_stop)
        if not report.up_to_date:
            self._nothing_to_embed = False  # papers changed: some may need a vector
        if embed and not self._nothing_to_embed and not should_stop():
            embedded = embed_pending(
                engine, self.embedder, limit=embed_limit, should_stop=should_stop
            )
            # Counting pending papers joins every paper to its vector: skip it on later syncs
            # until papers change again.
            self._nothing_to_embed = embedded.pending_before == 0
            if embedded.embedded:
                second = sync_index(
                    self.index_dir, engine, model, dim, self.params, None, should_stop
                )
                second.papers_indexed += report.papers_indexed
                second.rebuilt = report.rebuilt
                second.notes.append(f"embedded {embedded.embedded} papers")
                report = second
        if not report.up_to_date:
            self._state_mtime = None  # reopen the files on the next search
        return report

    def rebuild(self, engine: Engine) -> SyncReport:
        report = rebuild_index(
            self.index_dir, engine, self.embedder.name, self.embedder.dim, self.params
        )
        self._state_mtime = None
        return report


_searchers: dict[tuple[str, str], Searcher] = {}
_searchers_lock = threading.Lock()


def get_searcher(settings: Settings) -> Searcher:
    """One Searcher per process and index folder; files are opened on first search."""
    key = (str(settings.effective_index_dir.resolve()), settings.embed_model)
    with _searchers_lock:
        searcher = _searchers.get(key)
        if searcher is None or searcher.settings != settings:
            searcher = Searcher(settings)
            _searchers[key] = searcher
        return searcher


def prepare_demo_index(settings: Settings, engine: Engine) -> None:
    """Store the shipped vectors of the bundled sample and bring the index up to date, fast."""
    searcher = get_searcher(settings)
    load_sample_vectors(engine, searcher.embedder.name)
    searcher.sync(engine, embed=True, embed_limit=None)
