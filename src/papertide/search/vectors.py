"""The vector index: float16 rows on disk, exact search when small, HNSW (usearch) when large.

Each row also carries the filter columns of its paper (day, has code, on feed, categories as a
bitset), so a filtered semantic search scans exactly the allowed rows when they are few, or walks
the HNSW graph deeper until enough allowed rows are found: filters act inside retrieval.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from papertide.search.keyword import Filter, category_terms, day_number

HNSW_MIN_ROWS = 20_000  # below this an exact scan is as fast as the graph and exact
EXACT_FILTERED_ROWS = 20_000  # a filter leaving fewer rows than this is scanned exactly
FORMAT_VERSION = 1

F32 = npt.NDArray[np.float32]


@dataclass(frozen=True)
class RowMeta:
    categories: Sequence[str] = ()
    day: int = -1  # days since 1970-01-01 of first_announced, -1 unknown
    has_code: bool = False
    on_feed: bool = False


def usearch_index_class() -> Any:
    """usearch's Index, imported after onnxruntime.

    Importing usearch 2.26.6 before onnxruntime 1.31.1 makes the later onnxruntime import crash
    the process (SIGSEGV): a searcher that loaded its vectors first died when it embedded the
    first query. onnxruntime first is safe, so it is always imported here first.
    """
    import onnxruntime  # noqa: F401
    from usearch.index import Index

    return Index


class VectorIndex:
    """Unit vectors keyed by paper id, with the filter columns of each paper."""

    def __init__(self, path: Path, model: str, dim: int) -> None:
        self.path = path
        self.model = model
        self.dim = dim
        self.keys = np.zeros(0, dtype=np.int64)
        self.alive = np.zeros(0, dtype=bool)
        self.day = np.zeros(0, dtype=np.int32)
        self.flags = np.zeros(0, dtype=np.uint8)  # bit 0 has_code, bit 1 on_feed
        self.catbits = np.zeros((0, 8), dtype=np.uint8)
        self.vocab: dict[str, int] = {}
        self._matrix16 = np.zeros((0, dim), dtype=np.float16)
        self._matrix32: F32 | None = None
        self._hnsw: Any = None
        self._row_of: dict[int, int] = {}
        self._buffers: dict[str, np.ndarray] = {}
        self._dirty = False
        # Class-wide defaults; tests lower them to exercise the graph on small data.
        self.hnsw_min_rows = HNSW_MIN_ROWS
        self.exact_filtered_rows = EXACT_FILTERED_ROWS

    # Persistence -------------------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path, *, read_only: bool = False) -> VectorIndex | None:
        """The index saved in `path`, or None when there is none (or an older format).

        `read_only` (searching nodes) memory-maps the HNSW graph instead of reading it into
        the process: its pages are shared with the OS cache and with every other process on
        the machine serving the same files. Such an index cannot take new rows.
        """
        meta_file = path / "meta.json"
        if not meta_file.exists():
            return None
        meta = json.loads(meta_file.read_text())
        if meta.get("format") != FORMAT_VERSION:
            return None
        index = cls(path, meta["model"], int(meta["dim"]))
        index.vocab = {str(k): int(v) for k, v in meta["vocab"].items()}
        index.keys = np.load(path / "keys.npy")
        index.alive = np.load(path / "alive.npy")
        index.day = np.load(path / "day.npy")
        index.flags = np.load(path / "flags.npy")
        index.catbits = np.load(path / "catbits.npy")
        index._matrix16 = np.load(path / "vectors.npy", mmap_mode="r")
        index._row_of = {int(k): i for i, k in enumerate(index.keys.tolist()) if index.alive[i]}
        if (path / "hnsw.usearch").exists():
            index._hnsw = usearch_index_class().restore(str(path / "hnsw.usearch"), view=read_only)
        return index

    def save(self) -> None:
        if not self._dirty:
            return
        self.path.mkdir(parents=True, exist_ok=True)
        tmp = self.path / "tmp"
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
        np.save(tmp / "keys.npy", self.keys)
        np.save(tmp / "alive.npy", self.alive)
        np.save(tmp / "day.npy", self.day)
        np.save(tmp / "flags.npy", self.flags)
        np.save(tmp / "catbits.npy", self.catbits)
        np.save(tmp / "vectors.npy", np.asarray(self._matrix16))
        if self._hnsw is not None:
            self._hnsw.save(str(tmp / "hnsw.usearch"))
        meta = {
            "format": FORMAT_VERSION,
            "model": self.model,
            "dim": self.dim,
            "rows": len(self.keys),
            "vocab": self.vocab,
        }
        (tmp / "meta.json").write_text(json.dumps(meta))
        # Swap files in one by one; meta.json last, so a crash leaves the old index readable.
        for name in ("hnsw.usearch",):
            if not (tmp / name).exists() and (self.path / name).exists():
                (self.path / name).unlink()
        for item in sorted(tmp.iterdir(), key=lambda p: p.name == "meta.json"):
            item.replace(self.path / item.name)
        tmp.rmdir()
        self._matrix16 = np.load(self.path / "vectors.npy", mmap_mode="r")
        self._dirty = False

    # Writing -----------------------------------------------------------------------------------

    def _category_bits(self, categories: Sequence[str]) -> npt.NDArray[np.uint8]:
        """The bitset row of these categories (new terms widen every row first)."""
        return self._bitset_rows([categories])[0]

    def _bitset_rows(self, batch: Sequence[Sequence[str]]) -> npt.NDArray[np.uint8]:
        term_lists = [category_terms(categories) for categories in batch]
        for terms in term_lists:
            for term in terms:
                if term not in self.vocab:
                    self.vocab[term] = len(self.vocab)
        width = max(self.catbits.shape[1], math.ceil(len(self.vocab) / 8))
        if width > self.catbits.shape[1]:
            pad = np.zeros((len(self.catbits), width - self.catbits.shape[1]), dtype=np.uint8)
            self.catbits = np.hstack([self.catbits, pad])
        rows = np.zeros((len(term_lists), width), dtype=np.uint8)
        for i, terms in enumerate(term_lists):
            for term in terms:
                bit = self.vocab[term]
                rows[i, bit // 8] |= np.uint8(1 << (bit % 8))
        return rows

    def upsert(self, paper_ids: Sequence[int], vectors: F32, metas: Sequence[RowMeta]) -> None:
        """Add or replace the vectors (and filter columns) of these papers."""
        if not len(paper_ids):
            return
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.shape != (len(paper_ids), self.dim):
            raise ValueError(f"expected vectors of shape ({len(paper_ids)}, {self.dim})")
        self.delete(paper_ids)
        start = len(self.keys)
        cat_rows = self._bitset_rows([m.categories for m in metas])
        self._append("keys", np.asarray(paper_ids, dtype=np.int64))
        self._append("alive", np.ones(len(paper_ids), dtype=bool))
        self._append("day", np.array([m.day for m in metas], dtype=np.int32))
        flags = [int(m.has_code) | (int(m.on_feed) << 1) for m in metas]
        self._append("flags", np.array(flags, dtype=np.uint8))
        self._append("catbits", cat_rows)
        self._append("_matrix16", vectors.astype(np.float16))
        self._matrix32 = None
        for offset, paper_id in enumerate(paper_ids):
            self._row_of[int(paper_id)] = start + offset
        rows = np.arange(start, start + len(paper_ids), dtype=np.uint64)
        if self._hnsw is not None:
            self._hnsw.add(rows, vectors, threads=0)
        elif self.live_count >= self.hnsw_min_rows:
            self.build_hnsw()
        self._dirty = True

    def _append(self, column: str, rows: np.ndarray) -> None:
        """Append rows to a column array, growing its buffer geometrically.

        A rebuild adds a million rows a thousand at a time; copying whole columns on every
        batch (concatenate) made that quadratic. The column attribute stays a plain array (a
        view of the first rows of its buffer), so reads and in-place writes work as before.
        """
        current = getattr(self, column)
        n, need = len(current), len(current) + len(rows)
        buffer = self._buffers.get(column)
        if (
            buffer is None
            or current.base is not buffer  # replaced meanwhile (loaded, saved, widened)
            or not buffer.flags.writeable
            or len(buffer) < need
        ):
            buffer = np.empty((max(need, n * 3 // 2, 1024), *current.shape[1:]), current.dtype)
            buffer[:n] = current
            self._buffers[column] = buffer
        buffer[n:need] = rows
        setattr(self, column, buffer[:need])

    def update_meta(self, paper_id: int, meta: RowMeta) -> bool:
        """Change the filter columns of a paper whose vector is unchanged."""
        row = self._row_of.get(int(paper_id))
        if row is None:
            return False
        bits = self._category_bits(meta.categories)
        self.catbits[row, :] = 0
        self.catbits[row, : len(bits)] = bits
        self.day[row] = meta.day
        self.flags[row] = int(meta.has_code) | (int(meta.on_feed) << 1)
        self._dirty = True
        return True

    def delete(self, paper_ids: Sequence[int]) -> None:
        for paper_id in paper_ids:
            row = self._row_of.pop(int(paper_id), None)
            if row is not None:
                self.alive[row] = False
                if self._hnsw is not None:
                    self._hnsw.remove(row)
                self._dirty = True

    def build_hnsw(self) -> None:
        """(Re)build the graph over the live rows; int8 storage keeps it small (exact rescoring)."""
        hnsw = usearch_index_class()(
            ndim=self.dim,
            metric="cos",
            dtype="i8",
            connectivity=16,
            expansion_add=64,
            expansion_search=96,
        )
        rows = np.flatnonzero(self.alive).astype(np.uint64)
        for start in range(0, len(rows), 50_000):
            chunk = rows[start : start + 50_000]
            hnsw.add(chunk, np.asarray(self._matrix16[chunk.astype(np.int64)], np.float32))
        self._hnsw = hnsw
        self._dirty = True

    # Reading -----------------------------------------------------------------------------------

    @property
    def live_count(self) -> int:
        return len(self._row_of)

    def __contains__(self, paper_id: object) -> bool:
        return isinstance(paper_id, int) and paper_id in self._row_of

    def vectors_for(self, paper_ids: Sequence[int]) -> tuple[list[int], F32]:
        """(the ids that have a vector, their vectors)."""
        found = [int(p) for p in paper_ids if int(p) in self._row_of]
        rows = [self._row_of[p] for p in found]
        return found, np.asarray(self._matrix16[rows], dtype=np.float32).reshape(-1, self.dim)

    def allowed_rows(
        self, flt: Filter, rows: npt.NDArray[np.int64] | None = None
    ) -> npt.NDArray[np.bool_] | None:
        """A mask of rows that pass the filter (None: no filter); of `rows` only, when given."""
        if flt.empty_metadata:  # field clauses (`must`) are checked by the keyword index
            return None
        pick = slice(None) if rows is None else rows
        mask = self.alive[pick].copy()
        catbits, day, flags = self.catbits[pick], self.day[pick], self.flags[pick]
        if flt.categories:
            any_cat = np.zeros(len(mask), dtype=bool)
            for term in {c.strip().lower() for c in flt.categories}:
                bit = self.vocab.get(term)
                if bit is not None:
                    any_cat |= (catbits[:, bit // 8] & np.uint8(1 << (bit % 8))) != 0
            mask &= any_cat
        if flt.date_from is not None:
            mask &= day >= day_number(flt.date_from)
        if flt.date_to is not None:
            mask &= (day <= day_number(flt.date_to)) & (day >= 0)
        if flt.has_code is not None:
            mask &= ((flags & 1) != 0) == flt.has_code
        if flt.on_feed is not None:
            mask &= ((flags & 2) != 0) == flt.on_feed
        return mask

    def _exact(
        self, query: F32, rows: npt.NDArray[np.int64] | None, k: int
    ) -> list[tuple[int, float]]:
        if rows is None:
            if self._matrix32 is None:
                self._matrix32 = np.asarray(self._matrix16, dtype=np.float32)
            scores = self._matrix32 @ query
            scores = np.where(self.alive, scores, -np.inf)
            candidates = np.arange(len(scores))
        else:
            if not len(rows):
                return []
            scores = np.asarray(self._matrix16[rows], dtype=np.float32) @ query
            candidates = rows
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top])]
        return [
            (int(self.keys[candidates[i]]), float(scores[i])) for i in top if np.isfinite(scores[i])
        ]

    def search(self, query: F32, k: int, flt: Filter = Filter()) -> list[tuple[int, float]]:
        """(paper id, cosine) of the k nearest papers that pass the filter, best first."""
        if not self.live_count or k <= 0:
            return []
        query = np.asarray(query, dtype=np.float32).reshape(-1)
        mask = self.allowed_rows(flt)
        if mask is None and self._hnsw is None:
            return self._exact(query, None, k)
        if mask is not None:
            rows = np.flatnonzero(mask)
            if self._hnsw is None or len(rows) <= self.exact_filtered_rows:
                return self._exact(query, rows, k)
            fraction = len(rows) / max(self.live_count, 1)
        else:
            fraction = 1.0
        # Walk the graph deeper until k allowed rows are found; rescore them exactly.
        want = min(self.live_count, max(k, math.ceil(k / fraction * 1.5)))
        while True:
            matches = self._hnsw.search(query, count=want)
            found = np.asarray(matches.keys, dtype=np.int64)
            if mask is not None:
                found = found[mask[found]]
            if len(found) >= k or want >= self.live_count:
                break
            want = min(self.live_count, want * 2)
        return self._exact(query, found, k)
