"""A real Chromium on discussion and people: a threaded reply with math, the reply mail and its
one-click opt-out, avatars that load, claiming authorship, and voting from search results."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine
from tests.e2e.conftest import LiveServer, mailing_settings
from tests.web.conftest import Mailbox, free_port, seed_database, user_name

from papertide.config import Settings
from papertide.search.api import get_searcher
from papertide.web.app import create_app

pytestmark = pytest.mark.browser
PAPER = "2608.00001"  # authors: Ada Lovelace, Alan Turing


@pytest.fixture
def site(
    settings: Settings, engine: Engine, mailbox: Mailbox, no_index_follower: None
) -> Iterator[LiveServer]:
    port = free_port()
    cfg = mailing_settings(settings, mailbox, port, trusted_author_domains=["example.edu"])
    seed_database(engine)
    get_searcher(cfg).sync(engine, embed=False)
    with LiveServer(create_app(cfg, engine=engine), port) as server:
        yield server


def new_tab(browser: Any, site: LiveServer) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=site.url)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: problems.append(str(e)))
    tab.problems = problems
    return tab


def wait_for_mail(mailbox: Mailbox, subject_part: str, count: int = 1) -> Any:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        found = [m for m in mailbox.messages if subject_part in str(m["Subject"])]
        if len(found) >= count:
            return found[count - 1]
        time.sleep(0.1)
    raise AssertionError(f"no mail with {subject_part!r} arrived")


def sign_in(tab: Any, mailbox: Mailbox, email: str) -> None:
    before = len(mailbox.messages)
    tab.goto("/login")
    tab.fill("#email", email)
    tab.click("form.form button[type=submit]")
    deadline = time.monotonic() + 15
    while len(mailbox.messages) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    tab.goto(mailbox.last_link())
    tab.click("main form.form button[type=submit]")  # opening the link alone signs nobody in
    tab.wait_for_selector("text=Signed in as")


def test_threaded_reply_with_math_mails_the_author_who_stops_it_in_one_click(
    browser: Any, site: LiveServer, mailbox: Mailbox, engine: Engine
) -> None:
    ada = new_tab(browser, site)
    sign_in(ada, mailbox, "ada@example.org")
    ada.goto(f"/papers/{PAPER}")
    ada.fill("#comment-body", "Is $\\mathcal{L}_{ID}$ the loss? <script>window.pwned = 1</script>")
    ada.click("#comments > form.form button[type=submit]")
    ada.wait_for_selector(".comment-body .katex")  # math rendered by the vendored KaTeX
    assert ada.evaluate("window.pwned === undefined")
    first = ada.locator(".comment").first.get_attribute("id")

    bob = new_tab(browser, site)
    sign_in(bob, mailbox, "bob@example.org")
    bob.goto(f"/papers/{PAPER}")
    bob.click(f"#{first} > .comment-actions details.reply summary")
    bob.fill(f"#{first} textarea[name=body]", "Yes: $$\\sum_i \\ell(x_i)$$ over faces.")
    bob.click(f"#{first} details.reply button[type=submit]")
    bob.wait_for_selector(f"#{first} .replies .comment .katex-display")
    assert bob.locator(f"#{first} .replies .comment").count() == 1
    assert "Comments (2)" in bob.inner_text("#comments-h")

    mail = wait_for_mail(mailbox, f"{user_name(engine, 'bob@example.org')} replied to your comment")
    assert mail["To"] == "ada@example.org"
    opt_out = re.search(r"<([^>]+)>", mail["List-Unsubscribe"]).group(1)  # type: ignore[union-attr]
    ada.goto(opt_out)
    assert f"Stop mailing {user_name(engine, 'ada@example.org')}" in ada.inner_text("main")
    ada.click("main form button[type=submit]")
    assert "will no longer get a mail for replies" in ada.inner_text("main")
    ada.goto("/settings")
    assert not ada.is_checked("input[name=notify_replies]")

    for tab in (ada, bob):
        assert not [p for p in tab.problems if "Content Security Policy" in p], tab.problems
        tab.context.close()


def test_avatars_load_and_a_trusted_author_claim_shows_on_the_paper(
    browser: Any, site: LiveServer, mailbox: Mailbox, engine: Engine
) -> None:
    tab = new_tab(browser, site)
    sign_in(tab, mailbox, "ada@cs.example.edu")
    tab.goto(f"/papers/{PAPER}")
    loaded = tab.evaluate(
        "[...document.querySelectorAll('img.avatar')].map(i => i.complete && i.naturalWidth > 0)"
    )
    assert loaded and all(loaded)
    tab.select_option("#claim-author", "Ada Lovelace")
    tab.click("#authorship button[type=submit]")
    tab.wait_for_selector("a.claimed-author")
    assert "Ada Lovelace" in tab.inner_text("a.claimed-author")
    ada = user_name(engine, "ada@cs.example.edu")
    assert tab.get_attribute("a.claimed-author", "href") == f"/u/{ada}"
    tab.click("a.claimed-author")
    tab.wait_for_url(f"**/u/{ada}")
    assert "Author of" in tab.inner_text("main")
    assert tab.evaluate("document.querySelector('.profile-head img.avatar').naturalWidth") > 0
    assert not [p for p in tab.problems if "Content Security Policy" in p], tab.problems
    tab.context.close()


def test_voting_from_search_results_stays_on_the_results(
    browser: Any, site: LiveServer, mailbox: Mailbox
) -> None:
    tab = new_tab(browser, site)
    sign_in(tab, mailbox, "ada@example.org")
    tab.goto("/search?q=attention")
    card = tab.locator(f'[id="p-{PAPER}"]')
    assert "code ★ 120" in card.inner_text() and "0 comments" in card.inner_text()
    button = card.locator(".vote-button")
    assert button.inner_text().strip().endswith("5")
    button.click()
    card.locator('.vote-button[aria-pressed="true"]').wait_for()
    assert card.locator(".count").inner_text() == "6"
    assert "/search?q=attention" in tab.url
    tab.context.close()
