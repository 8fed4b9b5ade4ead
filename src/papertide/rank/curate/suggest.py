"""Train the community-interest model, suggest a day's papers with reasons, save and load it.

A trained model carries its text model, its booster and the author history it was trained
with (author names and counts only; never who submitted or voted). Scoring a later day adds
the picks and papers the instance has seen since, so a shipped model keeps learning from the
instance's own community without retraining, and `train` starts over from the instance's data.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import pickle
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from papertide.rank.curate.features import META_FEATURES, meta_matrix
from papertide.rank.curate.history import AuthorStats, History, known_from
from papertide.rank.curate.model import (
    ALL_FEATURES,
    Config,
    Corpus,
    all_day_rows,
    booster,
    day_rows,
    pick_index,
)
from papertide.rank.curate.protocol import gains
from papertide.rank.curate.reasons import reasons_for, topic_terms
from papertide.rank.curate.records import (
    DEFAULT_CATEGORIES,
    Candidate,
    Pick,
    author_key,
    in_categories,
)
from papertide.rank.curate.text import (
    TextModel,
    fit_text_model,
    out_of_fold_scores,
    tfidf_vectorizer,
)
from papertide.rank.curate.trend import WEEK, WINDOW

FORMAT = 1
# Papers whose vectors are kept between calls: eight weeks of a 1,000-a-day listing.
VECTOR_CACHE = 60_000
ONE_DAY = dt.timedelta(days=1)
# Fewer picks than this cannot teach a model anything; the shipped model is used instead.
MIN_PICKS = 30
# The line a suggestion must reach to be shown ("above the line") when model.json names none.
# A placeholder until the calibrated model sets its own: on the shipped model's raw scores of the
# bundled sample's full August days, 0.8 keeps 10-25 papers a day, about half of them picked.
DEFAULT_THRESHOLD = 0.8

Progress = Callable[[str, int, int], None]


class CurateError(ValueError):
    """Input the model cannot use; the message says what is missing and what to do."""


@dataclass
class CurateModel:
    text: TextModel
    booster: Any
    config: Config
    trained_until: dt.date
    categories: tuple[str, ...]
    history: History
    stats: dict[str, Any] = field(default_factory=dict)
    # Papers scoring at least this are suggested (above the line); model.json's "threshold".
    threshold: float = DEFAULT_THRESHOLD
    # Vectors of papers scored before (by arXiv id, as index and weight arrays): the four-week
    # trend window is mostly papers of earlier days, so only the day's own are vectorised.
    vector_cache: dict[str, tuple[NDArray[np.int32], NDArray[np.float32]]] = field(
        default_factory=dict, repr=False
    )

    def vectors(self, papers: Sequence[Candidate]) -> sparse.csr_matrix:
        """tf-idf rows of the papers, in order, vectorising only those not seen before."""
        cache = self.vector_cache
        missing = [p for p in papers if p.arxiv_id not in cache]
        if missing:
            if len(cache) + len(missing) > VECTOR_CACHE:
                cache.clear()
            fresh = self.text.vectors([p.text for p in missing])
            ptr, idx, val = fresh.indptr, fresh.indices, fresh.data
            for i, paper in enumerate(missing):
                cache[paper.arxiv_id] = (idx[ptr[i] : ptr[i + 1]], val[ptr[i] : ptr[i + 1]])
        width = len(self.text.vectorizer.vocabulary_)
        rows = [cache[p.arxiv_id] for p in papers]
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum([len(r[0]) for r in rows], out=indptr[1:])
        if not rows:
            return sparse.csr_matrix((0, width), dtype=np.float32)
        return sparse.csr_matrix(
            (np.concatenate([r[1] for r in rows]), np.concatenate([r[0] for r in rows]), indptr),
            shape=(len(rows), width),
        )


@dataclass(frozen=True, slots=True)
class Suggestion:
    paper: Candidate
    score: float
    reasons: tuple[str, ...]


def _noop(stage: str, done: int, total: int) -> None:
    return None


def train(
    candidates: Iterable[Candidate],
    picks: Sequence[Pick],
    *,
    until: dt.date,
    config: Config | None = None,
    categories: tuple[str, ...] = DEFAULT_CATEGORIES,
    progress: Progress = _noop,
) -> CurateModel:
    """Fit on papers listed up to `until` and the picks dated up to it."""
    config = config or Config()
    papers = sorted(
        (c for c in candidates if c.day <= until and in_categories(c, categories)),
        key=lambda c: (c.day, c.arxiv_id),
    )
    known = [p for p in picks if p.day <= until]
    label_gain = gains(known)
    labels = np.asarray([p.arxiv_id in label_gain for p in papers], dtype=np.int8)
    if not papers:
        raise CurateError(
            f"no paper in {', '.join(categories) or 'any category'} listed on or before "
            f"{until}; import arXiv listings first (papertide import jsonl / harvest)"
        )
    if int(labels.sum()) < MIN_PICKS:
        raise CurateError(
            f"only {int(labels.sum())} of the {len(papers):,} listed papers were ever picked "
            f"(at least {MIN_PICKS} are needed to learn from); until the community has picked "
            "more, suggestions come from the shipped model"
        )
    progress("text model", 0, 3)
    text, vectors = fit_text_model(
        [p.text for p in papers], labels, c=config.text_c, max_features=config.max_features
    )
    progress("text model", 1, 3)
    blocks = np.asarray([p.day.toordinal() // 14 for p in papers], dtype=np.int64)
    oof = out_of_fold_scores(
        vectors, labels, c=config.text_c, blocks=blocks if config.oof_blocks else None
    )
    progress("text model", 3, 3)
    corpus = Corpus.build(papers, vectors, oof)
    trend = pick_index(known, text, corpus)
    days = len(corpus.by_day)
    done = [0]

    def step(n: int) -> None:
        done[0] += n
        progress("features", done[0], days)

    rows = all_day_rows(corpus, known, trend, progress=step)
    x = np.vstack([r.features for r in rows])
    ids = [corpus.papers[i].arxiv_id for r in rows for i in r.rows]
    y = np.asarray([i in label_gain for i in ids], dtype=np.int8)
    w = np.asarray([label_gain.get(i, 1.0) for i in ids], dtype=np.float32)
    keep = np.arange(len(y))
    if config.negatives < 1.0:
        rng = np.random.default_rng(7)
        keep = np.flatnonzero((y == 1) | (rng.random(len(y)) < config.negatives))
    cols = config.columns()
    progress("booster", 0, 1)
    fitted = booster(config).fit(
        x[keep][:, cols], y[keep], sample_weight=w[keep] if config.weighted else None
    )
    progress("booster", 1, 1)
    history = History()
    for pick in sorted(known, key=lambda p: p.day):
        history.add_pick(pick)
    for paper in papers:
        history.add_paper(paper)
    return CurateModel(
        text=text,
        booster=fitted,
        config=config,
        trained_until=until,
        categories=categories,
        history=history,
        stats={
            "papers": len(papers),
            "picked": int(labels.sum()),
            "days": days,
            "first_day": papers[0].day.isoformat(),
        },
    )


def _overlay(model: CurateModel, papers: Sequence[Candidate]) -> History:
    """A history holding copies of the model's counts for these papers' authors only."""
    view = History()
    view.picked = set(model.history.picked)
    for paper in papers:
        for name in paper.authors:
            key = author_key(name)
            if key and key in model.history.authors and key not in view.authors:
                old = model.history.authors[key]
                view.authors[key] = AuthorStats(
                    old.picks, old.gain, old.papers, list(old.pick_days)
                )
    return view


def suggest(
    model: CurateModel,
    day: dt.date,
    papers: Sequence[Candidate],
    *,
    earlier_papers: Sequence[Candidate] = (),
    picks: Sequence[Pick] = (),
) -> list[Suggestion]:
    """The day's papers, best first, each with its reasons.

    `earlier_papers` are papers listed after the model was trained and before `day` (at least
    the past four weeks, for the trend features); `picks` are the instance's picks before `day`
    (older ones the model already counted are skipped). Nothing dated `day` or later is used.
    """
    todays = [p for p in papers if in_categories(p, model.categories)]
    if not todays:
        return []
    earlier = [p for p in earlier_papers if p.day < day and in_categories(p, model.categories)]
    listed = {p.arxiv_id: p.day for p in [*earlier, *todays]}
    before = [p for p in picks if known_from(p, listed) <= day]
    # Only the day's own authors are looked up; counts of anyone else do not matter today.
    history = _overlay(model, todays)
    for pick in sorted(before, key=lambda p: p.day):
        history.add_pick(pick)
    today_authors = {author_key(a) for p in todays for a in p.authors} - {""}
    for paper in earlier:
        # Earlier papers count only for the day's own authors.
        if paper.day > model.trained_until and any(
            author_key(a) in today_authors for a in paper.authors
        ):
            history.add_paper(paper)
    window = [p for p in earlier if p.day >= day - dt.timedelta(days=WINDOW)]
    all_papers = [*window, *todays]
    vectors = model.vectors(all_papers)
    # Metadata and text scores are needed for the day's papers only; the window's stay zero.
    logits = np.zeros(len(all_papers), dtype=np.float32)
    logits[len(window) :] = model.text.scores(vectors[len(window) :])
    meta = np.zeros((len(all_papers), len(META_FEATURES)), dtype=np.float32)
    meta[len(window) :] = meta_matrix(todays)
    corpus = Corpus.build(all_papers, vectors, logits, meta)
    recent_picks = [p for p in before if p.day >= day - dt.timedelta(days=WINDOW)]
    trend = pick_index(recent_picks, model.text, corpus)
    rows = day_rows(day, corpus.by_day[day], corpus, history, trend)
    cols = model.config.columns()
    scores = model.booster.predict_proba(rows.features[:, cols])[:, 1]
    day_papers = corpus.papers[rows.rows.start : rows.rows.stop]
    day_vectors = corpus.vectors[rows.rows.start : rows.rows.stop]
    centroid, terms = _week_centroid(model, trend, day)
    text_rank = rows.features[:, ALL_FEATURES.index("text_rank")]
    week_sim = rows.features[:, ALL_FEATURES.index("pick_max_7")]
    out = [
        Suggestion(
            paper=paper,
            score=float(scores[i]),
            reasons=tuple(
                reasons_for(
                    paper,
                    authors_picked=rows.authors_picked[i],
                    week_similarity=float(week_sim[i]),
                    topic=topic_terms(day_vectors[i], centroid, terms) if len(terms) else [],
                    text_rank=float(text_rank[i]),
                )
            ),
        )
        for i, paper in enumerate(day_papers)
    ]
    out.sort(key=lambda s: (-s.score, s.paper.arxiv_id))
    return out


def _week_centroid(
    model: CurateModel, trend: Any, day: dt.date
) -> tuple[NDArray[np.float32], Sequence[str]]:
    o = day.toordinal()
    rows = np.flatnonzero((trend.pick_known <= o) & (trend.pick_days >= o - WEEK))
    if rows.size == 0:
        return np.zeros(0, dtype=np.float32), []
    centroid = np.asarray(trend.pick_vectors[rows].mean(axis=0)).ravel().astype(np.float32)
    return centroid, model.text.vectorizer.get_feature_names_out()


# Saving and loading: a folder of plain files, plus the booster as scikit-learn's pickle. ----


def save(model: CurateModel, folder: Path) -> Path:
    """Write the model into `folder` (created); returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    terms = model.text.vectorizer.get_feature_names_out()
    with gzip.open(folder / "vocabulary.txt.gz", "wt", encoding="utf-8") as handle:
        handle.write("\n".join(terms) + "\n")
    classifier = model.text.classifier
    np.savez_compressed(
        folder / "text.npz",
        idf=np.asarray(model.text.vectorizer.idf_, dtype=np.float32),
        coef=np.asarray(classifier.coef_, dtype=np.float32).ravel(),
        intercept=np.asarray(classifier.intercept_, dtype=np.float32).ravel(),
    )
    with (folder / "booster.pkl").open("wb") as handle:
        pickle.dump(model.booster, handle, protocol=5)
    with gzip.open(folder / "authors.tsv.gz", "wt", encoding="utf-8") as handle:
        handle.write("author\tpicks\tgain\tpapers\tpick_days\n")
        for key in sorted(model.history.authors):
            s = model.history.authors[key]
            days = " ".join(d.isoformat() for d in s.pick_days)
            handle.write(f"{key}\t{s.picks}\t{s.gain:.3f}\t{s.papers}\t{days}\n")
    with gzip.open(folder / "picked.txt.gz", "wt", encoding="utf-8") as handle:
        handle.write("\n".join(sorted(model.history.picked)) + "\n")
    meta = {
        "format": FORMAT,
        "trained_until": model.trained_until.isoformat(),
        "categories": list(model.categories),
        "config": asdict(model.config),
        "features": [ALL_FEATURES[i] for i in model.config.columns()],
        "stats": model.stats,
        "sklearn": _sklearn_version(),
    }
    (folder / "model.json").write_text(json.dumps(meta, indent=2) + "\n")
    return folder


def _sklearn_version() -> str:
    import sklearn

    return str(sklearn.__version__)


class _LinearText:
    """The text regression as saved: weights and intercept (no scikit-learn object needed)."""

    def __init__(self, coef: NDArray[np.float32], intercept: float) -> None:
        self.coef_ = coef.reshape(1, -1)
        self.intercept_ = np.asarray([intercept], dtype=np.float32)

    def decision_function(self, vectors: sparse.csr_matrix) -> NDArray[np.float32]:
        return np.asarray(vectors @ self.coef_[0] + self.intercept_[0], dtype=np.float32)


def load(folder: Path) -> CurateModel:
    """The model saved in `folder`; CurateError when it is missing, partial or too new."""
    meta_path = folder / "model.json"
    if not meta_path.exists():
        raise CurateError(
            f"no suggestion model in {folder}; train one with `papertide curate train`"
        )
    try:
        meta = json.loads(meta_path.read_text())
        if meta.get("format") != FORMAT:
            raise CurateError(
                f"{folder} holds a model of format {meta.get('format')}, this papertide reads "
                f"format {FORMAT}; retrain with `papertide curate train`"
            )
        with gzip.open(folder / "vocabulary.txt.gz", "rt", encoding="utf-8") as handle:
            terms = handle.read().split("\n")[:-1]
        arrays = np.load(folder / "text.npz")
        vectorizer = tfidf_vectorizer()
        vectorizer.set_params(vocabulary={t: i for i, t in enumerate(terms)})
        vectorizer.idf_ = arrays["idf"]
        text = TextModel(vectorizer, _LinearText(arrays["coef"], float(arrays["intercept"][0])))
        with (folder / "booster.pkl").open("rb") as handle:
            fitted = pickle.load(handle)
        history = History()
        with gzip.open(folder / "authors.tsv.gz", "rt", encoding="utf-8") as handle:
            next(handle)
            for line in handle:
                key, picks, gain, papers, days = line.rstrip("\n").split("\t")
                history.authors[key] = AuthorStats(
                    int(picks),
                    float(gain),
                    int(papers),
                    [dt.date.fromisoformat(d) for d in days.split()],
                )
        with gzip.open(folder / "picked.txt.gz", "rt", encoding="utf-8") as handle:
            history.picked = {line for line in handle.read().split("\n") if line}
        config = Config(**{**meta["config"], "groups": tuple(meta["config"]["groups"])})
        threshold = float(meta.get("threshold", DEFAULT_THRESHOLD))
    except CurateError:
        raise
    except (OSError, ValueError, KeyError, EOFError, pickle.UnpicklingError) as exc:
        raise CurateError(
            f"the suggestion model in {folder} cannot be read ({exc}); "
            "retrain it with `papertide curate train`"
        ) from None
    history.authors = defaultdict(AuthorStats, history.authors)
    return CurateModel(
        text=text,
        booster=fitted,
        config=config,
        trained_until=dt.date.fromisoformat(meta["trained_until"]),
        categories=tuple(meta["categories"]),
        history=history,
        stats=dict(meta.get("stats", {})),
        threshold=threshold,
    )


DEFAULT_MODEL = Path(__file__).resolve().parent / "default_model"


def default_model() -> CurateModel:
    """The model shipped with papertide (trained on the shared arXiv + daily-papers data)."""
    return load(DEFAULT_MODEL)
