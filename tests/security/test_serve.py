"""`papertide serve` and `papertide demo` as real processes: which client address the rate
limits see (proxy headers only from configured proxies), where links in mails point when no base
URL is set, and settings errors that keep secrets to themselves."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from tests.web.conftest import csrf_from, free_port

from papertide.config import ConfigError, load_settings

PAPERTIDE = Path(sys.executable).with_name("papertide")


@contextmanager
def papertide(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None, wait: float = 60
) -> Iterator[tuple[str, Path]]:
    """Run `papertide ARGS --port N`; yields its URL and the file collecting its output."""
    port = free_port()
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PAPERTIDE_") or key.startswith("PAPERTIDE_TEST_")
    }
    clean.update(
        PAPERTIDE_DATA_DIR=str(tmp_path / "data"),
        PAPERTIDE_CONFIG=str(tmp_path / "absent.toml"),
        PAPERTIDE_INDEX_SYNC_SECONDS="0",
        PAPERTIDE_MAIL_BACKEND="console",
        **(env or {}),
    )
    output = tmp_path / f"out-{port}.txt"
    with output.open("w") as sink:
        process = subprocess.Popen(
            [str(PAPERTIDE), *args, "--port", str(port)],
            env=clean,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + wait
        while True:
            if process.poll() is not None:
                raise AssertionError(f"papertide exited early: {output.read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"papertide did not serve: {output.read_text()[-2000:]}")
            time.sleep(0.2)
        yield url, output
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def _ask_for_links(
    url: str, emails: list[str], forwarded_for: list[str] | None = None
) -> list[int]:
    with httpx.Client(base_url=url, timeout=10) as http:
        token = csrf_from(http.get("/login").text)
        statuses = []
        for n, email in enumerate(emails):
            headers = {"X-Forwarded-For": forwarded_for[n]} if forwarded_for else {}
            reply = http.post("/login", data={"email": email, "csrf_token": token}, headers=headers)
            statuses.append(reply.status_code)
        return statuses


def _links(output: Path) -> list[str]:
    return re.findall(r"https?://\S+/login/verify\?token=", output.read_text())


# 13.15 -----------------------------------------------------------------------------------------


def test_x_forwarded_for_from_the_same_machine_is_not_believed_by_default(tmp_path: Path) -> None:
    emails = [f"r{n}@example.org" for n in range(21)]
    rotating = [f"198.51.100.{n + 1}" for n in range(21)]
    with papertide(tmp_path, "serve") as (url, _output):
        statuses = _ask_for_links(url, emails, rotating)
    assert statuses[:20] == [200] * 20
    assert statuses[20] == 429  # all 21 came from 127.0.0.1, whatever the header said


def test_a_configured_proxy_is_believed(tmp_path: Path) -> None:
    emails = [f"r{n}@example.org" for n in range(21)]
    rotating = [f"198.51.100.{n + 1}" for n in range(21)]
    env = {"PAPERTIDE_TRUSTED_PROXIES": '["127.0.0.1"]'}
    with papertide(tmp_path, "serve", env=env) as (url, _output):
        assert _ask_for_links(url, emails, rotating) == [200] * 21
        # One client behind the proxy is still one client.
        same = _ask_for_links(url, [f"s{n}@example.org" for n in range(21)], ["203.0.113.9"] * 21)
    assert same[20] == 429


def test_trusted_proxies_must_be_addresses_or_networks(tmp_path: Path) -> None:
    assert load_settings(
        data_dir=tmp_path, trusted_proxies=["10.0.0.1/8", "::1"]
    ).trusted_proxies == [
        "10.0.0.0/8",
        "::1",
    ]
    with pytest.raises(ConfigError, match="not an IP address or network"):
        load_settings(data_dir=tmp_path, trusted_proxies=["proxy.example.org"])
    assert load_settings(data_dir=tmp_path).trusted_proxies == []


# 13.17 -----------------------------------------------------------------------------------------


def test_serve_on_another_port_mails_links_to_that_port_never_to_the_host_header(
    tmp_path: Path,
) -> None:
    with papertide(tmp_path, "serve") as (url, output):
        with httpx.Client(base_url=url, timeout=10, headers={"Host": "evil.example"}) as http:
            token = csrf_from(http.get("/login").text)
            assert (
                http.post(
                    "/login", data={"email": "a@example.org", "csrf_token": token}
                ).status_code
                == 200
            )
        time.sleep(0.5)
        links = _links(output)
    assert links == [f"{url}/login/verify?token="]


def test_a_configured_base_url_wins(tmp_path: Path) -> None:
    env = {"PAPERTIDE_BASE_URL": "http://papers.example.org"}
    with papertide(tmp_path, "serve", env=env) as (url, output):
        assert _ask_for_links(url, ["a@example.org"]) == [200]
        time.sleep(0.5)
        links = _links(output)
    assert links == ["http://papers.example.org/login/verify?token="]


@pytest.mark.slow
def test_demo_on_another_port_mails_links_to_that_port(tmp_path: Path) -> None:
    with papertide(tmp_path, "demo", wait=240) as (url, output):
        assert _ask_for_links(url, ["a@example.org"]) == [200]
        time.sleep(0.5)
        links = _links(output)
    assert links == [f"{url}/login/verify?token="]


# 13.16 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "mysql://u:TopSecretPw@h/db",
        "oracle+cx_oracle://scott:TopSecretPw@db.example.org:1521/orcl",
        "postgresql://u:TopSecretPw@h:notaport/db",
        "sqlite://u:TopSecretPw@/x.db?bad=%",
    ],
)
def test_a_bad_database_url_never_shows_its_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    for key in list(os.environ):
        if key.startswith("PAPERTIDE_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("PAPERTIDE_DATABASE_URL", url)
    monkeypatch.setenv("PAPERTIDE_DATA_DIR", str(tmp_path))
    try:
        load_settings()
    except ConfigError as exc:
        assert "TopSecretPw" not in str(exc)
    from typer.testing import CliRunner

    from papertide.cli import app

    result = CliRunner().invoke(app, ["stats"])
    assert "TopSecretPw" not in result.output
