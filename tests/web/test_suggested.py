"""Suggested papers on the daily page and in the JSON API (issue 12).

Two settings: the demo's real data (the bundled sample's August listings and feed, the model
shipped with papertide; SQLite, one app for the module, read only), where the ranking, the line
and the counts are checked against the model itself; and the small seeded database on both
backends, where a person signs in, submits a suggested paper and upvotes it.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from tests.conftest import sqlite_instance
from tests.web.conftest import DAY, Mailbox, Seed, sign_in

from papertide.config import Settings
from papertide.ingest.sample import load_demo_data
from papertide.rank.curate.service import (
    current_model,
    day_suggestions,
    forget_day_suggestions,
    model_folder,
)
from papertide.store.schema import Paper, PaperCategory
from papertide.web.app import create_app

LISTING_DAY = dt.date(2026, 8, 10)  # a full listing day of the sample, 13 of its papers on the feed
DEMO_TODAY = dt.date(2026, 8, 21)  # the sample's last day, the demo's "today"


@pytest.fixture(autouse=True)
def fresh_suggestions() -> Iterator[None]:
    """Each test sees the model's answer for its own threshold, not a cached one."""
    forget_day_suggestions()
    yield
    forget_day_suggestions()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Settings, Engine]]:
    folder = tmp_path_factory.mktemp("demo")
    with sqlite_instance(folder, mail_backend="null", demo_today=DEMO_TODAY) as (settings, engine):
        load_demo_data(settings, engine)
        with TestClient(create_app(settings, engine=engine), follow_redirects=False) as client:
            yield client, settings, engine


def _listed(engine: Engine, day: dt.date, categories: list[str]) -> int:
    """The day's new papers in the categories, counted straight from the database."""
    in_category = select(PaperCategory.paper_id).where(PaperCategory.category.in_(categories))
    with Session(engine) as db:
        return int(
            db.scalar(
                select(func.count(Paper.id)).where(
                    Paper.first_announced == day, Paper.id.in_(in_category)
                )
            )
            or 0
        )


def _section(page: str) -> str:
    start = page.index('id="suggested"')
    return page[start : page.index("</section>", start)]


def _suggested_ids(page: str) -> list[str]:
    return re.findall(r'<li class="row with-vote suggestion" id="s-([^"]+)"', _section(page))


def test_the_day_page_lists_the_papers_above_the_line_best_first_with_reasons(
    demo: tuple[TestClient, Settings, Engine],
) -> None:
    client, settings, engine = demo
    expected = day_suggestions(
        engine, settings.data_dir, LISTING_DAY, categories=tuple(settings.categories)
    )
    # The sample's day has papers on both sides of the line, so the line does something here.
    listed = _listed(engine, LISTING_DAY, settings.categories)
    assert listed > 100 and expected.origin == "shipped" and expected.considered == listed
    assert 0 < len(expected.above) < expected.considered
    assert all(s.score >= expected.threshold for s in expected.above)

    page = client.get(f"/papers/date/{LISTING_DAY}")
    assert page.status_code == 200
    assert _suggested_ids(page.text) == [s.paper.arxiv_id for s in expected.above]
    section = html.unescape(_section(page.text))
    n = len(expected.above)
    assert f"{n} of the day's {listed} new papers" in section
    assert f"{listed - n} others considered" in section
    on_feed = {
        s["paper"]["id"]: s
        for s in client.get(f"/api/suggestions?date={LISTING_DAY}").json()["suggestions"]
        if s["onFeed"]
    }
    assert on_feed and len(on_feed) < len(expected.above)
    for s in expected.above:
        item = section[section.index(f'id="s-{s.paper.arxiv_id}"') :]
        item = item[: item.index('<li class="row')] if '<li class="row' in item else item
        meta = item[item.index('<p class="meta">') :]
        meta = meta[: meta.index("</p>")]
        if s.paper.arxiv_id in on_feed:  # picked already: where it is and its votes instead
            votes = on_feed[s.paper.arxiv_id]["paper"]["upvotes"]
            assert "chance of being picked" not in meta
            assert re.search(rf"on the feed of [A-Z][a-z]{{2}} \d+, \d{{4}} · {votes} votes?", meta)
        else:
            assert f"{round(s.score * 100)}% chance of being picked" in meta or s.score > 0.995
        assert s.reasons, "every suggestion above the line says why"
        for reason in s.reasons:
            assert f"<li>{reason}</li>" in item
    assert 'href="/feeds/suggested.atom"' in page.text.split("</head>")[0]


def test_signed_out_readers_get_the_sign_in_flow_for_both_actions(
    demo: tuple[TestClient, Settings, Engine],
) -> None:
    client, settings, engine = demo
    expected = day_suggestions(
        engine, settings.data_dir, LISTING_DAY, categories=tuple(settings.categories)
    )
    section = _section(client.get(f"/papers/date/{LISTING_DAY}").text)
    body = client.get(f"/api/suggestions?date={LISTING_DAY}").json()
    on_feed = [s["paper"]["id"] for s in body["suggestions"] if s["onFeed"]]
    off_feed = [s["paper"]["id"] for s in body["suggestions"] if s["canSubmit"]]
    assert on_feed and off_feed, "the sample's day has suggestions on and off the feed"
    assert len(body["suggestions"]) == len(expected.above)
    for arxiv_id in on_feed:
        assert f'href="/login?next=/papers/date/{LISTING_DAY}%23s-{arxiv_id}"' in section
    for arxiv_id in off_feed:
        assert f'href="/submit?paper={arxiv_id}"' in section
    assert 'method="post"' not in section  # no forms for anonymous readers
    # The submit link leads through sign-in back to the filled-in form.
    answer = client.get(f"/submit?paper={off_feed[0]}")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=")


def test_the_api_gives_the_same_list_and_refuses_bad_dates_like_the_page(
    demo: tuple[TestClient, Settings, Engine],
) -> None:
    client, settings, engine = demo
    listed = _listed(engine, LISTING_DAY, settings.categories)
    body = client.get(f"/api/suggestions?date={LISTING_DAY}").json()
    page_ids = _suggested_ids(client.get(f"/papers/date/{LISTING_DAY}").text)
    assert [s["paper"]["id"] for s in body["suggestions"]] == page_ids
    assert body["considered"] == listed and body["aboveLine"] == len(page_ids)
    assert body["model"] == "shipped" and body["message"] is None
    assert all(s["score"] >= body["threshold"] and s["reasons"] for s in body["suggestions"])
    scores = [s["score"] for s in body["suggestions"]]
    assert scores == sorted(scores, reverse=True)
    # Without a date: the newest listing day up to the demo's today.
    latest = client.get("/api/suggestions").json()
    assert latest["date"] == DEMO_TODAY.isoformat() and latest["considered"] > 0
    # A bad date is a 400 with the code the rest of the API and the day page give for it.
    for bad, code in (
        ("yesterday", "bad_date"),
        ("2026-02-30", "bad_date"),
        ("2026-8-1", "bad_date"),
        ("1800-01-01", "date_out_of_range"),
        ("0001-01-01", "date_out_of_range"),
    ):
        answer = client.get("/api/suggestions", params={"date": bad})
        assert answer.status_code == 400, bad
        assert answer.json()["error"]["code"] == code, bad
        page = client.get(f"/papers/date/{bad}")
        assert page.status_code == 400, bad
    message = client.get("/api/suggestions?date=0001-01-01").json()["error"]["message"]
    assert message == "the date 0001-01-01 is out of range: use dates from 1900-01-01 to 9998-12-31"
    schema = client.get("/openapi.json").json()
    assert "/api/suggestions" in schema["paths"]


def test_quiet_messages_instead_of_errors(
    demo: tuple[TestClient, Settings, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, settings, engine = demo
    listed = _listed(engine, LISTING_DAY, settings.categories)
    # A weekend: nothing was listed.
    saturday = client.get("/papers/date/2026-08-15")
    assert saturday.status_code == 200
    assert "No new papers were listed on this day" in _section(saturday.text)
    empty = client.get("/api/suggestions?date=2026-08-15").json()
    assert empty["considered"] == 0 and empty["suggestions"] == [] and empty["message"]
    # Nothing above the line.
    model, _ = current_model(settings.data_dir)
    monkeypatch.setattr(model, "threshold", 1.01)
    forget_day_suggestions()
    client.app.state.web.invalidate()  # type: ignore[attr-defined]  # the 5-second page cache
    none = client.get(f"/papers/date/{LISTING_DAY}")
    assert none.status_code == 200 and _suggested_ids(none.text) == []
    message = f"Nothing above the line today: none of the day's {listed} new papers"
    assert message in html.unescape(_section(none.text))


def test_an_unreadable_instance_model_falls_back_to_the_shipped_one(
    demo: tuple[TestClient, Settings, Engine],
) -> None:
    client, settings, _ = demo
    folder: Path = model_folder(settings.data_dir)
    folder.mkdir(parents=True)
    try:
        (folder / "model.json").write_text("{not json")
        client.app.state.web.invalidate()  # type: ignore[attr-defined]  # the 5-second page cache
        page = client.get(f"/papers/date/{LISTING_DAY}?sort=time")
        assert page.status_code == 200
        # The shipped model serves until a retrain replaces the broken one.
        assert "Ranked by the shipped model" in _section(page.text)
        assert _suggested_ids(page.text)
        assert "Daily papers" in page.text  # the rest of the page is there
        body = client.get(f"/api/suggestions?date={LISTING_DAY}").json()
        assert body["model"] == "shipped" and body["suggestions"]
        feed = client.get("/feeds/suggested.atom")
        assert feed.status_code == 200
    finally:
        (folder / "model.json").unlink()
        folder.rmdir()


@pytest.fixture
def day_client(web_settings: Settings, engine: Engine) -> Iterator[TestClient]:
    """The seeded database with the clock on DAY, so DAY's papers can still be submitted."""
    app = create_app(web_settings.model_copy(update={"demo_today": DAY}), engine=engine)
    with TestClient(app, follow_redirects=False) as client:
        yield client


def test_submit_a_suggested_paper_then_upvote_it(
    day_client: TestClient,
    mailbox: Mailbox,
    seed: Seed,
    web_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On both databases: every paper of the seeded day shown (line at 0), one click each."""
    model, _ = current_model(web_settings.data_dir)
    monkeypatch.setattr(model, "threshold", 0.0)
    client = day_client
    url = f"/papers/date/{DAY}"
    epsilon = seed.papers["e"].arxiv_id  # listed on DAY, not on the feed
    shown = _suggested_ids(client.get(url).text)
    assert sorted(shown) == sorted(seed.papers[k].arxiv_id for k in "abce")
    token = sign_in(client, mailbox)
    section = _section(client.get(url).text)
    assert f'<input type="hidden" name="paper" value="{epsilon}">' in section
    answer = client.post(
        "/submit", data={"csrf_token": token, "paper": epsilon, "next": f"{url}#s-{epsilon}"}
    )
    assert answer.status_code == 303 and answer.headers["location"] == f"{url}#s-{epsilon}"
    after = client.get(url).text
    assert f"Submitted {epsilon} to today&#39;s feed." in after
    assert epsilon in [e["paper"]["id"] for e in client.get(f"{url}.json").json()]
    item = _section(after)[_section(after).index(f'id="s-{epsilon}"') :]
    # The confirmation is in the row the browser scrolls to, not at the top out of sight.
    assert f"Submitted {epsilon} to today&#39;s feed." in item.split("</li>")[0]
    assert "Submitted" not in after.split('<main id="main"')[0]
    assert "Submitted" not in client.get(url).text  # shown once
    assert f'hx-post="/papers/{epsilon}/vote"' in item.split("</li>")[0]
    assert 'name="paper"' not in item.split("</li>")[0]
    voted = client.post(
        f"/papers/{epsilon}/vote",
        data={"csrf_token": token, "next": url},
        headers={"hx-request": "true"},
    )
    assert voted.status_code == 200 and 'aria-pressed="true"' in voted.text
    body = client.get(f"/api/suggestions?date={DAY}").json()
    mine = next(s for s in body["suggestions"] if s["paper"]["id"] == epsilon)
    assert mine["onFeed"] and mine["paper"]["upvotes"] == 1 and not mine["canSubmit"]


def test_a_paper_hidden_by_a_moderator_is_not_suggested_even_from_the_cache(
    demo: tuple[TestClient, Settings, Engine],
) -> None:
    from papertide.store.schema import FeedEntry

    client, settings, engine = demo
    cats = tuple(settings.categories)
    before = day_suggestions(engine, settings.data_dir, LISTING_DAY, categories=cats)
    on_feed = [
        s["paper"]["id"]
        for s in client.get(f"/api/suggestions?date={LISTING_DAY}").json()["suggestions"]
        if s["onFeed"]
    ]
    target = on_feed[0]

    def set_hidden(value: bool) -> None:
        with Session(engine) as db:
            paper_id = db.scalar(select(Paper.id).where(Paper.arxiv_id == target))
            for entry in db.scalars(select(FeedEntry).where(FeedEntry.paper_id == paper_id)):
                entry.hidden = value
            db.commit()

    set_hidden(True)
    try:
        # The day's ranking is cached; the hide must still take effect at once.
        after = day_suggestions(engine, settings.data_dir, LISTING_DAY, categories=cats)
        assert [s.paper.arxiv_id for s in after.above] == [
            s.paper.arxiv_id for s in before.above if s.paper.arxiv_id != target
        ]
        assert target not in _suggested_ids(client.get(f"/papers/date/{LISTING_DAY}").text)
    finally:
        set_hidden(False)
    again = day_suggestions(engine, settings.data_dir, LISTING_DAY, categories=cats)
    assert target in [s.paper.arxiv_id for s in again.above]


def test_a_day_the_model_learnt_from_says_so_instead_of_repeating_its_picks(
    demo: tuple[TestClient, Settings, Engine],
) -> None:
    client, settings, engine = demo
    model, _ = current_model(settings.data_dir)
    july = dt.date(2026, 7, 9)  # a sample day the shipped model learnt from (before its feed month)
    assert july <= model.trained_until and _listed(engine, july, settings.categories) > 0
    body = client.get(f"/api/suggestions?date={july}").json()
    assert body["suggestions"] == [] and body["aboveLine"] == 0
    assert "learnt from the picks up to" in body["message"]
    assert "would only repeat them" in body["message"]
    section = html.unescape(_section(client.get(f"/papers/date/{july}").text))
    assert body["message"] in section
