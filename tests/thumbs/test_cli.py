"""`papertide thumbnails make|status` against the loopback PDF server, on both databases."""

from __future__ import annotations

import json
import socket

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from papertide.cli import app
from papertide.jobs.runs import acquire_lease, recent_runs

from .conftest import FeedPaper, PdfServer, pdf


@pytest.fixture
def runner(engine: Engine, pdf_server: PdfServer, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The CLI, configured (as `settings` left the environment) to fetch from the local server."""
    monkeypatch.setenv("PAPERTIDE_ARXIV_PDF_URL", pdf_server.url)
    monkeypatch.setenv("PAPERTIDE_ARXIV_DELAY_SECONDS", "0")
    return CliRunner()


def test_make_thumbnails_now_reports_what_it_did_and_is_recorded_as_a_run(
    runner: CliRunner, engine: Engine, pdf_server: PdfServer, feed_paper: FeedPaper
) -> None:
    feed_paper("2608.00001")
    feed_paper("2608.00002")
    feed_paper("2608.00003")
    pdf_server.serve("2608.00001", pdf("paper.pdf"))
    pdf_server.serve("2608.00002", pdf("encrypted.pdf"))
    pdf_server.serve("2608.00003", pdf("paper.pdf"))

    result = runner.invoke(app, ["thumbnails", "make", "--limit", "2"])

    assert result.exit_code == 0, result.output
    assert "1 thumbnail made; no image for 1 encrypted; 1 feed paper waiting" in result.output
    assert "2608.00002: encrypted — the PDF needs a password" in result.output
    run = recent_runs(engine, name="make_thumbnails", limit=1)[0]
    assert (run.status, run.trigger, run.result["made"]) == ("ok", "manual", 1)

    status = runner.invoke(app, ["thumbnails", "status", "--json"])
    assert status.exit_code == 0, status.output
    overview = json.loads(status.stdout)
    assert overview["statuses"]["ok"] == 1 and overview["statuses"]["encrypted"] == 1
    assert overview["waiting"] == 1
    assert [f["arxiv_id"] for f in overview["failures"]] == ["2608.00002"]


def test_make_refuses_while_the_worker_is_making_thumbnails(
    runner: CliRunner, engine: Engine, feed_paper: FeedPaper, pdf_server: PdfServer
) -> None:
    feed_paper("2608.00001")
    acquire_lease(engine, "make_thumbnails", "worker-1:42:abc", 300)

    result = runner.invoke(app, ["thumbnails", "make"])

    assert result.exit_code == 1
    assert "already running (worker-1:42:abc)" in result.output
    assert pdf_server.requests == []


def test_make_says_when_arxiv_cannot_be_reached(
    runner: CliRunner, feed_paper: FeedPaper, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed_paper("2608.00001")
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("PAPERTIDE_ARXIV_PDF_URL", f"http://127.0.0.1:{port}/pdf")

    result = runner.invoke(app, ["thumbnails", "make"])

    assert result.exit_code == 1
    assert "arXiv did not answer" in result.output
    assert "Traceback" not in result.output
