"""Sessions (OWASP ASVS 3.3.1): signing out ends the session on the server, everywhere."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from tests.web.conftest import Mailbox, Seed, sign_in

from papertide.config import Settings
from papertide.web.app import create_app


def _signed_in(client: TestClient) -> bool:
    return "Sign out" in client.get("/papers/2608.00001").text


def test_a_session_cookie_kept_from_before_sign_out_signs_nobody_in(
    client: TestClient, mailbox: Mailbox, seed: Seed
) -> None:
    token = sign_in(client, mailbox)
    stolen = client.cookies["pt_session"]
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert not _signed_in(client)
    client.cookies.clear()
    client.cookies.set("pt_session", stolen)
    assert not _signed_in(client)
    refused = client.post("/papers/2608.00001/vote", data={"csrf_token": token})
    assert refused.status_code in (401, 403)
    assert client.get("/collections").status_code == 303  # to the sign-in page


def test_signing_out_on_one_node_ends_the_session_on_another(
    client: TestClient,
    mailbox: Mailbox,
    seed: Seed,
    web_settings: Settings,
    engine: Engine,
) -> None:
    token = sign_in(client, mailbox)
    cookie = client.cookies["pt_session"]
    with TestClient(create_app(web_settings, engine=engine), follow_redirects=False) as other:
        other.cookies.set("pt_session", cookie)
        assert _signed_in(other)
        client.post("/logout", data={"csrf_token": token})
        assert not _signed_in(other)


def test_signing_out_one_browser_keeps_the_others_signed_in(
    client: TestClient, mailbox: Mailbox, seed: Seed, web_settings: Settings, engine: Engine
) -> None:
    sign_in(client, mailbox)
    with TestClient(create_app(web_settings, engine=engine), follow_redirects=False) as phone:
        token = sign_in(phone, mailbox)  # the same person, another browser
        phone.post("/logout", data={"csrf_token": token})
        assert not _signed_in(phone)
    assert _signed_in(client)
