"""Hybrid retrieval over a keyword index and a vector index: the core shared by the app and eval.

Knows nothing of the database: `api.Searcher` feeds it from the DB, `evaluate` from a BEIR folder.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import Literal

import numpy as np

from papertide.embed.base import Embedder
from papertide.search.authors import author_papers, name_in_query, put_authors_first
from papertide.search.fusion import Fused, fuse
from papertide.search.keyword import Filter, KeywordIndex
from papertide.search.params import SearchParams
from papertide.search.query import ParsedQuery
from papertide.search.relevance import (
    BackgroundModel,
    names_one_paper,
    navigational_target,
    put_first,
    score_relevance,
)
from papertide.search.spelling import Speller
from papertide.search.vectors import VectorIndex

Mode = Literal["hybrid", "keyword", "semantic"]
MODES: tuple[Mode, ...] = ("hybrid", "keyword", "semantic")


@dataclass
class Ranked:
    """A query's ranked candidates with their scores and relevance probabilities."""

    mode: Mode
    fused: Fused
    relevance: np.ndarray  # same order as fused.paper_ids
    total_candidates: int  # size of the fused candidate pool (both retrievers, filtered)
    # The relevance model that judged the candidates (a key of the parameters' `calibration`
    # and `min_relevance`): the mode's, or "keyword_text" for a keyword search without vectors.
    judged_by: str


def single_threaded_blas() -> None:
    """One BLAS thread for the matrix-vector products of search.

    A query's product is tiny; OpenBLAS's worker threads only wait for each other, and on a busy
    2-core machine that made a 5,000 x 384 product 20x slower (68 ms instead of 3.6 ms).
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def extend(base: Ranked, deeper: Ranked) -> Ranked:
    """`base` followed by the papers only a deeper retrieval found.

    A page past the first `depth` candidates needs a deeper retrieval, whose candidate pool (and
    so its fusion and the query-level features of its relevance) differs from the first
    pages'. The first pages' papers keep their places and probabilities, so what clears the line
    does not depend on the page; a paper only the deeper pool has comes after them, never more
    likely relevant than the last of them.
    """
    known = set(base.fused.paper_ids)
    extra = [i for i, p in enumerate(deeper.fused.paper_ids) if p not in known]
    if not extra:
        return base
    floor = float(np.min(base.relevance)) if len(base.relevance) else 0.0
    fused = Fused(
        [*base.fused.paper_ids, *(deeper.fused.paper_ids[i] for i in extra)],
        np.concatenate([base.fused.fused, deeper.fused.fused[extra]]),
        np.concatenate([base.fused.keyword, deeper.fused.keyword[extra]]),
        np.concatenate([base.fused.semantic, deeper.fused.semantic[extra]]),
    )
    relevance = np.concatenate([base.relevance, np.fmin(deeper.relevance[extra], floor)])
    return Ranked(base.mode, fused, relevance, len(fused.paper_ids), base.judged_by)


def judged_by(mode: Mode, qvec: np.ndarray | None) -> str:
    """The relevance model for `mode`'s candidates: keyword search without a query vector (no
    papers embedded yet) has only the BM25 evidence, and a model of its own."""
    return "keyword_text" if mode == "keyword" and qvec is None else mode


class HybridEngine:
    def __init__(
        self,
        keyword: KeywordIndex,
        vectors: VectorIndex | None,
        embedder: Embedder | None,
        params: SearchParams,
    ) -> None:
        single_threaded_blas()
        self.keyword = keyword
        self.vectors = vectors
        self.embedder = embedder
        self.params = params
        # Queries repeat (paging through results, a popular query, saved searches and alerts
        # run for many people): a query embedding costs a few ms, a cache hit nothing.
        self._query_vectors = functools.lru_cache(maxsize=2048)(self._embed_one)

    @property
    def semantic_ready(self) -> bool:
        return (
            self.vectors is not None and self.embedder is not None and self.vectors.live_count > 0
        )

    @functools.cached_property
    def speller(self) -> Speller:
        """Corrections of query words no paper contains, from this index's terms."""
        return Speller(self.keyword)

    @functools.cached_property
    def background(self) -> BackgroundModel:
        """The collection's background similarity (from a sample of vectors), for calibration."""
        assert self.vectors is not None
        return BackgroundModel.of(self.vectors)

    def embed_query(self, text: str) -> np.ndarray:
        return self._query_vectors(text)

    def _embed_one(self, text: str) -> np.ndarray:
        assert self.embedder is not None
        vector = self.embedder.embed([text])[0]
        vector.flags.writeable = False  # shared by every caller of the cache
        return vector

    def rank(
        self,
        query: ParsedQuery,
        flt: Filter = Filter(),
        mode: Mode = "hybrid",
        depth: int | None = None,
        query_vector: np.ndarray | None = None,
    ) -> Ranked:
        """The query's candidates best first, with their probability of being relevant.

        A filter narrows what is listed, not what "relevant" means: the probabilities are those
        of the search over the whole collection. Judged within the filtered pool alone, the best
        of a handful of off-topic papers (astrophysics for "mixture of experts") looked like a
        query's relevant set and got its probabilities. So a filtered search ranks the whole
        collection, keeps the papers that pass the filter, and appends the ones only the
        filtered retrieval reached, scored as the whole collection's deeper candidates (never
        more likely relevant than its last).
        """
        depth = depth or self.params.depth
        if mode != "keyword" and not self.semantic_ready:
            mode = "keyword" if mode == "hybrid" else mode
        subject, clauses = query.split_fields()
        if clauses and name_in_query(query) is None:  # `au:smith` alone: an author query
            # Field words narrow the list as a filter does; relevance is the subject's.
            flt = dataclasses.replace(flt, must=clauses)
            query = subject
            if not query.has_keywords:  # `cat:cs.LG`: the newest papers that have the fields
                return self._listing(flt, mode, depth)
        whole, qvec, kw_string = self._retrieve(query, mode, depth, query_vector)
        judge = judged_by(mode, qvec)
        target = navigational_target(self.keyword, query, whole, Filter())
        if flt.empty:
            relevance = self._relevance(query, whole, qvec, judge, target)
            return self._finish(query, whole, relevance, mode, judge, depth, target)
        narrow = self._candidates(kw_string, qvec, flt, mode, depth)
        known = set(whole.paper_ids)
        extra = [i for i, pid in enumerate(narrow.paper_ids) if pid not in known]
        pool = Fused(
            [*whole.paper_ids, *(narrow.paper_ids[i] for i in extra)],
            np.concatenate([whole.fused, narrow.fused[extra]]),
            np.concatenate([whole.keyword, narrow.keyword[extra]]),
            np.concatenate([whole.semantic, narrow.semantic[extra]]),
        )
        relevance = self._relevance(query, whole, qvec, judge, target)
        if extra:
            # The model pools an out-of-order run into its mean, which would lift the whole
            # collection's tail towards the extras: they are capped at that tail instead.
            deeper = self._relevance(query, pool, qvec, judge, target)[len(whole.paper_ids) :]
            floor = float(np.nanmin(relevance)) if len(relevance) else 0.0
            relevance = np.concatenate([relevance, np.fmin(deeper, floor)])
        # The vector index applies no field clause: every candidate is checked here.
        passing = self.keyword.passing(pool.paper_ids, flt)
        keep = [i for i, pid in enumerate(pool.paper_ids) if pid in passing]
        listed = Fused(
            [pool.paper_ids[i] for i in keep],
            pool.fused[keep],
            pool.keyword[keep],
            pool.semantic[keep],
        )
        # The paper the query names, if it passes the filter (by id, it may not be in `listed`).
        target = navigational_target(self.keyword, query, listed, flt)
        return self._finish(query, listed, relevance[keep], mode, judge, depth, target, flt)

    def _listing(self, flt: Filter, mode: Mode, depth: int) -> Ranked:
        """A query of field clauses alone: the newest papers that have them, each of which is
        exactly what was asked for (probability 1)."""
        ids = self.keyword.newest(flt, depth)
        n = len(ids)
        fused = Fused(ids, np.zeros(n), np.zeros(n), np.full(n, np.nan))
        return Ranked(mode, fused, np.ones(n), n, mode)

    def _retrieve(
        self, query: ParsedQuery, mode: Mode, depth: int, query_vector: np.ndarray | None
    ) -> tuple[Fused, np.ndarray | None, str]:
        """The whole collection's candidates, fused (after the feedback rounds, when the
        parameters ask for them), the query vector (None without semantic search) and the
        keyword query, both as the feedback left them."""
        p = self.params
        kw_string = query.tantivy_string() if query.has_keywords else ""
        qvec = None
        # Keyword search too: it ranks by BM25 alone, but its relevance model reads the
        # candidates' cosines (BM25 evidence alone misjudged whole collections: held-out ECE
        # up to 0.30), so the query is embedded whenever the papers are.
        if self.semantic_ready:
            qvec = (
                query_vector if query_vector is not None else self.embed_query(query.semantic_text)
            )
        fused = self._candidates(kw_string, qvec, Filter(), mode, depth)
        if mode != "hybrid" or not fused.paper_ids:
            return fused, qvec, kw_string
        expand = p.rm3_docs > 0 and p.rm3_terms > 0 and bool(kw_string)
        move = p.prf_beta > 0 and p.prf_docs > 0 and qvec is not None
        if expand:
            kw_string = self._expanded(query, kw_string, fused)
        if move:
            # The moved vector is the query from here on: its cosines and the background.
            assert qvec is not None
            qvec = self._feedback(qvec, fused)
        if expand or move:
            fused = self._candidates(kw_string, qvec, Filter(), mode, depth)
        return fused, qvec, kw_string

    def _candidates(
        self, kw_string: str, qvec: np.ndarray | None, flt: Filter, mode: Mode, depth: int
    ) -> Fused:
        """Both retrievers' best `depth` papers passing `flt` for this keyword query and query
        vector, fused. A filtered search asks it with the query the whole collection's
        retrieval ended with (feedback terms, moved vector): the same query, narrowed."""
        p = self.params
        keyword: dict[int, float] = {}
        semantic: dict[int, float] = {}
        if mode in ("hybrid", "keyword") and kw_string:
            keyword = dict(self.keyword.search(kw_string, flt, limit=depth)[0])
        if mode in ("hybrid", "semantic") and qvec is not None and self.semantic_ready:
            semantic = self._semantic(qvec, depth, flt)
        if mode == "keyword":
            # Ranked by BM25 alone (weight 0); the cosines are for judging relevance.
            return fuse(keyword, self._cosines(list(keyword), qvec), 0.0, p.normalisation)
        if mode == "semantic":
            return fuse({}, semantic, 1.0, p.normalisation)
        return self._fuse_hybrid(kw_string, keyword, semantic, qvec)

    def _semantic(self, qvec: np.ndarray, depth: int, flt: Filter) -> dict[int, float]:
        """The nearest papers passing `flt`. The vector index cannot apply field clauses: when
        few papers have them (`au:smith`'s papers), all of those are the candidates, so none
        of them is missed for being far down the whole collection's list."""
        assert self.vectors is not None
        if flt.must:
            members = self.keyword.newest(flt, depth + 1)
            if len(members) <= depth:
                ids, vecs = self.vectors.vectors_for(members)
                return dict(zip(ids, (vecs @ qvec).tolist(), strict=True)) if ids else {}
        return dict(self.vectors.search(qvec, depth, flt))

    def _relevance(
        self,
        query: ParsedQuery,
        fused: Fused,
        qvec: np.ndarray | None,
        judge: str,
        target: int | None,
    ) -> np.ndarray:
        """p(relevant) of each candidate by the model `judge` (see `judged_by`), against the
        whole collection (`target`: the paper the query names there, if any)."""
        calibrator = self.params.calibrator(judge)
        if calibrator is None:
            return np.full(len(fused.paper_ids), np.nan)
        background = self.background.for_query(qvec, Filter()) if qvec is not None else None
        return score_relevance(
            self.keyword,
            query,
            fused,
            calibrator,
            background,
            judge != "semantic",
            names_a_paper=names_one_paper(query, target),
        )

    def _finish(
        self,
        query: ParsedQuery,
        fused: Fused,
        relevance: np.ndarray,
        mode: Mode,
        judge: str,
        depth: int,
        target: int | None,
        flt: Filter = Filter(),
    ) -> Ranked:
        """The paper an id or exact title names (`target`) first, or a named author's papers
        (`judge`: the relevance model that judged them)."""
        if target is not None:
            fused, relevance = put_first(fused, relevance, target, names_one_paper(query, target))
        elif (authored := author_papers(self.keyword, query, flt, depth)) is not None:
            fused, relevance = put_authors_first(fused, relevance, authored)
        return Ranked(mode, fused, relevance, len(fused.paper_ids), judge)

    def _fuse_hybrid(
        self,
        kw_string: str,
        keyword: dict[int, float],
        semantic: dict[int, float],
        qvec: np.ndarray | None,
    ) -> Fused:
        """Fuse with full scores: every candidate gets its BM25 and its cosine, not only its own."""
        keyword = dict(keyword)
        semantic = dict(semantic)
        only_semantic = [i for i in semantic if i not in keyword]
        if only_semantic and kw_string:
            keyword.update(self.keyword.scores_for(kw_string, only_semantic))
        semantic.update(self._cosines([i for i in keyword if i not in semantic], qvec))
        return fuse(keyword, semantic, self.params.weight, self.params.normalisation)

    def _cosines(self, paper_ids: list[int], qvec: np.ndarray | None) -> dict[int, float]:
        """The query's cosine with each of `paper_ids` that has a vector (none without one)."""
        if not paper_ids or qvec is None or self.vectors is None:
            return {}
        ids, vecs = self.vectors.vectors_for(paper_ids)
        return dict(zip(ids, (vecs @ qvec).tolist(), strict=True)) if ids else {}

    def _expanded(self, query: ParsedQuery, kw_string: str, fused: Fused) -> str:
        """The keyword query plus weighted feedback terms from the best fused results."""
        p = self.params
        words = set(query.terms) | {w for ph in query.phrases for w in ph}
        terms = self.keyword.expansion_terms(fused.paper_ids[: p.rm3_docs], words, p.rm3_terms)
        if not terms:
            return kw_string
        top = terms[0][1]
        extra = " ".join(f"{t}^{max(p.rm3_weight * w / top, 0.01):.3f}" for t, w in terms)
        return f"{kw_string} {extra}"

    def _feedback(self, qvec: np.ndarray, fused: Fused) -> np.ndarray:
        """Dense Rocchio: move the query towards the mean of the best fused results."""
        assert self.vectors is not None
        _, vecs = self.vectors.vectors_for(fused.paper_ids[: self.params.prf_docs])
        if not len(vecs):
            return qvec
        moved = qvec + self.params.prf_beta * vecs.mean(axis=0)
        return moved / max(float(np.linalg.norm(moved)), 1e-12)
