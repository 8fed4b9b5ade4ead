"""Values no form offers (dates at the calendar's ends, ids past 2^63, NUL characters) get a 4xx
with a message on SQLite and PostgreSQL, never a 500; and an unexpected error still answers
with the security headers on a connection that stays open."""

from __future__ import annotations

import socket

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.web.conftest import Mailbox, Seed, free_port, make_admin, sign_in

from papertide.config import Settings
from papertide.store.schema import Collection, Comment
from papertide.web.app import create_app
from papertide.web.security import SECURITY_HEADERS

HUGE = "9223372036854775808"  # 2^63: one past the largest BIGINT
HUGER = "99999999999999999999"

DATES = [
    "/api/daily_papers?date=9999-12-31",
    "/api/daily_papers?week=9999-W52",
    "/api/daily_papers?month=9999-12",
    "/api/daily_papers?date=0001-01-01",
    "/api/daily_papers?week=0001-W01",
    "/api/daily_papers?month=0001-01",
    "/api/daily_papers?date=9999-12-31&sort=publishedAt",
    "/papers/week/9999-W52",
    "/papers/week/9999-W52.json",
    "/papers/week/0001-W01",
    "/papers/week/0001-W01.json",
    "/papers/month/9999-12",
    "/papers/month/9999-12.json",
    "/papers/month/0001-01",
    "/papers/month/0001-01.json",
    "/papers/date/9999-12-31",
    "/papers/date/9999-12-31.json",
    "/papers/date/0001-01-01",
    "/papers/date/0001-01-01.json",
    "/feed.atom?date=9999-12-31",
    "/feed.rss?date=0001-01-01",
    "/search?q=graphs&from=0001-01-01&to=9999-12-31",
    "/search.json?q=graphs&from=9999-12-31",
    "/api/papers/search?q=graphs&from=0001-01-01&to=9999-12-31",
]


@pytest.mark.parametrize("url", DATES)
def test_dates_at_the_ends_of_the_calendar_get_an_answer_not_a_500(
    reader: TestClient, url: str
) -> None:
    response = reader.get(url)
    assert response.status_code < 500, response.text[:300]
    if response.status_code == 400:
        assert "out of range" in response.text


def test_the_last_good_week_and_month_still_render(reader: TestClient) -> None:
    assert reader.get("/papers/week/9998-W52").status_code == 200
    assert reader.get("/papers/month/9998-12.json").json() == []
    assert reader.get("/api/daily_papers?date=9998-12-31").json() == []


NUL_URLS = [
    "/u/%00",
    "/u/%00.json",
    "/api/daily_papers?submitter=%00",
    "/feeds/u/%00/c/x.atom",
    "/feeds/u/reader-1/c/%00.rss",
    "/u/reader-1/c/%00",
    "/c/cs.%00",
    "/papers/2608.00001%00",
    "/search?q=%00",
    "/feeds/category/cs.LG%00.atom",
]


@pytest.mark.parametrize("url", NUL_URLS)
def test_a_nul_character_in_a_url_is_a_400(reader: TestClient, url: str) -> None:
    response = reader.get(url)
    assert response.status_code == 400, response.text[:300]
    assert "NUL" in response.json()["error"]["message"]


@pytest.fixture
def admin(client: TestClient, mailbox: Mailbox, seed: Seed, engine: Engine) -> str:
    token = sign_in(client, mailbox, "admin@example.org")
    make_admin(engine, "admin@example.org")
    return token


@pytest.mark.parametrize("number", [HUGE, HUGER, "0", "-1"])
def test_ids_no_row_can_have_get_a_4xx(client: TestClient, admin: str, number: str) -> None:
    posts = [
        (f"/collections/{number}/edit", {"name": "x"}),
        (f"/collections/{number}/remove", {"arxiv_id": "2608.00001"}),
        (f"/collections/{number}/delete", {}),
        (f"/comments/{number}/edit", {"body": "x"}),
        (f"/comments/{number}/delete", {}),
        (f"/admin/comments/{number}/hide", {}),
        (f"/admin/entries/{number}/hide", {}),
        ("/collections/add", {"collection_id": number, "arxiv_id": "2608.00001"}),
        ("/recommendations/library", {"collection_id": number}),
    ]
    for url, data in posts:
        response = client.post(url, data={**data, "csrf_token": admin})
        assert 400 <= response.status_code < 500, (url, response.status_code, response.text[:200])


def test_nul_characters_in_typed_text_are_dropped_not_stored(
    client: TestClient, mailbox: Mailbox, seed: Seed, engine: Engine
) -> None:
    token = sign_in(client, mailbox)
    comment = client.post(
        "/papers/2608.00001/comments", data={"csrf_token": token, "body": "nice\x00 result\x1b"}
    )
    assert comment.status_code == 303
    created = client.post(
        "/collections",
        data={"csrf_token": token, "name": "Reading\x00 list", "description": "a\x00b"},
    )
    assert created.status_code == 303
    only_nul = client.post(
        "/papers/2608.00001/comments", data={"csrf_token": token, "body": "\x00"}
    )
    assert only_nul.status_code == 400
    with Session(engine) as session:
        assert session.scalars(select(Comment.body)).one() == "nice result"
        collection = session.scalars(select(Collection)).one()
        assert (collection.name, collection.description) == ("Reading list", "ab")


# An unexpected error ----------------------------------------------------------------------------


def _exchange(sock: socket.socket, path: str) -> bytes:
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head


def test_an_unexpected_error_answers_500_with_the_security_headers_and_keeps_the_connection(
    web_settings: Settings, engine: Engine
) -> None:
    from tests.e2e.conftest import LiveServer

    app = create_app(web_settings, engine=engine)

    def broken() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/broken", broken)
    with LiveServer(app, free_port()) as server:
        port = int(server.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            head = _exchange(sock, "/broken").lower()
            assert head.startswith(b"http/1.1 500")
            for name, _value in SECURITY_HEADERS:
                assert name + b":" in head, name
            assert b"traceback" not in head
            again = _exchange(sock, "/healthz")  # the same connection still answers
            assert again.startswith(b"HTTP/1.1 200"), again[:200]
