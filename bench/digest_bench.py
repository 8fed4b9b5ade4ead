"""Digest delivery at scale: N subscribers (default 10,000) with personalised content, composed
and handed to a local aiosmtpd server in one `send_due` run.

Data: the bundled sample (2,822 papers, 30 feed days) plus its shipped embeddings. Subscribers:
45% daily trending digests (each also gets "picked for you" from their own 3–20 seed papers),
35% personal recommendations, 15% category alerts, 5% saved-search alerts over 20 queries. Every
recommending subscriber has a different random library, so the content is personal.

    .venv/bin/python bench/digest_bench.py [--subscribers 10000] [--database-url URL]

Prints a table and writes bench/results/digest_bench.json. Goal: ≤ 60 s for 10,000.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "digest_bench.json"
QUERIES = [
    "diffusion models", "large language model reasoning", "reinforcement learning from feedback",
    "vision transformer", "mixture of experts", "retrieval augmented generation", "video models",
    "speech recognition", "multimodal benchmark", "code generation", "3D reconstruction",
    "robot manipulation", "graph neural networks", "quantization", "agents tool use",
    "image editing", "long context", "alignment safety", "math reasoning", "text to speech",
]  # fmt: skip


# The SMTP server runs in its own process, as a real one would: in-process it would compete with
# the sender for the GIL and we would measure the server as much as papertide.
SERVER = """
import sys, time
from aiosmtpd.controller import Controller
class Counting:
    count = 0
    async def handle_DATA(self, server, session, envelope):
        Counting.count += 1
        return "250 OK"
controller = Controller(Counting(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
sys.stdin.read()
controller.stop()
print(Counting.count, flush=True)
"""


def start_server(port: int) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "ready":
        raise SystemExit("the local SMTP server did not start")
    return proc


def stop_server(proc: subprocess.Popen[str]) -> int:
    out, _ = proc.communicate("", timeout=60)
    return int(out.strip().splitlines()[-1])


def build(settings: Any, engine: Any, n: int, seed: int) -> dict[str, Any]:
    from sqlalchemy import insert, select
    from sqlalchemy.orm import Session

    from papertide.ingest.sample import load_demo_data
    from papertide.models import SeedOwner
    from papertide.store.schema import FeedEntry, Paper, SeedPaper, Subscription

    started = time.perf_counter()
    load_demo_data(settings, engine)
    search_ready = _prepare_search(settings, engine)
    rng = random.Random(seed)
    with Session(engine) as db:
        paper_ids = list(db.scalars(select(Paper.id)))
        # The newest Monday–Thursday feed day: the next morning's mail covers exactly that day.
        days = db.scalars(select(FeedEntry.feed_date).distinct())
        last_day = max((d for d in days if d.weekday() <= 3), default=None)
        categories = sorted({c for (cs,) in db.execute(select(Paper.categories)) for c in cs})
    confirmed = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    subs = []
    for i in range(n):
        roll = rng.random()
        params: dict[str, Any]
        if roll < 0.45:
            kind, params = "daily_trending", {}
        elif roll < 0.80:
            kind, params = "recommendations", {}
        elif roll < 0.95:
            kind, params = "category", {"category": rng.choice(categories[:40])}
        elif search_ready is None:
            kind, params = "search", {"query": rng.choice(QUERIES), "min_relevance": 0.3}
        else:  # no search index: these become category alerts (reported in the results)
            kind, params = "category", {"category": rng.choice(categories[:40])}
        subs.append(
            {
                "email": f"reader{i}@bench.example",
                "kind": kind,
                "params": params,
                "frequency": "daily",
                "send_hour": 7,
                "timezone": "UTC",
                "status": "active",
                "confirmed_at": confirmed,
            }
        )
    with engine.begin() as conn:
        conn.execute(insert(Subscription), subs)
        rows = conn.execute(select(Subscription.id, Subscription.kind)).all()
        seeds = []
        for sub_id, kind in rows:
            if kind in ("daily_trending", "recommendations"):
                for pid in rng.sample(paper_ids, rng.randint(3, 20)):
                    seeds.append(
                        {
                            "owner": SeedOwner.for_subscription(sub_id).key,
                            "paper_id": pid,
                            "weight": 1.0,
                            "source": "ids",
                        }
                    )
        for start in range(0, len(seeds), 5000):
            conn.execute(insert(SeedPaper), seeds[start : start + 5000])
    assert last_day is not None
    return {
        "papers": len(paper_ids),
        "seeds": len(seeds),
        "feed_day_mailed": last_day.isoformat(),
        "setup_seconds": round(time.perf_counter() - started, 1),
        "search_alerts": "yes" if search_ready is None else f"no ({search_ready})",
    }


def _prepare_search(settings: Any, engine: Any) -> str | None:
    """Shipped sample vectors + a rebuilt index; None when ready, else the reason it is not."""
    try:
        from papertide.search.api import get_searcher
        from papertide.search.demo_vectors import load_sample_vectors

        searcher = get_searcher(settings)
        load_sample_vectors(engine, searcher.embedder.name)
        searcher.rebuild(engine)
    except Exception as exc:  # the search part is someone else's and may be mid-change
        return f"{type(exc).__name__}: {str(exc)[:120]}"
    return None


def _send_shard(settings: Any, now: dt.datetime, index: int, count: int, workers: int) -> Any:
    from papertide.digest.send import SendOptions, send_due
    from papertide.store.db import make_engine

    engine = make_engine(settings.effective_database_url)
    try:
        report = send_due(
            settings,
            engine,
            now,
            shard=(index, count),
            options=SendOptions(backoff=0.5, workers=workers),
        )
    finally:
        engine.dispose()
    return report, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def send_sharded(settings: Any, now: dt.datetime, count: int, workers: int) -> tuple[Any, float]:
    """`count` sender processes, as `papertide digest send --shard i/count` would run."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from papertide.digest.send import SendReport

    total = SendReport()
    peak = 0.0
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(count, mp_context=context) as pool:
        futures = [pool.submit(_send_shard, settings, now, i, count, workers) for i in range(count)]
        for future in futures:
            report, rss = future.result()
            peak = max(peak, rss)
            for name in ("due", "sent", "skipped", "already", "failed", "deferred"):
                setattr(total, name, getattr(total, name) + getattr(report, name))
            total.errors += report.errors
    return total, peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--profile", action="store_true", help="print the top cProfile entries")
    parser.add_argument("--workers", type=int, default=4, help="SMTP connections per sender")
    parser.add_argument(
        "--shards", type=int, default=1, help="sender processes, each `send_due(shard=(i, n))`"
    )
    args = parser.parse_args()

    from papertide.config import load_settings
    from papertide.digest.send import SendOptions, send_due
    from papertide.store.db import make_engine
    from papertide.store.migrate import upgrade

    workdir = Path(tempfile.mkdtemp(prefix="papertide-digest-bench-"))
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = start_server(port)
    settings = load_settings(
        data_dir=workdir,
        database_url=args.database_url or f"sqlite:///{workdir / 'bench.db'}",
        secret_key="bench-" + "x" * 40,
        mail_backend="smtp",
        smtp_host="127.0.0.1",
        smtp_port=port,
        mail_rate_per_second=1e9,
        base_url="https://papers.example.org",
    )
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    print(f"building {args.subscribers:,} subscribers in {workdir} …", file=sys.stderr)
    info = build(settings, engine, args.subscribers, args.seed)
    last_day = dt.date.fromisoformat(info["feed_day_mailed"])
    now = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(8), dt.UTC)
    load_before = round(os.getloadavg()[0], 1)  # a shared machine: say how busy it was
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
    if args.shards > 1:
        engine.dispose()  # each sender process opens its own connections
        report, child_rss = send_sharded(settings, now, args.shards, args.workers)
    else:
        report = send_due(
            settings, engine, now, options=SendOptions(backoff=0.5, workers=args.workers)
        )
        child_rss = 0.0
    seconds = time.perf_counter() - started
    if args.profile:
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(35)
    peak_rss = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, child_rss)
    rerun_started = time.perf_counter()
    rerun = send_due(settings, engine, now, options=SendOptions(backoff=0.5, workers=args.workers))
    rerun_seconds = time.perf_counter() - rerun_started
    received = stop_server(server)
    result = {
        "subscribers": args.subscribers,
        "database": engine.url.get_backend_name(),
        "workers": args.workers,
        "sender_processes": args.shards,
        "load_average_1min_before": load_before,
        "send_time": now.isoformat(),
        "seconds": round(seconds, 2),
        "messages": report.sent,
        "messages_per_second": round(report.sent / seconds, 1) if seconds else None,
        "skipped_nothing_relevant": report.skipped,
        "failed": report.failed,
        "deferred": report.deferred,
        "server_received": received,
        "peak_rss_mb": round(peak_rss, 1),
        "rss_before_send_mb": round(rss_before, 1),
        "rerun_seconds": round(rerun_seconds, 2),
        "rerun_sent": rerun.sent,
        **info,
        "goal_seconds": 60,
        "machine": platform.platform(),
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    return 0 if report.deferred == 0 and report.failed == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
