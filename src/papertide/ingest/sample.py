"""The bundled sample: a few thousand real arXiv papers and a month of pseudonymised HF feed."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from sqlalchemy import Engine

from papertide.config import Settings
from papertide.ingest.hf_daily import HfDailyFile
from papertide.ingest.jsonl_snapshot import JsonlSnapshot
from papertide.ingest.pipeline import ImportReport, import_records

SAMPLE_PAPERS = "arxiv_papers.jsonl.gz"
SAMPLE_FEED = "hf_daily_papers.jsonl.gz"


def sample_path(name: str) -> Path:
    """Where a bundled sample file is (inside the installed package)."""
    return Path(str(resources.files("papertide.sample").joinpath(name)))


def load_demo_data(settings: Settings, engine: Engine) -> ImportReport:
    """Import the two bundled sample files (idempotent: a second call changes nothing).

    The returned report adds both imports together: papers counted once per record read,
    feed entries in `report.feed`.
    """
    report_dir = settings.data_dir / "reports"
    papers = import_records(
        engine,
        JsonlSnapshot(sample_path(SAMPLE_PAPERS)),
        source=SAMPLE_PAPERS,
        batch_size=5000,
        report_dir=report_dir,
    )
    feed = import_records(
        engine,
        HfDailyFile(sample_path(SAMPLE_FEED)),
        source=SAMPLE_FEED,
        batch_size=5000,
        report_dir=report_dir,
    )
    papers.source = f"{SAMPLE_PAPERS} + {SAMPLE_FEED}"
    papers.papers.add(feed.papers)
    papers.feed = feed.feed
    papers.read += feed.read
    papers.skipped += feed.skipped
    papers.skipped_examples.extend(feed.skipped_examples)
    papers.error = papers.error or feed.error
    papers.report_path = papers.report_path or feed.report_path
    papers.seconds += feed.seconds
    return papers
