"""`papertide demo`: the README's first command, as a real process on a free port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.web.conftest import Seed, free_port

from papertide.store.schema import User

PAPERTIDE = Path(sys.executable).with_name("papertide")


def run_demo(data_dir: Path, port: int) -> tuple[subprocess.Popen[str], str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PAPERTIDE_") or key.startswith("PAPERTIDE_TEST_")
    }
    env.update(
        PAPERTIDE_DATA_DIR=str(data_dir),
        PAPERTIDE_CONFIG=str(data_dir / "absent.toml"),
        PAPERTIDE_INDEX_SYNC_SECONDS="0",
    )
    process = subprocess.Popen(
        [str(PAPERTIDE), "demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"demo exited early: {process.stdout.read() if process.stdout else ''}"
            )
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                return process, response.read().decode()
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise AssertionError("demo did not serve within 120 s")


def stop(process: subprocess.Popen[str]) -> str:
    os.killpg(process.pid, signal.SIGTERM)
    out, _ = process.communicate(timeout=30)
    return out


@pytest.mark.slow
def test_demo_serves_the_sample_and_a_second_start_skips_loading(tmp_path: Path) -> None:
    port = free_port()
    process, page = run_demo(tmp_path / "data", port)
    # Links in feeds (and in the sign-in mails it prints) point at the demo's own address.
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/feed.atom", timeout=10) as response:
        assert f'href="http://127.0.0.1:{port}/papers/date/2026-08-21"' in response.read().decode()
    first = stop(process)
    assert "sample loaded" in first
    # The demo's clock stands at the sample's last day: its feed is today's, not an old one.
    assert "demo clock: today is Friday, August 21, 2026" in first
    assert "Daily papers" in page and "Nothing on today" not in page
    assert "August 21, 2026" in page  # the newest day of the bundled feed
    process, page = run_demo(tmp_path / "data", free_port())
    second = stop(process)
    assert "sample already loaded" in second
    assert "August 21, 2026" in page


def test_admin_command_grants_and_revokes(engine: Engine, seed: Seed) -> None:
    from typer.testing import CliRunner

    from papertide.cli import app

    runner = CliRunner()
    granted = runner.invoke(app, ["admin", "reader-1"])
    assert granted.exit_code == 0, granted.output
    with Session(engine) as session:
        assert session.scalars(select(User.is_admin).where(User.name == "reader-1")).one()
    revoked = runner.invoke(app, ["admin", "imported@example.org", "--revoke"])
    assert revoked.exit_code == 0
    with Session(engine) as session:
        assert not session.scalars(select(User.is_admin).where(User.name == "reader-1")).one()
    missing = runner.invoke(app, ["admin", "nobody"])
    assert missing.exit_code == 1 and "must sign in once first" in missing.output
