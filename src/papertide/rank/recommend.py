"""Recommendations seeded from a person's library: papers close to what they like, far from what
they said they do not want, each with the reason ("close to X and Y from your library").

The ranker is a nearest-neighbour vote, not a per-person classifier: with the 3 to 30 seed papers a
person usually gives, the mean of the k best cosine similarities to the seeds beats a linear SVM
trained on the same seeds (see `bench/recommend_eval.py` and docs/digest.md for the figures).
Two spaces are fused: the stored sentence embeddings (semantic) and tf-idf (exact terms, names of
methods and data sets). A paper with no stored embedding is scored on tf-idf alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from papertide.store.schema import Embedding, FeedEntry, Paper, SeedPaper, Vote

Matrix = NDArray[np.float32]

TOP_K = 3  # similarities averaged per candidate: more is smoother, fewer is sharper
NEGATIVE_WEIGHT = 0.5  # how much being close to a "not interested" paper costs
EMBED_WEIGHT = 0.7  # share of the semantic space in the fused score (tuned by the evaluation)


@dataclass(frozen=True, slots=True)
class Recommendation:
    """A recommended paper, its score and the seed papers that put it there."""

    paper_id: int
    score: float
    because: tuple[int, ...]  # seed paper ids, closest first
    reason: str


def normalise(matrix: NDArray[np.floating]) -> Matrix:
    """Rows scaled to unit length (zero rows stay zero) so a dot product is a cosine."""
    m = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return m / norms


def knn_scores(sims: NDArray[np.float32], *, k: int = TOP_K) -> NDArray[np.float32]:
    """Per candidate (row of `sims`, candidates × positives cosine similarities): the mean of
    its `k` best similarities to the positives."""
    if sims.shape[1] == 0:
        return np.zeros(sims.shape[0], np.float32)
    k = min(k, sims.shape[1])
    best = -np.partition(-sims, k - 1, axis=1)[:, :k]
    return best.mean(axis=1).astype(np.float32)


def negative_penalty(sims: NDArray[np.float32]) -> NDArray[np.float32]:
    """Per candidate: its highest similarity to a paper marked "not interested" (≥ 0)."""
    if sims.shape[1] == 0:
        return np.zeros(sims.shape[0], np.float32)
    return np.clip(sims.max(axis=1), 0, None).astype(np.float32)


def fused_scores(
    spaces: Sequence[tuple[float, NDArray[np.float32], NDArray[np.float32]]], *, k: int = TOP_K
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Weighted sum over spaces of (kNN score − NEGATIVE_WEIGHT × penalty), and the fused
    candidate × positive similarities that explain each result.

    Each space is (weight, candidates × positives sims, candidates × negatives sims)."""
    total = np.zeros(spaces[0][1].shape[0], np.float32)
    explain = np.zeros(spaces[0][1].shape, np.float32)
    for weight, pos, neg in spaces:
        total += weight * (knn_scores(pos, k=k) - NEGATIVE_WEIGHT * negative_penalty(neg))
        explain += weight * pos
    return total, explain


def tfidf_vectorizer():  # type: ignore[no-untyped-def]
    """The tf-idf settings of the ranker (word uni- and bigrams, sublinear tf, l2 rows)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        strip_accents="unicode",
        stop_words="english",
        ngram_range=(1, 2),
        sublinear_tf=True,
        max_df=0.5,
        token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b",
        dtype=np.float32,
    )


def paper_text(paper: Paper) -> str:
    return f"{paper.title}. {paper.abstract or ''}"


def short_title(title: str, limit: int = 60) -> str:
    title = " ".join(title.split())
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


def explain(titles: Sequence[str]) -> str:
    """'close to "A" and "B" from your library' for the one or two closest seeds."""
    quoted = [f"“{short_title(t)}”" for t in titles[:2]]
    if not quoted:
        return "recommended for you"
    return f"close to {' and '.join(quoted)} from your library"


# Database edges ---------------------------------------------------------------------------------


def seeds_for(session: Session, owner: str) -> tuple[list[int], list[int]]:
    """(liked paper ids, not-interested paper ids) for an owner ("user:12" or "sub:34").

    A signed-in person's upvotes count as liked papers too, unless they marked one "not
    interested" afterwards."""
    rows = session.execute(
        select(SeedPaper.paper_id, SeedPaper.weight).where(SeedPaper.owner == owner)
    ).all()
    liked = [pid for pid, w in rows if w > 0]
    disliked = [pid for pid, w in rows if w <= 0]
    if owner.startswith("user:") and owner[5:].isdigit():
        known = set(liked) | set(disliked)
        votes = session.scalars(select(Vote.paper_id).where(Vote.user_id == int(owner[5:])))
        liked += [pid for pid in votes if pid not in known]
    return liked, disliked


def stored_vectors(session: Session, paper_ids: Iterable[int]) -> dict[int, NDArray[np.float32]]:
    """The stored embedding of each paper that has one (all of one model and dimension)."""
    ids = list(set(paper_ids))
    found: dict[int, NDArray[np.float32]] = {}
    dims: dict[tuple[str, int], int] = {}
    for start in range(0, len(ids), 900):  # stay under SQLite's bound-parameter limit
        rows = session.execute(
            select(Embedding.paper_id, Embedding.model, Embedding.dim, Embedding.vector).where(
                Embedding.paper_id.in_(ids[start : start + 900])
            )
        ).all()
        for pid, model, dim, blob in rows:
            dims[(model, dim)] = dims.get((model, dim), 0) + 1
            found[pid] = np.frombuffer(blob, dtype=np.float32, count=dim)
    if len(dims) > 1:  # mixed models during a re-embed: keep the majority one only
        model, dim = max(dims, key=lambda key: dims[key])
        found = {pid: v for pid, v in found.items() if len(v) == dim}
    return found


def recent_candidates(session: Session, now: dt.datetime, *, days: int = 7) -> list[Paper]:
    """Papers on the feed, or first announced, in the `days` before `now`."""
    since = (now - dt.timedelta(days=days)).date()
    on_feed = select(FeedEntry.paper_id).where(
        FeedEntry.feed_date >= since, FeedEntry.feed_date <= now.date(), FeedEntry.hidden.is_(False)
    )
    stmt = select(Paper).where(
        Paper.withdrawn.is_(False),
        (Paper.id.in_(on_feed))
        | ((Paper.first_announced >= since) & (Paper.first_announced <= now.date())),
    )
    return list(session.scalars(stmt))


class Ranker:
    """Scores seed sets against one pool of candidates (a digest period's papers).

    Built once per pool, so that composing thousands of personal digests costs one tf-idf fit
    and a few small matrix products per recipient, not a model per recipient."""

    def __init__(
        self, candidates: Sequence[Paper], vectors: dict[int, NDArray[np.float32]]
    ) -> None:
        self.candidates = list(candidates)
        self.vectors = vectors
        self._vectorizer = tfidf_vectorizer()
        texts = [paper_text(p) for p in self.candidates]
        self._cand_tfidf: Any = None  # sparse, rows l2-normalised by the vectorizer
        if texts:
            try:
                self._cand_tfidf = self._vectorizer.fit_transform(texts)
            except ValueError:  # only stop words: tf-idf has nothing to say
                self._cand_tfidf = None
        have_all = bool(self.candidates) and all(p.id in vectors for p in self.candidates)
        self._cand_emb = (
            normalise(np.stack([vectors[p.id] for p in self.candidates])) if have_all else None
        )

    def _tfidf_sims(self, papers: Sequence[Paper]) -> NDArray[np.float32]:
        if self._cand_tfidf is None or not papers:
            return np.zeros((len(self.candidates), len(papers)), np.float32)
        seeds = self._vectorizer.transform([paper_text(p) for p in papers])
        return np.asarray((self._cand_tfidf @ seeds.T).toarray(), np.float32)

    def rank(
        self,
        liked: Sequence[Paper],
        disliked: Sequence[Paper] = (),
        *,
        seed_vectors: dict[int, NDArray[np.float32]] | None = None,
        limit: int = 10,
        min_score: float = 0.0,
    ) -> list[Recommendation]:
        """The best candidates for someone who liked `liked` and dismissed `disliked`."""
        if not liked or not self.candidates:
            return []
        seed_vectors = seed_vectors if seed_vectors is not None else self.vectors
        seen = {p.id for p in liked} | {p.id for p in disliked}
        n_liked = len(liked)
        seeds = [*liked, *disliked]
        spaces: list[tuple[float, NDArray[np.float32], NDArray[np.float32]]] = []
        tf_weight = 1.0
        if self._cand_emb is not None and all(p.id in seed_vectors for p in seeds):
            emb = normalise(np.stack([seed_vectors[p.id] for p in seeds]))
            sims = self._cand_emb @ emb.T
            spaces.append((EMBED_WEIGHT, sims[:, :n_liked], sims[:, n_liked:]))
            tf_weight = 1 - EMBED_WEIGHT
        tf = self._tfidf_sims(seeds)
        spaces.append((tf_weight, tf[:, :n_liked], tf[:, n_liked:]))
        scores, explain_sims = fused_scores(spaces)
        out: list[Recommendation] = []
        for i in np.argsort(-scores, kind="stable"):
            if len(out) >= limit or scores[i] <= min_score:
                break
            if self.candidates[i].id in seen:
                continue
            closest = np.argsort(-explain_sims[i], kind="stable")[:2]
            out.append(
                Recommendation(
                    self.candidates[i].id,
                    float(scores[i]),
                    tuple(liked[j].id for j in closest),
                    explain([liked[j].title for j in closest]),
                )
            )
        return out


def load_seeds(session: Session, owner: str) -> tuple[list[Paper], list[Paper]]:
    """The papers `owner` liked and dismissed."""
    liked_ids, disliked_ids = seeds_for(session, owner)
    ids = liked_ids + disliked_ids
    if not ids:
        return [], []
    papers = {p.id: p for p in session.scalars(select(Paper).where(Paper.id.in_(ids)))}
    return (
        [papers[i] for i in liked_ids if i in papers],
        [papers[i] for i in disliked_ids if i in papers],
    )


def recommend(
    session: Session,
    owner: str,
    now: dt.datetime,
    *,
    candidates: Sequence[Paper] | None = None,
    limit: int = 10,
) -> list[Recommendation]:
    """Recommendations for `owner` among `candidates` (default: the last week's papers)."""
    liked, disliked = load_seeds(session, owner)
    if not liked:
        return []
    pool = list(candidates) if candidates is not None else recent_candidates(session, now)
    vectors = stored_vectors(session, [*(p.id for p in liked + disliked), *(p.id for p in pool)])
    return Ranker(pool, vectors).rank(liked, disliked, limit=limit)
