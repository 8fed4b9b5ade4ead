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
