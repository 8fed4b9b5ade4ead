"""Sign-in by mailed link: what scanners, floods and odd input must not be able to do."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from tests.web.conftest import (
    Mailbox,
    csrf_from,
    free_port,
    open_sign_in_link,
    sign_in,
    user_name,
)

from papertide.config import Settings
from papertide.store.schema import LoginToken, User
from papertide.web.app import create_app


def _ask_for_link(client: TestClient, email: str) -> tuple[int, str]:
    page = client.get("/login")
    response = client.post("/login", data={"email": email, "csrf_token": csrf_from(page.text)})
    return response.status_code, response.text


@pytest.fixture
def clients_at(web_settings: Settings, engine: Engine) -> Iterator[dict[str, TestClient]]:
    """One app, reached from several client addresses (one TestClient per address)."""
    app = create_app(web_settings, engine=engine)
    clients: dict[str, TestClient] = {}

    class At(dict[str, TestClient]):
        def __missing__(self, ip: str) -> TestClient:
            made = TestClient(app, follow_redirects=False, client=(ip, 40000))
            made.__enter__()
            clients[ip] = made
            self[ip] = made
            return made

    yield At()
    for made in clients.values():
        made.__exit__(None, None, None)


# 13.4 ------------------------------------------------------------------------------------------


def test_head_and_get_of_a_sign_in_link_use_nothing_up(
    client: TestClient, mailbox: Mailbox, engine: Engine
) -> None:
    status, _ = _ask_for_link(client, "ada@example.org")
    assert status == 200
    link = mailbox.last_link().replace("http://testserver", "")
    with TestClient(client.app, follow_redirects=False) as scanner:  # a mail scanner, a preview
        head = scanner.head(link)
        assert head.status_code == 200
        assert scanner.get(link).status_code == 200
        assert "Sign out" not in scanner.get("/login").text
    with Session(engine) as session:
        assert session.scalar(select(LoginToken.used_at)) is None
    page = client.get(link)
    assert "ada@example.org" in page.text and 'action="/login/verify"' in page.text
    signed_in = open_sign_in_link(client, link)
    assert signed_in.status_code == 303
    assert "Sign out" in client.get("/papers/2608.00001").text


def test_pressing_sign_in_needs_the_pages_csrf_token(client: TestClient, mailbox: Mailbox) -> None:
    """Login CSRF: another site cannot sign a visitor into the attacker's account."""
    _ask_for_link(client, "mallory@example.org")
    link = mailbox.last_link().replace("http://testserver", "")
    token = re.search(r"token=(\S+)", link)
    assert token
    forced = client.post("/login/verify", data={"token": token.group(1)})
    assert forced.status_code == 403


# 13.6 ------------------------------------------------------------------------------------------


def test_requests_from_many_addresses_do_not_lock_the_owner_out(
    clients_at: dict[str, TestClient], mailbox: Mailbox
) -> None:
    for n in range(1, 6):
        status, _ = _ask_for_link(clients_at[f"203.0.113.{n}"], "victim@example.org")
        assert status == 200
    status, page = _ask_for_link(clients_at["198.51.100.7"], "victim@example.org")
    assert status == 200 and "on its way" in page
    assert len(mailbox.messages) == 6


def test_one_address_flooding_one_email_gets_429(
    clients_at: dict[str, TestClient], mailbox: Mailbox
) -> None:
    attacker = clients_at["203.0.113.9"]
    statuses = [_ask_for_link(attacker, "victim@example.org")[0] for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    owner = clients_at["198.51.100.7"]
    assert _ask_for_link(owner, "victim@example.org")[0] == 200


def test_mail_to_one_address_is_throttled_and_the_person_is_told(
    clients_at: dict[str, TestClient], mailbox: Mailbox
) -> None:
    for n in range(1, 11):
        assert _ask_for_link(clients_at[f"203.0.113.{n}"], "victim@example.org")[0] == 200
    assert len(mailbox.messages) == 10
    status, page = _ask_for_link(clients_at["198.51.100.7"], "victim@example.org")
    assert status == 200
    assert "did not send another" in page and "newest one" in page
    assert len(mailbox.messages) == 10


def test_a_browser_the_owner_signed_in_from_still_gets_links_during_a_flood(
    clients_at: dict[str, TestClient], mailbox: Mailbox
) -> None:
    laptop = clients_at["198.51.100.7"]
    sign_in(laptop, mailbox, "victim@example.org")
    laptop.post("/logout", data={"csrf_token": csrf_from(laptop.get("/submit").text)})
    for n in range(1, 11):
        _ask_for_link(clients_at[f"203.0.113.{n}"], "victim@example.org")
    before = len(mailbox.messages)
    status, page = _ask_for_link(laptop, "victim@example.org")
    assert status == 200 and "on its way" in page
    assert len(mailbox.messages) == before + 1


# 13.8 ------------------------------------------------------------------------------------------


def test_a_mail_failure_tells_visitors_nothing_about_the_mail_server(
    web_settings: Settings, engine: Engine
) -> None:
    closed = free_port()  # nothing listens here
    settings = web_settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": closed,
            "smtp_user": "relay-account-7",
            "smtp_password": "hunter2",
        }
    )
    with TestClient(create_app(settings, engine=engine), follow_redirects=False) as client:
        for accept in ("text/html", "application/json"):
            page = client.get("/login")
            response = client.post(
                "/login",
                data={"email": "ada@example.org", "csrf_token": csrf_from(page.text)},
                headers={"accept": accept},
            )
            assert response.status_code == 503
            assert "try again" in response.text
            for secret in (str(closed), "127.0.0.1", "relay-account-7", "hunter2", "SMTP"):
                assert secret not in response.text, secret


# 13.11 -----------------------------------------------------------------------------------------


def test_the_public_name_says_nothing_about_the_email_address(
    client: TestClient, mailbox: Mailbox, engine: Engine
) -> None:
    sign_in(client, mailbox, "j.doe.secret.handle@example.org")
    name = user_name(engine, "j.doe.secret.handle@example.org")
    for part in ("j-doe", "doe", "secret", "handle", "example"):
        assert part not in name
    assert client.get("/u/j-doe-secret-handle").status_code == 404
    assert client.get(f"/u/{name}").status_code == 200
    assert "j.doe.secret.handle" not in client.get(f"/u/{name}").text


def test_names_stay_unique(client: TestClient, mailbox: Mailbox, engine: Engine) -> None:
    for n in range(5):
        sign_in(client, mailbox, f"same{n}@example.org")
    with Session(engine) as session:
        names = session.scalars(select(User.name)).all()
        assert len(set(names)) == len(names) == 5
        assert session.scalar(select(func.count()).where(User.name.like("reader-%"))) == 5


# 13.12 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "control", ["\x00", "\x01", "\x1b", "\x7f", "\x85", "\r\nBcc: x@evil.example"]
)
def test_control_characters_in_a_sign_in_email_are_refused(
    client: TestClient, mailbox: Mailbox, engine: Engine, control: str
) -> None:
    for email in (f"ada{control}@example.org", f"ada@example.org{control}"):
        status, page = _ask_for_link(client, email)
        assert status == 400, repr(email)
        assert "does not look like an email address" in page
    assert mailbox.messages == []
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(LoginToken)) == 0


# 14.6 ------------------------------------------------------------------------------------------


def test_a_used_link_says_so_on_the_sign_in_form(client: TestClient, mailbox: Mailbox) -> None:
    sign_in(client, mailbox)
    again = client.get(mailbox.last_link().replace("http://testserver", ""))
    assert again.status_code == 400
    assert "already used" in again.text
    assert "Something went wrong" not in again.text
    assert 'action="/login"' in again.text and 'name="email"' in again.text


def test_the_link_is_on_its_way_page_says_where_the_console_backend_prints_mail(
    web_settings: Settings, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = web_settings.model_copy(update={"mail_backend": "console"})
    with TestClient(create_app(settings, engine=engine), follow_redirects=False) as client:
        status, page = _ask_for_link(client, "ada@example.org")
    assert status == 200
    assert "terminal" in page and "papertide demo" in page
    assert "/login/verify?token=" in capsys.readouterr().err
