"""The subscribe form: no header injection, no mail floods, no enumeration, no unconfirmed
changes, and a form whose inputs are all real, styled controls."""

from __future__ import annotations

import re
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from tests.web.conftest import Mailbox, csrf_from

from papertide.config import Settings
from papertide.digest.render import raw_message
from papertide.mail.message import build_message
from papertide.store.schema import Subscription
from papertide.web.app import create_app

INJECTIONS = [
    "=?utf-8?q?=0D=0AReply-To:_a@evil.example?=",
    "=?utf-8?q?=0D=0AX-Evil:_1?=",
    "=?utf-8?b?DQpSZXBseS1UbzogYUBldmlsLmV4YW1wbGU=?=",  # the same in base64
    "=?utf-8?q?=3D=3Futf-8=3Fq=3F=3D0D=3D0AX-Evil:=5F1=3F=3D?=",  # an encoded encoded word
    "alerts =?utf-8?q?=0A=0AReply-To:_a@evil.example?= and more",
]


def _text(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode()
    raise AssertionError("no text part")


def _subscribe(client: TestClient, **fields: str) -> tuple[int, str]:
    token = csrf_from(client.get("/subscribe").text)
    data = {"kind": "daily_trending", "csrf_token": token, **fields}
    response = client.post("/subscribe", data=data)
    return response.status_code, response.text


def _injected(message: Message) -> list[str]:
    return [h for h in ("Reply-To", "X-Evil", "Bcc") if message[h] is not None]


# 13.1 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", INJECTIONS)
def test_an_encoded_word_in_a_saved_search_adds_no_header(
    client: TestClient, mailbox: Mailbox, query: str
) -> None:
    status, _ = _subscribe(client, email="alerts@example.org", kind="search", query=query)
    assert status == 200
    (message,) = mailbox.messages
    assert _injected(message) == []
    subject = str(make_header(decode_header(message["Subject"])))  # as a mail client shows it
    assert "\n" not in subject and "\r" not in subject
    assert subject.startswith("[papertide] Confirm: papers matching")


@pytest.mark.parametrize("query", INJECTIONS)
def test_no_header_built_from_typed_text_can_start_another(
    web_settings: Settings, query: str
) -> None:
    from papertide.mail.message import header_text

    subject = f"[papertide] New papers matching “{query}”"
    built = build_message(web_settings, to="a@example.org", subject=subject, text="x")
    raw = raw_message(
        web_settings,
        to="a@example.org",
        subject=subject,
        text="x",
        html="<p>x</p>",
        headers={"X-Query": query},
        msg_id="<x@example.org>",
    )
    for wire in (built.as_bytes(), raw.data):
        parsed = message_from_bytes(wire)
        assert _injected(parsed) == [], wire[:400]
        for line in wire.split(b"\r\n\r\n", 1)[0].splitlines():
            assert not line.lower().startswith((b"reply-to:", b"x-evil:")), wire[:400]
    cleaned = header_text(query)
    assert cleaned == header_text(cleaned)  # decodes to itself: nothing more to unwrap
    assert not re.search(r"[\x00-\x1f\x7f]", cleaned)


# 13.2 ------------------------------------------------------------------------------------------


def test_one_client_cannot_flood_an_inbox_through_the_subscribe_form(
    client: TestClient, mailbox: Mailbox, engine: Engine
) -> None:
    statuses = [
        _subscribe(
            client,
            email="target@example.org",
            kind="search",
            query=f"URGENT: your account is locked, verify at evil.example {n}",
        )[0]
        for n in range(40)
    ]
    assert statuses[:5] == [200] * 5
    assert set(statuses[5:]) == {429}
    assert len(mailbox.messages) <= 5
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Subscription)) <= 5


def test_many_clients_together_send_one_address_at_most_five_mails_an_hour(
    web_settings: Settings, engine: Engine, mailbox: Mailbox
) -> None:
    app = create_app(web_settings, engine=engine)
    pages = []
    for n in range(12):
        with TestClient(app, client=(f"203.0.113.{n + 1}", 40000)) as client:
            pages.append(
                _subscribe(client, email="target@example.org", kind="search", query=f"q{n}")
            )
    assert [status for status, _ in pages] == [200] * 12
    assert len(mailbox.messages) == 5
    assert "did not send another" in pages[-1][1]
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Subscription)) == 5


# 13.3 ------------------------------------------------------------------------------------------


def _active_subscription(client: TestClient, mailbox: Mailbox, email: str) -> None:
    status, _ = _subscribe(
        client, email=email, kind="category", category="cs.LG", frequency="daily"
    )
    assert status == 200
    link = re.search(r"https?://[^/\s]+(/subscriptions/confirm/\S+)", _text(mailbox.messages[-1]))
    assert link
    assert client.post(link.group(1)).status_code == 200


def _schedule(engine: Engine, email: str) -> tuple[str, str, int, str]:
    with Session(engine) as session:
        sub = session.scalars(select(Subscription).where(Subscription.email == email)).one()
        return sub.status, sub.frequency, sub.send_hour, sub.timezone


def test_the_subscribe_form_does_not_tell_who_is_subscribed(
    client: TestClient, mailbox: Mailbox
) -> None:
    _active_subscription(client, mailbox, "victim@example.org")
    form = {"kind": "category", "category": "cs.LG", "frequency": "daily"}
    status_known, known = _subscribe(client, email="victim@example.org", **form)
    status_new, new = _subscribe(client, email="stranger@example.org", **form)
    assert status_known == status_new == 200
    assert known.replace("victim@example.org", "X") == new.replace("stranger@example.org", "X")
    assert "already" not in known.lower()


def test_changing_an_active_subscription_needs_its_owner_to_confirm_by_mail(
    client: TestClient, mailbox: Mailbox, engine: Engine
) -> None:
    _active_subscription(client, mailbox, "victim@example.org")
    before = _schedule(engine, "victim@example.org")
    assert before == ("active", "daily", 7, "UTC")
    status, page = _subscribe(
        client,
        email="victim@example.org",
        kind="category",
        category="cs.LG",
        frequency="weekly",
        send_hour="3",
        timezone="Pacific/Auckland",
    )
    assert status == 200 and "Check your inbox" in page
    assert _schedule(engine, "victim@example.org") == before
    mail = _text(mailbox.messages[-1])
    assert "weekly, at 03:00 (Pacific/Auckland)" in mail
    change = re.search(r"https?://[^/\s]+(/subscriptions/change/\S+)", mail)
    manage = re.search(r"https?://[^/\s]+(/subscriptions/manage/\S+)", mail)
    assert change and manage
    with TestClient(client.app) as scanner:  # following the link (a scanner) changes nothing
        assert scanner.get(change.group(1)).status_code == 200
        assert scanner.head(change.group(1)).status_code == 200
    assert _schedule(engine, "victim@example.org") == before
    applied = client.post(change.group(1))
    assert applied.status_code == 200
    assert _schedule(engine, "victim@example.org") == ("active", "weekly", 3, "Pacific/Auckland")


def test_the_same_form_again_mails_the_owner_a_manage_link_and_changes_nothing(
    client: TestClient, mailbox: Mailbox, engine: Engine
) -> None:
    _active_subscription(client, mailbox, "victim@example.org")
    count = len(mailbox.messages)
    status, _ = _subscribe(
        client, email="victim@example.org", kind="category", category="cs.LG", frequency="daily"
    )
    assert status == 200 and len(mailbox.messages) == count + 1
    mail = _text(mailbox.messages[-1])
    assert "/subscriptions/manage/" in mail and "/subscriptions/change/" not in mail
    assert _schedule(engine, "victim@example.org") == ("active", "daily", 7, "UTC")


def test_a_forged_or_edited_change_link_changes_nothing(
    client: TestClient, mailbox: Mailbox, engine: Engine
) -> None:
    _active_subscription(client, mailbox, "victim@example.org")
    _subscribe(client, email="victim@example.org", kind="category", category="cs.LG", send_hour="5")
    link = re.search(r"(/subscriptions/change/\S+)", _text(mailbox.messages[-1]))
    assert link
    forged = link.group(1)[:-4] + ("AAAA" if not link.group(1).endswith("AAAA") else "BBBB")
    assert client.post(forged).status_code == 400
    assert client.post("/subscriptions/change/nonsense").status_code == 400
    assert _schedule(engine, "victim@example.org")[2] == 7


# 14.5 ------------------------------------------------------------------------------------------


def test_every_subscribe_input_is_a_typed_styled_control_and_time_zones_are_a_list(
    client: TestClient,
) -> None:
    page = client.get("/subscribe?kind=search&q=graphs").text
    for name, kind in (
        ("email", "email"),
        ("category", "text"),
        ("query", "text"),
        ("send_hour", "number"),
    ):
        tag = re.search(rf'<input id="{name}"[^>]*>', page)
        assert tag and f'type="{kind}"' in tag.group(0), name
    zones = re.search(r'<select id="timezone" name="timezone">(.*?)</select>', page, re.S)
    assert zones
    options = re.findall(r'<option value="([^"]+)"', zones.group(1))
    assert options[0] == "UTC" and "Europe/Berlin" in options and "America/New_York" in options
    assert 'value="UTC" selected' in zones.group(1)
    css = client.get("/static/style.css").text
    styled = css[: css.index("{", css.index("input[type=text]"))]
    for kind in ("text", "email", "number"):
        assert f"input[type={kind}]" in styled
