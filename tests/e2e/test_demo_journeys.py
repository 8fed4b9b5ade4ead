"""Every journey of issue 14 in a real Chromium, on the demo as `papertide demo` starts it.

The server is set up the way the `demo` command does it: the bundled sample loaded into a fresh
SQLite data folder (`load_demo_data` + `prepare_demo_index`), the demo clock stopped at the
sample's last day by the command's own `_demo_settings`, links pointing where it listens
(`listening_settings`), and mail through the default console backend. Sign-in and confirmation
links are taken from what the console backend prints on stderr (the `--- mail to … ---` blocks
a person copies from the demo's terminal), read with pytest's `capsys` while the app runs in this
process; no SMTP server is involved.

Journeys: sign in by the printed link, submit a sample paper (recent on the demo clock), upvote
it, comment and reply, add it to a collection while staying on the paper, export BibTeX,
subscribe to a digest, claim authorship (confirmed by an admin), "For you" after a vote and
a collection, and suggested papers (issue 12: read their reasons on the demo's today, submit one
and upvote it; `suggested-papers-*.png` shows a day's list), and a misspelt search offering the
corrected one (`search-did-you-mean.png`). The last test saves a screenshot of
every page kind at desktop light, desktop dark and phone size into docs/screenshots/
(`<kind>-light.png`, `<kind>-dark.png`, `<kind>-mobile.png`), the pictures the README's table
shows.

The tests share one demo server and one signed-in browser (Ada), and run in file order: later
journeys use the paper the submit journey put on the feed, and any of them signs Ada in when run
alone.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.e2e.conftest import SCREENSHOTS, LiveServer
from tests.web.conftest import free_port, make_admin, user_name

from papertide.cli.common import open_database
from papertide.cli.serve import _demo_settings, listening_settings
from papertide.config import Settings, load_settings
from papertide.ingest.sample import load_demo_data
from papertide.search.api import prepare_demo_index
from papertide.store.schema import FeedEntry, Paper
from papertide.web.app import create_app

pytestmark = pytest.mark.browser

ADA = "ada@example.org"
EDITOR = "editor@example.org"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
MAIL_BLOCK = re.compile(
    r"--- mail to (?P<to>[^:]+): (?P<subject>.*?) ---\n(?P<body>.*?)--- end of mail ---", re.S
)


@dataclass
class Demo:
    server: LiveServer
    settings: Settings
    engine: Engine
    paper: str  # a sample paper not on any feed day yet, recent on the demo clock

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    folder = tmp_path_factory.mktemp("demo")
    port = free_port()
    with pytest.MonkeyPatch.context() as patch:
        for key in list(os.environ):
            if key.startswith("PAPERTIDE_") and not key.startswith("PAPERTIDE_TEST_"):
                patch.delenv(key)
        patch.setenv("PAPERTIDE_CONFIG", str(folder / "absent.toml"))
        patch.setenv("PAPERTIDE_DATA_DIR", str(folder / "data"))
        patch.setenv("PAPERTIDE_SECRET_KEY", "demo-" + uuid.uuid4().hex)
        patch.setenv("PAPERTIDE_INDEX_SYNC_SECONDS", "0")  # no background embedding thread
        # What `papertide demo --port PORT` does before uvicorn.run.
        cfg = listening_settings(load_settings(), "127.0.0.1", port)
        assert cfg.mail_backend == "console"
        engine = open_database(cfg)
        load_demo_data(cfg, engine)
        prepare_demo_index(cfg, engine)
        settings = _demo_settings(cfg, engine)
        assert settings.demo_today is not None and settings.demo_today < dt.date.today()
        with Session(engine) as session:
            on_feed = select(FeedEntry.paper_id)
            paper = session.scalars(
                select(Paper.arxiv_id)
                .where(Paper.id.not_in(on_feed), Paper.primary_category == "cs.CL")
                .order_by(Paper.first_announced.desc(), Paper.arxiv_id)
                .limit(1)
            ).one()
        with LiveServer(create_app(settings, engine=engine), port) as server:
            yield Demo(server=server, settings=settings, engine=engine, paper=paper)
        engine.dispose()


def printed_mails(capsys: pytest.CaptureFixture[str]) -> list[dict[str, str]]:
    """The mails the console backend printed on stderr since the last call."""
    err = capsys.readouterr().err
    return [m.groupdict() for m in MAIL_BLOCK.finditer(err)]


def printed_link(capsys: pytest.CaptureFixture[str], to: str, path: str) -> str:
    mails = [m for m in printed_mails(capsys) if m["to"] == to]
    assert mails, f"the demo printed no mail to {to}"
    match = re.search(rf"https?://\S+{re.escape(path)}\S+", mails[-1]["body"])
    assert match, mails[-1]
    return match.group(0)


def new_tab(browser: Any, demo: Demo) -> Any:
    context = browser.new_context(viewport=DESKTOP, base_url=demo.url, accept_downloads=True)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: problems.append(str(e)))
    tab.problems = problems
    return tab


def sign_in(tab: Any, capsys: pytest.CaptureFixture[str], email: str, demo: Demo) -> str:
    """Ask for a link, copy it from what the demo printed, open it and press the button."""
    capsys.readouterr()
    tab.goto("/login")
    tab.fill("#email", email)
    tab.click("form.form button[type=submit]")
    main = tab.inner_text("main")
    assert "sign-in link is on its way" in main
    assert "prints each message (with the link) in the terminal" in main
    link = printed_link(capsys, email, "/login/verify?token=")
    assert link.startswith(demo.url)  # links point where the demo listens
    tab.goto(link)
    assert email in tab.inner_text("main")
    tab.click("main form.form button[type=submit]")  # opening the link alone signs nobody in
    tab.wait_for_selector("text=Signed in as")
    return link


@pytest.fixture(scope="module")
def ada_tab(browser: Any, demo: Demo) -> Iterator[Any]:
    tab = new_tab(browser, demo)
    yield tab
    tab.context.close()


@pytest.fixture
def ada(ada_tab: Any, demo: Demo, capsys: pytest.CaptureFixture[str]) -> Any:
    """Ada's tab, signed in (by the printed link) if she is not yet."""
    ada_tab.goto("/")
    if ada_tab.locator("header a.me").count() == 0:
        sign_in(ada_tab, capsys, ADA, demo)
    return ada_tab


def ensure_submitted(tab: Any, demo: Demo) -> None:
    with Session(demo.engine) as session:
        paper_id = session.scalars(select(Paper.id).where(Paper.arxiv_id == demo.paper)).one()
        if session.scalars(select(FeedEntry.id).where(FeedEntry.paper_id == paper_id)).first():
            return
    tab.goto("/submit")
    tab.fill("#paper", demo.paper)
    tab.click("main form button[type=submit]")
    tab.wait_for_url(f"**/papers/{demo.paper}")


def day_with_a_paper_to_submit(demo: Demo) -> str:
    """The newest day with papers nobody has put on the feed (their suggestions offer submit)."""
    with Session(demo.engine) as session:
        day = session.scalars(
            select(Paper.first_announced)
            .where(Paper.id.not_in(select(FeedEntry.paper_id)))
            .order_by(Paper.first_announced.desc())
            .limit(1)
        ).one()
    return day.isoformat()


def no_csp_problems(tab: Any) -> None:
    assert not [p for p in tab.problems if "Content Security Policy" in p], tab.problems


# The journeys ----------------------------------------------------------------------------------


def test_sign_in_by_the_printed_link(
    ada_tab: Any, demo: Demo, capsys: pytest.CaptureFixture[str]
) -> None:
    link = sign_in(ada_tab, capsys, ADA, demo)
    name = user_name(demo.engine, ADA)
    assert f"Signed in as {name}" in ada_tab.inner_text("body")
    assert ada_tab.locator("header a.me").inner_text().strip() == name
    # The link works once: opened again, it lands on the sign-in form with the reason, and a
    # new link is one press away.
    response = ada_tab.goto(link)
    assert response is not None and response.status == 400
    assert ada_tab.locator("main #email").count() == 1
    no_csp_problems(ada_tab)


def test_submit_a_sample_paper_the_demo_clock_makes_recent(ada: Any, demo: Demo) -> None:
    ada.goto("/submit")
    ada.fill("#paper", f"https://arxiv.org/abs/{demo.paper}")
    ada.click("main form button[type=submit]")
    ada.wait_for_url(f"**/papers/{demo.paper}")
    assert f"Submitted {demo.paper} to today's feed." in ada.inner_text("body")
    # "Today" is the sample's last day: the paper is on that day's feed, first in line for votes.
    ada.goto(f"/papers/date/{demo.settings.demo_today}")
    assert ada.locator(f'[id="p-{demo.paper}"]').count() == 1


def test_upvote_changes_the_count(ada: Any, demo: Demo) -> None:
    ensure_submitted(ada, demo)
    ada.goto(f"/papers/{demo.paper}")
    button = ada.locator("main .actions .vote-button")
    assert button.get_attribute("aria-pressed") == "false"
    before = int(button.locator(".count").inner_text())
    button.click()
    ada.wait_for_selector('main .actions .vote-button[aria-pressed="true"]')
    assert int(ada.locator("main .actions .vote-button .count").inner_text()) == before + 1
    ada.reload()  # the vote is stored, not only drawn
    assert ada.locator("main .actions .vote-button").get_attribute("aria-pressed") == "true"


def test_comment_and_a_reply_nested_under_it(ada: Any, demo: Demo) -> None:
    ensure_submitted(ada, demo)
    ada.goto(f"/papers/{demo.paper}")
    ada.fill("#comment-body", "Does the **bound** hold for $n \\log n$ tokens?")
    ada.click("#comments > form.form button[type=submit]")
    ada.wait_for_selector(".comment-body strong")
    ada.wait_for_selector(".comment-body .katex")
    first = ada.locator("#comments .comment").first.get_attribute("id")
    ada.click(f"#{first} > .comment-actions details.reply summary")
    ada.fill(f"#{first} textarea[name=body]", "Answering myself: yes, see section 4.")
    ada.click(f"#{first} details.reply button[type=submit]")
    ada.wait_for_selector(f"#{first} .replies .comment")
    reply = ada.locator(f"#{first} .replies .comment")
    assert reply.count() == 1
    assert "see section 4" in reply.inner_text()
    assert "Comments (2)" in ada.inner_text("#comments-h")
    no_csp_problems(ada)


def test_add_to_a_collection_and_stay_on_the_paper(ada: Any, demo: Demo) -> None:
    ensure_submitted(ada, demo)
    name = user_name(demo.engine, ADA)
    ada.goto("/collections")
    if "Reading group" not in ada.inner_text("main"):
        ada.fill("#c-name", "Reading group")
        ada.click("main form.form button[type=submit]")
        ada.wait_for_url(f"**/u/{name}/c/reading-group")
    ada.goto(f"/papers/{demo.paper}")
    ada.click("aside form.form button[type=submit]")
    ada.wait_for_selector("#col-status a")
    assert ada.url.endswith(f"/papers/{demo.paper}")
    assert f"{demo.paper} is now in Reading group" in ada.inner_text("#col-status")


def test_export_bibtex_of_the_collection(ada: Any, demo: Demo) -> None:
    name = user_name(demo.engine, ADA)
    ada.goto(f"/u/{name}/c/reading-group")
    if demo.paper not in ada.inner_text("main"):
        pytest.fail("the collection journey did not put the paper in Reading group")
    with ada.expect_download() as download_info:
        ada.click("text=Export BibTeX")
    bibtex = Path(download_info.value.path()).read_text(encoding="utf-8")
    entries = re.findall(r"^@(\w+)\{([^,]+),", bibtex, re.M)
    assert entries, bibtex
    assert bibtex.count("{") == bibtex.count("}")  # balanced: parses as BibTeX
    assert f"eprint = {{{demo.paper}}}" in bibtex


def test_subscribe_and_confirm_by_the_printed_mail(
    browser: Any, demo: Demo, capsys: pytest.CaptureFixture[str]
) -> None:
    tab = new_tab(browser, demo)  # no account needed
    capsys.readouterr()
    tab.goto("/subscribe")
    tab.fill("#email", "reader@example.org")
    tab.select_option("#timezone", "Europe/Berlin")
    tab.click("main form.form button[type=submit]")
    assert "Check your inbox" in tab.inner_text("main")
    link = printed_link(capsys, "reader@example.org", "/subscriptions/confirm/")
    tab.goto(link)
    tab.click("main form button[type=submit]")
    main = tab.inner_text("main")
    assert "Subscribed" in main and "reader@example.org will receive" in main
    no_csp_problems(tab)
    tab.context.close()


def test_claim_authorship_shown_after_an_admin_confirms(
    ada: Any, browser: Any, demo: Demo, capsys: pytest.CaptureFixture[str]
) -> None:
    ensure_submitted(ada, demo)
    ada.goto(f"/papers/{demo.paper}")
    author = ada.locator("#claim-author option").first.inner_text().strip()
    ada.select_option("#claim-author", author)
    ada.click("#authorship button[type=submit]")
    ada.wait_for_selector("#authorship")
    assert f"Your claim to be {author} waits for an admin" in ada.inner_text("main")
    assert ada.locator("a.claimed-author").count() == 0

    editor = new_tab(browser, demo)
    sign_in(editor, capsys, EDITOR, demo)
    make_admin(demo.engine, EDITOR)  # what `papertide admin NAME` does
    editor.goto("/admin")
    row = editor.locator("#claims ~ table tr", has_text=author)
    row.locator("button", has_text="Confirm").click()
    editor.wait_for_url("**/admin#claims")
    editor.context.close()

    ada.goto(f"/papers/{demo.paper}")
    claimed = ada.locator("a.claimed-author")
    assert author in claimed.inner_text()
    assert claimed.get_attribute("href") == f"/u/{user_name(demo.engine, ADA)}"
    assert f"You are shown as {author} on this paper." in ada.inner_text("#authorship")


def test_for_you_shows_papers_after_a_vote_and_a_collection(ada: Any, demo: Demo) -> None:
    ensure_submitted(ada, demo)
    ada.goto(f"/papers/{demo.paper}")
    if ada.locator("main .actions .vote-button").get_attribute("aria-pressed") == "false":
        ada.click("main .actions .vote-button")
        ada.wait_for_selector('main .actions .vote-button[aria-pressed="true"]')
    ada.click("header a[href='/recommendations']")
    ada.wait_for_url("**/recommendations")
    items = ada.locator("main ol > li")
    assert items.count() > 0, ada.inner_text("main")[:500]
    assert "Nothing yet" not in ada.inner_text("main")
    assert demo.paper not in ada.locator("main ol").inner_html()  # not the one already liked


def test_suggested_papers_with_reasons_then_submit_and_upvote_one(
    ada: Any, browser: Any, demo: Demo
) -> None:
    """The model's papers above its line, each with its chance and reasons in words: on the
    demo's today (the sample's last day, whose listed papers are all on the feed already: upvote
    buttons), and on the latest day with papers not on the feed, where one is submitted with one
    click, then upvoted from the same list, and both show at once."""
    visitor = new_tab(browser, demo)
    visitor.goto("/")
    section = visitor.locator("#suggested")
    assert "Suggested papers" in section.inner_text()
    items = section.locator("li.suggestion")
    assert items.count() > 0, section.inner_text()
    for i in range(items.count()):
        item = items.nth(i)
        chance = item.locator(".chance").inner_text()
        # On the feed already (every listed paper of the demo's today is): where, and votes.
        assert re.search(
            r"(\d+%|>99%) chance of being picked|on the feed of .* · \d+ votes?", chance
        ), chance
        assert item.locator(".reasons li").count() > 0, item.inner_text()
    count = section.locator(".suggested-count").inner_text()
    assert re.search(r"\d+ of the day's \d+ new papers .* are above the line", count), count
    # Signed out, each action leads to the sign-in page (voting directly, submitting through
    # the submit form, which asks to sign in first).
    votes = visitor.locator('#suggested a.vote-button[href^="/login"]').count()
    submits = visitor.locator('#suggested a.button[href^="/submit?paper="]').count()
    assert votes + submits == items.count() and votes > 0
    visitor.context.close()

    day = day_with_a_paper_to_submit(demo)
    ada.goto(f"/papers/date/{day}")
    ada.wait_for_load_state("networkidle")
    shoot_element(ada, "#suggested", "suggested-papers")
    form = ada.locator("#suggested form.suggest-submit").first
    assert form.count() == 1, f"{day} has a suggested paper not on the feed yet"
    arxiv_id = form.locator('input[name="paper"]').get_attribute("value")
    form.locator("button").click()
    ada.wait_for_selector(f"text=Submitted {arxiv_id} to today's feed.")
    assert ada.url.endswith(f"/papers/date/{day}#s-{arxiv_id}")
    row = f'[id="s-{arxiv_id}"]'  # ids hold a dot: no "#…" selector
    item = ada.locator(row)
    assert item.locator("form.suggest-submit").count() == 0
    assert "on the feed of" in item.inner_text()
    button = item.locator(".vote-button")
    assert button.get_attribute("aria-pressed") == "false"
    before = int(button.locator(".count").inner_text())
    button.click()
    ada.wait_for_selector(f'{row} .vote-button[aria-pressed="true"]')
    assert int(item.locator(".vote-button .count").inner_text()) == before + 1
    ada.goto("/")  # today's feed has it
    assert ada.locator(f'main article.card[id="p-{arxiv_id}"]').count() == 1
    no_csp_problems(ada)


# Screenshots -----------------------------------------------------------------------------------


def shoot(tab: Any, kind: str) -> None:
    """`<kind>-light.png` and `<kind>-dark.png` at desktop size, `<kind>-mobile.png` on a phone."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for scheme in ("light", "dark"):
        tab.emulate_media(color_scheme=scheme)
        tab.screenshot(path=str(SCREENSHOTS / f"{kind}-{scheme}.png"), animations="disabled")
    tab.emulate_media(color_scheme="light")
    tab.set_viewport_size(PHONE)
    width = tab.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{kind}: horizontal scrolling on a phone ({width}px)"
    tab.screenshot(path=str(SCREENSHOTS / f"{kind}-mobile.png"), animations="disabled")
    tab.set_viewport_size(DESKTOP)


def test_a_misspelt_search_offers_the_corrected_one(ada: Any, demo: Demo) -> None:
    """ "difusion models": no paper has "difusion"; the page offers "diffusion models", whose
    link keeps the filter and finds diffusion papers above the line."""
    ada.goto("/search?q=difusion+models&category=cs")
    offer = ada.locator("main .did-you-mean a")
    assert offer.inner_text() == "diffusion models"
    # each result says what it lacks: the misspelt word is in none of them
    first = ada.locator("main article.result").first
    assert first.locator(".missing").inner_text() == "Missing: difusion"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    box = ada.locator("main .did-you-mean").bounding_box()
    card = first.bounding_box()
    assert box is not None and card is not None
    clip = {"x": box["x"], "y": box["y"], "width": card["width"] + card["x"] - box["x"]}
    clip["height"] = card["y"] + card["height"] - box["y"]
    ada.screenshot(
        path=str(SCREENSHOTS / "search-did-you-mean.png"), clip=clip, animations="disabled"
    )
    offer.click()
    ada.wait_for_url("**/search?q=diffusion+models&category=cs")
    assert ada.locator("main .did-you-mean").count() == 0
    assert ada.locator("main article.result .missing").count() < 20  # most have every word
    assert ada.locator("main #q").input_value() == "diffusion models"
    cards = ada.locator("main article.result")
    assert all("diffusion" in cards.nth(i).inner_text().lower() for i in range(5))


def shoot_element(tab: Any, selector: str, kind: str, max_height: int = 1400) -> None:
    """One part of a page (`selector`, its first `max_height` pixels) in light, dark and phone
    size, named like `shoot`. Taken from the whole page at scroll 0, so the sticky site header
    stays at the top instead of covering the part."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(path: Path) -> None:
        tab.evaluate("window.scrollTo(0, 0)")
        box = tab.locator(selector).bounding_box()
        assert box is not None, selector
        clip = {**box, "height": min(box["height"], max_height)}
        tab.screenshot(path=str(path), full_page=True, clip=clip, animations="disabled")

    for scheme in ("light", "dark"):
        tab.emulate_media(color_scheme=scheme)
        take(SCREENSHOTS / f"{kind}-{scheme}.png")
    tab.emulate_media(color_scheme="light")
    tab.set_viewport_size(PHONE)
    width = tab.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{kind}: horizontal scrolling on a phone ({width}px)"
    take(SCREENSHOTS / f"{kind}-mobile.png")
    tab.set_viewport_size(DESKTOP)


def test_screenshots_of_every_page_kind(ada: Any, browser: Any, demo: Demo) -> None:
    ensure_submitted(ada, demo)
    name = user_name(demo.engine, ADA)
    pages = {
        "feed": "/",
        "paper": f"/papers/{demo.paper}",
        "trending": "/trending?window=week",
        "search": "/search?q=language+models",
        "category": "/c/cs.CL",
        "collection": f"/u/{name}/c/reading-group",
        "user": f"/u/{name}",
        "submit": "/submit",
        "subscribe": "/subscribe",
        "for-you": "/recommendations",
    }
    for kind, path in pages.items():
        response = ada.goto(path)
        assert response is not None and response.status == 200, (kind, response)
        ada.wait_for_load_state("networkidle")
        shoot(ada, kind)
    response = ada.goto("/papers/2101.99999")
    assert response is not None and response.status == 404
    shoot(ada, "not-found")
    ada.goto("/docs")
    ada.wait_for_selector(".swagger-ui .opblock-summary", timeout=30_000)
    shoot(ada, "docs")

    visitor = new_tab(browser, demo)  # the sign-in page as someone not signed in sees it
    visitor.goto("/login")
    shoot(visitor, "sign-in")
    visitor.context.close()
    no_csp_problems(ada)
