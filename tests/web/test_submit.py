"""Submitting papers to today's feed: ids and URLs, duplicates, age limit, bad input."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests.web.conftest import Mailbox, Seed, add_paper, sign_in


def fresh_paper(engine: Engine, arxiv_id: str = "2611.00001") -> None:
    with Session(engine) as session:
        add_paper(session, arxiv_id, "Fresh results", published=dt.datetime.now(dt.UTC).date())
        session.commit()


def test_submit_by_url_puts_the_paper_on_todays_feed(
    client: TestClient, mailbox: Mailbox, seed: Seed, engine: Engine
) -> None:
    fresh_paper(engine)
    token = sign_in(client, mailbox)
    response = client.post(
        "/submit", data={"csrf_token": token, "paper": "https://arxiv.org/abs/2611.00001v1"}
    )
    assert response.status_code == 303 and response.headers["location"] == "/papers/2611.00001"
    today = dt.datetime.now(dt.UTC).date()
    body = client.get(f"/papers/date/{today}.json").json()
    assert [e["paper"]["id"] for e in body] == ["2611.00001"]
    assert body[0]["submittedBy"] == {"user": "ada"}
    assert "Submitted 2611.00001" in client.get("/papers/2611.00001").text


def test_duplicate_submission_points_to_the_existing_entry(
    client: TestClient, mailbox: Mailbox, seed: Seed
) -> None:
    token = sign_in(client, mailbox)
    response = client.post("/submit", data={"csrf_token": token, "paper": "2608.00001"})
    assert response.status_code == 303
    assert response.headers["location"] == "/papers/date/2026-08-19#p-2608.00001"
    as_json = client.post(
        "/submit",
        data={"csrf_token": token, "paper": "2608.00001"},
        headers={"accept": "application/json"},
    )
    assert as_json.status_code == 409 and as_json.json()["feedDate"] == "2026-08-19"


def test_old_paper_is_refused_with_the_reason(
    client: TestClient, mailbox: Mailbox, seed: Seed
) -> None:
    token = sign_in(client, mailbox)
    response = client.post("/submit", data={"csrf_token": token, "paper": "2608.00005"})
    assert response.status_code == 400
    assert "more than 14 days ago" in response.text


def test_not_an_arxiv_id_is_refused(client: TestClient, mailbox: Mailbox, seed: Seed) -> None:
    token = sign_in(client, mailbox)
    for value in ("hello", "https://example.org/abs/2608.00001", "<script>"):
        response = client.post("/submit", data={"csrf_token": token, "paper": value})
        assert response.status_code == 400, value
        assert "not an arXiv id" in response.text
        assert "<script>" not in response.text.split("<main")[1]


def test_submit_needs_an_account(client: TestClient, seed: Seed) -> None:
    assert client.get("/submit").headers["location"] == "/login?next=/submit"


def test_submissions_are_rate_limited(client: TestClient, mailbox: Mailbox, seed: Seed) -> None:
    token = sign_in(client, mailbox)
    statuses = [
        client.post("/submit", data={"csrf_token": token, "paper": "2608.00001"}).status_code
        for _ in range(11)
    ]
    assert statuses[:10] == [303] * 10 and statuses[10] == 429
