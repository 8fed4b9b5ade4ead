"""Schemathesis over the whole OpenAPI schema of a real `papertide serve` (loopback only).

    .venv/bin/python bench/fuzz_api.py                 # every operation, 300 examples each
    .venv/bin/python bench/fuzz_api.py -n 50           # quicker

Builds a SQLite installation with the bundled sample (papers, feed, users, vectors), serves it,
waits until the node is ready (index built), and runs `st run` with the checks the issue asks
for: no server errors (5xx) and every response matching its documented schema. Coverage and
fuzzing phases, all operations (pages with HTML responses included). Writes
bench/results/fuzz_api.json with the counts and the failures schemathesis reported.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build_install(data_dir: Path) -> None:
    from papertide.config import load_settings
    from papertide.embed.registry import get_embedder
    from papertide.ingest.sample import load_demo_data
    from papertide.search.demo_vectors import load_sample_vectors
    from papertide.store.db import make_engine
    from papertide.store.migrate import upgrade

    settings = load_settings(data_dir=data_dir, secret_key="f" * 40)
    engine = make_engine(settings.effective_database_url)
    upgrade(engine)
    load_demo_data(settings, engine)
    load_sample_vectors(engine, get_embedder(settings).name)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", "--max-examples", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pt-fuzz-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERTIDE_")}
    env.update(
        PAPERTIDE_CONFIG=str(tmp / "absent.toml"),
        PAPERTIDE_DATA_DIR=str(tmp / "data"),
        PAPERTIDE_SECRET_KEY="f" * 40,
        PAPERTIDE_INDEX_SYNC_SECONDS="5",
        PAPERTIDE_LOG_LEVEL="WARNING",
        PAPERTIDE_MAIL_BACKEND="null",
    )
    os.environ.update({k: v for k, v in env.items() if k.startswith("PAPERTIDE_")})
    build_install(tmp / "data")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp / "serve.log").open("wb")
    server = subprocess.Popen(
        [str(BIN / "papertide"), "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp,
    )
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            raise SystemExit("the node never became ready")
        started = time.monotonic()
        run = subprocess.run(
            [
                str(BIN / "st"),
                "run",
                f"{base}/openapi.json",
                "--checks",
                "not_a_server_error,response_schema_conformance",
                "--phases",
                "coverage,fuzzing",
                "-n",
                str(args.max_examples),
                "-w",
                str(args.workers),
                "--seed",
                str(args.seed),
                "--request-timeout",
                "30",
            ],
            capture_output=True,
            text=True,
            cwd=tmp,
        )
        seconds = time.monotonic() - started
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    output = run.stdout + run.stderr
    generated = re.search(r"(\d+) generated", output)
    failures = re.findall(r"^_{3,} (\w+ \S+) _{3,}$", output, re.M)
    tracebacks = (tmp / "serve.log").read_text(errors="replace").count("Traceback")
    result = {
        "when": dt.datetime.now(dt.UTC).isoformat(),
        "max_examples_per_operation": args.max_examples,
        "test_cases": int(generated.group(1)) if generated else None,
        "exit_code": run.returncode,
        "failing_operations": failures,
        "server_tracebacks": tracebacks,
        "seconds": round(seconds, 1),
        "summary": output[output.rfind("SUMMARY") - 40 :][:3000],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "fuzz_api.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'test cases':<22}{result['test_cases']}")
    print(f"{'failing operations':<22}{len(failures)} {failures}")
    print(f"{'server tracebacks':<22}{tracebacks}")
    print(f"{'seconds':<22}{result['seconds']}")
    print(f"{'schemathesis exit':<22}{run.returncode}")
    print(f"wrote {RESULTS / 'fuzz_api.json'} (full output: {tmp})")
    (tmp / "st.out").write_text(output)


if __name__ == "__main__":
    main()
