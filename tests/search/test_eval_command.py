"""`papertide eval` on a tiny BEIR folder: every figure is printed and the JSON has its keys."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from papertide.cli import app
from papertide.search.beir import BeirError, load_beir
from papertide.search.evaluate import eval_query, mrr_at, ndcg_at, recall_at, set_scores

TINY = Path(__file__).resolve().parents[1] / "data" / "beir_tiny"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Eval needs no database: only a data folder of its own (vector cache, diagram)."""
    for key in list(os.environ):
        if key.startswith("PAPERTIDE_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("PAPERTIDE_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("PAPERTIDE_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def test_metrics_on_hand_made_rankings() -> None:
    judged = {"a": 1, "b": 1}
    assert ndcg_at(["a", "b", "c"], judged) == 1.0
    assert 0 < ndcg_at(["c", "a", "b"], judged) < 1
    assert recall_at(["c", "a"], judged) == 0.5
    assert mrr_at(["c", "x", "b"], judged) == 1 / 3
    assert set_scores(["a", "c"], judged) == (0.5, 0.5, 0.5)
    assert set_scores([], judged) == (0.0, 0.0, 0.0)


def test_beir_reader_reads_plain_and_gzipped_files() -> None:
    data = load_beir(TINY)
    assert len(data.docs) == 40 and len(data.queries) == 8
    assert all(len(judged) == 1 for judged in data.qrels.values())


def test_beir_reader_explains_what_is_missing(tmp_path: Path) -> None:
    (tmp_path / "corpus.jsonl").write_text('{"_id": "1", "text": "x"}\n')
    try:
        load_beir(tmp_path)
    except BeirError as exc:
        assert "qrels" in str(exc)
    else:
        raise AssertionError("a folder without qrels was accepted")


def test_eval_prints_json_with_every_metric(data_dir: Path) -> None:
    result = CliRunner().invoke(app, ["eval", str(TINY), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for mode in ("keyword", "semantic", "hybrid"):
        assert {"ndcg@10", "recall@100", "mrr@10"} <= set(data[mode])
        # each query is most of a title: every mode finds its paper in the top ten
        assert data[mode]["recall@100"] == 1.0
        assert data[mode]["ndcg@10"] > 0.8
    assert {"precision", "recall", "f1", "ece"} <= set(data["cutoff"])
    assert Path(data["cutoff"]["diagram"]).stat().st_size > 1000  # the reliability PNG
    assert (data_dir / "eval-cache").is_dir()  # a second run embeds nothing


def test_eval_table_and_bad_folder(data_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    table = runner.invoke(app, ["eval", str(TINY), "--keyword-only"])
    assert table.exit_code == 0, table.output
    assert "nDCG@10" in table.stdout and "keyword" in table.stdout and "cutoff" in table.stdout
    missing = runner.invoke(app, ["eval", str(tmp_path / "nowhere")])
    assert missing.exit_code == 1
    assert "not a folder" in missing.output and "Traceback" not in missing.output


def test_a_query_longer_than_the_search_box_allows_is_evaluated_not_a_traceback(
    data_dir: Path, tmp_path: Path
) -> None:
    """CISI has a query of 1,462 characters; the product refuses > 1,000 (QueryTooLong)."""
    folder = tmp_path / "long"
    (folder / "qrels").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text(
        '{"_id": "d1", "title": "Library catalogues", "text": "Subject indexing of books."}\n'
        '{"_id": "d2", "title": "Dark matter", "text": "Halos of dwarf galaxies."}\n'
    )
    long_query = "How are library catalogues and subject indexing used? " * 30
    assert len(long_query) > 1000
    (folder / "queries.jsonl").write_text(json.dumps({"_id": "q1", "text": long_query}) + "\n")
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\n")
    result = CliRunner().invoke(app, ["eval", str(folder), "--keyword-only", "--json"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert json.loads(result.stdout)["keyword"]["ndcg@10"] == 1.0
    parsed = eval_query(long_query)
    collapsed = " ".join(long_query.split())
    assert len(parsed.text) <= 1000 and collapsed.startswith(parsed.text)
    assert collapsed[len(parsed.text)] == " "  # cut between words
