"""Submitting papers to today's feed: ids and URLs, duplicates, age limit, bad input."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests.conftest import TEST_DATA
from tests.web.conftest import Mailbox, Seed, add_paper, sign_in, user_name

from papertide.config import Settings
from papertide.web.app import create_app


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
    ada = user_name(engine, "ada@example.org")
    assert body[0]["submittedBy"]["name"] == ada and body[0]["submittedBy"]["user"] == ada
    assert body[0]["submittedBy"]["type"] == "user" and body[0]["submittedBy"]["_id"]
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


class _RecordedArxiv(BaseHTTPRequestHandler):
    """Answers every query with the recorded arXiv API response in tests/data."""

    body = (TEST_DATA / "arxiv_api_id_list.atom.xml").read_bytes()

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/atom+xml")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def arxiv_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RecordedArxiv)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/query"
    finally:
        server.shutdown()
        server.server_close()


def test_unknown_paper_is_fetched_from_arxiv_then_judged_by_age(
    web_settings: Settings, engine: Engine, mailbox: Mailbox, arxiv_server: str
) -> None:
    cfg = web_settings.model_copy(update={"arxiv_api_url": arxiv_server, "arxiv_delay_seconds": 0})
    with TestClient(create_app(cfg, engine=engine), follow_redirects=False) as client:
        token = sign_in(client, mailbox)
        response = client.post("/submit", data={"csrf_token": token, "paper": "1205.1001"})
        # The recorded paper is from 2012: fetched and kept, but too old for today's feed.
        assert response.status_code == 400
        assert "published on May 4, 2012" in response.text
        page = client.get("/papers/1205.1001")
        assert page.status_code == 200 and "Membrane lateral structure" in page.text


def test_unknown_paper_while_arxiv_is_unreachable_fails_on_the_form_at_once(
    web_settings: Settings,
    engine: Engine,
    mailbox: Mailbox,
    seed: Seed,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Nothing listens on the discard port: the connection is refused, as when offline.
    cfg = web_settings.model_copy(update={"arxiv_api_url": "http://127.0.0.1:9/api/query"})
    assert cfg.arxiv_delay_seconds == 3  # the polite pause between requests stays on
    with TestClient(create_app(cfg, engine=engine), follow_redirects=False) as client:
        token = sign_in(client, mailbox)
        response = client.post("/submit", data={"csrf_token": token, "paper": "2609.12345v2"})
        assert response.status_code == 503
        main = response.text.split("<main")[1]
        assert "arXiv cannot be reached from this server" in main
        assert "Papers already here can still be submitted" in main
        assert "ConnectError" not in main and main.count("try") == 1
        # The form is still there, with what was typed, ready for another id.
        assert 'action="/submit"' in main and 'value="2609.12345v2"' in main
        # One attempt, no retry: the person is not kept waiting.
        assert any("after 1 try;" in r.getMessage() for r in caplog.records)
        as_json = client.post(
            "/submit",
            data={"csrf_token": token, "paper": "2609.12345"},
            headers={"accept": "application/json"},
        )
        assert as_json.status_code == 503
        assert as_json.json()["error"]["code"] == "arxiv_unreachable"
