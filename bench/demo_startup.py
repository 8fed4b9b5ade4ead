"""How long from a fresh clone to a serving demo page (issue 3).

Clones this repository into a temporary folder, runs the README's first command's steps (venv,
install, `papertide demo`) on a free port, and times (1) the install and (2) `papertide demo` until
its first page answers 200. Prints a table and writes bench/results/demo_startup.json.

Run: .venv/bin/python bench/demo_startup.py
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, proc: subprocess.Popen[bytes], timeout: float = 300) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"demo exited early with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    return time.perf_counter() - start
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(url)


def run_demo(clone: Path, port: int) -> float:
    env = {**os.environ, "PAPERTIDE_DATA_DIR": str(clone / "data")}
    env.pop("PAPERTIDE_DATABASE_URL", None)
    proc = subprocess.Popen(
        [str(clone / ".venv/bin/papertide"), "demo", "--port", str(port)],
        cwd=clone,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        return wait_for(f"http://127.0.0.1:{port}/", proc)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "papertide"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "venv", str(clone / ".venv")], check=True)
        subprocess.run(
            [str(clone / ".venv/bin/pip"), "install", "-q", "-e", str(clone)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        install_s = time.perf_counter() - t0
        first_s = run_demo(clone, free_port())
        second_s = run_demo(clone, free_port())  # data already loaded: the everyday start
    result = {
        "install_seconds": round(install_s, 1),
        "first_demo_to_200_seconds": round(first_s, 1),
        "second_demo_to_200_seconds": round(second_s, 1),
    }
    print(f"{'step':<32}{'seconds':>10}")
    for key, value in result.items():
        print(f"{key:<32}{value:>10}")
    out = ROOT / "bench" / "results" / "demo_startup.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
