"""The model's parts on hand-made inputs: metadata patterns, dense trend features, the line
and the calibration, and the saved threshold."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
from scipy import sparse

from papertide.rank.curate.features import META_FEATURES, has_link, meta_row
from papertide.rank.curate.model import (
    DEFAULT_THRESHOLD,
    Config,
    choose_line,
    fit_scorer,
    line_stats,
)
from papertide.rank.curate.reasons import topic_terms
from papertide.rank.curate.records import Candidate
from papertide.rank.curate.trend import SAMPLE_EVERY, TREND_FEATURES, TrendIndex, in_sample

D = dt.date.fromisoformat


def _meta(c: Candidate) -> dict[str, float]:
    return dict(zip(META_FEATURES, meta_row(c), strict=True))


def test_metadata_patterns_find_links_venues_and_release_words() -> None:
    c = Candidate(
        arxiv_id="2603.00001",
        day=D("2026-03-02"),
        title="FooNet: Scaling Video Models",
        abstract="We train a 7B model. Code is available at https://foo.github.io/x.",
        authors=("A", "B"),
        categories=("cs.CV", "cs.LG"),
        comment="Accepted to CVPR 2026 Workshop, 12 pages",
    )
    m = _meta(c)
    assert m["any_link"] == m["project_page"] == 1.0
    assert m["venue"] == m["accepted"] == m["workshop"] == 1.0
    assert m["pages"] == 12.0
    assert m["release_words"] == m["named_method"] == m["model_scale"] == 1.0
    assert m["primary_cs.CV"] == m["cat_cs.LG"] == 1.0
    assert has_link(c)
    plain = Candidate(arxiv_id="2603.00002", day=D("2026-03-02"), title="on a lemma", abstract="x")
    p = _meta(plain)
    assert p["any_link"] == p["venue"] == p["release_words"] == p["named_method"] == 0.0
    assert p["pages"] == -1.0
    assert not has_link(plain)


def test_the_trend_sample_is_a_fixed_share_of_ids() -> None:
    ids = [f"2603.{i:05d}" for i in range(8000)]
    share = sum(in_sample(i) for i in ids) / len(ids)
    assert share == pytest.approx(1 / SAMPLE_EVERY, abs=0.02)
    assert [in_sample(i) for i in ids[:50]] == [in_sample(i) for i in ids[:50]]


def _unit(v: list[float]) -> np.ndarray:
    a = np.asarray(v, dtype=np.float32)
    return a / np.linalg.norm(a)


def test_trend_features_see_only_picks_known_that_morning() -> None:
    day = D("2026-03-10")
    o = day.toordinal()
    topic, other = _unit([1, 0, 0]), _unit([0, 1, 0])
    index = TrendIndex(
        paper_vectors=np.vstack([topic, other]),
        paper_days=np.asarray([o - 3, o - 2]),
        paper_ids=["p1", "p2"],
        pick_vectors=np.vstack([topic, topic]),
        pick_days=np.asarray([o - 2, o - 1]),
        # The second pick is known only tomorrow: it must not count.
        pick_known=np.asarray([o - 1, o + 1]),
    )
    x, nearest = index.features(day, np.vstack([topic, other]), picked={"p1"})
    f = {name: x[:, i] for i, name in enumerate(TREND_FEATURES)}
    assert f["pick_max_7"][0] == pytest.approx(1.0)
    assert f["pick_max_7"][1] == pytest.approx(0.0, abs=1e-6)
    assert f["knn_picked_28"][0] > f["knn_picked_28"][1]
    assert list(nearest) == [0, 0]
    none_known, _ = TrendIndex(
        index.paper_vectors,
        index.paper_days,
        index.paper_ids,
        index.pick_vectors,
        index.pick_days,
        np.asarray([o + 1, o + 1]),
    ).features(day, np.vstack([topic]), picked=set())
    assert none_known[0, TREND_FEATURES.index("pick_max_7")] == 0.0


def test_the_precision_line_keeps_half_of_what_it_shows_picked() -> None:
    rng = np.random.default_rng(0)
    p = rng.random(5000)
    y = (rng.random(5000) < p).astype(np.int8)  # calibrated by construction
    line = choose_line(p, y, "precision")
    above = p >= line
    assert y[above].mean() >= 0.5
    # the lowest such line: a little lower and the precision falls under a half
    assert line < 0.5
    f1 = choose_line(p, y, "f1")
    assert 0.0 < f1 < 1.0
    days = np.repeat(np.arange(50), 100)
    stats = line_stats(p, y, days, line)
    assert stats["days"] == 50
    assert stats["above_per_day"] == pytest.approx(above.sum() / 50)
    assert stats["precision_above"] >= 0.5


def test_the_score_is_a_calibrated_probability_on_later_days() -> None:
    rng = np.random.default_rng(1)
    days = np.repeat(np.arange(200) + 700_000, 100)
    x = rng.normal(size=(len(days), 3)).astype(np.float32)
    p = 1 / (1 + np.exp(-(2.5 * x[:, 0] - 4)))
    gain = np.where(rng.random(len(days)) < p, 2.0, 0.0).astype(np.float32)
    config = Config(groups=("meta",), max_iter=30, calibration_days=50, min_samples_leaf=20)
    scorer = fit_scorer(np.hstack([x, np.zeros((len(x), 100), np.float32)]), gain, days, config)
    fresh = rng.normal(size=(20_000, 3)).astype(np.float32)
    truth = 1 / (1 + np.exp(-(2.5 * fresh[:, 0] - 4)))
    prob = scorer.probability(scorer.raw(np.hstack([fresh, np.zeros((20_000, 100), np.float32)])))
    assert prob.mean() == pytest.approx(truth.mean(), abs=0.02)
    top = prob >= np.quantile(prob, 0.95)
    assert prob[top].mean() == pytest.approx(truth[top].mean(), abs=0.08)
    assert 0.0 < scorer.threshold < 1.0
    assert scorer.calibration["precision_above"] >= 0.5


def test_a_model_json_without_a_threshold_loads_with_the_default(tmp_path: Path) -> None:
    import shutil

    from papertide.rank.curate.suggest import DEFAULT_MODEL, load

    folder = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL, folder)
    meta = json.loads((folder / "model.json").read_text())
    assert 0.0 < meta["threshold"] < 1.0
    assert load(folder).threshold == pytest.approx(meta["threshold"])
    del meta["threshold"]
    (folder / "model.json").write_text(json.dumps(meta))
    assert load(folder).threshold == DEFAULT_THRESHOLD


def test_fast_tfidf_rows_equal_scikit_learns_transform() -> None:
    from scipy import sparse

    from papertide.rank.curate.text import term_lookup, tfidf_rows, tfidf_vectorizer

    texts = [
        "Diffusion models for video generation. We scale diffusion transformers.",
        "Large language models reason about video and text with diffusion priors.",
        "Reinforcement learning for language models: reward models and reasoning.",
        "Café naïve Über-models: accents and hyphenated-terms in video models.",
        # Letters no accent folding removes: the Unicode token pattern, not the ASCII one.
        "αβ-video models and βdiffusion video 模型 models",
        "",
    ] * 3
    vectorizer = tfidf_vectorizer(min_df=2).fit(texts)
    ours = tfidf_rows(term_lookup(vectorizer), [*texts, "the of and", "video diffusion video"])
    theirs = sparse.csr_matrix(
        vectorizer.transform([*texts, "the of and", "video diffusion video"])
    )
    theirs.sort_indices()
    assert ours.shape == theirs.shape
    assert (ours.indptr == theirs.indptr).all() and (ours.indices == theirs.indices).all()
    assert np.allclose(ours.data, theirs.data, atol=1e-6)


def test_a_topic_is_named_by_subject_words_not_words_every_abstract_uses() -> None:
    terms = ["improves", "knowledge", "editing", "proposed method", "knowledge editing"]
    # "improves" and "proposed method" weigh most with the week's picks, yet name no subject.
    vector = sparse.csr_matrix(np.array([[0.9, 0.5, 0.4, 0.8, 0.3]], dtype=np.float32))
    centroid = np.array([0.9, 0.5, 0.4, 0.9, 0.2], dtype=np.float32)
    assert topic_terms(vector, centroid, terms) == ["knowledge", "editing"]
    assert topic_terms(sparse.csr_matrix((1, 5), dtype=np.float32), centroid, terms) == []


def test_the_cheap_tests_before_the_release_and_scale_patterns_change_no_answer() -> None:
    from papertide.rank.curate import features

    abstracts = [
        "We release our code.",
        "The model is open-source; weights are open sourced.",
        "Code and data are publicly available at https://x.",
        "Models are publicly released. Our models and data will be released.",
        "Code is available soon. Datasets are available at the link.",
        "An opening move is not a release; availability is not stated.",
        "A 7B model, a 1.5 T token corpus, 3 billion images, one trillion steps.",
        "We train 7Bx models on 12 MB files with 3 millions of steps in 2B-scale.",
        "",
    ]
    for abstract in abstracts:
        lower = abstract.lower()
        assert features._releases(lower) == (features._RELEASE.search(lower) is not None)
        assert features._names_scale(abstract) == (features._SCALE.search(abstract) is not None)
    assert features._releases("we release the benchmark.")
    assert features._names_scale("a 7B model")
    assert not features._names_scale("3 millions of steps")
