"""Votes (one per user, toggled, flood-limited) and comments (sanitised Markdown, owners only)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.web.conftest import DAY, Mailbox, Seed, make_admin, sign_in

from papertide.store.schema import Comment, FeedEntry


def entry_votes(engine: Engine, paper_id: int) -> tuple[int, int]:
    with Session(engine) as session:
        entry = session.scalars(select(FeedEntry).where(FeedEntry.paper_id == paper_id)).one()
        return entry.imported_upvotes, entry.upvotes


def test_vote_toggles_and_keeps_imported_plus_local(
    client: TestClient, mailbox: Mailbox, seed: Seed, engine: Engine
) -> None:
    token = sign_in(client, mailbox)
    paper = seed.papers["a"]
    json = {"accept": "application/json"}
    first = client.post("/papers/2608.00001/vote", data={"csrf_token": token}, headers=json).json()
    assert first == {"paper": "2608.00001", "voted": True, "upvotes": 6}
    assert entry_votes(engine, paper.id) == (5, 6)
    second = client.post("/papers/2608.00001/vote", data={"csrf_token": token}, headers=json).json()
    assert second["voted"] is False and second["upvotes"] == 5
    assert entry_votes(engine, paper.id) == (5, 5)


def test_two_users_count_twice_and_feed_order_follows(
    client: TestClient, mailbox: Mailbox, seed: Seed
) -> None:
    for email in ("one@example.org", "two@example.org"):
        token = sign_in(client, mailbox, email)
        client.post("/papers/2608.00003/vote", data={"csrf_token": token})
    body = client.get(f"/papers/date/{DAY}.json").json()
    votes = {e["paper"]["id"]: e["paper"]["upvotes"] for e in body}
    assert votes["2608.00003"] == 2


def test_anonymous_vote_is_refused(client: TestClient, seed: Seed) -> None:
    client.get("/login")  # a session with a CSRF token, but nobody signed in
    response = client.post("/papers/2608.00001/vote", headers={"accept": "application/json"})
    assert response.status_code in (401, 403)


def test_vote_flooding_gets_429_with_retry_after(
    client: TestClient, mailbox: Mailbox, seed: Seed
) -> None:
    token = sign_in(client, mailbox)
    statuses = [
        client.post("/papers/2608.00001/vote", data={"csrf_token": token}).status_code
        for _ in range(35)
    ]
    assert 429 in statuses
    assert statuses.index(429) == 30
    limited = client.post(
        "/papers/2608.00001/vote",
        data={"csrf_token": token},
        headers={"accept": "application/json"},
    )
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.json()["error"]["code"] == "rate_limited"


def test_vote_on_unknown_paper_is_404(client: TestClient, mailbox: Mailbox, seed: Seed) -> None:
    token = sign_in(client, mailbox)
    assert client.post("/papers/2608.99999/vote", data={"csrf_token": token}).status_code == 404


def test_script_in_comments_is_neutralised_and_markdown_rendered(
    client: TestClient, mailbox: Mailbox, seed: Seed
) -> None:
    token = sign_in(client, mailbox)
    body = (
        "**bold** and `code` <script>alert('x')</script> "
        "[link](javascript:alert(1)) [ok](https://example.org) <img src=x onerror=alert(1)>"
    )
    response = client.post("/papers/2608.00001/comments", data={"csrf_token": token, "body": body})
    assert response.status_code == 303
    html = client.get("/papers/2608.00001").text
    assert "<strong>bold</strong>" in html and "<code>code</code>" in html
    assert "<script>alert('x')</script>" not in html
    assert 'href="javascript' not in html
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html  # shown as text, not run
    assert 'href="https://example.org"' in html and "nofollow" in html


def test_empty_and_oversized_comments_are_refused(
    client: TestClient, mailbox: Mailbox, seed: Seed
) -> None:
    token = sign_in(client, mailbox)
    assert (
        client.post(
            "/papers/2608.00001/comments", data={"csrf_token": token, "body": "  "}
        ).status_code
        == 400
    )
    big = client.post("/papers/2608.00001/comments", data={"csrf_token": token, "body": "x" * 6000})
    assert big.status_code == 400


def test_only_the_author_or_an_admin_edits_or_deletes(
    client: TestClient, mailbox: Mailbox, seed: Seed, engine: Engine
) -> None:
    author_token = sign_in(client, mailbox, "author@example.org")
    client.post("/papers/2608.00001/comments", data={"csrf_token": author_token, "body": "mine"})
    with Session(engine) as session:
        comment_id = session.scalars(select(Comment.id)).one()
    edited = client.post(
        f"/comments/{comment_id}/edit", data={"csrf_token": author_token, "body": "mine, edited"}
    )
    assert edited.status_code == 303
    other_token = sign_in(client, mailbox, "other@example.org")
    assert (
        client.post(
            f"/comments/{comment_id}/edit", data={"csrf_token": other_token, "body": "hijack"}
        ).status_code
        == 403
    )
    assert (
        client.post(f"/comments/{comment_id}/delete", data={"csrf_token": other_token}).status_code
        == 403
    )
    assert "mine, edited" in client.get("/papers/2608.00001").text
    make_admin(engine, "other@example.org")
    assert (
        client.post(f"/comments/{comment_id}/delete", data={"csrf_token": other_token}).status_code
        == 303
    )
    assert "mine, edited" not in client.get("/papers/2608.00001").text


def test_comment_flooding_gets_429(client: TestClient, mailbox: Mailbox, seed: Seed) -> None:
    token = sign_in(client, mailbox)
    statuses = [
        client.post(
            "/papers/2608.00002/comments", data={"csrf_token": token, "body": f"comment {n}"}
        ).status_code
        for n in range(6)
    ]
    assert statuses == [303] * 5 + [429]
