"""Load (and optionally a PostgreSQL outage) against two papertide web nodes, with wrk.

    .venv/bin/python bench/load_mixed.py                      # 60 s, 64 connections, two nodes
    .venv/bin/python bench/load_mixed.py --fault-pg           # + stop PostgreSQL for 10 s

Sets up its own installation: a fresh schema on the local PostgreSQL with the bundled sample
(3,098 papers, 600 feed entries, their shipped vectors), two `papertide serve` processes on
free loopback ports, each with its own index folder, sharing Redis for rate limits. wrk runs
one process per node (half the connections each) over a weighted mix of feed, paper, search,
trending and JSON API routes picked at random per request, and counts every status code.

--fault-pg stops the shared PostgreSQL server for 10 s in the middle of the run and starts it
again in a `finally`, whatever happens. Other people use that server: run it once, late, on
purpose (it refuses before 17:50 UTC unless --force). It then checks: requests during the
outage got 503 (not 500s, no hangs/timeouts), both nodes report ready again by themselves, and
a row written just before the stop is still there.

Prints a table and writes bench/results/load_mixed[_fault].json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from papertide.config import load_settings  # noqa: E402
from papertide.store.db import make_engine  # noqa: E402
from papertide.store.migrate import upgrade  # noqa: E402

PG_URL = os.environ.get(
    "PAPERTIDE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("PAPERTIDE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
PAPERTIDE = str(Path(sys.executable).with_name("papertide"))
RESULTS = ROOT / "bench" / "results"

LUA = r"""
local paths = {%(paths)s}
local words = {%(words)s}
counts = {}
local rng_seeded = false
function request()
  if not rng_seeded then
    math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16)); rng_seeded = true
  end
  local path = paths[math.random(#paths)]
  -- A fresh two-word query per search request: no cache of ours sees the same query twice
  -- (but for chance), so searches cost what a new query costs.
  path = path:gsub("{q}", function()
    return words[math.random(#words)] .. "+" .. words[math.random(#words)]
  end)
  -- Many readers behind one proxy (the nodes trust 127.0.0.1): per-client limits such as the
  -- search limit apply to each of them, not to wrk as a whole.
  local client = string.format("10.%%d.%%d.%%d", math.random(0, 255), math.random(0, 255),
    math.random(1, 254))
  return wrk.format("GET", path, {["Accept-Encoding"] = "gzip", ["X-Forwarded-For"] = client})
end
function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end
local threads = {}
function setup(thread) table.insert(threads, thread) end
function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    local c = t:get("counts")
    for k, v in pairs(c) do total[k] = (total[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(total) do table.insert(parts, string.format('"%%d": %%d', k, v)) end
  io.write("STATUS_COUNTS {" .. table.concat(parts, ", ") .. "}\n")
  io.write(string.format("LATENCY_US {\"p50\": %%d, \"p90\": %%d, \"p99\": %%d, \"max\": %%d}\n",
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
  io.write(string.format("TOTALS {\"requests\": %%d, \"duration_us\": %%d, " ..
    "\"timeouts\": %%d, \"connect_errors\": %%d, \"read_errors\": %%d, " ..
    "\"write_errors\": %%d, \"status_errors\": %%d}\n",
    summary.requests, summary.duration, summary.errors.timeout, summary.errors.connect,
    summary.errors.read, summary.errors.write, summary.errors.status))
end
"""


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(predicate: Any, what: str, limit: float = 300.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        try:
            if predicate():
                return time.monotonic() - started
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(0.25)
    raise SystemExit(f"gave up waiting for {what}")


def ready(url: str) -> bool:
    return httpx.get(f"{url}/readyz", timeout=5).status_code == 200


def prepare(url: str, data_dir: Path) -> dict[str, Any]:
    """Migrate, load the bundled sample and its vectors; return the request mix inputs."""
    from papertide.embed.registry import get_embedder
    from papertide.ingest.sample import load_demo_data
    from papertide.search.demo_vectors import load_sample_vectors
    from papertide.store.schema import FeedEntry, Paper

    settings = load_settings(data_dir=data_dir, database_url=url, secret_key="b" * 40)
    engine = make_engine(url)
    upgrade(engine)
    load_demo_data(settings, engine)
    load_sample_vectors(engine, get_embedder(settings).name)
    with engine.connect() as conn:
        ids = conn.execute(select(Paper.arxiv_id).order_by(Paper.id).limit(400)).scalars().all()
        days = conn.execute(select(FeedEntry.feed_date).distinct()).scalars().all()
        titles = conn.execute(select(Paper.title).limit(200)).scalars().all()
    engine.dispose()
    words = sorted({w.lower() for t in titles for w in re.findall(r"[A-Za-z]{6,}", t)})
    return {"ids": ids, "days": [d.isoformat() for d in days], "words": words}


def request_mix(inputs: dict[str, Any], seed: int = 7) -> list[str]:
    """About 1,000 paths; the weights are how often each kind of page is asked for."""
    rnd = random.Random(seed)
    ids, days = inputs["ids"], inputs["days"]

    def query() -> str:
        return "{q}"  # filled in by wrk per request (see LUA)

    kinds: list[tuple[int, Any]] = [
        (15, lambda: "/"),
        (5, lambda: f"/papers/date/{rnd.choice(days)}"),
        (10, lambda: "/api/daily_papers"),
        (15, lambda: f"/papers/{rnd.choice(ids)}"),
        (10, lambda: f"/api/papers/{rnd.choice(ids)}"),
        (8, lambda: f"/search?q={query()}"),
        (7, lambda: f"/api/papers/search?q={query()}"),
        (10, lambda: "/trending"),
        (5, lambda: "/api/trending"),
        (5, lambda: "/feed.rss"),
        (5, lambda: "/c/cs.LG"),
        (5, lambda: "/trending.atom"),
    ]
    paths: list[str] = []
    for weight, make in kinds:
        paths.extend(make() for _ in range(weight * 10))
    rnd.shuffle(paths)
    return paths


def run_wrk(url: str, script: Path, connections: int, duration: int, out: list[str]) -> None:
    proc = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "10s",
            "--latency",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        timeout=duration + 120,
    )
    out.append(proc.stdout + proc.stderr)


def parse_wrk(output: str) -> dict[str, Any]:
    def grab(tag: str) -> dict[str, Any]:
        match = re.search(rf"^{tag} (\{{.*\}})$", output, re.M)
        return json.loads(match.group(1)) if match else {}

    totals = grab("TOTALS")
    latency = grab("LATENCY_US")
    statuses = {int(k): v for k, v in grab("STATUS_COUNTS").items()}
    seconds = totals.get("duration_us", 1) / 1e6
    return {
        "requests": totals.get("requests", 0),
        "req_per_s": totals.get("requests", 0) / seconds if seconds else 0.0,
        "p50_ms": latency.get("p50", 0) / 1000,
        "p90_ms": latency.get("p90", 0) / 1000,
        "p99_ms": latency.get("p99", 0) / 1000,
        "max_ms": latency.get("max", 0) / 1000,
        "statuses": statuses,
        "timeouts": totals.get("timeouts", 0),
        "socket_errors": sum(
            totals.get(k, 0) for k in ("connect_errors", "read_errors", "write_errors")
        ),
        "raw": output,
    }


def pg_cluster_version() -> str:
    return sorted(os.listdir("/etc/postgresql"))[0]


def pg_ctl(action: str) -> None:
    # PAPERTIDE_BENCH_PG_CTL=true makes a dry run of the fault path without touching the server.
    override = os.environ.get("PAPERTIDE_BENCH_PG_CTL")
    command = (
        [override, action]
        if override
        else ["pg_ctlcluster", "--skip-systemctl-redirect", pg_cluster_version(), "main", action]
    )
    subprocess.run(command, check=True, timeout=120)


def outage(after: float, seconds: float, log: dict[str, Any], url: str) -> None:
    """Write a marker row, stop PostgreSQL for `seconds`, and ALWAYS start it again."""
    time.sleep(after)
    marker = f"bench-marker-{uuid.uuid4().hex[:8]}"
    from papertide.store.schema import Paper

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(insert(Paper).values(arxiv_id=marker, title="before the stop"))
    engine.dispose()
    log["marker"] = marker
    log["stopped_at"] = time.time()
    try:
        pg_ctl("stop")
        time.sleep(seconds)
    finally:
        pg_ctl("start")
        log["started_at"] = time.time()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--connections", type=int, default=64, help="in total, split over nodes")
    parser.add_argument("--fault-pg", action="store_true", help="stop PostgreSQL for 10 s")
    parser.add_argument("--force", action="store_true", help="allow --fault-pg before 17:50 UTC")
    args = parser.parse_args()
    now = dt.datetime.now(dt.UTC)
    if args.fault_pg and not args.force and now.time() < dt.time(17, 50):
        raise SystemExit(
            "--fault-pg stops the shared PostgreSQL: run it after 17:50 UTC (or --force)"
        )

    schema = f"pt_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    procs: list[subprocess.Popen[bytes]] = []
    tmp = Path(tempfile.mkdtemp(prefix="pt-load-"))
    try:
        t0 = time.monotonic()
        inputs = prepare(url, tmp / "setup")
        print(f"installation ready in {time.monotonic() - t0:.1f} s ({len(inputs['ids'])} ids)")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERTIDE_")}
        env.update(
            PAPERTIDE_CONFIG=str(tmp / "absent.toml"),
            PAPERTIDE_DATABASE_URL=url,
            PAPERTIDE_SECRET_KEY="bench-" + uuid.uuid4().hex,
            PAPERTIDE_REDIS_URL=REDIS_URL,
            PAPERTIDE_QUEUE_NAME=f"pt-bench-{uuid.uuid4().hex[:8]}",
            PAPERTIDE_INDEX_SYNC_SECONDS="5",
            PAPERTIDE_LOG_LEVEL="WARNING",
            PAPERTIDE_MAIL_BACKEND="null",
            PAPERTIDE_TRUSTED_PROXIES='["127.0.0.1"]',
        )
        nodes = []
        for name in ("a", "b"):
            port = free_port()
            node_env = dict(
                env,
                PAPERTIDE_DATA_DIR=str(tmp / name),
                PAPERTIDE_INDEX_DIR=str(tmp / name / "index"),
            )
            log = (tmp / f"{name}.log").open("wb")
            procs.append(
                subprocess.Popen(
                    [PAPERTIDE, "serve", "--host", "127.0.0.1", "--port", str(port)],
                    env=node_env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=tmp,
                )
            )
            nodes.append(f"http://127.0.0.1:{port}")
        for node in nodes:
            took = wait_for(lambda n=node: ready(n), f"{node} to be ready")
            print(f"{node} ready after {took:.1f} s")
        paths = request_mix(inputs)
        # Warm each node once per distinct kind of page (first-use loads: model, templates).
        for node in nodes:
            for path in paths[:50]:
                httpx.get(node + path.replace("{q}", "graph+learning"), timeout=60)
        script = tmp / "mix.lua"
        script.write_text(
            LUA
            % {
                "paths": ", ".join(json.dumps(p) for p in paths),
                "words": ", ".join(json.dumps(w) for w in inputs["words"]),
            }
        )

        outputs: list[str] = []
        per_node = max(1, args.connections // len(nodes))
        threads = [
            threading.Thread(target=run_wrk, args=(n, script, per_node, args.duration, outputs))
            for n in nodes
        ]
        fault: dict[str, Any] = {}
        if args.fault_pg:
            threads.append(
                threading.Thread(target=outage, args=(args.duration / 3, 10.0, fault, url))
            )
        for t in threads:
            t.start()
        for t in threads:
            t.join()

        results = [parse_wrk(o) for o in outputs]
        statuses: dict[int, int] = {}
        for r in results:
            for code, n in r["statuses"].items():
                statuses[code] = statuses.get(code, 0) + n
        total = sum(r["requests"] for r in results)
        summary: dict[str, Any] = {
            "when": now.isoformat(),
            "duration_s": args.duration,
            "connections": per_node * len(nodes),
            "nodes": len(nodes),
            "requests": total,
            "req_per_s": sum(r["req_per_s"] for r in results),
            "p50_ms_worst_node": max(r["p50_ms"] for r in results),
            "p99_ms_worst_node": max(r["p99_ms"] for r in results),
            "statuses": statuses,
            "errors": sum(n for c, n in statuses.items() if c >= 400),
            "timeouts": sum(r["timeouts"] for r in results),
            "socket_errors": sum(r["socket_errors"] for r in results),
            "per_node": [{k: v for k, v in r.items() if k != "raw"} for r in results],
            "paths": len(paths),
        }
        if args.fault_pg:
            recovered = [wait_for(lambda n=n: ready(n), f"{n} to recover", 120) for n in nodes]
            engine = make_engine(url)
            with engine.connect() as conn:
                kept = conn.execute(
                    text("SELECT count(*) FROM papers WHERE arxiv_id = :a"), {"a": fault["marker"]}
                ).scalar_one()
            engine.dispose()
            summary["fault"] = {
                "dry_run": bool(os.environ.get("PAPERTIDE_BENCH_PG_CTL")),
                "outage_s": round(fault["started_at"] - fault["stopped_at"], 1),
                "http_503": statuses.get(503, 0),
                "http_500": statuses.get(500, 0),
                "other_5xx": sum(
                    n for c, n in statuses.items() if c >= 500 and c not in (500, 503)
                ),
                "timeouts": summary["timeouts"],
                "ready_again_after_s": [round(r, 1) for r in recovered],
                "row_written_before_stop_kept": kept == 1,
            }
        RESULTS.mkdir(parents=True, exist_ok=True)
        name = "load_mixed_fault.json" if args.fault_pg else "load_mixed.json"
        (RESULTS / name).write_text(json.dumps(summary, indent=2) + "\n")
        print()
        print(f"{'':<24}{'value':>14}")
        for key in (
            "requests",
            "req_per_s",
            "p50_ms_worst_node",
            "p99_ms_worst_node",
            "errors",
            "timeouts",
            "socket_errors",
        ):
            value = summary[key]
            print(
                f"{key:<24}{value:>14,.1f}"
                if isinstance(value, float)
                else f"{key:<24}{value:>14,}"
            )
        print(f"{'statuses':<24}{json.dumps(statuses):>14}")
        if args.fault_pg:
            for key, value in summary["fault"].items():
                print(f"{key:<24}{value!s:>14}")
        print(f"\nwrote {RESULTS / name}")
        for i, node in enumerate(nodes):
            if "Traceback" in (tmp / f"{'ab'[i]}.log").read_text(errors="replace"):
                print(f"note: {node} logged a traceback; see {tmp}/{'ab'[i]}.log")
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        try:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        finally:
            admin.dispose()


if __name__ == "__main__":
    main()
