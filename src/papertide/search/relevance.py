"""Query evidence the relevance model reads besides the scores: which query words a result has.

BM25 and cosine alone do not say the same thing in every collection: a BM25 of 12 is a lot in a
collection of short abstracts and little for a long query, and the 50th best cosine rises with
the size of the collection. The share of the query's idf mass that a paper contains, and whether
the query's words occur in the collection at all, mean the same thing everywhere.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import tantivy

from papertide.search.calibration import (
    NO_EVIDENCE,
    Background,
    Calibrator,
    QueryEvidence,
    feature_table,
    relevance_from,
)
from papertide.search.fusion import Fused
from papertide.search.keyword import Filter, KeywordIndex
from papertide.search.query import ParsedQuery
from papertide.search.query_kind import classify
from papertide.search.vectors import VectorIndex

F64 = npt.NDArray[np.float64]
_WORDS = re.compile(r"\w+", re.UNICODE)
MATCH_FIELDS = ("title", "abstract")
ID_GROUP = 64  # see query_evidence
EVIDENCE_DEPTH = 64  # candidates whose words are looked up (see score_relevance)
MAX_TERMS = 32  # the rarest words of a very long query carry its idf mass; the rest are cut


@functools.lru_cache(maxsize=1)
def _analyzer() -> Any:
    """The `en_stem` analysis of the title and abstract fields."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


def query_words(query: ParsedQuery) -> list[str]:
    """Free words and phrase words (not field terms such as `au:`), in order."""
    words = [*query.terms, *(w for p in query.phrases for w in p)]
    words += [w for f, ws in query.fielded if f in ("title", "abstract") for w in ws]
    return words


def analysed_terms(words: Sequence[str]) -> list[str]:
    """The distinct index terms of these words, in order."""
    analyzer = _analyzer()
    return list(dict.fromkeys(token for word in words for token in analyzer.analyze(word)))


def idf(df: int, docs: int) -> float:
    """BM25's idf (0 for df 0: callers count a word no paper has as df 1, the rarest)."""
    if df <= 0 or docs <= 0:
        return 0.0
    return math.log(1.0 + (docs - df + 0.5) / (df + 0.5))


def query_evidence(
    keyword: KeywordIndex,
    query: ParsedQuery,
    candidates: Sequence[int],
    bm25: Sequence[float] | None = None,
) -> QueryEvidence:
    """Idf of each query term and, for each candidate paper, which terms it contains.

    `bm25`: the candidates' BM25 for the query when known (hybrid, keyword): a paper whose
    BM25 is 0 has none of the words and is not looked up.
    """
    terms = analysed_terms(query_words(query))
    if not terms:
        return QueryEvidence(matches=np.zeros((len(candidates), 0), dtype=bool))
    searcher = keyword.index.searcher()
    docs = int(searcher.num_docs)
    dfs = np.array([max(searcher.doc_freq(f, t) for f in MATCH_FIELDS) for t in terms])
    weights = np.array([idf(max(int(d), 1), docs) for d in dfs])  # unknown: as rare as can be
    known = dfs > 0
    if len(terms) > MAX_TERMS:
        keep = sorted(np.argsort(-weights, kind="stable")[:MAX_TERMS].tolist())
        terms = [terms[i] for i in keep]
        weights, known = weights[keep], known[keep]
    matches = np.zeros((len(candidates), len(terms)), dtype=bool)
    present = [(t, term) for t, term in enumerate(terms) if known[t]]
    # Candidates go in groups of exact paper-id terms (a disjunction): at 158,898 papers a
    # term-set query on the id (it scans the id dictionary) costs ~9 ms a search; 7 words x
    # 160 ids take 3.3 ms in groups of 32, 2.8 ms in groups of 64, 6.4 ms in one group.
    rows = [i for i in range(len(candidates)) if bm25 is None or bm25[i] > 0]
    if not present:
        rows = []
    for start in range(0, len(rows), ID_GROUP):
        group = [candidates[i] for i in rows[start : start + ID_GROUP]]
        position = {candidates[i]: i for i in rows[start : start + ID_GROUP]}
        ids = keyword.id_query(group)
        for t, term in present:
            either = tantivy.Query.boolean_query(
                [
                    (tantivy.Occur.Should, tantivy.Query.term_query(keyword.schema, f, term))
                    for f in MATCH_FIELDS
                ]
            )
            both = tantivy.Query.boolean_query(
                [
                    (tantivy.Occur.Must, tantivy.Query.const_score_query(either, 1.0)),
                    (tantivy.Occur.Must, ids),
                ]
            )
            _hits(searcher, both, position, matches[:, t])
    return QueryEvidence(terms, weights, matches, known)


# A query with more content words than this is not told word by word what each paper lacks:
# long queries are answered by papers that have some of their words, and that is expected.
MISSING_WORDS = 8


def missing_words(
    keyword: KeywordIndex, words: Sequence[str], paper_ids: Sequence[int]
) -> dict[int, tuple[str, ...]]:
    """For each paper, the query's content `words` (lower case, as typed) it has in none of
    its title, abstract (stemmed, as searched) and author names: what a partial match lacks
    ("giraffe neural network" -> a neural-network paper lacks "giraffe"). Words with digits
    (ids, years, versions) are left out, and so is every word of a longer query."""
    checked = [w for w in dict.fromkeys(words) if w.isalpha()]
    if not checked or len(checked) > MISSING_WORDS or not paper_ids:
        return {}
    searcher = keyword.index.searcher()
    has = np.zeros((len(paper_ids), len(checked)), dtype=bool)
    for start in range(0, len(paper_ids), ID_GROUP):
        group = list(paper_ids[start : start + ID_GROUP])
        position = {pid: start + i for i, pid in enumerate(group)}
        ids = keyword.id_query(group)
        for w, word in enumerate(checked):
            fields = [
                tantivy.Query.term_query(keyword.schema, f, term)
                for term in analysed_terms([word])
                for f in MATCH_FIELDS
            ]
            fields.append(tantivy.Query.term_query(keyword.schema, "authors", word))
            either = tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in fields])
            both = tantivy.Query.boolean_query(
                [
                    (tantivy.Occur.Must, tantivy.Query.const_score_query(either, 1.0)),
                    (tantivy.Occur.Must, ids),
                ]
            )
            _hits(searcher, both, position, has[:, w])
    return {
        pid: tuple(word for w, word in enumerate(checked) if not has[i, w])
        for i, pid in enumerate(paper_ids)
    }


def _hits(searcher: Any, query: Any, position: dict[int, int], out: npt.NDArray[np.bool_]) -> None:
    hits = searcher.search(query, limit=len(position), count=False).hits
    for pid in searcher.fast_field_values("paper_id", [addr for _, addr in hits]):
        row = position.get(int(pid or 0))
        if row is not None:
            out[row] = True


BACKGROUND_SAMPLE = 4096  # papers whose vectors estimate the collection's background


class BackgroundModel:
    """Mean vector and covariance of (a fixed sample of) the collection's paper vectors.

    A query's cosine to a random paper has mean q·μ and variance qᵀΣq: how similar an average
    paper of *this* collection is to the query, whatever its size.
    """

    def __init__(
        self,
        matrix: npt.NDArray[np.floating[Any]],
        docs: int = 0,
        vectors: VectorIndex | None = None,
        rows: npt.NDArray[np.int64] | None = None,
    ) -> None:
        m = np.asarray(matrix, dtype=np.float64)
        self.mean = m.mean(axis=0) if len(m) else np.zeros(m.shape[1])
        self.cov = np.cov(m, rowvar=False) if len(m) > 1 else np.zeros((m.shape[1],) * 2)
        self.docs = docs or len(m)
        self._vectors = vectors  # with the sample's rows: how many papers a filter allows
        self._rows = rows

    @classmethod
    def of(cls, vectors: VectorIndex, sample: int = BACKGROUND_SAMPLE) -> BackgroundModel:
        live = np.flatnonzero(vectors.alive)
        if len(live) > sample:
            live = live[np.linspace(0, len(live) - 1, sample).astype(np.int64)]
        _, matrix = vectors.vectors_for(vectors.keys[live].tolist())
        return cls(matrix, vectors.live_count, vectors, live)

    def allowed(self, flt: Filter) -> int:
        """About how many papers pass the filter (the sample's share of the collection)."""
        if self._vectors is None or self._rows is None or not len(self._rows):
            return self.docs
        mask = self._vectors.allowed_rows(flt, self._rows)
        if mask is None:
            return self.docs
        return max(1, round(self.docs * float(mask.mean())))

    def for_query(
        self, qvec: npt.NDArray[np.floating[Any]], flt: Filter | None = None
    ) -> Background:
        q = np.asarray(qvec, dtype=np.float64).reshape(-1)
        variance = max(float(q @ self.cov @ q), 1e-12)
        docs = self.docs if flt is None else self.allowed(flt)
        return Background(float(self.mean @ q), float(np.sqrt(variance)), docs)


def score_relevance(
    keyword: KeywordIndex,
    query: ParsedQuery,
    fused: Fused,
    calibrator: Calibrator,
    background: Background | None,
    keyword_scores: bool = True,
    names_a_paper: bool = False,
) -> npt.NDArray[np.float64]:
    """p(relevant) of every candidate, never rising down the ranking (see relevance_from).

    Which query words a paper has is looked up for the first EVIDENCE_DEPTH candidates; a
    deeper one is taken to have the words of the looked-up candidate whose BM25 (cosine in
    semantic mode) is closest to its own, so a paper's relevance does not depend on the page.
    `keyword_scores`: fused.keyword holds every candidate's BM25 (hybrid and keyword modes),
    so papers with BM25 0 need no look-up. `names_a_paper`: the query is a paper's exact title
    (typed in lower case, a title is classified a topic), so it has one right answer.
    """
    if not fused.paper_ids:
        return np.zeros(0)
    head = fused.paper_ids[:EVIDENCE_DEPTH]
    bm25 = fused.keyword.tolist() if keyword_scores else None
    evidence = query_evidence(keyword, query, head, bm25[: len(head)] if bm25 else None)
    if len(fused.paper_ids) > len(head) and evidence.matches.shape[1]:
        closeness = np.asarray(
            fused.keyword if keyword_scores else np.nan_to_num(fused.semantic), dtype=np.float64
        )
        order = np.argsort(closeness[: len(head)], kind="stable")
        sorted_scores = closeness[: len(head)][order]
        at = np.clip(np.searchsorted(sorted_scores, closeness[len(head) :]), 0, len(head) - 1)
        below = np.clip(at - 1, 0, len(head) - 1)
        nearer = np.where(
            np.abs(sorted_scores[below] - closeness[len(head) :])
            < np.abs(sorted_scores[at] - closeness[len(head) :]),
            below,
            at,
        )
        tail = evidence.matches[order[nearer]]
        if keyword_scores:
            tail[closeness[len(head) :] <= 0] = False
        evidence.matches = np.vstack([evidence.matches, tail])
    few = names_a_paper or classify(query.text, query).few_answers
    table = feature_table(fused, evidence, background, few_answers=few, names=calibrator.features)
    relevance = relevance_from(calibrator, table)
    if evidence.known_share == 0.0 and latin_share(query.text) < 0.5:
        # The embedding model reads English: a query in another script, none of whose words a
        # paper has, is a pattern of characters to it. Arabic "hello" sat close to the Arabic
        # NLP papers by script alone and put a hundred of them above the line.
        relevance = np.minimum(relevance, NO_EVIDENCE)
    return relevance


def latin_share(text: str) -> float:
    """Share of the letters of `text` that are Latin (1.0 without letters)."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 1.0
    return sum(1 for c in letters if c.isascii() or "LATIN" in unicodedata.name(c, "")) / len(
        letters
    )


NAVIGATIONAL = 0.99  # relevance of the paper a query names (its arXiv id or exact title)
# An exact title of at least this many words names that paper: the other results are then
# scored as for a title (one right answer). Shorter ones ("graph neural networks", a survey's
# title) are still topics: the titled paper comes first, the rest stay as relevant as they were.
SPECIFIC_TITLE_WORDS = 5
TITLE_CHECK = 5  # an exact title is looked for among the first few fused results


def _title_key(text: str) -> str:
    return " ".join(_WORDS.findall(text.lower()))


def names_one_paper(query: ParsedQuery, target: int | None) -> bool:
    """Whether a query that found its paper (`target`) asks for that paper alone: an arXiv id,
    a title-like query, or an exact title of SPECIFIC_TITLE_WORDS words or more."""
    if target is None:
        return False
    return (
        classify(query.text, query).navigational or len(query_words(query)) >= SPECIFIC_TITLE_WORDS
    )


def navigational_target(
    keyword: KeywordIndex, query: ParsedQuery, fused: Fused, flt: Filter
) -> int | None:
    """The paper a query names: by its arXiv id, or by its exact title; None otherwise."""
    kind = classify(query.text, query)
    if kind.kind == "arxiv_id" and kind.arxiv_id is not None:
        term = tantivy.Query.term_query(keyword.schema, "arxiv_id", kind.arxiv_id)
        searcher = keyword.index.searcher()
        hits = searcher.search(keyword._combine(term, flt), limit=1, count=False).hits
        if not hits:
            return None
        ids = searcher.fast_field_values("paper_id", [hits[0][1]])
        return int(ids[0] or 0)
    if kind.kind == "author" or kind.words < 2 or not fused.paper_ids:
        return None
    wanted = _title_key(query.semantic_text)
    for pid, title in _titles(keyword, fused.paper_ids[:TITLE_CHECK]):
        if _title_key(title) == wanted:
            return pid
    return None


def _titles(keyword: KeywordIndex, paper_ids: Sequence[int]) -> list[tuple[int, str]]:
    """(paper id, title) of these papers, in their order (KeywordIndex.documents uses a
    term-set query, which costs ~9 ms at 158,898 papers)."""
    if not paper_ids:
        return []
    searcher = keyword.index.searcher()
    hits = searcher.search(keyword.id_query(paper_ids), limit=len(paper_ids), count=False).hits
    found = {}
    for _, addr in hits:
        doc = searcher.doc(addr).to_dict()
        found[int(doc["paper_id"][0])] = str(doc["title"][0])
    return [(p, found[p]) for p in paper_ids if p in found]


def put_first(fused: Fused, relevance: F64, target: int, alone: bool = False) -> tuple[Fused, F64]:
    """The ranking with `target` first at NAVIGATIONAL relevance (added if it was absent).

    `alone`: the query asks for that paper only (see names_one_paper); as in the cascade of
    one-answer queries, every other paper's probability is multiplied by 1 - NAVIGATIONAL.
    """
    ids = list(fused.paper_ids)
    if target in ids:
        i = ids.index(target)
        order = [i, *(j for j in range(len(ids)) if j != i)]
        moved = Fused(
            [ids[j] for j in order], fused.fused[order], fused.keyword[order], fused.semantic[order]
        )
        rel = relevance[order]
    else:
        top = float(fused.fused[0]) if len(fused.fused) else 0.0
        moved = Fused(
            [target, *ids],
            np.concatenate([[top], fused.fused]),
            np.concatenate([[0.0], fused.keyword]),
            np.concatenate([[np.nan], fused.semantic]),
        )
        rel = np.concatenate([[0.0], relevance])
    rel = rel.copy()
    rel[0] = np.fmax(rel[0], NAVIGATIONAL)
    if alone:
        rel[1:] *= 1.0 - NAVIGATIONAL
    return moved, rel
