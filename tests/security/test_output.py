"""What the site hands out stays inert: no `javascript:` link from imported data, no formula in
a CSV export, no markup in an RSS description; and search has a limit per client."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import feedparser
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session
from tests.web.conftest import DAY, Mailbox, Seed, sign_in

from papertide.config import Settings
from papertide.ingest.hf_daily import feed_record_from_object
from papertide.store.schema import FeedEntry, Paper
from papertide.web.app import create_app

HOSTILE_LINKS = [
    "javascript:alert(document.cookie)",
    " JavaScript:alert(1)//https://github.com/x/y",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
]


# 13.9 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("link", HOSTILE_LINKS)
def test_imported_links_that_are_not_http_never_become_hrefs(
    client: TestClient, seed: Seed, engine: Engine, link: str
) -> None:
    paper_id = seed.papers["a"].id
    with Session(engine) as session:
        session.execute(
            update(Paper)
            .where(Paper.id == paper_id)
            .values(project_page=link, code_links=[link, "https://github.com/example/repo"])
        )
        session.execute(
            update(FeedEntry)
            .where(FeedEntry.paper_id == paper_id)
            .values(github_repo=link, project_page=link)
        )
        session.commit()
    for url in ("/papers/2608.00001", f"/papers/date/{DAY}", "/"):
        page = client.get(url).text
        hrefs = re.findall(r'href="([^"]*)"', page)
        schemes = {urlsplit(h.strip()).scheme.lower() for h in hrefs}
        assert schemes <= {"", "http", "https"}, (url, schemes)
        assert "Project page" not in page or url != "/papers/2608.00001"
    paper = client.get("/papers/2608.00001.json").json()
    assert paper["projectPage"] is None
    assert paper["codeLinks"] == ["https://github.com/example/repo"]
    (entry,) = [
        e for e in client.get(f"/papers/date/{DAY}.json").json() if e["paper"]["id"] == "2608.00001"
    ]
    assert entry["paper"]["githubRepo"] is None and entry["paper"]["projectPage"] is None


@pytest.mark.parametrize("link", HOSTILE_LINKS)
def test_importing_drops_links_that_are_not_http(link: str) -> None:
    record = feed_record_from_object(
        {
            "paper": {
                "id": "2608.00009",
                "title": "A paper",
                "summary": "An abstract.",
                "authors": [{"name": "A. Author"}],
                "publishedAt": "2026-08-19T00:00:00.000Z",
                "githubRepo": link,
                "projectPage": link,
            },
            "publishedAt": "2026-08-19T00:00:00.000Z",
        },
        feed_date=dt.date(2026, 8, 19),
    )
    assert record.github_repo is None and record.project_page is None
    assert record.paper.project_page is None and record.paper.code_links == []


# 13.13 -----------------------------------------------------------------------------------------


def test_no_cell_of_a_collection_export_is_a_formula(
    client: TestClient, mailbox: Mailbox, seed: Seed, engine: Engine
) -> None:
    formulas = ['=HYPERLINK("https://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", " =1+1"]
    with Session(engine) as session:
        session.execute(
            update(Paper)
            .where(Paper.id == seed.papers["a"].id)
            .values(authors=formulas, title="=cmd|' /C calc'!A0", primary_category="=1+2")
        )
        session.commit()
    token = sign_in(client, mailbox)
    made = client.post(
        "/collections", data={"csrf_token": token, "name": "Export", "is_public": "true"}
    )
    url = made.headers["location"]
    with Session(engine) as session:
        from sqlalchemy import select

        from papertide.store.schema import Collection

        collection_id = session.scalars(select(Collection.id)).one()
    client.post(
        "/collections/add",
        data={"csrf_token": token, "collection_id": str(collection_id), "arxiv_id": "2608.00001"},
    )
    rows = list(csv.reader(io.StringIO(client.get(url + ".csv").text)))
    assert len(rows) == 2
    for cell in rows[1]:
        assert not cell.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert rows[1][2].startswith("'=HYPERLINK")


# 13.14 -----------------------------------------------------------------------------------------


def test_an_rss_description_shows_markup_from_an_abstract_as_text(
    client: TestClient, seed: Seed, engine: Engine
) -> None:
    abstract = 'We show <b>bold</b> claims <img src=x onerror="alert(1)"> & more.'
    with Session(engine) as session:
        session.execute(
            update(Paper).where(Paper.id == seed.papers["a"].id).values(abstract=abstract)
        )
        session.commit()
    body = client.get(f"/feed.rss?date={DAY}").content
    description = next(
        item.findtext("description")
        for item in ET.fromstring(body).iter("item")
        if "2608.00001" in (item.findtext("link") or "")
    )
    assert description is not None
    # What a reader renders as HTML: the abstract's tags are text, not elements.
    assert "<b>" not in description and "<img" not in description
    assert "&lt;b&gt;bold&lt;/b&gt;" in description
    parsed = feedparser.parse(body)
    entry = next(e for e in parsed.entries if "2608.00001" in e.link)
    # feedparser hands readers HTML: it shows "<b>bold</b>" as typed, not bold text.
    assert "&lt;b&gt;bold&lt;/b&gt;" in entry.summary and "<b>" not in entry.summary
    atom = feedparser.parse(client.get(f"/feed.atom?date={DAY}").content)
    entry = next(e for e in atom.entries if "2608.00001" in e.link)
    assert entry.summary_detail.type == "text/plain"


# 13.10 -----------------------------------------------------------------------------------------


def test_searches_are_limited_per_client(web_settings: Settings, engine: Engine) -> None:
    app = create_app(web_settings, engine=engine)
    with TestClient(app, client=("203.0.113.5", 40000)) as hammer:
        statuses = [
            hammer.get("/api/papers/search", params={"q": f"graph {n}"}).status_code
            for n in range(61)
        ]
        assert 429 not in statuses[:60]
        assert statuses[60] == 429
        limited = hammer.get("/search", params={"q": "x" * 999})
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
        assert hammer.get("/search.atom", params={"q": "graphs"}).status_code == 429
        assert hammer.get("/healthz").status_code == 200
        assert hammer.get("/search").status_code == 200  # the empty form is no search
    with TestClient(app, client=("198.51.100.7", 40000)) as someone_else:
        assert someone_else.get("/search", params={"q": "graphs"}).status_code == 200
