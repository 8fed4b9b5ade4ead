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
import time
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from papertide.rank.curate.features import META_FEATURES, meta_matrix
from papertide.rank.curate.history import (
    MAX_AUTHORS,
    AuthorStats,
    History,
    author_keys,
    known_from,
)
from papertide.rank.curate.model import (
    ALL_FEATURES,
    DEFAULT_THRESHOLD,
    Config,
    Corpus,
    Scorer,
    all_day_rows,
    day_rows,
    fit_scorer,
    pick_index,
    taste_table,
)
from papertide.rank.curate.protocol import gains
from papertide.rank.curate.reasons import HERE, reasons_for, topic_terms
from papertide.rank.curate.records import (
    DEFAULT_CATEGORIES,
    Candidate,
    Pick,
    author_key,
    in_categories,
)
from papertide.rank.curate.taste import NOT_LISTED, Taste, unit_rows
from papertide.rank.curate.text import (
    Projection,
    TextModel,
    fit_text_model,
    out_of_fold_scores,
    tfidf_vectorizer,
)
from papertide.rank.curate.trend import LONG, WEEK, WINDOW, in_sample

FORMAT = 2
# Dense vectors kept between calls (by arXiv id): eight weeks of a 1,000-a-day listing's
# sampled papers and picks, about 20 MB.
VECTOR_CACHE = 40_000
ONE_DAY = dt.timedelta(days=1)
# Fewer picks than this cannot teach a model anything; the shipped model is used instead.
MIN_PICKS = 30
Progress = Callable[[str, int, int], None]


class CurateError(ValueError):
    """Input the model cannot use; the message says what is missing and what to do."""


@dataclass
class CurateModel:
    text: TextModel
    scorer: Scorer
    config: Config
    trained_until: dt.date
    categories: tuple[str, ...]
    history: History
    stats: dict[str, Any] = field(default_factory=dict)
    # The line: a suggestion is "above the line" when its probability of being picked is at
    # least this (chosen on the last training days, see Config.line); digests and feeds show
    # only those, and stay silent on a day with none.
    threshold: float = DEFAULT_THRESHOLD
    # Where the counted picks were made, as the reasons word it ("here" for the community's own).
    place: str = HERE
    # Dense vectors of papers seen before (by arXiv id): the four-week trend window and the
    # recent picks are mostly papers of earlier days, so only the day's own are vectorised.
    vector_cache: dict[str, NDArray[np.float32]] = field(default_factory=dict, repr=False)
    terms: Sequence[str] | None = field(default=None, repr=False)
    # Folded author names of papers seen before (by arXiv id), for the same reason.
    author_cache: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)

    def author_keys(self, paper: Candidate) -> frozenset[str]:
        keys = self.author_cache.get(paper.arxiv_id)
        if keys is None:
            if len(self.author_cache) > VECTOR_CACHE:
                self.author_cache.clear()
            keys = frozenset(map(author_key, paper.authors[:MAX_AUTHORS])) - {""}
            self.author_cache[paper.arxiv_id] = keys
        return keys

    def dense(self, items: Sequence[Candidate | Pick]) -> NDArray[np.float32]:
        """Dense vectors of papers or picks, in order, vectorising only those not seen before."""
        cache = self.vector_cache
        missing: dict[str, str] = {}
        for item in items:
            if item.arxiv_id not in cache:
                missing.setdefault(item.arxiv_id, item.text)
        if missing:
            if len(cache) + len(missing) > VECTOR_CACHE:
                cache.clear()
            fresh = self.text.dense(self.text.vectors(list(missing.values())))
            for arxiv_id, row in zip(missing, fresh, strict=True):
                cache[arxiv_id] = row
        if not items:
            return np.zeros((0, self.text.projection.components.shape[1]), dtype=np.float32)
        return np.vstack([cache[item.arxiv_id] for item in items])


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A paper of the day, its calibrated probability of being picked by this community, why,
    and whether it is above the model's line (what digests and feeds show)."""

    paper: Candidate
    score: float
    reasons: tuple[str, ...]
    above_line: bool = False


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
    clock = _Clock()
    progress("text model", 0, 3)
    text, vectors = fit_text_model(
        [p.text for p in papers],
        labels,
        c=config.text_c,
        max_features=config.max_features,
        dims=config.dims,
        projection_terms=config.projection_terms,
    )
    clock.lap("text model")
    progress("text model", 1, 3)
    blocks = np.asarray([p.day.toordinal() // 14 for p in papers], dtype=np.int64)
    oof = out_of_fold_scores(
        vectors, labels, c=config.text_c, blocks=blocks if config.oof_blocks else None
    )
    dense = text.dense(vectors)
    del vectors
    clock.lap("out-of-fold text scores")
    progress("text model", 3, 3)
    corpus = Corpus.build(papers, dense, oof)
    del dense
    pick_dense = text.dense(text.vectors([p.text for p in known]))
    trend = pick_index(known, pick_dense, corpus)
    table = taste_table(corpus, known, pick_dense)
    days = len(corpus.by_day)
    done = [0]

    def step(n: int) -> None:
        done[0] += n
        progress("features", done[0], days)

    replayed = table.unmarked()
    rows = all_day_rows(corpus, known, trend, progress=step, taste=replayed)
    x = np.vstack([r.features for r in rows])
    ids = [corpus.papers[i].arxiv_id for r in rows for i in r.rows]
    gain = np.asarray([label_gain.get(i, 0.0) for i in ids], dtype=np.float32)
    day = np.concatenate([np.full(len(r.rows), r.day.toordinal(), dtype=np.int64) for r in rows])
    del rows, ids, corpus, trend
    clock.lap("features")
    progress("booster", 0, 1)
    scorer = fit_scorer(x, gain, day, config)
    clock.lap("ranker and calibration")
    progress("booster", 1, 1)
    del replayed
    history = History(taste=table)
    for pick in sorted(known, key=lambda p: p.day):
        history.add_pick(pick)
    for paper in papers:
        history.add_paper(paper)
    # Only the authors with a pick take part in the taste features: keep their papers only.
    history.taste = table.subset(k for k, s in history.authors.items() if s.picks)
    return CurateModel(
        text=text,
        scorer=scorer,
        config=config,
        trained_until=until,
        categories=categories,
        history=history,
        threshold=scorer.threshold,
        stats={
            "papers": len(papers),
            "picked": int(labels.sum()),
            "days": days,
            "first_day": papers[0].day.isoformat(),
            "calibration": {k: round(v, 4) for k, v in scorer.calibration.items()},
            "cpu_seconds": clock.laps,
        },
    )


class _Clock:
    """CPU seconds of each training stage (reported in the model's stats)."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.process_time()

    def lap(self, stage: str) -> None:
        now = time.process_time()
        self.laps[stage] = round(now - self._last, 1)
        self._last = now


def _overlay(model: CurateModel, keys: set[str]) -> History:
    """A history holding copies of the model's counts and taste rows for these authors only."""
    view = History()
    view.picked = model.history.picked
    for key in keys:
        old = model.history.authors.get(key)
        if old is not None:
            view.authors[key] = AuthorStats(old.picks, old.gain, old.papers, list(old.pick_days))
    if model.history.taste is not None:
        view.taste = model.history.taste.subset(keys)
    return view


def _extend_taste(
    model: CurateModel,
    taste: Taste,
    theirs: Sequence[tuple[Candidate, set[str]]],
    new_picks: Sequence[Pick],
    today_authors: set[str],
) -> None:
    """Rows (dense vectors) for the day's authors' papers and picks since the model was
    trained, so that the taste features see them as the replay in training did."""
    papers = [paper for paper, _ in theirs]
    if papers:
        taste.add_rows(
            [p.arxiv_id for p in papers], model.dense(papers), [p.day.toordinal() for p in papers]
        )
    picks = [p for p in new_picks if today_authors.intersection(author_keys(p.authors))]
    if picks:
        # Picks of papers held already keep their rows; the others join their authors' papers
        # when picked, as a pick not listed here does in training.
        taste.add_rows([p.arxiv_id for p in picks], model.dense(picks), [NOT_LISTED] * len(picks))


def day_history(
    model: CurateModel,
    todays: Sequence[Candidate],
    earlier: Sequence[Candidate],
    before: Sequence[Pick],
) -> History:
    """The history as it stands on the morning of a day, for that day's authors: the model's
    counts and taste rows, plus the papers listed (`earlier`) and the picks known (`before`)
    since the model was trained."""
    # Only the day's own authors are looked up; counts of anyone else do not matter today.
    today_authors = {author_key(a) for p in todays for a in p.authors} - {""}
    history = _overlay(model, today_authors)
    new_picks = [p for p in before if p.arxiv_id not in model.history.picked]
    # Earlier papers count only for the day's own authors (the others are not looked up).
    theirs = [
        (paper, keys)
        for paper in earlier
        if paper.day > model.trained_until
        and (keys := today_authors.intersection(model.author_keys(paper)))
    ]
    if history.taste is not None:
        _extend_taste(model, history.taste, theirs, new_picks, today_authors)
    for paper, keys in theirs:
        for key in keys:
            history.authors[key].papers += 1
        if history.taste is not None:
            history.taste.add_paper(paper.arxiv_id, sorted(keys))
    if new_picks:
        history.picked = set(model.history.picked)
        for pick in sorted(new_picks, key=lambda p: p.day):
            history.add_pick(pick)
    return history


def suggest(
    model: CurateModel,
    day: dt.date,
    papers: Sequence[Candidate],
    *,
    earlier_papers: Sequence[Candidate] = (),
    picks: Sequence[Pick] = (),
) -> list[Suggestion]:
    """The day's papers, best first, each with its probability of being picked and reasons.

    `earlier_papers` are papers listed after the model was trained and before `day` (at least
    the past four weeks, for the trend features); `picks` are the instance's picks before `day`
    (older ones the model already counted are skipped; the past 180 days' are compared with
    the day's papers). Nothing dated `day` or later is used.
    """
    wanted = set(model.categories)

    def listed_here(p: Candidate) -> bool:
        return not wanted or not wanted.isdisjoint(p.categories)

    todays = [p for p in papers if listed_here(p)]
    if not todays:
        return []
    earlier = [p for p in earlier_papers if p.day < day and listed_here(p)]
    listed = {p.arxiv_id: p.day for p in [*earlier, *todays]}
    before = [p for p in picks if known_from(p, listed) <= day]
    history = day_history(model, todays, earlier, before)
    since = day - dt.timedelta(days=WINDOW)
    # The trend vote reads the window's sampled papers only (trend.in_sample).
    window = [p for p in earlier if p.day >= since and in_sample(p.arxiv_id)]
    vectors = model.text.vectors([p.text for p in todays])
    today_dense = model.text.dense(vectors)
    if len(model.vector_cache) + len(todays) <= VECTOR_CACHE:
        for paper, row in zip(todays, today_dense, strict=True):
            model.vector_cache[paper.arxiv_id] = row
    all_papers = [*window, *todays]
    dense = np.vstack([model.dense(window), today_dense])
    # Metadata and text scores are needed for the day's papers only; the window's stay zero.
    logits = np.zeros(len(all_papers), dtype=np.float32)
    logits[len(window) :] = model.text.scores(vectors)
    meta = np.zeros((len(all_papers), len(META_FEATURES)), dtype=np.float32)
    meta[len(window) :] = meta_matrix(todays)
    corpus = Corpus.build(all_papers, dense, logits, meta)
    recent_picks = [p for p in before if p.day >= day - dt.timedelta(days=LONG)]
    trend = pick_index(recent_picks, model.dense(recent_picks), corpus, listed)
    rows = day_rows(day, corpus.by_day[day], corpus, history, trend)
    probability = model.scorer.probability(model.scorer.raw(rows.features))
    day_papers = corpus.papers[rows.rows.start : rows.rows.stop]
    position = {p.arxiv_id: i for i, p in enumerate(todays)}
    centroid, terms = _week_centroid(model, trend, day)
    text_rank = rows.features[:, ALL_FEATURES.index("text_rank")]
    week_sim = rows.features[:, ALL_FEATURES.index("pick_max_7")]
    out = [
        Suggestion(
            paper=paper,
            score=float(probability[i]),
            reasons=tuple(
                reasons_for(
                    paper,
                    authors_picked=rows.authors_picked[i],
                    week_similarity=float(week_sim[i]),
                    topic=topic_terms(vectors[position[paper.arxiv_id]], centroid, terms)
                    if len(terms)
                    else [],
                    text_rank=float(text_rank[i]),
                    place=model.place,
                    closest_pick=history.closest_pick(
                        paper.authors, corpus.dense[rows.rows.start + i]
                    ),
                )
            ),
            above_line=bool(probability[i] >= model.threshold),
        )
        for i, paper in enumerate(day_papers)
    ]
    out.sort(key=lambda s: (-s.score, s.paper.arxiv_id))
    return out


def _week_centroid(
    model: CurateModel, trend: Any, day: dt.date
) -> tuple[NDArray[np.float32], Sequence[str]]:
    """The past week's picks as term weights (their mean dense vector mapped back onto the
    projection's terms), and the vocabulary, for naming the topic a paper shares with them."""
    o = day.toordinal()
    rows = np.flatnonzero((trend.pick_known <= o) & (trend.pick_days >= o - WEEK))
    if rows.size == 0:
        return np.zeros(0, dtype=np.float32), []
    mean = trend.pick_vectors[rows].mean(axis=0)
    projection = model.text.projection
    centroid = np.zeros(len(model.text.vectorizer.vocabulary_), dtype=np.float32)
    centroid[projection.terms] = projection.components @ mean
    return centroid, _terms(model)


def _terms(model: CurateModel) -> Sequence[str]:
    if model.terms is None:
        model.terms = list(model.text.vectorizer.get_feature_names_out())
    return model.terms


# Saving and loading: a folder of plain files, plus the booster as scikit-learn's pickle. ----


def save(model: CurateModel, folder: Path) -> Path:
    """Write the model into `folder` (created); returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    terms = _terms(model)
    with gzip.open(folder / "vocabulary.txt.gz", "wt", encoding="utf-8") as handle:
        handle.write("\n".join(terms) + "\n")
    classifier = model.text.classifier
    np.savez_compressed(
        folder / "text.npz",
        idf=np.asarray(model.text.vectorizer.idf_, dtype=np.float32),
        coef=np.asarray(classifier.coef_, dtype=np.float32).ravel(),
        intercept=np.asarray(classifier.intercept_, dtype=np.float32).ravel(),
        projection_terms=model.text.projection.terms.astype(np.int32),
        # Half precision: cosines of unit vectors lose nothing that matters at 1e-3.
        projection=model.text.projection.components.astype(np.float16),
    )
    with gzip.open(folder / "ranker.txt.gz", "wt", encoding="utf-8") as handle:
        handle.write(model.scorer.ranker.model_to_string())
    with gzip.open(folder / "authors.tsv.gz", "wt", encoding="utf-8") as handle:
        handle.write("author\tpicks\tgain\tpapers\tpick_days\n")
        for key in sorted(model.history.authors):
            s = model.history.authors[key]
            days = " ".join(d.isoformat() for d in s.pick_days)
            handle.write(f"{key}\t{s.picks}\t{s.gain:.3f}\t{s.papers}\t{days}\n")
    with gzip.open(folder / "picked.txt.gz", "wt", encoding="utf-8") as handle:
        handle.write("\n".join(sorted(model.history.picked)) + "\n")
    if model.history.taste is not None:
        _save_taste(model.history.taste, folder)
    meta = {
        "format": FORMAT,
        "trained_until": model.trained_until.isoformat(),
        "categories": list(model.categories),
        "config": asdict(model.config),
        "features": [ALL_FEATURES[i] for i in model.scorer.columns],
        "platt": list(model.scorer.platt),
        "threshold": model.threshold,
        "place": model.place,
        "stats": model.stats,
        "lightgbm": _lightgbm_version(),
    }
    (folder / "model.json").write_text(json.dumps(meta, indent=2) + "\n")
    return folder


def _save_taste(taste: Taste, folder: Path) -> None:
    """taste.npz: the rows as int8 unit vectors (cosines move by under 0.01) and the authors'
    rows as one flat list with offsets; taste_titles.tsv.gz: the picked rows' titles."""
    keys = sorted(taste.author_rows)
    lengths = [len(taste.author_rows[k]) for k in keys]
    with gzip.open(folder / "taste_titles.tsv.gz", "wt", encoding="utf-8") as handle:
        for row in sorted(taste.titles):
            handle.write(f"{row}\t{taste.titles[row]}\n")
    np.savez_compressed(
        folder / "taste.npz",
        vectors=np.rint(taste.vectors * 127.0).astype(np.int8),
        days=taste.days.astype(np.int32),
        gains=taste.gains.astype(np.float16),
        picked=taste.picked,
        ids=np.asarray(taste.ids, dtype=str),
        authors=np.asarray(keys, dtype=str),
        offsets=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        rows=np.asarray([r for k in keys for r in taste.author_rows[k]], dtype=np.int32),
    )


def _load_taste(folder: Path) -> Taste:
    titles: dict[int, str] = {}
    if (folder / "taste_titles.tsv.gz").exists():
        with gzip.open(folder / "taste_titles.tsv.gz", "rt", encoding="utf-8") as handle:
            for line in handle:
                row, _, title = line.rstrip("\n").partition("\t")
                titles[int(row)] = title
    with np.load(folder / "taste.npz", allow_pickle=False) as arrays:
        offsets = arrays["offsets"]
        rows = arrays["rows"].tolist()
        return Taste(
            vectors=unit_rows(arrays["vectors"].astype(np.float32)),
            days=arrays["days"].astype(np.int64),
            ids=arrays["ids"].tolist(),
            gains=arrays["gains"].astype(np.float32),
            picked=arrays["picked"].astype(np.bool_),
            author_rows={
                str(k): rows[offsets[i] : offsets[i + 1]]
                for i, k in enumerate(arrays["authors"].tolist())
            },
            titles=titles,
        )


def _lightgbm_version() -> str:
    import lightgbm

    return str(lightgbm.__version__)


class _LinearText:
    """The text regression as saved: weights and intercept (no scikit-learn object needed)."""

    def __init__(self, coef: NDArray[np.float32], intercept: float) -> None:
        self.coef_ = coef.reshape(1, -1)
        self.intercept_ = np.asarray([intercept], dtype=np.float32)

    def decision_function(self, vectors: sparse.csr_matrix) -> NDArray[np.float32]:
        return np.asarray(vectors @ self.coef_[0] + self.intercept_[0], dtype=np.float32)


def load(folder: Path) -> CurateModel:
    """The model saved in `folder`; CurateError when it is missing, partial or of another
    format. A model.json without "threshold" gets DEFAULT_THRESHOLD (0.5: more likely picked
    than not)."""
    import lightgbm as lgb

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
        projection = Projection(
            arrays["projection_terms"].astype(np.int64),
            arrays["projection"].astype(np.float32),
        )
        text = TextModel(
            vectorizer, _LinearText(arrays["coef"], float(arrays["intercept"][0])), projection
        )
        with gzip.open(folder / "ranker.txt.gz", "rt", encoding="utf-8") as handle:
            ranker = lgb.Booster(model_str=handle.read())
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
        if (folder / "taste.npz").exists():
            history.taste = _load_taste(folder)
        config = Config(**{**meta["config"], "groups": tuple(meta["config"]["groups"])})
        columns = np.asarray([ALL_FEATURES.index(n) for n in meta["features"]], dtype=np.int64)
        if history.taste is None and "taste" in config.groups:
            raise CurateError(
                f"the suggestion model in {folder} is incomplete (no taste.npz); "
                "retrain it with `papertide curate train`"
            )
        a, b = (float(v) for v in meta.get("platt", (1.0, 0.0)))
        threshold = float(meta.get("threshold", DEFAULT_THRESHOLD))
    except CurateError:
        raise
    except (
        OSError,
        ValueError,
        KeyError,
        TypeError,
        EOFError,
        zipfile.BadZipFile,  # a truncated .npz
        lgb.basic.LightGBMError,
    ) as exc:
        raise CurateError(
            f"the suggestion model in {folder} cannot be read ({exc}); "
            "retrain it with `papertide curate train`"
        ) from None
    history.authors = defaultdict(AuthorStats, history.authors)
    return CurateModel(
        text=text,
        scorer=Scorer(ranker, columns, (a, b), threshold),
        config=config,
        trained_until=dt.date.fromisoformat(meta["trained_until"]),
        categories=tuple(meta["categories"]),
        history=history,
        stats=dict(meta.get("stats", {})),
        threshold=threshold,
        place=str(meta.get("place", HERE)),
        terms=terms,
    )


DEFAULT_MODEL = Path(__file__).resolve().parent / "default_model"


def default_model() -> CurateModel:
    """The model shipped with papertide (trained on the shared arXiv + daily-papers data)."""
    return load(DEFAULT_MODEL)
