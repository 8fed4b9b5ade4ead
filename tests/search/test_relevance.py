"""The relevance model's pieces (no index) and its behaviour through the search API."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine

from papertide.search.api import Searcher
from papertide.search.calibration import (
    FEATURES,
    FEW_ANSWERS,
    HAS_SEMANTIC,
    NO_EVIDENCE,
    Background,
    Calibrator,
    QueryEvidence,
    cascade,
    excess_over_background,
    feature_rows,
    feature_table,
    fit_cascade_calibrator,
    non_increasing,
    relevance_from,
    score_mixture,
)
from papertide.search.fusion import fuse
from papertide.search.keyword import KeywordDoc, KeywordIndex
from papertide.search.params import load_params
from papertide.search.query import parse_query
from papertide.search.relevance import idf, missing_words, put_first, query_evidence

NAMES = ("cos", "coverage", "bm25_per_idf")


def test_pooling_keeps_the_order_and_the_sum() -> None:
    values = np.array([0.9, 0.2, 0.5, 0.4, 0.1])
    pooled = non_increasing(values)
    assert np.all(np.diff(pooled) <= 1e-12)
    assert pooled.sum() == pytest.approx(values.sum())
    assert pooled.tolist() == pytest.approx([0.9, 1.1 / 3, 1.1 / 3, 1.1 / 3, 0.1])
    assert non_increasing(np.zeros(0)).tolist() == []


def test_cascade_gives_one_answer_not_many() -> None:
    on_topic = np.array([0.8, 0.8, 0.8, 0.8])
    one = cascade(on_topic)
    assert one[0] == pytest.approx(0.8) and one[1] == pytest.approx(0.16)
    assert one.sum() < 1.0 < on_topic.sum()


def test_coverage_is_the_share_of_idf_mass() -> None:
    evidence = QueryEvidence(
        ["rare", "common"], np.array([3.0, 1.0]), np.array([[True, True], [False, True]])
    )
    assert evidence.coverage().tolist() == [1.0, 0.25]
    assert evidence.known_share == 1.0
    assert idf(0, 100) == 0.0 and idf(1, 100) > idf(50, 100) > 0


def test_feature_table_has_every_feature_and_reads_the_background() -> None:
    fused = fuse({1: 3.0, 2: 1.0}, {1: 0.6, 2: 0.3}, 0.5)
    evidence = QueryEvidence(["a"], np.array([2.0]), np.array([[True], [False]]))
    table = feature_table(fused, evidence, Background(0.1, 0.1), few_answers=True)
    assert set(table) == {*FEATURES, FEW_ANSWERS, HAS_SEMANTIC}
    assert table["cos_z"].tolist() == pytest.approx([5.0, 2.0])
    assert table["coverage"].tolist() == [1.0, 0.0]
    assert table[FEW_ANSWERS].tolist() == [1.0, 1.0]


def _model() -> Calibrator:
    # p rises with cosine and coverage
    return Calibrator([2.0, 2.0, 0.0], 0.0, [0.3, 0.5, 0.0], [0.1, 0.25, 1.0], NAMES)


def test_a_query_whose_words_no_paper_has_gets_nothing_above_any_line() -> None:
    fused = fuse({}, {1: 0.35, 2: 0.3}, 1.0)
    no_words = np.zeros((2, 2), dtype=bool)
    unknown = QueryEvidence(["qwzx", "blorf"], np.full(2, 7.0), no_words, np.zeros(2, dtype=bool))
    table = feature_table(fused, unknown, Background(0.1, 0.08))
    by_cosine = Calibrator([4.0], 0.0, [0.3], [0.1], ("cos",))
    assert by_cosine.predict_table(table)[0] > 0.5  # the model alone would show it
    assert relevance_from(by_cosine, table).max() <= NO_EVIDENCE
    # a close semantic match (far above the background) still counts without shared words
    close = fuse({}, {1: 0.9, 2: 0.3}, 1.0)
    assert relevance_from(by_cosine, feature_table(close, unknown, Background(0.1, 0.08)))[0] > 0.5


def test_words_no_paper_has_together_and_no_close_meaning_is_no_evidence() -> None:
    # "marmalade trombone giraffe": one paper mentions a giraffe, the rest are far in meaning
    fused = fuse({1: 6.8}, {1: 0.08, 2: 0.24, 3: 0.2}, 0.4)
    words = QueryEvidence(
        ["marmalad", "trombon", "giraff"],
        np.full(3, 7.5),
        np.array([[False, False, True], [False, False, False], [False, False, False]]),
        np.array([False, False, True]),
    )
    lenient = Calibrator([0.0], 0.0, [0.0], [1.0], ("cos",))  # p = 0.5 for everything
    assert relevance_from(lenient, feature_table(fused, words, Background(0.0, 0.05))).max() <= (
        NO_EVIDENCE
    )
    # the same words with a paper close in meaning, or a paper holding most of the idf mass
    close = fuse({1: 6.8}, {1: 0.08, 2: 0.55, 3: 0.2}, 0.4)
    assert relevance_from(lenient, feature_table(close, words, Background(0.0, 0.05)))[0] > 0.4
    most = QueryEvidence(words.terms, words.idf, np.ones((3, 3), dtype=bool), np.ones(3, bool))
    assert relevance_from(lenient, feature_table(fused, most, Background(0.0, 0.05)))[0] > 0.4
    # keyword mode has no cosine: the rule needs one
    kw_only = fuse({1: 6.8, 2: 3.0}, {}, 0.0)
    assert relevance_from(lenient, feature_table(kw_only, words, None))[0] > 0.4


def test_score_mixture_finds_the_planted_relevant_scores() -> None:
    rng = np.random.default_rng(3)
    relevant = rng.normal(0.72, 0.03, 15)
    rest = 0.3 + rng.exponential(0.05, 85)
    scores = np.sort(np.concatenate([relevant, rest]))[::-1]
    posterior, count = score_mixture(scores)
    assert count == pytest.approx(15, abs=4)
    assert posterior[:10].min() > 0.9 and posterior[-30:].max() < 0.1
    # nothing but the exponential tail: few or no relevant ones
    _, none = score_mixture(np.sort(0.3 + rng.exponential(0.05, 100))[::-1])
    assert none < 5
    assert score_mixture(np.full(50, 0.4))[1] == 0.0 and score_mixture(np.zeros(2))[1] == 0.0


def test_excess_over_background_counts_papers_the_background_cannot_explain() -> None:
    rng = np.random.default_rng(4)
    background = Background(0.1, 0.05, docs=10_000)
    noise = np.sort(rng.normal(0.1, 0.05, 10_000))[::-1]
    share, count = excess_over_background(noise[:100], background)
    assert count < 5 and share.mean() < 0.2
    planted = np.sort(np.concatenate([noise[30:], np.full(30, 0.6)]))[::-1]
    share, count = excess_over_background(planted[:100], background)
    assert count == pytest.approx(30, abs=5) and share[:30].min() > 0.9
    assert excess_over_background(noise[:10], Background(0.1, 0.05))[1] == 0.0  # size unknown


def test_claims_get_one_answer_topics_many() -> None:
    fused = fuse({1: 3.0, 2: 2.9, 3: 2.8}, {1: 0.6, 2: 0.59, 3: 0.58}, 0.5)
    evidence = QueryEvidence(["a"], np.array([1.0]), np.ones((3, 1), dtype=bool))
    topic = relevance_from(_model(), feature_table(fused, evidence, None))
    claim = relevance_from(_model(), feature_table(fused, evidence, None, few_answers=True))
    assert claim[0] == pytest.approx(topic[0])
    assert claim[1] < topic[1] / 2 and claim[2] < claim[1]


def test_cascade_fit_recovers_the_model_it_was_drawn_from() -> None:
    rng = np.random.default_rng(0)
    queries = []
    for i in range(300):
        x = rng.normal(size=(20, 3))
        p = 1 / (1 + np.exp(-(1.5 * x[:, 0] - 0.5)))
        few = i % 2 == 0
        y = (rng.random(20) < (cascade(p) if few else p)).astype(int)
        queries.append((x, y, few, 1.0))
    model = fit_cascade_calibrator(queries, NAMES, c=100.0)
    slope = model.coef / model.scale
    assert slope[0] == pytest.approx(1.5, abs=0.2) and abs(slope[1]) < 0.2
    again = Calibrator.from_dict(model.to_dict())
    assert np.allclose(again.predict(queries[0][0]), model.predict(queries[0][0]), atol=1e-4)


def test_an_offset_prior_moves_the_logit_with_its_fixed_weight_and_round_trips() -> None:
    table = {"cos": np.array([0.5, 0.5]), "mix_prior": np.array([2.0, -2.0])}
    plain = Calibrator([1.0], 0.0, [0.5], [0.1], ("cos",))
    with_prior = Calibrator([1.0], 0.0, [0.5], [0.1], ("cos",), "mix_prior", 0.5)
    assert plain.predict_table(table).tolist() == pytest.approx([0.5, 0.5])
    logit = np.log(with_prior.predict_table(table) / (1 - with_prior.predict_table(table)))
    assert logit.tolist() == pytest.approx([1.0, -1.0])
    again = Calibrator.from_dict(with_prior.to_dict())
    assert again.offset == "mix_prior" and again.offset_weight == 0.5
    assert "offset" not in plain.to_dict()
    with pytest.raises(ValueError):
        Calibrator([1.0], 0.0, [0.5], [0.1], ("cos",), "no_such_feature")


def test_the_fit_learns_only_what_the_offset_leaves() -> None:
    # labels drawn from sigmoid(0.5 * prior + 1.5 x): with the prior as an offset of weight 0.5
    # the fit finds the slope of x and no intercept
    rng = np.random.default_rng(5)
    queries, offsets = [], []
    for _ in range(400):
        prior = rng.normal(0, 2) * np.ones(20)
        x = rng.normal(size=(20, 1))
        p = 1 / (1 + np.exp(-(0.5 * prior + 1.5 * x[:, 0])))
        queries.append((x, (rng.random(20) < p).astype(int), False, 1.0))
        offsets.append(prior)
    model = fit_cascade_calibrator(
        queries, ("cos",), c=100.0, offsets=offsets, offset="mix_prior", offset_weight=0.5
    )
    assert (model.coef / model.scale)[0] == pytest.approx(1.5, abs=0.2)
    assert abs(model.intercept - (-(model.coef * model.mean / model.scale).sum())) < 0.2


def test_a_product_feature_is_an_interaction_and_a_hinge_bends_the_slope() -> None:
    table = {
        "cos": np.array([0.2, 0.5, 0.8]),
        "mix_prior": np.array([2.0, 2.0, 2.0]),
        "cos_z": np.array([1.0, 3.0, 5.0]),
    }
    rows = feature_rows(table, ("cos", "mix_prior*cos", "cos_z>2.5"))
    assert rows[:, 1].tolist() == pytest.approx([0.4, 1.0, 1.6])
    assert rows[:, 2].tolist() == pytest.approx([0.0, 0.5, 2.5])
    model = Calibrator([1.0, 1.0], 0.0, [0.0, 0.0], [1.0, 1.0], ("cos", "mix_prior*cos"))
    assert Calibrator.from_dict(model.to_dict()).features == ("cos", "mix_prior*cos")
    logit = np.log(model.predict_table(table) / (1 - model.predict_table(table)))
    assert logit.tolist() == pytest.approx([0.6, 1.5, 2.4])  # cos slope 1 + prior 2
    with pytest.raises(ValueError):
        Calibrator([1.0], 0.0, [0.0], [1.0], ("mix_prior*no_such_feature",))


def test_a_model_naming_an_interaction_gets_the_distribution_features_it_reads() -> None:
    cos = np.concatenate([np.linspace(0.7, 0.6, 10), np.linspace(0.3, 0.1, 90)])
    fused = fuse({}, {i: float(c) for i, c in enumerate(cos)}, 0.5)
    evidence = QueryEvidence(["a"], np.array([1.0]), np.ones((100, 1), dtype=bool))
    table = feature_table(fused, evidence, Background(0.1, 0.05, 1000), names=("mix_prior*cos",))
    assert table["mix_prior"][0] != 0.0  # computed: the model reads it through the product


def test_a_small_c_for_one_feature_pulls_only_that_coefficient_to_zero() -> None:
    rng = np.random.default_rng(3)
    queries = []
    for _ in range(300):
        x = rng.normal(size=(20, 2))
        p = 1 / (1 + np.exp(-(1.5 * x[:, 0] + 1.5 * x[:, 1])))
        queries.append((x, (rng.random(20) < p).astype(int), False, 1.0))
    both = fit_cascade_calibrator(queries, ("cos", "coverage"), c=100.0)
    one = fit_cascade_calibrator(queries, ("cos", "coverage"), c=[100.0, 1e-6])
    assert (both.coef / both.scale).tolist() == pytest.approx([1.5, 1.5], abs=0.25)
    assert abs(one.coef[1]) < 0.05 and one.coef[0] / one.scale[0] > 1.0


def test_shipped_parameters_load_for_every_mode() -> None:
    params = load_params()
    for mode in ("hybrid", "semantic", "keyword", "keyword_text"):
        model = params.calibrator(mode)
        assert model is not None and set(model.features) <= set(FEATURES)
        assert 0.0 < params.min_relevance[mode] < 1.0


def test_parameters_of_another_feature_set_mean_uncalibrated_not_a_crash() -> None:
    params = load_params()
    params.calibration["hybrid"] = {
        "features": ["gap_to_top"],
        "coef": [1.0],
        "intercept": 0.0,
        "mean": [0.0],
        "scale": [1.0],
    }
    assert params.calibrator("hybrid") is None


def test_put_first_moves_or_adds_the_named_paper() -> None:
    fused = fuse({1: 3.0, 2: 2.0}, {}, 0.0)
    moved, rel = put_first(fused, np.array([0.5, 0.2]), 2)
    assert moved.paper_ids == [2, 1] and rel[0] >= 0.99 and rel[1] == 0.5
    added, rel = put_first(fused, np.array([0.5, 0.2]), 7)
    assert added.paper_ids == [7, 1, 2] and rel[0] >= 0.99 and len(added.keyword) == 3


# Through the API, on the eight papers of conftest ------------------------------------------


def _line(searcher: Searcher) -> float:
    return searcher.params.min_relevance["hybrid"]


def test_an_arxiv_id_finds_that_paper_first_above_the_line(
    corpus: Engine, searcher: Searcher
) -> None:
    searcher.sync(corpus)
    for typed in ("2401.00005", "arXiv:2401.00005v2", "https://arxiv.org/abs/2401.00005"):
        results = searcher.search(typed).results
        assert results and results[0].arxiv_id == "2401.00005", typed
        assert results[0].relevance >= _line(searcher)


def test_an_exact_title_finds_that_paper_first_above_the_line(
    corpus: Engine, searcher: Searcher
) -> None:
    searcher.sync(corpus)
    for typed in (
        "Ramsey numbers of sparse graphs",
        "SUPERCONDUCTIVITY IN TWISTED BILAYER GRAPHENE",
    ):
        results = searcher.search(typed).results
        assert results and results[0].relevance >= _line(searcher)
    assert searcher.search("Ramsey numbers of sparse graphs").results[0].arxiv_id == "2401.00005"


def test_nonsense_puts_nothing_above_the_line(corpus: Engine, searcher: Searcher) -> None:
    searcher.sync(corpus)
    for typed in ("qwzx blorfing snarkle", "zzkqv wwpt"):
        assert searcher.search(typed).results == [], typed
        assert searcher.search(typed, min_relevance=0.0).results  # still a ranked list


def test_query_evidence_reads_the_index_in_groups_of_ids(tmp_path: Path) -> None:
    keyword = KeywordIndex.create(tmp_path / "kw")
    keyword.upsert(
        KeywordDoc(
            paper_id=i,
            arxiv_id=f"2401.{i:05d}",
            title="Dark matter halos" if i % 3 == 0 else "Graph networks",
            abstract="matter" if i % 2 else "graphs of molecules",
        )
        for i in range(1, 81)
    )
    keyword.commit()
    query = parse_query("dark matter qwzx")
    evidence = query_evidence(keyword, query, list(range(1, 81)))
    assert evidence.terms == ["dark", "matter", "qwzx"]
    assert evidence.known is not None and evidence.known.tolist() == [True, True, False]
    assert evidence.idf[2] >= evidence.idf.max()  # an unknown word counts as the rarest
    dark = np.array([i % 3 == 0 for i in range(1, 81)])
    matter = np.array([i % 3 == 0 or i % 2 == 1 for i in range(1, 81)])
    assert (evidence.matches[:, 0] == dark).all() and (evidence.matches[:, 1] == matter).all()
    assert not evidence.matches[:, 2].any()
    # papers known to have BM25 0 are not looked up
    skipped = query_evidence(keyword, query, [3, 4], bm25=[0.0, 1.0])
    assert skipped.matches.tolist() == [[False, False, False], [False, False, False]]


def test_a_deeper_page_keeps_the_first_pools_places_and_probabilities() -> None:
    from papertide.search.engine import Ranked, extend

    base = Ranked("hybrid", fuse({1: 3.0, 2: 2.0}, {}, 0.0), np.array([0.5, 0.1]), 2, "hybrid")
    deeper = Ranked(
        "hybrid", fuse({2: 3.0, 3: 2.0, 1: 1.0}, {}, 0.0), np.array([0.6, 0.4, 0.2]), 3, "hybrid"
    )
    both = extend(base, deeper)
    assert both.fused.paper_ids == [1, 2, 3] and both.total_candidates == 3
    assert both.relevance.tolist() == [0.5, 0.1, 0.1]  # never above the first pool's last
    assert len(both.fused.keyword) == len(both.fused.semantic) == 3
    assert extend(base, base) is base


def test_keyword_search_keeps_bm25_order_and_is_judged_with_its_cosines(
    corpus: Engine, searcher: Searcher
) -> None:
    """Keyword search ranks by BM25 alone; once the papers have vectors its relevance model
    also reads the candidates' cosines (BM25 evidence alone misjudged whole collections), and
    before any vector exists it falls back to the BM25-evidence model and that model's line."""
    query = "graph neural networks"
    searcher.sync(corpus, embed=False)
    before = searcher.search(query, mode="keyword", min_relevance=0.0)
    assert before.line == searcher.params.min_relevance["keyword_text"]
    searcher.sync(corpus)
    after = searcher.search(query, mode="keyword", min_relevance=0.0)
    assert after.mode == "keyword"
    assert after.line == searcher.params.min_relevance["keyword"] != before.line
    assert [r.arxiv_id for r in after.results] == [
        r.arxiv_id for r in before.results
    ]  # the vectors do not reorder a keyword search
    assert [r.keyword_score for r in after.results] == sorted(
        (r.keyword_score or 0.0 for r in after.results), reverse=True
    )
    # The cosines are evidence now: the graph-network paper stays near certain, while the two
    # papers that share a word but not the subject (Ramsey numbers of graphs; translation
    # "networks") lose about half their probability (0.41 -> 0.21, 0.36 -> 0.16).
    was = {r.arxiv_id: r.relevance for r in before.results}
    now = {r.arxiv_id: r.relevance for r in after.results}
    assert now["2401.00001"] > 0.9
    for partial in ("2401.00005", "2401.00002"):
        assert now[partial] < 0.75 * was[partial]


def test_missing_words_are_those_a_paper_has_in_no_field(tmp_path: Path) -> None:
    keyword = KeywordIndex.create(tmp_path / "kw")
    keyword.upsert(
        [
            KeywordDoc(1, "2401.00001", "Graph networks", "Message passing on molecules.", ["Ada"]),
            KeywordDoc(2, "2401.00002", "Neural networks", "Giraffes are tall.", ["Bo Giraffe"]),
            KeywordDoc(3, "2401.00003", "Dark matter", "Halos of dwarf galaxies.", ["Cy"]),
        ]
    )
    keyword.commit()
    words = ["giraffe", "neural", "networks"]
    missing = missing_words(keyword, words, [1, 2, 3])
    # stems count ("network" in "networks"; "giraffe" in "Giraffes"), author names too
    assert missing == {1: ("giraffe", "neural"), 2: (), 3: ("giraffe", "neural", "networks")}
    # words with digits (ids, years) are not reported; a long query is not reported at all
    assert missing_words(keyword, ["graph", "2024"], [1, 3]) == {1: (), 3: ("graph",)}
    long = [f"word{chr(97 + i)}" for i in range(9)]
    assert missing_words(keyword, ["graph", *["halos"] * 3, *long], [3]) == {}
    assert missing_words(keyword, [], [1]) == {} and missing_words(keyword, words, []) == {}
