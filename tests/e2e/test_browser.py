"""A real Chromium against the app on uvicorn: the whole reader and member journey.

Sign in with the link caught by a local aiosmtpd server, submit a paper, vote, comment, search
with a filter, create a collection and export it, and see the dark-mode page. The screenshots in
docs/screenshots/ come from the demo instead (test_demo_journeys.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.e2e.conftest import LiveServer, mailing_settings
from tests.web.conftest import Mailbox, add_paper, free_port, user_name

from papertide.config import Settings
from papertide.ingest.sample import load_demo_data
from papertide.search.api import get_searcher
from papertide.store.schema import FeedEntry, Paper
from papertide.web.app import create_app

pytestmark = pytest.mark.browser
FRESH_ID = "2611.00042"


@pytest.fixture
def site(
    settings: Settings, engine: Engine, mailbox: Mailbox, no_index_follower: None
) -> Iterator[LiveServer]:
    port = free_port()
    cfg = mailing_settings(settings, mailbox, port)
    load_demo_data(cfg, engine)
    # A keyword index is enough to drive the page; embedding would only add minutes.
    get_searcher(cfg).sync(engine, embed=False)
    with Session(engine) as session:
        add_paper(
            session,
            FRESH_ID,
            "Fresh paper: sparse attention with $O(n \\log n)$ cost",
            published=dt.datetime.now(dt.UTC).date(),
            abstract="We show that $\\sum_i x_i^2$ attention scales. Code is online.",
        )
        session.commit()
    with LiveServer(create_app(cfg, engine=engine), port) as server:
        yield server


@pytest.fixture
def page(browser: Any, site: LiveServer) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=site.url)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: problems.append(str(e)))
    tab.problems = problems
    yield tab
    context.close()


def test_reader_and_member_journey(
    page: Any, site: LiveServer, mailbox: Mailbox, engine: Engine
) -> None:
    # Reading without signing in: the newest sample day, trending with its explanation.
    page.goto("/")
    assert page.locator("article.card").count() > 5
    assert "showing the latest day with papers" in page.inner_text("main")
    page.goto("/trending?window=week")
    page.locator("details.why summary").first.click()
    assert "upvotes" in page.locator("details.why").first.inner_text()

    # Sign in with the mailed link.
    page.goto("/login")
    page.fill("#email", "ada@example.org")
    page.click("form.form button[type=submit]")
    assert "sign-in link is on its way" in page.inner_text("main")
    page.goto(mailbox.last_link())
    page.click("main form.form button[type=submit]")  # opening the link alone signs nobody in
    ada = user_name(engine, "ada@example.org")
    assert f"Signed in as {ada}" in page.inner_text("body")

    # Submit a paper by URL.
    page.goto("/submit")
    page.fill("#paper", f"https://arxiv.org/abs/{FRESH_ID}v1")
    page.click("main form button[type=submit]")
    page.wait_for_url(f"**/papers/{FRESH_ID}")
    assert f"Submitted {FRESH_ID}" in page.inner_text("body")
    page.wait_for_selector(".abstract .katex")  # math rendered by the vendored KaTeX

    # Vote through htmx: the button flips and the count goes up, without a page load.
    button = page.locator("main .actions .vote-button")
    assert button.get_attribute("aria-pressed") == "false"
    before = int(button.locator(".count").inner_text())
    button.click()
    page.wait_for_selector('main .actions .vote-button[aria-pressed="true"]')
    after = int(page.locator("main .actions .vote-button .count").inner_text())
    assert after == before + 1
    with Session(engine) as session:
        paper_id = session.scalars(select(Paper.id).where(Paper.arxiv_id == FRESH_ID)).one()
        assert (
            session.scalars(select(FeedEntry.upvotes).where(FeedEntry.paper_id == paper_id)).one()
            == 1
        )

    # Comment, with Markdown and an attempted script.
    page.fill("#comment-body", "Nice **result**. <script>window.pwned = 1</script>")
    page.click("#comments form.form button[type=submit]")
    page.wait_for_selector(".comment-body strong")
    assert page.evaluate("window.pwned === undefined")
    page.goto(f"/papers/{FRESH_ID}")
    page.wait_for_selector(".abstract .katex")
    page.goto(f"/papers/date/{dt.datetime.now(dt.UTC).date()}")
    page.wait_for_selector(".card-title .katex")  # math in titles on the feed too

    # Search with a category filter.
    page.goto("/search")
    page.fill("#q", "language models")
    page.select_option("#f-cat", "cs.CL")
    page.click("main form[role=search] button[type=submit]")
    page.wait_for_url("**/search?**category=cs.CL**")
    results = page.locator("article.result")
    if results.count() == 0:
        pytest.fail("search returned nothing: " + page.inner_text("main")[:300])
    # The filter is applied: every hit lists cs.CL among its categories (asked via the JSON twin).
    hits = page.request.get(page.url.replace("/search?", "/search.json?")).json()["results"]
    assert hits and all("cs.CL" in hit["paper"]["categories"] for hit in hits)
    assert results.first.locator(".relevance").count() == 1

    # A collection: create it, add the paper, export BibTeX.
    page.goto("/collections")
    page.fill("#c-name", "Reading group")
    page.click("main form.form button[type=submit]")
    page.wait_for_url(f"**/u/{ada}/c/reading-group")
    page.goto(f"/papers/{FRESH_ID}")
    page.click("aside form.form button[type=submit]")
    # Adding keeps the reader on the paper: the status line under the form says where it went.
    page.wait_for_selector("#col-status a")
    assert page.url.endswith(f"/papers/{FRESH_ID}")
    assert f"{FRESH_ID} is now in Reading group" in page.inner_text("#col-status")
    page.click("#col-status a")
    page.wait_for_url(f"**/u/{ada}/c/reading-group")
    assert "Fresh paper" in page.inner_text("main")
    with page.expect_download() as download_info:
        page.click("text=Export BibTeX")
    path = download_info.value.path()
    bibtex = Path(path).read_text(encoding="utf-8")
    assert f"eprint = {{{FRESH_ID}}}" in bibtex

    # Profile, category and a 404 page.
    page.goto(f"/u/{ada}")
    assert "Fresh paper" in page.inner_text("main")
    page.goto("/c/cs.CL")
    response = page.goto("/papers/2101.99999")
    assert response is not None and response.status == 404

    # Dark mode follows the system setting.
    page.emulate_media(color_scheme="dark")
    page.goto("/")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(13, 17, 23)"
    page.emulate_media(color_scheme="light")
    page.goto("/")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"

    # Nothing broke the Content-Security-Policy (no inline code, no CDN) on any page.
    assert not [p for p in page.problems if "Content Security Policy" in p], page.problems


def test_mobile_layout_and_keyboard(page: Any, site: LiveServer) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"horizontal scrolling on a phone: {width}px"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Skip to content"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.closest('main') !== null")
    assert focused


def test_api_docs_work_offline_under_the_csp(page: Any, site: LiveServer) -> None:
    page.goto("/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
    assert "/api/daily_papers" in page.inner_text("body")
    assert not [p for p in page.problems if "Content Security Policy" in p], page.problems


def test_api_docs_follow_dark_mode_inside_the_site_page(page: Any, site: LiveServer) -> None:
    page.emulate_media(color_scheme="dark")
    page.goto("/docs")
    page.wait_for_selector(".swagger-ui .opblock-summary", timeout=30_000)
    assert page.evaluate("document.documentElement.classList.contains('dark-mode')")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(13, 17, 23)"
    # Swagger UI's own dark theme: light text on the page's dark background, not black on white.
    title = page.evaluate(
        "getComputedStyle(document.querySelector('.swagger-ui .info .title')).color"
    )
    assert title != "rgb(59, 65, 81)", title
    panel = page.evaluate("getComputedStyle(document.querySelector('.swagger-ui')).backgroundColor")
    assert panel in ("rgba(0, 0, 0, 0)", "transparent"), panel
    # The site's navigation is there, and goes back to the papers.
    page.click("header.site nav a[href='/trending']")
    page.wait_for_url("**/trending")
    page.emulate_media(color_scheme="light")
    page.goto("/docs")
    page.wait_for_selector(".swagger-ui .opblock-summary", timeout=30_000)
    assert not page.evaluate("document.documentElement.classList.contains('dark-mode')")
