"""Sign-in links, sessions, CSRF and safe redirects."""

from __future__ import annotations

import datetime as dt
import html
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests.web.conftest import Mailbox, Seed, csrf_from, open_sign_in_link, sign_in, user_name

from papertide.config import Settings
from papertide.store.schema import User
from papertide.web.security import safe_next
from papertide.web.signin import issue_token


def test_sign_in_by_emailed_link_creates_the_account(
    client: TestClient, mailbox: Mailbox, seed: Seed, engine: Engine
) -> None:
    sign_in(client, mailbox, "Grace.Hopper@Example.org")
    home = client.get("/")
    assert user_name(engine, "grace.hopper@example.org") in home.text and "Sign out" in home.text
    cookie = client.cookies.get("pt_session")
    assert cookie
    raw = client.get("/").headers.get("set-cookie", "")
    assert raw == "" or "HttpOnly" in raw


def test_session_cookie_is_httponly_and_samesite(client: TestClient, mailbox: Mailbox) -> None:
    response = client.get("/login")
    header = response.headers["set-cookie"]
    assert "HttpOnly" in header and "SameSite=Lax" in header


def test_same_answer_for_known_and_unknown_addresses(
    client: TestClient, mailbox: Mailbox, seed: Seed
) -> None:
    token = csrf_from(client.get("/login").text)
    known = client.post("/login", data={"email": "imported@example.org", "csrf_token": token})
    unknown = client.post("/login", data={"email": "nobody@example.org", "csrf_token": token})
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace("imported@example.org", "X") == unknown.text.replace(
        "nobody@example.org", "X"
    )


def test_a_link_works_once(client: TestClient, mailbox: Mailbox) -> None:
    sign_in(client, mailbox)
    again = client.get(mailbox.last_link().replace("http://testserver", ""))
    assert again.status_code == 400
    assert "already used" in again.text


def test_forged_and_garbage_tokens_are_refused(client: TestClient, mailbox: Mailbox) -> None:
    token = csrf_from(client.get("/login").text)
    client.post("/login", data={"email": "ada@example.org", "csrf_token": token})
    link = mailbox.last_link().replace("http://testserver", "")
    forged = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    for url in (forged, "/login/verify?token=nonsense", "/login/verify"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert "not valid" in response.text
    assert (
        client.get("/login/verify?token=x", headers={"accept": "application/json"}).json()["error"][
            "code"
        ]
        == "bad_token"
    )


def test_expired_token_is_refused(
    client: TestClient, web_settings: Settings, engine: Engine
) -> None:
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=20)
    with Session(engine) as session:
        token = issue_token(
            session, web_settings.effective_secret_key(), "old@example.org", "/", past
        )
        session.commit()
    response = client.get(f"/login/verify?token={token}")
    assert response.status_code == 400
    assert "expired" in response.text


def test_token_signed_with_another_key_is_refused(client: TestClient, engine: Engine) -> None:
    with Session(engine) as session:
        token = issue_token(
            session, "another-secret", "ada@example.org", "/", dt.datetime.now(dt.UTC)
        )
        session.commit()
    assert client.get(f"/login/verify?token={token}").status_code == 400


def test_posts_without_csrf_token_are_refused(
    client: TestClient, mailbox: Mailbox, seed: Seed
) -> None:
    assert client.post("/login", data={"email": "a@example.org"}).status_code == 403
    sign_in(client, mailbox)
    for url, data in (
        ("/papers/2608.00001/vote", {}),
        ("/papers/2608.00001/comments", {"body": "hi"}),
        ("/submit", {"paper": "2608.00001"}),
        ("/collections", {"name": "x"}),
        ("/logout", {}),
    ):
        response = client.post(url, data=data)
        assert response.status_code == 403, url
        assert "CSRF" in response.text
        wrong = client.post(url, data={**data, "csrf_token": "0" * 64})
        assert wrong.status_code == 403
    json_error = client.post("/papers/2608.00001/vote", headers={"accept": "application/json"})
    assert json_error.json()["error"]["code"] == "csrf_failed"


def test_csrf_token_in_header_works_for_htmx(
    client: TestClient, mailbox: Mailbox, seed: Seed
) -> None:
    token = sign_in(client, mailbox)
    response = client.post(
        "/papers/2608.00001/vote", headers={"x-csrf-token": token, "hx-request": "true"}
    )
    assert response.status_code == 200
    assert 'aria-pressed="true"' in response.text


def test_next_redirects_only_within_the_site(client: TestClient, mailbox: Mailbox) -> None:
    token = csrf_from(client.get("/login").text)
    client.post(
        "/login",
        data={"email": "ada@example.org", "csrf_token": token, "next": "https://evil.example/x"},
    )
    response = open_sign_in_link(client, mailbox.last_link().replace("http://testserver", ""))
    assert response.headers["location"] == "/"
    assert safe_next("//evil.example") == "/"
    assert safe_next("/\\evil.example") == "/"
    assert safe_next("javascript:alert(1)") == "/"
    assert safe_next("/papers/2608.00001#comments") == "/papers/2608.00001#comments"


def test_bad_email_is_a_400_with_a_message(client: TestClient, mailbox: Mailbox) -> None:
    token = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"email": "not an email", "csrf_token": token})
    assert response.status_code == 400 and "does not look like an email" in response.text
    assert mailbox.messages == []


def test_sign_in_mails_are_rate_limited_per_address(client: TestClient, mailbox: Mailbox) -> None:
    token = csrf_from(client.get("/login").text)
    statuses = [
        client.post("/login", data={"email": "flood@example.org", "csrf_token": token}).status_code
        for _ in range(6)
    ]
    assert statuses[:5] == [200] * 5
    assert statuses[5] == 429
    limited = client.post("/login", data={"email": "flood@example.org", "csrf_token": token})
    assert int(limited.headers["retry-after"]) > 0
    assert len(mailbox.messages) == 5


def test_sign_out_clears_the_session(client: TestClient, mailbox: Mailbox, seed: Seed) -> None:
    token = sign_in(client, mailbox)
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303
    assert "Sign in" in client.get("/papers/2608.00001").text


@pytest.mark.parametrize(
    "page",
    ["/settings", "/collections", "/recommendations", "/admin", "/submit?paper=2608.00001"],
)
def test_signed_in_pages_send_a_signed_out_reader_through_sign_in_and_back(
    client: TestClient, mailbox: Mailbox, seed: Seed, page: str
) -> None:
    response = client.get(page)
    assert response.status_code == 303
    target = response.headers["location"]
    assert target == f"/login?{urlencode({'next': page}, safe='/')}"
    # The sign-in page keeps where to go back to.
    assert html.escape(page) in client.get(target).text


def test_signed_in_pages_refuse_a_banned_account(
    client: TestClient, mailbox: Mailbox, seed: Seed, engine: Engine
) -> None:
    sign_in(client, mailbox, "troll@example.org")
    with Session(engine) as session:
        session.query(User).filter_by(email="troll@example.org").one().banned = True
        session.commit()
    for page in ("/settings", "/collections", "/recommendations", "/submit"):
        response = client.get(page)
        assert response.status_code == 403, page
        assert "banned" in response.text, page
