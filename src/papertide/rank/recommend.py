"""Recommendations seeded from a person's library: papers close to what they like, far from what
they said they do not want, each with the reason ("close to X and Y from your library").

The ranker is a nearest-neighbour vote, not a per-person classifier: per candidate, the mean of
its k best cosine similarities to the liked papers, in two spaces — the words of title and
abstract (tf-idf, uni- and bigrams) and the authors (tf-idf over author names, since people
follow groups as much as topics) — minus a penalty for resembling a "not interested" paper.
The candidates are the period's whole listing in the instance's categories plus the community
feed (`recent_candidates`). `bench/foryou_eval.py` (the whole listing of a day) and
`bench/recommend_eval.py` (a feed day) measure it against arxiv-sanity-lite's tf-idf + SVM on
real data (figures in docs/digest.md); the stored sentence embeddings were tried as a third space
and made the ranking worse on that data, so they are not used here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from papertide.latex import latex_to_text
from papertide.models import SeedOwner
from papertide.store.batch import in_chunks
from papertide.store.queries import latest_feed_date
from papertide.store.schema import (
    Collection,
    CollectionItem,
    FeedEntry,
    Paper,
    PaperCategory,
    SeedPaper,
    Vote,
)

Matrix = NDArray[np.float32]

TOP_K = 5  # similarities averaged per candidate: more is smoother, fewer is sharper
AUTHOR_WEIGHT = 0.3  # weight of the author space next to the text space (tuned by the evaluation)
NEGATIVE_WEIGHT = 0.5  # how much being close to a "not interested" paper costs
# The score a paper must reach to be recommended at all ("For you", its feed, digests): the
# highest line that keeps 95 % of the papers people went on to submit, with author overlap and
# with text alone (`bench/recommend_threshold.py`, docs/digest.md). It drops papers with next to
# nothing in common with the library; 0.10 would keep 95 % with authors but 46 % by text alone.
MIN_SCORE = 0.02
MAX_CACHED_SIMILARITIES = 25_000_000  # candidates × seed papers kept per pool (2 × 100 MB)


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


def author_vectorizer():  # type: ignore[no-untyped-def]
    """tf-idf over whole author names (one token per person), so rare co-authors weigh most."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer=lambda names: names, sublinear_tf=True, lowercase=False, dtype=np.float32
    )


def author_tokens(authors: Sequence[str] | None) -> list[str]:
    return [" ".join(a.lower().split()) for a in authors or [] if a.strip()]


def paper_text(paper: Paper) -> str:
    return f"{paper.title}. {paper.abstract or ''}"


def short_title(title: str, limit: int = 60) -> str:
    """`title` in at most `limit` characters, cut at a word boundary ("Cost-Aware Speculative…",
    not "Cost-Aware Speculative Decod…"), unless that would drop more than half of it."""
    title = " ".join(title.split())
    if len(title) <= limit:
        return title
    cut = title[: limit - 1]  # room for the ellipsis
    if title[limit - 1] != " ":  # the cut is inside a word: leave that word out
        space = cut.rfind(" ")
        if space >= limit // 2:
            cut = cut[:space]
    return cut.rstrip(" ,;:-–—") + "…"


def explain(titles: Sequence[str]) -> str:
    """'close to "A" and "B" from your library' for the one or two closest seeds."""
    quoted = [f"“{short_title(latex_to_text(t))}”" for t in titles[:2]]
    if not quoted:
        return "recommended for you"
    return f"close to {' and '.join(quoted)} from your library"


# Database edges ---------------------------------------------------------------------------------


def seeds_for_many(
    session: Session, owners: Iterable[SeedOwner]
) -> dict[SeedOwner, tuple[list[int], list[int]]]:
    """(liked paper ids, not-interested paper ids) per owner, in three queries per 900 owners.

    A signed-in person's upvotes and the papers they saved to their collections count as liked
    papers too, unless they marked one "not interested"."""
    seeds: dict[SeedOwner, tuple[list[int], list[int]]] = {o: ([], []) for o in owners}
    by_key = {owner.key: owner for owner in seeds}
    for chunk in in_chunks(sorted(by_key)):
        rows = session.execute(
            select(SeedPaper.owner, SeedPaper.paper_id, SeedPaper.weight).where(
                SeedPaper.owner.in_(chunk)
            )
        )
        for key, pid, weight in rows:
            seeds[by_key[key]][0 if weight > 0 else 1].append(pid)
    by_user = {owner.user_id: owner for owner in seeds if owner.user_id is not None}
    known = {owner: set(seeds[owner][0]) | set(seeds[owner][1]) for owner in by_user.values()}
    for chunk in in_chunks(sorted(by_user)):
        votes = session.execute(select(Vote.user_id, Vote.paper_id).where(Vote.user_id.in_(chunk)))
        saved = session.execute(
            select(Collection.user_id, CollectionItem.paper_id)
            .join(CollectionItem, CollectionItem.collection_id == Collection.id)
            .where(Collection.user_id.in_(chunk))
        )
        for uid, pid in [*votes, *saved]:
            owner = by_user[uid]
            if pid not in known[owner]:
                known[owner].add(pid)
                seeds[owner][0].append(pid)
    return seeds


def _pool_filter(session: Session, now: dt.datetime, days: int, categories: Sequence[str]) -> Any:
    """The WHERE clause of `recent_candidates` (see there)."""
    today = now.date()
    wanted = list(categories)
    in_category = select(PaperCategory.paper_id).where(PaperCategory.category.in_(wanted))
    newest = select(func.max(Paper.first_announced)).where(Paper.first_announced <= today)
    if wanted:
        newest = newest.where(Paper.id.in_(in_category))
    newest_announced = session.scalar(newest)
    anchors = [d for d in (latest_feed_date(session, today), newest_announced) if d is not None]
    end = max(anchors, default=today)
    since = end - dt.timedelta(days=days)
    on_feed = select(FeedEntry.paper_id).where(
        FeedEntry.feed_date >= since, FeedEntry.feed_date <= end, FeedEntry.hidden.is_(False)
    )
    listed = (Paper.first_announced >= since) & (Paper.first_announced <= end)
    if wanted:
        listed = listed & Paper.id.in_(in_category)
    return Paper.withdrawn.is_(False) & (Paper.id.in_(on_feed) | listed)


def recent_candidates(
    session: Session, now: dt.datetime, *, days: int = 7, categories: Sequence[str] = ()
) -> list[Paper]:
    """The pool "For you" ranks: every paper first announced in the `days` up to the newest
    listing day — the whole listing in `categories` (the instance's; every category when empty),
    not only what someone put on the community feed — plus the papers on the feed in those days
    (whatever their category: the community chose them).

    Anchored at the newest listing or feed day on or before `now` (as trending is), so a pause
    in the listings, or a demo whose sample ended weeks ago, still has papers to recommend.
    """
    where = _pool_filter(session, now, days, categories)
    return list(session.scalars(select(Paper).where(where).order_by(Paper.id)))


class Ranker:
    """Scores seed sets against one pool of candidates (a digest period's papers).

    Built once per pool, so that composing thousands of personal digests costs one fit and a
    few small sparse products per recipient, not a model per recipient."""

    def __init__(
        self,
        candidates: Sequence[Paper],
        *,
        author_weight: float = AUTHOR_WEIGHT,
        top_k: int = TOP_K,
        keep_similarities: bool = True,
    ) -> None:
        self.candidates = list(candidates)
        self.author_weight = author_weight  # settings other than the defaults: for evaluations
        self.top_k = top_k
        # A ranker shared by concurrent requests keeps nothing per seed, so ranking never
        # writes to it (and its memory does not grow with every reader's library).
        self.keep_similarities = keep_similarities
        self._text = tfidf_vectorizer()
        self._authors = author_vectorizer()
        self._cand_text: Any = None  # sparse; rows l2-normalised by the vectorizer
        self._cand_authors: Any = None
        # Similarities of every candidate to every seed paper seen so far, one column each.
        self._column: dict[int, int] = {}
        self._sim_text = np.zeros((len(self.candidates), 0), np.float32)
        self._sim_authors = np.zeros((len(self.candidates), 0), np.float32)
        if self.candidates:
            try:
                self._cand_text = self._text.fit_transform([paper_text(p) for p in self.candidates])
                # The terms max_df dropped, kept only for introspection: tens of MB for a week.
                self._text.stop_words_ = None
            except ValueError:  # only stop words: the text space has nothing to say
                self._cand_text = None
            try:
                self._cand_authors = self._authors.fit_transform(
                    [author_tokens(p.authors) for p in self.candidates]
                )
            except ValueError:  # no author names at all
                self._cand_authors = None

    def _block(self, papers: Sequence[Paper]) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        """candidates × papers similarities in the text space and in the author space."""
        n = len(self.candidates)
        blocks = []
        for matrix, vectorizer, texts in (
            (self._cand_text, self._text, lambda: [paper_text(p) for p in papers]),
            (self._cand_authors, self._authors, lambda: [author_tokens(p.authors) for p in papers]),
        ):
            if matrix is None:
                blocks.append(np.zeros((n, len(papers)), np.float32))
            else:
                seeds = vectorizer.transform(texts())
                blocks.append(np.asarray((matrix @ seeds.T).toarray(), np.float32))
        return blocks[0], blocks[1]

    def prepare(self, papers: Sequence[Paper]) -> bool:
        """Compute the candidates' similarities to these seed papers in one batch and keep them,
        so that composing many digests whose libraries overlap costs a column lookup per seed.
        False (and nothing kept) when that would exceed the memory budget."""
        if not self.keep_similarities:
            return False
        missing = list({p.id: p for p in papers if p.id not in self._column}.values())
        if not missing:
            return True
        cells = len(self.candidates) * (len(self._column) + len(missing))
        if cells > MAX_CACHED_SIMILARITIES:
            return False
        text, authors = self._block(missing)
        start = self._sim_text.shape[1]
        self._sim_text = np.hstack([self._sim_text, text])
        self._sim_authors = np.hstack([self._sim_authors, authors])
        for offset, paper in enumerate(missing):
            self._column[paper.id] = start + offset
        return True

    def _sims(self, papers: Sequence[Paper]) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        if not self.prepare(papers):
            return self._block(papers)
        columns = [self._column[p.id] for p in papers]
        return self._sim_text[:, columns], self._sim_authors[:, columns]

    def scores(
        self, liked: Sequence[Paper], disliked: Sequence[Paper] = ()
    ) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        """Every candidate's score (in `candidates` order, seeds included) and its fused
        similarity to each liked paper (candidates × liked), which explains the score."""
        n_liked = len(liked)
        text, authors = self._sims([*liked, *disliked])
        return fused_scores(
            [
                (1.0, text[:, :n_liked], text[:, n_liked:]),
                (self.author_weight, authors[:, :n_liked], authors[:, n_liked:]),
            ],
            k=self.top_k,
        )

    def rank(
        self,
        liked: Sequence[Paper],
        disliked: Sequence[Paper] = (),
        *,
        limit: int = 10,
        min_score: float = MIN_SCORE,
    ) -> list[Recommendation]:
        """The best candidates for someone who liked `liked` and dismissed `disliked`, only those
        scoring at least `min_score` (so a list can be short, or empty)."""
        if not liked or not self.candidates:
            return []
        seen = {p.id for p in liked} | {p.id for p in disliked}
        scores, explain_sims = self.scores(liked, disliked)
        out: list[Recommendation] = []
        for i in np.argsort(-scores, kind="stable"):
            if len(out) >= limit or scores[i] < min_score or scores[i] <= 0:
                break
            candidate = self.candidates[i]
            if candidate.id in seen:
                continue
            closest = [liked[j] for j in np.argsort(-explain_sims[i], kind="stable")[:2]]
            reason = explain([p.title for p in closest])
            shared = sorted(
                set(candidate.authors or []) & {a for p in liked for a in p.authors or []}
            )
            if shared:
                reason += f"; by {shared[0]}" + (
                    " and others you read" if len(shared) > 1 else ", whom you read"
                )
            out.append(
                Recommendation(candidate.id, float(scores[i]), tuple(p.id for p in closest), reason)
            )
        return out


def _snapshot(paper: Paper) -> Paper:
    """A copy of what the ranker reads, tied to no session: a cached ranker outlives the
    request whose session loaded its papers."""
    return Paper(
        id=paper.id,
        arxiv_id=paper.arxiv_id,
        title=paper.title,
        abstract=paper.abstract,
        authors=list(paper.authors or []),
    )


class RankerCache:
    """Rankers over the current pool, shared by every request of a process ("For you", its
    feed): building one (tf-idf over a week's listing, thousands of papers) takes seconds, ranking
    a library against it milliseconds. A pool is known by its papers and their content hashes, so
    a new listing day, a new feed entry or a revised abstract builds a new ranker."""

    def __init__(self, max_entries: int = 2) -> None:
        self.max_entries = max_entries
        self._rankers: OrderedDict[str, Ranker] = OrderedDict()
        self._lock = threading.Lock()
        # One build at a time: requests that arrive while a pool is being built (by the node's
        # warm-up or another request) wait for it and take it, instead of each building it again.
        self._build = threading.Lock()
        self.builds = 0  # rankers built so far (for the node's warm-up and its tests)

    def ranker(
        self, session: Session, now: dt.datetime, *, days: int = 7, categories: Sequence[str] = ()
    ) -> Ranker:
        where = _pool_filter(session, now, days, categories)
        rows = session.execute(
            select(Paper.id, Paper.content_hash).where(where).order_by(Paper.id)
        ).all()
        key = hashlib.sha1(
            "\n".join(f"{pid} {digest}" for pid, digest in rows).encode()
        ).hexdigest()
        hit = self._get(key)
        if hit is not None:
            return hit
        with self._build:
            hit = self._get(key)
            if hit is not None:
                return hit
            papers = [
                _snapshot(p) for p in session.scalars(select(Paper).where(where).order_by(Paper.id))
            ]
            built = Ranker(papers, keep_similarities=False)
            with self._lock:
                self._rankers[key] = built
                self.builds += 1
                while len(self._rankers) > self.max_entries:
                    self._rankers.popitem(last=False)
        return built

    def _get(self, key: str) -> Ranker | None:
        with self._lock:
            hit = self._rankers.get(key)
            if hit is not None:
                self._rankers.move_to_end(key)
            return hit


def load_seeds_many(
    session: Session, owners: Iterable[SeedOwner]
) -> dict[SeedOwner, tuple[list[Paper], list[Paper]]]:
    """The papers each owner liked and dismissed, in a few queries for all of them."""
    seeds = seeds_for_many(session, owners)
    ids = sorted({pid for liked, disliked in seeds.values() for pid in liked + disliked})
    papers: dict[int, Paper] = {}
    for chunk in in_chunks(ids):
        papers.update((p.id, p) for p in session.scalars(select(Paper).where(Paper.id.in_(chunk))))
    return {
        owner: (
            [papers[i] for i in liked if i in papers],
            [papers[i] for i in disliked if i in papers],
        )
        for owner, (liked, disliked) in seeds.items()
    }


def load_seeds(session: Session, owner: SeedOwner) -> tuple[list[Paper], list[Paper]]:
    """The papers `owner` liked and dismissed."""
    return load_seeds_many(session, [owner])[owner]


def recommend(
    session: Session,
    owner: SeedOwner,
    now: dt.datetime,
    *,
    candidates: Sequence[Paper] | None = None,
    categories: Sequence[str] = (),
    days: int = 7,
    cache: RankerCache | None = None,
    limit: int = 10,
    min_score: float = MIN_SCORE,
) -> list[Recommendation]:
    """Recommendations for `owner` that reach `min_score`, among `candidates` (default: the
    listing of the last `days` in `categories` plus the feed, `recent_candidates`; through
    `cache` when given, so the requests of a process share one ranker per pool)."""
    liked, disliked = load_seeds(session, owner)
    if not liked:
        return []
    if candidates is not None:
        ranker = Ranker(candidates)
    elif cache is not None:
        ranker = cache.ranker(session, now, days=days, categories=categories)
    else:
        ranker = Ranker(recent_candidates(session, now, days=days, categories=categories))
    return ranker.rank(liked, disliked, limit=limit, min_score=min_score)
