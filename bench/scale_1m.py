"""A 1,000,000-paper installation on PostgreSQL: import, embed, index, disk, search, feed, RSS.

    .venv/bin/python bench/scale_1m.py                     # the full million (long: see below)
    .venv/bin/python bench/scale_1m.py --papers 300000     # a smaller run, same steps

Steps, each timed and written to bench/results/scale_<N>.json as soon as it finishes (a run cut
short keeps what it measured):

1. import: the 158,898 real papers of the shared file through `papertide import jsonl`
   (the real pipeline), into a fresh schema on the local PostgreSQL;
2. synthetic: copies of them with new ids (`s<k>.<arxiv id>`, title suffixed) made in SQL
   until N papers, with their category rows — the import time for N is also extrapolated from
   the pipeline's measured rate;
3. embed: the bundled model on 1,000 real papers (--embed-sample) → papers/s → time for N,
   extrapolated (a full embedding of a million papers takes hours on 2 cores);
4. vectors: every paper gets a stored vector so the vector index has N entries — real ones for
   the embedded sample, perturbed copies of real MiniLM vectors for the rest (relevance is
   measured elsewhere, on SciFact; the graph's build and search cost depend on the vectors'
   shape, so they are shaped like real ones), then ANALYZE as after any bulk load;
5. index build: `Searcher.rebuild` (keyword BM25 + HNSW vectors) from the database;
6. disk: PostgreSQL table+index sizes of the schema, and the index folder;
7. serve: one `papertide serve` on the index; search p50/p95 over 300 title queries
   (hybrid and keyword), feed page req/s with wrk (64 connections, 20 s), RSS of the node.

Goals from issue 7: search p95 ≤ 100 ms, RSS ≤ 3 GB per web node, feed page ≥ 1,000 req/s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from papertide.config import load_settings  # noqa: E402
from papertide.store.db import make_engine  # noqa: E402
from papertide.store.migrate import upgrade  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "arxiv" / "arxiv_papers.jsonl.gz"
PG_URL = os.environ.get(
    "PAPERTIDE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results"


class Run:
    def __init__(self, papers: int, suffix: str = "") -> None:
        self.path = RESULTS / f"scale_{papers}{suffix}.json"
        self.data: dict[str, Any] = {
            "papers_target": papers,
            "started": dt.datetime.now(dt.UTC).isoformat(),
            "machine": f"{os.cpu_count()} cores, shared",
        }

    def record(self, key: str, value: Any) -> None:
        self.data[key] = value
        RESULTS.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.data, indent=2, default=str) + "\n")
        print(f"{key:<28}{json.dumps(value, default=str)}", flush=True)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def step_import(run: Run, url: str, tmp: Path, source: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERTIDE_")}
    env.update(
        PAPERTIDE_DATABASE_URL=url,
        PAPERTIDE_DATA_DIR=str(tmp / "import"),
        PAPERTIDE_CONFIG=str(tmp / "absent.toml"),
    )
    started = time.perf_counter()
    proc = subprocess.run(
        [str(BIN / "papertide"), "import", "jsonl", str(source), "--json"],
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"import failed: {proc.stderr[-2000:]}")
    report = json.loads(proc.stdout)
    papers = report.get("papers", {})
    inserted = papers.get("inserted", 0) if isinstance(papers, dict) else papers
    run.record(
        "import_real",
        {
            "papers": inserted,
            "seconds": round(seconds, 1),
            "papers_per_s": round(inserted / seconds),
        },
    )


def step_synthetic(run: Run, url: str, target: int) -> None:
    engine = make_engine(url)
    started = time.perf_counter()
    with engine.begin() as conn:
        real = conn.execute(text("SELECT count(*) FROM papers")).scalar_one()
        need = max(0, target - real)
        copies = -(-need // real) if real else 0
        conn.execute(
            text(
                """
                INSERT INTO papers (arxiv_id, title, abstract, authors, categories,
                    primary_category, comment, journal_ref, doi, license, latest_version,
                    published_at, revised_at, first_announced, withdrawn, code_links,
                    project_page, github_stars, content_hash, created_at, updated_at)
                SELECT 's' || k || '.' || p.arxiv_id, p.title || ' (variant ' || k || ')',
                    p.abstract, p.authors, p.categories, p.primary_category, p.comment,
                    p.journal_ref, p.doi, p.license, p.latest_version, p.published_at,
                    p.revised_at, p.first_announced, p.withdrawn, p.code_links, p.project_page,
                    p.github_stars, '', now(), now()
                FROM generate_series(1, :copies) AS k
                CROSS JOIN (SELECT * FROM papers WHERE arxiv_id !~ '^s[0-9]+[.]' ORDER BY id) AS p
                LIMIT :need
                """
            ),
            {"copies": copies, "need": need},
        )
        conn.execute(
            text(
                """
                INSERT INTO paper_categories (paper_id, category)
                SELECT s.id, c.category FROM papers s
                JOIN papers p
                  ON p.arxiv_id = substring(s.arxiv_id from position('.' in s.arxiv_id) + 1)
                JOIN paper_categories c ON c.paper_id = p.id
                WHERE s.arxiv_id ~ '^s[0-9]+[.]'
                ON CONFLICT DO NOTHING
                """
            )
        )
        total = conn.execute(text("SELECT count(*) FROM papers")).scalar_one()
    conn_seconds = time.perf_counter() - started
    engine.dispose()
    rate = run.data["import_real"]["papers_per_s"]
    run.record(
        "synthetic",
        {
            "papers_total": total,
            "synthetic_added": total - real,
            "sql_seconds": round(conn_seconds, 1),
            "pipeline_import_extrapolated_s": round(total / rate) if rate else None,
        },
    )


def step_embed_and_vectors(run: Run, url: str, tmp: Path, sample: int) -> tuple[str, int]:
    from papertide.embed.job import embed_pending
    from papertide.embed.registry import get_embedder

    settings = load_settings(data_dir=tmp / "embed", database_url=url, secret_key="s" * 40)
    embedder = get_embedder(settings)
    engine = make_engine(url)
    started = time.perf_counter()
    report = embed_pending(engine, embedder, limit=sample)
    seconds = time.perf_counter() - started
    rate = report.embedded / seconds if seconds else 0.0
    with engine.connect() as conn:
        total = conn.execute(text("SELECT count(*) FROM papers")).scalar_one()
    run.record(
        "embed",
        {
            "model": embedder.name,
            "measured_papers": report.embedded,
            "papers_per_s": round(rate, 1),
            "extrapolated_hours_for_all": round(total / rate / 3600, 1) if rate else None,
        },
    )
    # Every paper still without a vector gets a perturbed copy of a real one (the bundled demo
    # sample's MiniLM vectors + gaussian noise, as bench/search_latency.py): the graph then has
    # the clustered shape of real embeddings. Uniformly random vectors are the worst case for
    # HNSW (3x slower to insert here) and look like no real collection.
    from search_latency import synthetic_vectors

    started = time.perf_counter()
    rng = np.random.default_rng(7)
    dim = int(embedder.dim)
    with engine.connect() as conn:
        ids = (
            conn.execute(
                text(
                    "SELECT p.id FROM papers p LEFT JOIN embeddings e ON e.paper_id = p.id "
                    "WHERE e.paper_id IS NULL ORDER BY p.id"
                )
            )
            .scalars()
            .all()
        )
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        now = dt.datetime.now(dt.UTC)
        with cur.copy(
            "COPY embeddings (paper_id, model, dim, vector, content_hash, updated_at) FROM STDIN"
        ) as copy:
            every = synthetic_vectors(len(ids), rng).astype("<f4")
            for start in range(0, len(ids), 20_000):
                chunk = ids[start : start + 20_000]
                vecs = every[start : start + 20_000]
                for pid, vec in zip(chunk, vecs, strict=True):
                    copy.write_row((pid, embedder.name, dim, vec.tobytes(), "synthetic", now))
        raw.commit()
    finally:
        raw.close()
    # After a bulk load, as a DBA would (autovacuum gets there too, later): without fresh
    # statistics the planner reads the index-sync cursor pages with sequential scans.
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()
    run.record(
        "vectors",
        {
            "perturbed_real_vectors": len(ids),
            "dim": dim,
            "seconds": round(time.perf_counter() - started, 1),
        },
    )
    return embedder.name, dim


def step_index(run: Run, url: str, index_dir: Path) -> None:
    from papertide.search.api import Searcher

    settings = load_settings(
        data_dir=index_dir.parent, database_url=url, index_dir=index_dir, secret_key="s" * 40
    )
    started = time.perf_counter()
    report = Searcher(settings).rebuild(make_engine(url))
    run.record(
        "index_build",
        {
            "seconds": round(time.perf_counter() - started, 1),
            "report": getattr(report, "__dict__", str(report)),
        },
    )


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def step_disk(run: Run, url: str, schema: str, index_dir: Path) -> None:
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = :s AND c.relkind = 'r' ORDER BY 2 DESC"
            ),
            {"s": schema},
        ).all()
    engine.dispose()
    tables = {name: size for name, size in rows}
    run.record(
        "disk",
        {
            "postgresql_bytes": sum(tables.values()),
            "postgresql_gb": round(sum(tables.values()) / 1e9, 2),
            "largest_tables_mb": {k: round(v / 1e6) for k, v in list(tables.items())[:5]},
            "index_dir_gb": round(du(index_dir) / 1e9, 2),
        },
    )


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident memory of a process; RssAnon is its own, RssFile the index files it has mapped
    (page cache, shared with other processes and reclaimable)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def step_serve(run: Run, url: str, tmp: Path, index_dir: Path) -> None:
    engine = make_engine(url)
    with engine.connect() as conn:
        titles = (
            conn.execute(
                text(
                    "SELECT title FROM papers WHERE arxiv_id !~ '^s[0-9]+[.]' "
                    "ORDER BY random() LIMIT 300"
                )
            )
            .scalars()
            .all()
        )
    engine.dispose()
    rnd = random.Random(3)
    queries = [
        " ".join(rnd.sample(w, min(3, len(w))))
        for t in titles
        if (w := re.findall(r"[A-Za-z]{4,}", t))
    ]
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERTIDE_")}
    env.update(
        PAPERTIDE_DATABASE_URL=url,
        PAPERTIDE_DATA_DIR=str(tmp / "node"),
        PAPERTIDE_INDEX_DIR=str(index_dir),
        PAPERTIDE_CONFIG=str(tmp / "absent.toml"),
        PAPERTIDE_SECRET_KEY="s" * 40,
        PAPERTIDE_INDEX_SYNC_SECONDS="30",
        PAPERTIDE_LOG_LEVEL="WARNING",
    )
    log = (tmp / "node.log").open("wb")
    node = subprocess.Popen(
        [str(BIN / "papertide"), "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(1)
        rss_idle = rss_mb(node.pid)
        results: dict[str, Any] = {"rss_mb_ready": round(rss_idle)}
        with httpx.Client(base_url=base, timeout=60) as http:
            for mode in ("keyword", "hybrid"):
                for q in queries[:10]:  # warm-up: first use loads files and the model
                    http.get("/api/papers/search", params={"q": q, "mode": mode})
                times = []
                for q in queries:
                    started = time.perf_counter()
                    reply = http.get("/api/papers/search", params={"q": q, "mode": mode})
                    times.append((time.perf_counter() - started) * 1000)
                    if reply.status_code != 200:
                        results.setdefault("search_errors", 0)
                        results["search_errors"] += 1
                times.sort()
                results[f"search_{mode}_p50_ms"] = round(statistics.median(times), 1)
                results[f"search_{mode}_p95_ms"] = round(times[int(len(times) * 0.95) - 1], 1)
        wrk = subprocess.run(
            ["wrk", "-t2", "-c64", "-d20s", "--timeout", "10s", "--latency", f"{base}/"],
            capture_output=True,
            text=True,
        )
        match = re.search(r"Requests/sec:\s+([\d.]+)", wrk.stdout)
        non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", wrk.stdout)
        results["feed_req_per_s"] = float(match.group(1)) if match else None
        results["feed_non_2xx"] = int(non2xx.group(1)) if non2xx else 0
        results["rss_mb_after_load"] = round(rss_mb(node.pid))
        results["rss_anon_mb_after_load"] = round(rss_mb(node.pid, "RssAnon"))
        results["rss_file_mb_after_load"] = round(rss_mb(node.pid, "RssFile"))
        run.record("serve", results)
    finally:
        node.send_signal(signal.SIGTERM)
        try:
            node.wait(timeout=30)
        except subprocess.TimeoutExpired:
            node.kill()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--papers", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the schema and index afterwards")
    parser.add_argument("--embed-sample", type=int, default=1000, help="papers embedded to time")
    parser.add_argument(
        "--real-limit", type=int, default=None, help="import only the first K real papers (smoke)"
    )
    args = parser.parse_args()
    if not SHARED.exists():
        raise SystemExit(f"needs the shared arXiv file at {SHARED}")
    run = Run(args.papers, "_smoke" if args.real_limit else "")
    schema = f"pt_scale_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    tmp = Path(tempfile.mkdtemp(prefix="pt-scale-"))
    index_dir = tmp / "index"
    try:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        source = SHARED
        if args.real_limit:
            import gzip
            import itertools

            source = tmp / "first.jsonl.gz"
            with gzip.open(SHARED, "rb") as src, gzip.open(source, "wb") as dst:
                dst.writelines(itertools.islice(src, args.real_limit))
        step_import(run, url, tmp, source)
        step_synthetic(run, url, args.papers)
        step_embed_and_vectors(run, url, tmp, args.embed_sample)
        step_index(run, url, index_dir)
        step_disk(run, url, schema, index_dir)
        step_serve(run, url, tmp, index_dir)
        run.record("finished", dt.datetime.now(dt.UTC).isoformat())
    finally:
        if not args.keep:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            subprocess.run(["rm", "-rf", str(tmp)], check=False)
        admin.dispose()
    print(f"wrote {run.path}")


if __name__ == "__main__":
    main()
