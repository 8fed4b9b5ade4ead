"""Make `src/papertide/sample/sample_embeddings.npz`: vectors for every paper of the demo sample.

    .venv/bin/python bench/search_sample_vectors.py

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
    started = time.perf_counter()
    vectors = embedder.embed([paper_text(r.title, r.abstract or "") for r in rows])
    seconds = time.perf_counter() - started
    out = ROOT / "src" / "papertide" / "sample" / "sample_embeddings.npz"
    np.savez_compressed(
        out,
        model=np.array(embedder.name),
        arxiv_ids=np.array([r.arxiv_id for r in rows]),
        hashes=np.array([r.content_hash or content_hash(r.title, r.abstract or "") for r in rows]),
        vectors=vectors.astype(np.float16),
    )
    print(
        f"{len(rows)} papers embedded in {seconds:.1f} s ({len(rows) / seconds:.1f}/s); "
        f"{out} is {out.stat().st_size / 1e6:.1f} MB"
    )


if __name__ == "__main__":
    main()
