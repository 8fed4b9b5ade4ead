"""wrk against `papertide serve`: feed, paper page, trending, /api/daily_papers, and a trivial
JSON route as the ceiling, side by side in one run.

Needs a database with the full data loaded, e.g. (SQLite in /tmp/ptbench):

    export PAPERTIDE_DATA_DIR=/tmp/ptbench
    papertide import jsonl ../shared/data/arxiv/arxiv_papers.jsonl.gz
    papertide import hf-daily ../shared/data/hf_daily_papers/daily_papers_snapshots.jsonl.gz
    .venv/bin/python bench/web_bench.py --data-dir /tmp/ptbench [--seconds 20] [--workers 2]

Prints a table and writes bench/results/web_bench.json. wrk comes from apt (`apt-get install wrk`).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "web_bench.json"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _seconds(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if not match:
        raise ValueError(value)
    number, unit = float(match.group(1)), match.group(2)
    return number * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[unit]


def parse_wrk(output: str) -> dict[str, Any]:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    latency = {}
    for pct in ("50", "75", "90", "99"):
        found = re.search(rf"^\s+{pct}%\s+(\S+)", output, re.MULTILINE)
        if found:
            latency[f"p{pct}_ms"] = round(_seconds(found.group(1)) * 1000, 2)
    total = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(g) for g in socket_errors.groups())
    return {"requests": total, "rps": round(rps, 1), **latency, "errors": errors}


def wait_ready(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server did not answer {url} within {timeout} s")


def paper_on_latest_day(base: str) -> str:
    with urllib.request.urlopen(f"{base}/api/daily_papers?limit=1", timeout=30) as response:
        entries = json.load(response)
    if not entries:
        raise RuntimeError("the feed is empty: load the HF history first (see the docstring)")
    return f"/papers/{entries[0]['paper']['id']}"


def signed_in_cookie(data_dir: Path) -> str | None:
    """A session cookie for the first user, so one row measures the uncached, per-user render."""
    import datetime as dt

    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from papertide.config import load_settings
    from papertide.store.db import make_engine
    from papertide.store.schema import User
    from papertide.web.security import SESSION_COOKIE, SessionCodec, WebSession
    from papertide.web.sessions import start_session

    os.environ["PAPERTIDE_DATA_DIR"] = str(data_dir)
    settings = load_settings()
    engine = make_engine(settings.effective_database_url)
    with Session(engine) as session:
        user = session.scalars(select(User).order_by(User.id).limit(1)).first()
        if user is None:
            return None
        key = start_session(session, user, dt.datetime.now(dt.UTC))  # a signed-in session row
        session.commit()
        session_cookie = WebSession(user_id=user.id, key=key, sid="bench")
    engine.dispose()
    codec = SessionCodec(settings.effective_secret_key())
    return f"{SESSION_COOKIE}={codec.dumps(session_cookie)}"


def main() -> int:
    parser = argparse.ArgumentParser(description="wrk benchmark of the web app")
    parser.add_argument(
        "--data-dir", type=Path, default=Path(os.environ.get("PAPERTIDE_DATA_DIR", "data"))
    )
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install -y wrk", file=sys.stderr)
        return 1
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PAPERTIDE_DATA_DIR": str(args.data_dir),
        "PAPERTIDE_INDEX_SYNC_SECONDS": "0",  # no background index work during the run
    }
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("papertide")),
            "serve",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        wait_ready(f"{base}/healthz")
        paper = paper_on_latest_day(base)
        routes = {
            "feed /": "/",
            "paper page": paper,
            "trending": "/trending",
            "api daily_papers": "/api/daily_papers",
            "ceiling /healthz": "/healthz",
        }
        for path in routes.values():  # warm caches and connections
            urllib.request.urlopen(base + path, timeout=60).read()
        cookie = signed_in_cookie(args.data_dir)
        runs: list[tuple[str, str, list[str]]] = [(n, p, []) for n, p in routes.items()]
        if cookie:
            runs.insert(1, ("feed / signed in", "/", ["-H", f"Cookie: {cookie}"]))
        load_before = os.getloadavg()
        rows: dict[str, dict[str, Any]] = {}
        for name, path, extra in runs:
            out = subprocess.run(
                [
                    "wrk",
                    *extra,
                    f"-t{args.threads}",
                    f"-c{args.connections}",
                    f"-d{args.seconds}s",
                    "--latency",
                    base + path,
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            rows[name] = {"path": path, **parse_wrk(out)}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    ceiling = rows["ceiling /healthz"]["rps"]
    print(
        f"{'route':<18} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'of ceiling':>10}"
    )
    print("-" * 66)
    for name, row in rows.items():
        print(
            f"{name:<18} {row['rps']:>9,.0f} {row.get('p50_ms', 0):>8.1f} "
            f"{row.get('p99_ms', 0):>8.1f} {row['errors']:>7} {row['rps'] / ceiling:>10.0%}"
        )
    result = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "settings": vars(args) | {"data_dir": str(args.data_dir)},
        "routes": rows,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "goal": {"feed_rps": 1000, "feed_p99_ms": 100},
        "goal_met": rows["feed /"]["rps"] >= 1000
        and rows["feed /"].get("p99_ms", 1e9) < 100
        and rows["feed /"]["errors"] == 0,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=1, default=str))
    print(f"machine load average before/after: {load_before[0]:.1f} / {os.getloadavg()[0]:.1f}")
    print(f"\nwritten {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
