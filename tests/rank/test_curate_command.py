"""`papertide curate`: bad input gets one clear line and exit status 1, never a traceback."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from papertide.cli import app
from papertide.config import Settings

runner = CliRunner()


def _papers(path: Path) -> Path:
    rows = [
        {
            "id": f"2601.0000{i}",
            "title": f"Paper {i}",
            "authors": ["Ada Lovelace"],
            "categories": ["cs.LG"],
            "abstract": "An abstract.",
            "first_seen": "2026-01-0" + str(i + 1),
        }
        for i in range(5)
    ]
    with gzip.open(path, "wt") as handle:
        handle.write("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def _eval(papers: Path, feed: Path, *extra: str) -> tuple[int, str]:
    args = ["curate", "eval", "--papers", str(papers), "--feed", str(feed)]
    args += ["--train-until", "2026-01-03", "--test-from", "2026-01-04", *extra]
    result = runner.invoke(app, args)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_a_missing_feed_file_is_named(tmp_path: Path) -> None:
    code, output = _eval(_papers(tmp_path / "p.jsonl.gz"), tmp_path / "absent.jsonl")
    assert code == 1 and "file not found" in output and "absent.jsonl" in output


def test_a_feed_file_of_only_malformed_lines_says_nothing_can_be_learnt(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_text('{"feed_date": "2026-01-01", \n{not json}\n')
    code, output = _eval(_papers(tmp_path / "p.jsonl.gz"), feed)
    assert code == 1
    assert "no usable feed entry" in output and "skipped 2 feed records" in output


def test_an_image_given_as_feed_is_refused(tmp_path: Path) -> None:
    feed = tmp_path / "feed.png"
    feed.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    code, output = _eval(_papers(tmp_path / "p.jsonl.gz"), feed)
    assert code == 1 and "PNG image" in output


def test_a_test_period_before_the_training_period_is_refused(tmp_path: Path) -> None:
    papers = str(_papers(tmp_path / "p.jsonl.gz"))
    dates = ["--train-until", "2026-02-01", "--test-from", "2026-01-01"]
    result = runner.invoke(app, ["curate", "eval", "--papers", papers, "--feed", papers, *dates])
    assert result.exit_code == 1
    assert "must start after the training period" in result.output


def test_a_feed_without_picks_in_the_test_period_has_no_test_day(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    row = {"feed_date": "2026-01-01", "arxiv_id": "2601.00000", "title": "Paper 0", "upvotes": 3}
    feed.write_text(json.dumps(row) + "\n")
    code, output = _eval(_papers(tmp_path / "p.jsonl.gz"), feed)
    assert code == 1 and "no test day" in output


@pytest.mark.parametrize("command", [["curate", "today"], ["curate", "train"]])
def test_an_empty_instance_says_what_to_import(settings: Settings, command: list[str]) -> None:
    result = runner.invoke(app, command)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "import" in result.output or "picked" in result.output
