"""JSONL snapshots and Hugging Face daily-papers files into real SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from tests.conftest import TEST_DATA

from papertide.config import Settings
from papertide.ingest.files import SourceError
from papertide.ingest.hf_daily import HfDailyFile
from papertide.ingest.jsonl_snapshot import JsonlSnapshot
from papertide.ingest.pipeline import import_records
from papertide.ingest.sample import load_demo_data, sample_path
from papertide.models import PaperRecord
from papertide.store.schema import FeedEntry, Paper, User

SAMPLE = sample_path("arxiv_papers.jsonl.gz")

# One real record of the Kaggle `arxiv-metadata-oai-snapshot.json` (its first line, arXiv CC0).
KAGGLE_LINE = {
    "id": "0704.0001",
    "submitter": "Pavel Nadolsky",
    "authors": "C. Bal\\'azs, E. L. Berger, P. M. Nadolsky, C.-P. Yuan",
    "title": (
        "Calculation of prompt diphoton production cross sections at Tevatron and\n  LHC energies"
    ),
    "comments": "37 pages, 15 figures; published version",
    "journal-ref": "Phys.Rev.D76:013009,2007",
    "doi": "10.1103/PhysRevD.76.013009",
    "report-no": "ANL-HEP-PR-07-12",
    "categories": "hep-ph",
    "license": None,
    "abstract": "  A fully differential calculation in perturbative quantum chromodynamics is\n"
    "presented for the production of massive photon pairs at hadron colliders.\n",
    "versions": [
        {"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"},
        {"version": "v2", "created": "Tue, 24 Jul 2007 20:10:27 GMT"},
    ],
    "update_date": "2008-11-13",
    "authors_parsed": [
        ["Balázs", "C.", ""],
        ["Berger", "E. L.", ""],
        ["Nadolsky", "P. M.", ""],
        ["Yuan", "C. -P.", ""],
    ],
}


def _count(engine: Engine, model: type) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def _sample_lines(n: int) -> list[bytes]:
    with gzip.open(SAMPLE) as handle:
        return [next(handle) for _ in range(n)]


def test_second_import_of_same_snapshot_changes_nothing(engine: Engine) -> None:
    first = import_records(engine, JsonlSnapshot(SAMPLE), batch_size=1000)
    with engine.connect() as conn:
        stamp = conn.execute(select(func.max(Paper.updated_at))).scalar_one()
    second = import_records(engine, JsonlSnapshot(SAMPLE), batch_size=1000)
    assert first.ok and first.papers.inserted == 3885
    assert (second.papers.inserted, second.papers.updated) == (0, 0)
    assert second.papers.unchanged == 3885
    with engine.connect() as conn:
        assert conn.execute(select(func.max(Paper.updated_at))).scalar_one() == stamp
    assert _count(engine, Paper) == 3885


def test_kaggle_and_shared_shapes_mix_in_one_file(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(json.dumps(KAGGLE_LINE).encode() + b"\n" + b"".join(_sample_lines(3)))
    report = import_records(engine, JsonlSnapshot(path))
    assert report.ok and report.papers.inserted == 4
    with engine.connect() as conn:
        paper = conn.execute(select(Paper.__table__).where(Paper.arxiv_id == "0704.0001")).one()
    assert paper.authors == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan"]
    assert paper.latest_version == 2
    assert paper.title.endswith("Tevatron and LHC energies")
    assert paper.doi == "10.1103/PhysRevD.76.013009"
    assert paper.first_announced.isoformat() == "2007-04-02"


def test_malformed_lines_are_skipped_with_line_numbers_and_the_rest_kept(
    engine: Engine, tmp_path: Path
) -> None:
    lines = _sample_lines(5)
    path = tmp_path / "bad.jsonl"
    path.write_bytes(
        lines[0] + b'{"id": "2401.00001", "title": \n' + lines[1] + b'{"no": "id"}\n' + lines[2]
    )
    report = import_records(engine, JsonlSnapshot(path), report_dir=tmp_path / "reports")
    assert not report.ok
    assert report.read == 3 and report.skipped == 2
    assert [s.where for s in report.skipped_examples] == ["line 2", "line 4"]
    assert report.report_path is not None and report.report_path.exists()
    logged = [json.loads(x) for x in report.report_path.read_text().splitlines()[1:]]
    assert [x["where"] for x in logged] == ["line 2", "line 4"]
    assert "malformed JSON" in logged[0]["reason"]
    assert report.summary().startswith("imported 3, skipped 2: see ")
    assert _count(engine, Paper) == 3


def test_truncated_gzip_keeps_rows_before_the_break(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(SAMPLE.read_bytes()[:200_000])
    report = import_records(engine, JsonlSnapshot(path), batch_size=100)
    assert report.error is not None and "breaks after line" in report.error
    kept = _count(engine, Paper)
    assert kept == report.read > 0
    assert f"after line {kept:,}" in report.error


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "is a PNG image"),
        (b"id,title,abstract\n1,a,b\n", "is not a JSON Lines file"),
        (b"[1, 2]\n", "holds a JSON list"),
    ],
)
def test_wrong_files_get_one_clear_message(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "input.jsonl"
    path.write_bytes(content)
    with pytest.raises(SourceError, match=message):
        list(JsonlSnapshot(path))


def test_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="file not found"):
        JsonlSnapshot(tmp_path / "nope.jsonl")


def test_hf_json_list_creates_feed_entries_papers_and_imported_users(engine: Engine) -> None:
    report = import_records(engine, HfDailyFile(TEST_DATA / "hf_daily_2026-07-13.json"))
    assert report.ok and report.feed is not None
    assert report.feed.inserted == 13
    with engine.connect() as conn:
        entry = conn.execute(
            select(FeedEntry.__table__, Paper.arxiv_id, Paper.project_page, Paper.code_links)
            .join(Paper, Paper.id == FeedEntry.paper_id)
            .where(Paper.arxiv_id == "2607.08964")
        ).one()
        users = conn.execute(select(User.__table__)).all()
    assert entry.feed_date.isoformat() == "2026-07-13"
    assert entry.source == "hf"
    assert entry.imported_upvotes == entry.upvotes == 33
    assert entry.github_repo == "https://github.com/zli12321/LHTB"
    assert entry.github_stars == 25
    assert entry.project_page == "https://zli12321.github.io/LHTB/index.html"
    assert "https://github.com/zli12321/LHTB" in entry.code_links
    assert users and all(u.imported and u.email.endswith("@imported.invalid") for u in users)
    assert entry.submitted_by_id in {u.id for u in users}


def test_repeated_snapshots_of_a_day_keep_the_latest_upvotes_once(engine: Engine) -> None:
    path = TEST_DATA / "hf_daily_snapshots_2024-06-12.jsonl"
    first = import_records(engine, HfDailyFile(path), batch_size=3)
    again = import_records(engine, HfDailyFile(path), batch_size=3)
    with engine.connect() as conn:
        rows = dict(
            conn.execute(
                select(Paper.arxiv_id, FeedEntry.upvotes).join(
                    Paper, Paper.id == FeedEntry.paper_id
                )
            ).all()
        )
    assert rows == {"2406.06563": 11, "2406.06592": 9, "2406.06573": 4, "2406.05629": 3}
    assert _count(engine, FeedEntry) == 4
    assert first.ok and again.feed is not None and again.feed.changed == 0


def test_local_votes_survive_a_new_snapshot(engine: Engine, tmp_path: Path) -> None:
    lines = (TEST_DATA / "hf_daily_snapshots_2024-06-12.jsonl").read_bytes().splitlines()
    early, late = lines[0], next(x for x in lines[4:] if b"2406.06563" in x)
    (tmp_path / "early.jsonl").write_bytes(early + b"\n")
    (tmp_path / "late.jsonl").write_bytes(late + b"\n")
    import_records(engine, HfDailyFile(tmp_path / "early.jsonl"))
    with engine.begin() as conn:  # two people voted here meanwhile
        conn.execute(FeedEntry.__table__.update().values(upvotes=FeedEntry.upvotes + 2))
    import_records(engine, HfDailyFile(tmp_path / "late.jsonl"))
    with engine.connect() as conn:
        entry = conn.execute(select(FeedEntry.__table__)).one()
    assert (entry.imported_upvotes, entry.upvotes) == (11, 13)


def test_demo_data_loads_and_reloads_without_changes(settings: Settings, engine: Engine) -> None:
    first = load_demo_data(settings, engine)
    second = load_demo_data(settings, engine)
    assert first.ok and second.ok
    assert _count(engine, FeedEntry) == 600
    assert second.papers.changed == 0 and second.feed is not None and second.feed.changed == 0


def test_corrupt_gzip_keeps_what_was_readable_and_says_so(engine: Engine, tmp_path: Path) -> None:
    data = bytearray(SAMPLE.read_bytes())
    data[100_000:100_050] = b"x" * 50  # damage in the middle of the compressed stream
    path = tmp_path / "damaged.jsonl.gz"
    path.write_bytes(bytes(data))
    report = import_records(engine, JsonlSnapshot(path), batch_size=100)
    assert report.error is not None and "breaks after line" in report.error
    assert report.read > 0 and _count(engine, Paper) == report.read


def test_feed_import_never_replaces_arxiv_metadata_of_a_known_paper(
    engine: Engine, tmp_path: Path
) -> None:
    entries = json.loads((TEST_DATA / "hf_daily_2026-07-13.json").read_text())
    entry = entries[0]
    arxiv_line = {
        "id": entry["paper"]["id"],
        "title": "The arXiv title",
        "abstract": "The arXiv abstract.",
        "authors": ["A. Author"],
        "categories": ["cs.AI"],
        "first_seen": "2026-07-10",
    }
    (tmp_path / "one.jsonl").write_text(json.dumps(arxiv_line) + "\n")
    (tmp_path / "2026-07-13.json").write_text(json.dumps([entry]))
    import_records(engine, JsonlSnapshot(tmp_path / "one.jsonl"))
    import_records(engine, HfDailyFile(tmp_path / "2026-07-13.json"))
    with engine.connect() as conn:
        paper = conn.execute(select(Paper.__table__)).one()
    assert (paper.title, paper.abstract, paper.authors) == (
        "The arXiv title",
        "The arXiv abstract.",
        ["A. Author"],
    )
    assert paper.project_page == entry["paper"]["projectPage"]  # gaps are filled
    assert paper.github_stars == entry["paper"]["githubStars"]


def test_shared_shape_lines_keep_their_versions_and_first_seen(tmp_path: Path) -> None:
    line = {
        "id": "2608.00042",
        "title": "A paper",
        "abstract": "Text.",
        "authors": ["A. Author"],
        "categories": ["cs.AI"],
        "first_seen": "2026-08-20",
        "versions": [
            {"version": "v1", "created": "2026-08-18T00:00:00.000Z"},
            {"version": "v2", "created": None},
        ],
    }
    (tmp_path / "one.jsonl").write_text(json.dumps(line) + "\n")
    (record,) = list(JsonlSnapshot(tmp_path / "one.jsonl"))
    assert isinstance(record, PaperRecord)
    assert record.first_announced == dt.date(2026, 8, 20)  # not taken for a Kaggle line
    assert record.versions == [(1, dt.datetime(2026, 8, 18, tzinfo=dt.UTC)), (2, None)]
    assert record.published_at == dt.datetime(2026, 8, 18, tzinfo=dt.UTC)


def test_a_hub_date_from_a_later_version_is_not_taken_for_v1s() -> None:
    from papertide.ingest.hf_daily import feed_record_from_entry

    entry = json.loads((TEST_DATA / "hf_daily_2026-07-13.json").read_text())[0]
    entry["paper"]["id"] = "2603.18846"
    entry["paper"]["publishedAt"] = "2026-03-19T00:00:00.000Z"
    assert feed_record_from_entry(entry).paper.published_at == dt.datetime(
        2026, 3, 19, tzinfo=dt.UTC
    )
    # The Hub moves publishedAt to the newest version: an August date cannot be a March id's v1.
    entry["paper"]["publishedAt"] = "2026-08-04T00:00:00.000Z"
    assert feed_record_from_entry(entry).paper.published_at is None
