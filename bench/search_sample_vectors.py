"""Make `src/papertide/sample/sample_embeddings.npz`: vectors for every paper of the demo sample.

    .venv/bin/python bench/search_sample_vectors.py [--all]   # --all: embed every paper again

Loads the bundled sample into a temporary SQLite database (the same import `papertide demo`
runs), embeds title + abstract of every paper with the default model, and stores float16 vectors
keyed by arXiv id with the model name and each paper's content hash (a paper whose text changes
later is re-embedded by the job instead of getting a stale shipped vector).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sqlalchemy import select  # noqa: E402

from papertide.config import Settings  # noqa: E402
from papertide.embed.base import paper_text  # noqa: E402
from papertide.embed.registry import get_embedder  # noqa: E402
from papertide.ingest.sample import load_demo_data  # noqa: E402
from papertide.models import content_hash  # noqa: E402
from papertide.store.db import make_engine  # noqa: E402
from papertide.store.migrate import upgrade  # noqa: E402
from papertide.store.schema import Paper  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), database_url=f"sqlite:///{tmp}/sample.db")
        engine = make_engine(settings.effective_database_url)
        upgrade(engine)
        load_demo_data(settings, engine)
        with engine.connect() as conn:
            rows = conn.execute(
                select(Paper.arxiv_id, Paper.title, Paper.abstract, Paper.content_hash).order_by(
                    Paper.arxiv_id
                )
            ).all()
        engine.dispose()
    embedder = get_embedder(Settings(data_dir=Path(tempfile.gettempdir())))
    out = ROOT / "src" / "papertide" / "sample" / "sample_embeddings.npz"
    # Vectors already shipped for the same model and text are kept (the model is
    # deterministic): adding papers to the sample embeds only the new ones.
    kept: dict[tuple[str, str], np.ndarray] = {}
    if out.exists() and "--all" not in sys.argv:
        with np.load(out) as old:
            if str(old["model"]) == embedder.name:
                kept = {
                    (str(a), str(h)): v
                    for a, h, v in zip(old["arxiv_ids"], old["hashes"], old["vectors"], strict=True)
                }
    hashes = [r.content_hash or content_hash(r.title, r.abstract or "") for r in rows]
    todo = [i for i, r in enumerate(rows) if (r.arxiv_id, hashes[i]) not in kept]
    started = time.perf_counter()
    fresh = embedder.embed([paper_text(rows[i].title, rows[i].abstract or "") for i in todo])
    seconds = time.perf_counter() - started
    vectors = np.zeros((len(rows), embedder.dim), dtype=np.float16)
    for i, r in enumerate(rows):
        if (r.arxiv_id, hashes[i]) in kept:
            vectors[i] = kept[(r.arxiv_id, hashes[i])]
    for j, i in enumerate(todo):
        vectors[i] = fresh[j]
    np.savez_compressed(
        out,
        model=np.array(embedder.name),
        arxiv_ids=np.array([r.arxiv_id for r in rows]),
        hashes=np.array(hashes),
        vectors=vectors.astype(np.float16),
    )
    print(
        f"{len(todo)} of {len(rows)} papers embedded in {seconds:.1f} s "
        f"({len(todo) / max(seconds, 1e-9):.1f}/s; the rest kept from the shipped file); "
        f"{out} is {out.stat().st_size / 1e6:.1f} MB"
    )


if __name__ == "__main__":
    main()
