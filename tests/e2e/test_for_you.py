""" "For you" in a real Chromium on the demo as `papertide demo` starts it (the server and the
sign-in by the printed link are those of test_demo_journeys): a reader upvotes three papers on
one topic and /recommendations ranks the demo week's whole listing in the instance's categories
(in the bundled sample every paper of that week is also on the feed; tests/digest/
test_for_you_pool.py covers listed papers nobody submitted), best first, each with its reason
naming papers she voted for.
Saves docs/screenshots/for-you-after-votes.png."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.test_demo_journeys import ADA, DESKTOP, Demo, ada, ada_tab, demo  # noqa: F401

from papertide.models import SeedOwner
from papertide.rank.recommend import recommend, short_title
from papertide.store.schema import Paper, User

pytestmark = pytest.mark.browser


def _topic_papers(site: Demo, word: str, n: int) -> list[Paper]:
    """`n` sample papers with `word` in the title, newest first."""
    with Session(site.engine) as session:
        return list(
            session.scalars(
                select(Paper)
                .where(Paper.title.ilike(f"%{word}%"), Paper.first_announced.is_not(None))
                .order_by(Paper.first_announced.desc(), Paper.arxiv_id)
                .limit(n)
            )
        )


def _vote(tab: Any, arxiv_id: str) -> None:
    tab.goto(f"/papers/{arxiv_id}")
    button = tab.locator("main .actions .vote-button")
    if button.get_attribute("aria-pressed") == "false":
        button.click()
        tab.wait_for_selector('main .actions .vote-button[aria-pressed="true"]')


def test_for_you_after_three_votes_ranks_the_weeks_listing_with_reasons(
    ada: Any,  # noqa: F811
    demo: Demo,  # noqa: F811
) -> None:
    voted = _topic_papers(demo, "video", 3)
    assert len(voted) == 3
    for paper in voted:
        _vote(ada, paper.arxiv_id)

    ada.goto("/recommendations")
    items = ada.locator("main ol > li")
    assert items.count() > 0, ada.inner_text("main")[:500]
    shown = [href.rsplit("/", 1)[1] for href in items.locator("h3 > a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )]  # fmt: skip
    reasons = items.locator(".reason").all_inner_texts()
    assert len(reasons) == len(shown)
    titles = {f"“{short_title(p.title)}”" for p in voted}
    for reason in reasons:
        assert reason.startswith("close to “") and "from your library" in reason, reason
        assert any(t in reason for t in titles), reason  # it names papers she voted for
    assert not {p.arxiv_id for p in voted} & set(shown)
    # Best first: the order of the ranker over the demo week's listing in the instance's
    # categories (what the page promises), nothing left out above the line.
    with Session(demo.engine) as session:
        ada_id = session.scalars(select(User.id).where(User.email == ADA)).one()
        ranked = recommend(
            session,
            SeedOwner.for_user(ada_id),
            demo.settings.now(),
            categories=demo.settings.categories,
            limit=20,
        )
        ids = {p.id: p.arxiv_id for p in session.scalars(select(Paper))}
    assert shown == [ids[r.paper_id] for r in ranked]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    ada.set_viewport_size(DESKTOP)
    ada.screenshot(path=str(SCREENSHOTS / "for-you-after-votes.png"), animations="disabled")
