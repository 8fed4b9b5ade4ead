"""The vector index: exact and HNSW search agree, filters act inside the search, files persist."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import numpy as np

from papertide.search.keyword import Filter, day_number
from papertide.search.vectors import RowMeta, VectorIndex

DIM = 32


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def build(path: Path, n: int, hnsw_min_rows: int) -> tuple[VectorIndex, np.ndarray]:
    rng = np.random.default_rng(1)
    vectors = unit(rng.normal(size=(n, DIM)))
    index = VectorIndex(path, "test-model", DIM)
    index.hnsw_min_rows = hnsw_min_rows
    index.exact_filtered_rows = 50
    metas = [
        RowMeta(
            # a batch that brings many new categories at once widens the bitset mid-batch
            categories=["math.CO"] if i % 10 == 0 else ["cs.LG", f"x{i % 37}.Y"],
            day=day_number(dt.date(2024, 1, 1)) + i % 30,
            has_code=i % 3 == 0,
            on_feed=i % 100 == 0,
        )
        for i in range(n)
    ]
    index.upsert(list(range(1, n + 1)), vectors, metas)
    return index, vectors


def test_exact_search_returns_nearest_by_cosine(tmp_path: Path) -> None:
    index, vectors = build(tmp_path / "v", 300, hnsw_min_rows=10_000)
    hits = index.search(vectors[41], 5)
    assert hits[0][0] == 42 and abs(hits[0][1] - 1.0) < 1e-3
    expected = np.argsort(-(vectors @ vectors[41]))[:5] + 1
    assert [h[0] for h in hits] == expected.tolist()


def test_hnsw_with_filters_finds_only_allowed_rows_and_the_best_of_them(tmp_path: Path) -> None:
    index, vectors = build(tmp_path / "v", 2000, hnsw_min_rows=500)
    assert index._hnsw is not None  # the graph was built past the threshold
    query = vectors[7]
    math_only = index.search(query, 10, Filter(categories=("math",)))
    assert len(math_only) == 10 and all((pid - 1) % 10 == 0 for pid, _ in math_only)
    allowed = np.arange(0, 2000, 10)
    best = allowed[np.argmax(vectors[allowed] @ query)] + 1
    assert math_only[0][0] == best  # the filtered best, not the remains of an unfiltered top-k
    coded = index.search(query, 10, Filter(has_code=True))  # 2/3 of rows: the graph path
    assert len(coded) == 10 and all((pid - 1) % 3 == 0 for pid, _ in coded)
    early = index.search(query, 5, Filter(date_to=dt.date(2024, 1, 2)))
    assert early and all((pid - 1) % 30 <= 1 for pid, _ in early)
    assert index.search(query, 5, Filter(categories=("astro-ph",))) == []


def test_update_delete_and_reload(tmp_path: Path) -> None:
    index, vectors = build(tmp_path / "v", 600, hnsw_min_rows=500)
    index.delete([1])
    index.upsert([2], unit(-vectors[1:2]), [RowMeta(categories=["astro-ph.GA"], on_feed=True)])
    index.save()
    again = VectorIndex.load(tmp_path / "v")
    assert again is not None and again.live_count == 599
    assert 1 not in again and 2 in again
    assert again.search(vectors[0], 3)[0][0] != 1
    assert [pid for pid, _ in again.search(-vectors[1], 1)] == [2]
    assert [pid for pid, _ in again.search(vectors[5], 3, Filter(categories=("astro-ph",)))] == [2]
    assert again.update_meta(3, RowMeta(categories=["astro-ph.SR"]))
    assert {p for p, _ in again.search(vectors[5], 5, Filter(categories=("astro-ph",)))} == {2, 3}


def test_loading_a_graph_then_the_embedder_does_not_crash(tmp_path: Path) -> None:
    """usearch imported before onnxruntime crashed the process; the index imports them in order."""
    index, _ = build(tmp_path / "v", 600, hnsw_min_rows=500)
    index.save()
    code = (
        "import sys; from pathlib import Path;"
        "from papertide.search.vectors import VectorIndex;"
        f"v = VectorIndex.load(Path({str(tmp_path / 'v')!r})); assert v._hnsw is not None;"
        "import onnxruntime; print('alive')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "alive"


def test_many_small_batches_across_save_and_load_keep_every_row(tmp_path: Path) -> None:
    """Rows are appended into growing buffers (a rebuild adds them a thousand at a time)."""
    rng = np.random.default_rng(3)
    vectors = unit(rng.normal(size=(2500, DIM)))
    index = VectorIndex(tmp_path / "v", "test-model", DIM)
    index.hnsw_min_rows = 1000
    for start in range(0, 1500, 7):  # odd batch sizes, past the graph threshold
        ids = list(range(start + 1, min(1500, start + 7) + 1))
        metas = [RowMeta(categories=[f"c{i % 3}.X"], has_code=i % 2 == 0) for i in ids]
        index.upsert(ids, vectors[start : start + len(ids)], metas)
    index.save()
    loaded = VectorIndex.load(tmp_path / "v")
    assert loaded is not None
    # The loaded columns are memory-mapped; appending after a load must copy, not write into them.
    for start in range(1500, 2500, 100):
        ids = list(range(start + 1, start + 101))
        loaded.upsert(ids, vectors[start : start + 100], [RowMeta(categories=["new.Y"])] * 100)
    assert loaded.live_count == 2500 and len(loaded.keys) == 2500
    for pid in (1, 777, 1500, 1501, 2500):
        assert loaded.search(vectors[pid - 1], 1)[0][0] == pid
    ids, stored = loaded.vectors_for([1, 1500, 2500])
    assert ids == [1, 1500, 2500]
    np.testing.assert_allclose(stored, vectors[[0, 1499, 2499]], atol=2e-3)
    new_only = loaded.search(vectors[0], 5, Filter(categories=("new",)))
    assert new_only and all(pid > 1500 for pid, _ in new_only)
    coded = loaded.search(vectors[1], 5, Filter(has_code=True, categories=("c1",)))
    assert coded and all(pid % 2 == 0 and pid % 3 == 1 and pid <= 1500 for pid, _ in coded)


def test_the_background_counts_the_papers_a_filter_allows(tmp_path: Path) -> None:
    from papertide.search.relevance import BackgroundModel

    index, vectors = build(tmp_path / "v", 3000, hnsw_min_rows=10**9)
    background = BackgroundModel.of(index, sample=600)
    assert background.docs == 3000
    assert background.allowed(Filter()) == 3000
    # every third paper has code; the sample's share estimates the allowed count
    assert abs(background.allowed(Filter(has_code=True)) - 1000) <= 50
    assert background.for_query(vectors[0], Filter(has_code=True)).docs < 1100
    assert background.for_query(vectors[0]).docs == 3000
    mask = index.allowed_rows(Filter(has_code=True), np.arange(0, 3000, 7))
    assert mask is not None and len(mask) == len(range(0, 3000, 7))
    assert mask.tolist() == [i % 3 == 0 for i in range(0, 3000, 7)]
