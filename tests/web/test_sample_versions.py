"""The demo's papers show their versions: the bundled sample carries v1 for each of its arXiv
papers (dated where the data knows the date), and a paper known only from the feed shows v1 too."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from papertide.config import Settings
from papertide.ingest.sample import load_demo_data, sample_path
from papertide.search.demo_vectors import sample_vectors_path
from papertide.store.schema import Paper, PaperVersion
from papertide.web.app import create_app


@pytest.fixture
def demo(web_settings: Settings, engine: Engine) -> Iterator[TestClient]:
    load_demo_data(web_settings, engine)
    with TestClient(create_app(web_settings, engine=engine), follow_redirects=False) as client:
        yield client


def _versions_box(page: str) -> str:
    return page.split('id="ver-h"', 1)[1].split("</section>", 1)[0]


def test_every_sample_paper_has_its_versions(demo: TestClient, engine: Engine) -> None:
    with gzip.open(sample_path("arxiv_papers.jsonl.gz"), "rt") as fh:
        records = [json.loads(line) for line in fh]
    assert all(r["versions"][0]["version"] == "v1" for r in records)
    with Session(engine) as session:
        versioned = session.scalar(select(func.count(func.distinct(PaperVersion.paper_id))))
        dated = session.scalar(
            select(func.count()).where(
                PaperVersion.version == 1, PaperVersion.submitted_at.is_not(None)
            )
        )
    assert versioned == len(records) and dated is not None and dated > 300


def test_demo_pages_show_versions_not_unknown(demo: TestClient, engine: Engine) -> None:
    with Session(engine) as session:
        stored = {
            p.arxiv_id: p
            for p in session.scalars(
                select(Paper).where(Paper.arxiv_id.in_(["2608.19758", "2603.18846"]))
            )
        }
        feed_only = session.scalars(
            select(Paper).where(Paper.latest_version == 0).order_by(Paper.arxiv_id).limit(1)
        ).one()
    # On the feed, its v1 date from the feed's publishedAt.
    dated = _versions_box(demo.get("/papers/2608.19758").text)
    assert "unknown" not in dated and "<li>v1: Aug " in dated
    # Submitted in March, on the feed in August with a later date: v1 stays undated.
    assert stored["2603.18846"].first_announced is not None
    march = demo.get("/papers/2603.18846").text
    assert "<span>Mar 20, 2026</span>" in march.split('id="abstract-h"')[0]  # not the Aug 4 of v2
    undated = _versions_box(march)
    assert '<li>v1 <span class="muted">(first listed Mar 20, 2026)</span></li>' in undated
    # Known from the feed alone: v1, dated when the date fits the id's month.
    only = _versions_box(demo.get(f"/papers/{feed_only.arxiv_id}").text)
    assert "unknown" not in only and "<li>v1" in only
    assert "Full history on arXiv" in only


def test_the_shipped_vectors_still_fit_the_sample_texts(demo: TestClient, engine: Engine) -> None:
    with np.load(sample_vectors_path()) as data:
        shipped = dict(zip(map(str, data["arxiv_ids"]), map(str, data["hashes"]), strict=True))
    with Session(engine) as session:
        current = {a: h for a, h in session.execute(select(Paper.arxiv_id, Paper.content_hash))}
    assert current == shipped
