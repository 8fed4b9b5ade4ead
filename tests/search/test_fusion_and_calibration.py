"""Fusion of normalised scores and the calibration maths, without any index."""

from __future__ import annotations

import numpy as np
import pytest

from papertide.search.calibration import (
    FEATURES,
    Calibrator,
    QueryEvidence,
    expected_calibration_error,
    feature_rows,
    feature_table,
    fit_calibrator,
)
from papertide.search.fusion import fuse, normalise


def test_zscore_and_minmax_normalisation() -> None:
    z = normalise(np.array([1.0, 2.0, 3.0]), "zscore")
    assert z.mean() == pytest.approx(0.0) and z.std() == pytest.approx(1.0)
    assert normalise(np.array([2.0, 4.0, 3.0]), "minmax").tolist() == [0.0, 1.0, 0.5]
    assert normalise(np.array([5.0, 5.0]), "zscore").tolist() == [0.0, 0.0]


def test_weight_moves_the_ranking_between_the_two_retrievers() -> None:
    keyword = {1: 10.0, 2: 5.0, 3: 0.0}
    semantic = {1: 0.2, 2: 0.3, 3: 0.9}
    assert fuse(keyword, semantic, 0.0).paper_ids[0] == 1
    assert fuse(keyword, semantic, 1.0).paper_ids[0] == 3
    # in between, the paper good at both wins
    balanced = fuse({1: 10.0, 2: 9.0, 3: 0.0}, {1: 0.1, 2: 0.8, 3: 0.9}, 0.5)
    assert balanced.paper_ids[0] == 2


def test_candidates_found_by_one_retriever_get_the_other_score_filled() -> None:
    fused = fuse({1: 3.0}, {2: 0.5}, 0.5)
    by_id = dict(zip(fused.paper_ids, fused.keyword.tolist(), strict=True))
    assert by_id == {1: 3.0, 2: 0.0}  # no keyword match = BM25 0
    # a paper without a vector yet counts as the lowest cosine, not as missing
    assert np.isnan(fused.semantic[fused.paper_ids.index(1)])
    assert np.isfinite(fused.fused).all()


def test_empty_candidates_fuse_to_nothing() -> None:
    assert fuse({}, {}, 0.5).paper_ids == []


def test_features_have_one_row_per_result_and_rank_first_marked() -> None:
    fused = fuse({1: 3.0, 2: 2.0, 3: 1.0}, {1: 0.9, 2: 0.5, 3: 0.1}, 0.5)
    evidence = QueryEvidence(["a", "b"], np.array([1.0, 1.0]), np.ones((3, 2), dtype=bool))
    rows = feature_rows(feature_table(fused, evidence, None, depth=2), FEATURES)
    assert rows.shape == (2, len(FEATURES))
    log_rank = rows[:, FEATURES.index("log_rank")]
    assert log_rank[0] == 0.0 and log_rank[1] > 0.0


def test_fitted_calibrator_orders_probabilities_by_evidence_and_round_trips() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 3))
    y = (x[:, 0] + 0.3 * rng.normal(size=400) > 0.5).astype(int)
    cal = fit_calibrator(x, y, features=("cos", "cos_z", "coverage"))
    probs = cal.predict(np.array([[2.0, 0, 0], [-2.0, 0, 0]]))
    assert probs[0] > 0.9 > 0.1 > probs[1]
    again = Calibrator.from_dict(cal.to_dict())
    assert np.allclose(again.predict(x[:5]), cal.predict(x[:5]), atol=1e-4)
    assert expected_calibration_error(cal.predict(x), y) < 0.1


def test_ece_of_a_confident_wrong_model_is_large() -> None:
    assert expected_calibration_error(np.full(10, 0.95), np.zeros(10, dtype=int)) > 0.9
