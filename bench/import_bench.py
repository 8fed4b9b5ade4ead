"""Import of the full shared arXiv file into fresh SQLite and PostgreSQL databases (issue 3).

Runs `papertide import jsonl FILE --json` as a child process twice per backend (the second run
must report 0 changed), and records papers/s (import time reported by the command), the child's
wall time, and the peak RSS of the importer process and of its reader process (from wait4 /
RUSAGE_CHILDREN). Prints a table and writes bench/results/import.json.

Run: .venv/bin/python bench/import_bench.py [--file PATH] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FILE = ROOT.parent / "shared" / "data" / "arxiv" / "arxiv_papers.jsonl.gz"
PG_URL = os.environ.get(
    "PAPERTIDE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
RESULTS = ROOT / "bench" / "results" / "import.json"


def run_import(path: Path, database_url: str, data_dir: Path) -> dict[str, Any]:
    """One `papertide import jsonl` in a child process: its JSON summary plus time and memory."""
    env = {
        **os.environ,
        "PAPERTIDE_DATABASE_URL": database_url,
        "PAPERTIDE_DATA_DIR": str(data_dir),
        "PAPERTIDE_CONFIG": str(data_dir / "absent.toml"),
    }
    command = [sys.executable, "-c", "from papertide.cli import main; main()"]
    command += ["import", "jsonl", str(path), "--json"]
    started = time.perf_counter()
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=errors)
        assert proc.stdout is not None
        out = proc.stdout.read()
        # wait4 gives the importer's own peak RSS; RUSAGE_CHILDREN also covers its reader child.
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        if proc.returncode != 0:
            errors.seek(0)
            raise SystemExit(f"import failed ({proc.returncode}): {errors.read().decode()[-2000:]}")
    # wait4's times include the reader child the importer waited for: CPU of the whole import.
    cpu = usage.ru_utime + usage.ru_stime
    summary = json.loads(out)
    papers = summary["papers"]
    return {
        "read": summary["read"],
        "inserted": papers["inserted"],
        "updated": papers["updated"],
        "unchanged": papers["unchanged"],
        "changed": papers["inserted"] + papers["updated"],
        "import_seconds": summary["seconds"],
        "wall_seconds": round(wall, 2),
        "papers_per_second": round(summary["read"] / summary["seconds"]),
        "cpu_seconds": round(cpu, 2),
        # Papers per CPU-second: the throughput the work itself allows, whatever else runs.
        "papers_per_cpu_second": round(summary["read"] / cpu),
        "peak_rss_mb_importer": round(usage.ru_maxrss / 1024, 1),
        "peak_rss_mb_any_child": round(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
        ),
    }


def bench_sqlite(path: Path) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="papertide-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        return [run_import(path, url, Path(tmp)) for _ in range(2)]


def bench_postgresql(path: Path) -> list[dict[str, Any]]:
    from sqlalchemy import create_engine, text

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    try:
        with tempfile.TemporaryDirectory(prefix="papertide-bench-") as tmp:
            return [run_import(path, url, Path(tmp)) for _ in range(2)]
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    if not args.file.exists():
        raise SystemExit(f"{args.file} not found; pass --file PATH")
    results: dict[str, Any] = {
        "file": str(args.file),
        "file_bytes": args.file.stat().st_size,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_before": [round(x, 2) for x in os.getloadavg()],
        },
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "runs": {},
    }
    runners = {"sqlite": bench_sqlite, "postgresql": bench_postgresql}
    for backend in args.backends.split(","):
        results["runs"][backend] = runners[backend](args.file)
    results["machine"]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]

    header = (
        f"{'backend':<11} {'run':>3} {'papers':>8} {'changed':>8} {'papers/s':>9} "
        f"{'import s':>9} {'wall s':>7} {'cpu s':>6} {'p/cpu-s':>8} {'RSS MB':>7} "
        f"{'RSS any':>8}"
    )
    print(header)
    print("-" * len(header))
    for backend, runs in results["runs"].items():
        for number, run in enumerate(runs, start=1):
            print(
                f"{backend:<11} {number:>3} {run['read']:>8,} {run['changed']:>8,} "
                f"{run['papers_per_second']:>9,} {run['import_seconds']:>9.1f} "
                f"{run['wall_seconds']:>7.1f} {run['cpu_seconds']:>6.1f} "
                f"{run['papers_per_cpu_second']:>8,} {run['peak_rss_mb_importer']:>7.1f} "
                f"{run['peak_rss_mb_any_child']:>8.1f}"
            )
    print(
        f"load average before/after: {results['machine']['load_average_before']} / "
        f"{results['machine']['load_average_after']} on {os.cpu_count()} CPUs"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
