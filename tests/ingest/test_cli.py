"""`papertide import|ingest|fetch`: exit codes, one-line messages, clean `--json` output."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.conftest import TEST_DATA
from tests.ingest.conftest import RecordedServer, Reply
from typer.testing import CliRunner

from papertide.cli import app
from papertide.config import Settings
from papertide.ingest.sample import sample_path

Start = Callable[[Callable[[dict[str, str]], Reply]], RecordedServer]


@pytest.fixture
def cli(settings: Settings) -> CliRunner:
    """A runner whose environment is the test's settings (set by the fixture)."""
    return CliRunner()


def test_import_jsonl_json_prints_one_object_and_nothing_else(cli: CliRunner) -> None:
    result = cli.invoke(
        app, ["import", "jsonl", str(sample_path("arxiv_papers.jsonl.gz")), "--json"]
    )
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["ok"] is True and summary["papers"]["inserted"] == 3885
    again = cli.invoke(
        app, ["import", "jsonl", str(sample_path("arxiv_papers.jsonl.gz")), "--json"]
    )
    assert json.loads(again.stdout)["papers"] == {"inserted": 0, "updated": 0, "unchanged": 3885}


def test_skipped_lines_end_non_zero_with_a_summary_and_report(
    cli: CliRunner, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "few.jsonl"
    path.write_text('{"id": "2401.00001", "title": "A real enough title"}\n{oops\n' + "[]\n")
    result = cli.invoke(app, ["import", "jsonl", str(path)])
    assert result.exit_code == 1
    assert "imported 1, skipped 2: see " in result.stderr
    report = Path(result.stderr.split("see ", 1)[1].split()[0])
    assert report.parent == settings.data_dir / "reports" and report.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.jsonl", b"", "is empty; nothing to import"),
        ("image.jsonl", b"\x89PNG\r\n\x1a\n", "is a PNG image, not JSON"),
        ("table.csv", b"id,title\n1,x\n", "is not a JSON Lines file"),
    ],
)
def test_unusable_files_fail_with_one_line(
    cli: CliRunner, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = cli.invoke(app, ["import", "jsonl", str(path)])
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) <= 3


def test_missing_file_and_wrong_command_are_explained(cli: CliRunner, tmp_path: Path) -> None:
    missing = cli.invoke(app, ["import", "hf-daily", str(tmp_path / "nope.json")])
    assert missing.exit_code == 1 and "file not found" in missing.stderr
    wrong = cli.invoke(
        app, ["import", "jsonl", str(TEST_DATA / "hf_daily_snapshots_2024-06-12.jsonl")]
    )
    assert wrong.exit_code == 1 and "papertide import hf-daily" in wrong.stderr


def test_hf_daily_import_reports_feed_entries(cli: CliRunner) -> None:
    result = cli.invoke(
        app, ["import", "hf-daily", str(TEST_DATA / "hf_daily_2026-07-13.json"), "--json"]
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["feed_entries"]["inserted"] == 13


def test_ingest_arxiv_harvests_from_the_configured_endpoint(
    cli: CliRunner, recorded_server: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = (TEST_DATA / "arxiv_oai_arxiv_listrecords.xml").read_bytes()
    server = recorded_server(lambda params: Reply(body=body))
    monkeypatch.setenv("PAPERTIDE_ARXIV_OAI_URL", server.url)
    monkeypatch.setenv("PAPERTIDE_ARXIV_DELAY_SECONDS", "0")
    result = cli.invoke(
        app, ["ingest", "arxiv", "--set", "physics:astro-ph", "--from", "2013-03-25", "--json"]
    )
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["complete"] is True and summary["papers"]["inserted"] == 1
    bad = cli.invoke(app, ["ingest", "arxiv", "--set", "cs", "--from", "last week"])
    assert bad.exit_code == 1 and "is not a date; use YYYY-MM-DD" in bad.stderr


def test_fetch_stores_papers_and_names_the_missing_ones(
    cli: CliRunner, recorded_server: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = recorded_server(
        lambda params: Reply(body=(TEST_DATA / "arxiv_api_id_list.atom.xml").read_bytes())
    )
    monkeypatch.setenv("PAPERTIDE_ARXIV_API_URL", server.url)
    monkeypatch.setenv("PAPERTIDE_ARXIV_DELAY_SECONDS", "0")
    ok = cli.invoke(app, ["fetch", "1205.1001", "1001.1001v1", "--json"])
    assert ok.exit_code == 0, ok.stderr
    assert json.loads(ok.stdout)["found"] == ["1001.1001", "1205.1001"]
    partly = cli.invoke(app, ["fetch", "1205.1001", "2401.99999"])
    assert partly.exit_code == 1 and "not found on arXiv: 2401.99999" in partly.stderr
    invalid = cli.invoke(app, ["fetch", "not-an-id"])
    assert invalid.exit_code == 1 and "not an arXiv id" in invalid.stderr


@pytest.mark.parametrize(
    "command", [["import", "jsonl"], ["import", "hf-daily"], ["ingest", "arxiv"], ["fetch"]]
)
def test_every_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.stdout
