"""People: generated avatars, profiles with counts and (opt-in) upvotes, author claims."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.web.conftest import Mailbox, Seed, make_admin, sign_in, user_name

from papertide.config import Settings
from papertide.store.schema import AuditLog, AuthorClaim
from papertide.web.app import create_app

PAPER = "2608.00001"  # authors: Ada Lovelace, Alan Turing
JSON = {"accept": "application/json"}


def test_avatars_are_generated_svgs_the_same_every_time(
    client: TestClient, mailbox: Mailbox, seed: Seed, engine: Engine
) -> None:
    sign_in(client, mailbox, "ada@example.org")
    sign_in(client, mailbox, "bob@example.org")
    ada_name, bob_name = user_name(engine, "ada@example.org"), user_name(engine, "bob@example.org")
    ada = client.get(f"/u/{ada_name}/avatar.svg")
    assert ada.status_code == 200
    assert ada.headers["content-type"].startswith("image/svg+xml")
    assert "max-age" in ada.headers["cache-control"]
    assert ada.text.startswith("<svg") and "<rect" in ada.text
    # Nothing is fetched from elsewhere: the only URL is the SVG namespace.
    assert re.findall(r"https?://[^\"]+", ada.text) == ["http://www.w3.org/2000/svg"]
    assert client.get(f"/u/{ada_name}/avatar.svg").text == ada.text
    assert client.get(f"/u/{bob_name}/avatar.svg").text != ada.text
    assert client.get("/u/nobody/avatar.svg").status_code == 404
    # Pages use them: the account bar, cards of submitted papers, comments.
    assert f'<img class="avatar" src="/u/{bob_name}/avatar.svg"' in client.get("/").text
    feed = client.get("/papers/date/2026-08-19.json").json()
    submitted = next(e for e in feed if e["submittedBy"])
    assert submitted["submittedBy"]["avatarUrl"] == "/u/reader-1/avatar.svg"


def test_profile_counts_and_upvotes_only_when_the_person_makes_them_public(
    client: TestClient, mailbox: Mailbox, seed: Seed, engine: Engine
) -> None:
    bob = sign_in(client, mailbox, "bob@example.org")
    bob_name = user_name(engine, "bob@example.org")
    client.post(f"/papers/{PAPER}/vote", data={"csrf_token": bob})
    client.post(f"/papers/{PAPER}/comments", data={"csrf_token": bob, "body": "hi"})
    client.post("/collections", data={"csrf_token": bob, "name": "Mine"})  # private
    own = client.get(f"/u/{bob_name}").text
    assert "only you see these" in own and "Alpha: attention for all" in own
    assert "<strong>1</strong> upvote" in own and "<strong>1</strong> collection" in own

    sign_in(client, mailbox, "ada@example.org")
    seen = client.get(f"/u/{bob_name}")
    assert "Upvoted papers" not in seen.text and "upvote" not in seen.text.split("Joined")[0]
    assert "<strong>1</strong> comment" in seen.text
    assert "<strong>0</strong> collections" in seen.text  # the private one is not counted
    body = client.get(f"/u/{bob_name}.json").json()
    assert body["upvoted"] is None and body["counts"]["upvotes"] is None
    assert body["counts"]["comments"] == 1 and body["avatarUrl"] == f"/u/{bob_name}/avatar.svg"

    bob = sign_in(client, mailbox, "bob@example.org")
    saved = client.post(
        "/settings",
        data={"csrf_token": bob, "public_upvotes": "true", "notify_replies": "true"},
    )
    assert saved.status_code == 303
    sign_in(client, mailbox, "ada@example.org")
    seen = client.get(f"/u/{bob_name}").text
    assert "Upvoted papers" in seen and "Alpha: attention for all" in seen
    body = client.get(f"/u/{bob_name}.json").json()
    assert [p["id"] for p in body["upvoted"]] == [PAPER]
    assert body["upvoted"][0]["upvotes"] == 6 and body["counts"]["upvotes"] == 1


def test_profile_of_a_submitter_lists_their_papers(reader: TestClient) -> None:
    page = reader.get("/u/reader-1")
    assert page.status_code == 200
    assert "<strong>1</strong> submitted" in page.text and "Alpha: attention for all" in page.text
    assert reader.get("/u/reader-1.json").json()["counts"]["submissions"] == 1
    assert reader.get("/u/nobody").status_code == 404


def test_settings_need_sign_in_and_refuse_an_overlong_name(
    client: TestClient, mailbox: Mailbox, seed: Seed
) -> None:
    assert client.get("/settings").headers["location"] == "/login?next=/settings"
    token = sign_in(client, mailbox)
    long = client.post("/settings", data={"csrf_token": token, "display_name": "x" * 81})
    assert long.status_code == 400 and "at most 80 characters" in long.text
    assert client.post("/settings", data={"display_name": "no token"}).status_code == 403


def claim(client: TestClient, token: str, author: str, paper: str = PAPER) -> Any:
    return client.post(
        f"/papers/{paper}/claim", data={"csrf_token": token, "author": author}, headers=JSON
    )


def test_an_admin_confirms_a_claim_and_the_paper_shows_it(
    client: TestClient, mailbox: Mailbox, seed: Seed, engine: Engine
) -> None:
    token = sign_in(client, mailbox, "ada@example.org")
    ada = user_name(engine, "ada@example.org")
    made = claim(client, token, "Ada Lovelace")
    assert made.status_code == 201
    assert made.json()["status"] == "pending"
    page = client.get(f"/papers/{PAPER}").text
    assert "waits for an admin" in page and 'class="claimed-author"' not in page

    sign_in(client, mailbox, "admin@example.org")
    make_admin(engine, "admin@example.org")
    admin = sign_in(client, mailbox, "admin@example.org")
    queue = client.get("/admin").text
    assert "Authorship claims waiting" in queue and "ada@example.org" in queue
    with Session(engine) as session:
        claim_id = session.scalars(select(AuthorClaim.id)).one()
    confirmed = client.post(f"/admin/claims/{claim_id}/confirm", data={"csrf_token": admin})
    assert confirmed.status_code == 303

    client.cookies.clear()
    page = client.get(f"/papers/{PAPER}").text
    claimed = rf'<a class="claimed-author" href="/u/{re.escape(ada)}"[^>]*>.*?Ada Lovelace'
    assert re.search(claimed, page)
    assert "Alan Turing" in page and page.count('class="claimed-author"') == 1
    profile = client.get(f"/u/{ada}")
    assert "Author of" in profile.text and "<strong>1</strong> paper as author" in profile.text
    with Session(engine) as session:
        assert session.scalars(select(AuditLog.action)).all() == ["confirm_claim"]


def test_claims_refuse_strangers_names_and_repeats_and_can_be_withdrawn(
    client: TestClient, mailbox: Mailbox, seed: Seed, engine: Engine
) -> None:
    token = sign_in(client, mailbox)
    stranger = claim(client, token, "Grace Hopper")
    assert stranger.status_code == 400
    assert stranger.json()["error"]["code"] == "not_an_author"
    assert claim(client, token, "Ada Lovelace").status_code == 201
    again = claim(client, token, "Alan Turing")
    assert again.status_code == 409
    withdrawn = client.post(
        f"/papers/{PAPER}/claim/withdraw", data={"csrf_token": token}, headers=JSON
    )
    assert withdrawn.json() == {"paper": PAPER, "withdrawn": True}
    assert claim(client, token, "Alan Turing").status_code == 201

    # Rejected: it stays rejected, and only admins decide.
    with Session(engine) as session:
        claim_id = session.scalars(select(AuthorClaim.id)).one()
    refused = client.post(f"/admin/claims/{claim_id}/reject", data={"csrf_token": token})
    assert refused.status_code == 403
    make_admin(engine, "ada@example.org")
    client.post(f"/admin/claims/{claim_id}/reject", data={"csrf_token": token})
    assert claim(client, token, "Ada Lovelace").status_code == 409
    assert "turned down your claim" in client.get(f"/papers/{PAPER}").text
    unknown = client.post(f"/admin/claims/{claim_id}/maybe", data={"csrf_token": token})
    assert unknown.status_code == 404
    anonymous = TestClient(client.app)
    assert claim(anonymous, token, "Ada Lovelace").status_code in (401, 403)


@pytest.fixture
def trusting(web_settings: Settings, engine: Engine, seed: Seed) -> Iterator[TestClient]:
    """The app of an instance that trusts its own domain's people to claim their papers."""
    cfg = web_settings.model_copy(update={"trusted_author_domains": ["example.edu"]})
    with TestClient(create_app(cfg, engine=engine), follow_redirects=False) as client:
        yield client


def test_a_trusted_domain_confirms_at_once_unless_the_author_is_taken(
    trusting: TestClient, mailbox: Mailbox, engine: Engine
) -> None:
    token = sign_in(trusting, mailbox, "ada@cs.example.edu")  # a subdomain counts
    made = claim(trusting, token, "Ada Lovelace")
    assert made.json()["status"] == "confirmed"
    ada = user_name(engine, "ada@cs.example.edu")
    assert f'class="claimed-author" href="/u/{ada}"' in trusting.get(f"/papers/{PAPER}").text
    # Someone else from the same domain claiming the same author: an admin decides.
    token = sign_in(trusting, mailbox, "impostor@example.edu")
    assert claim(trusting, token, "Ada Lovelace").json()["status"] == "pending"
    # A look-alike domain is not trusted.
    token = sign_in(trusting, mailbox, "alan@notexample.edu")
    assert claim(trusting, token, "Alan Turing").json()["status"] == "pending"
