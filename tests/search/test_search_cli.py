"""`papertide index rebuild|sync` and `papertide search` against a real database."""

from __future__ import annotations

import json

from sqlalchemy import Engine
from typer.testing import CliRunner

from papertide.cli import app


def test_rebuild_sync_and_search_from_the_command_line(corpus: Engine) -> None:
    runner = CliRunner()
    rebuilt = runner.invoke(app, ["index", "rebuild"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "8 papers searchable" in rebuilt.output

    keyword = runner.invoke(
        app, ["search", "Ramsey graphs", "--mode", "keyword", "--min-relevance", "0", "--json"]
    )
    assert keyword.exit_code == 0, keyword.output
    data = json.loads(keyword.stdout)
    assert data["mode"] == "keyword" and data["results"][0]["arxiv_id"] == "2401.00005"

    synced = runner.invoke(app, ["index", "sync"])  # embeds the eight papers
    assert synced.exit_code == 0, synced.output
    assert "8 with vectors" in synced.output
    hybrid = runner.invoke(
        app, ["search", "robot arm grasping", "--category", "cs", "--min-relevance", "0", "--json"]
    )
    data = json.loads(hybrid.stdout)
    assert data["mode"] == "hybrid" and data["results"][0]["arxiv_id"] == "2401.00006"
    assert all(r["arxiv_id"] != "2401.00004" for r in data["results"])  # astro-ph filtered out

    table = runner.invoke(app, ["search", "dark matter", "--limit", "2", "--min-relevance", "0"])
    assert table.exit_code == 0 and "2401.00004" in table.stdout
    # "modles" is in no paper; "models" (four papers' "model") is one swap away
    typo = runner.invoke(app, ["search", "language modles", "--min-relevance", "0"])
    assert typo.exit_code == 0 and "did you mean: language models" in typo.output
    as_json = runner.invoke(app, ["search", "language modles", "--json"])
    assert json.loads(as_json.stdout)["suggestion"] == "language models"

    too_long = runner.invoke(app, ["search", "x" * 1001])
    assert too_long.exit_code == 1
    assert "1,001 characters" in too_long.output and "Traceback" not in too_long.output
    bad_mode = runner.invoke(app, ["search", "graphs", "--mode", "fuzzy"])
    assert bad_mode.exit_code == 1 and "unknown mode" in bad_mode.output
