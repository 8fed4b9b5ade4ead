"""Subscription pages over HTTP with a real SMTP server: double opt-in, manage, one-click
unsubscribe without a login, the library upload, and bad input of every kind."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from tests.digest.conftest import SmtpServer, add_paper, add_subscription
from tests.digest.test_send import NOW, _feed
from tests.web.conftest import open_sign_in_link

from papertide.config import Settings
from papertide.digest.send import SendOptions, send_due
from papertide.digest.tokens import make_token
from papertide.store.schema import SeedPaper, Subscription
from papertide.web.app import create_app

FAST = SendOptions(backoff=0.0, sleep=lambda _s: None)


@pytest.fixture
def client(mail_settings: Settings, engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(mail_settings, engine=engine)) as test_client:
        yield test_client


def _csrf(client: TestClient, path: str = "/subscribe") -> str:
    page = client.get(path)
    assert page.status_code == 200
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, "the form has no CSRF field"
    return match.group(1)


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def _text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def test_double_opt_in_round_trip_then_one_click_unsubscribe_without_login(
    client: TestClient,
    engine: Engine,
    db: Session,
    mail_settings: Settings,
    smtp: SmtpServer,
) -> None:
    _feed(db)
    token = _csrf(client)
    response = client.post(
        "/subscribe",
        data={"email": "New.Reader@Example.org", "kind": "daily_trending", "csrf_token": token},
    )
    assert response.status_code == 200 and "Check your inbox" in response.text
    # Nothing but the confirmation is sent before the link is followed.
    assert send_due(mail_settings, engine, NOW, options=FAST).due == 0
    (confirmation,) = smtp.inbox.to("new.reader@example.org")
    assert confirmation["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = re.search(r"http://papertide.test(/subscriptions/confirm/\S+)", _text(confirmation))
    assert link
    page = client.get(link.group(1))
    assert page.status_code == 200 and "Confirm subscription" in page.text
    assert client.post(link.group(1)).status_code == 200
    sub = db.scalars(select(Subscription)).one()
    db.refresh(sub)
    assert sub.status == "active" and sub.confirmed_at is not None

    # As if confirmed long ago, so the due period does not depend on today's date.
    sub.confirmed_at = NOW.replace(month=1)
    db.commit()
    assert send_due(mail_settings, engine, NOW, options=FAST).sent == 1
    digest = smtp.inbox.to("new.reader@example.org")[-1]
    unsubscribe = _path(str(digest["List-Unsubscribe"]).strip("<>"))

    anonymous = TestClient(client.app)  # a mail client: no cookie, no CSRF token, no login
    one_click = anonymous.post(
        unsubscribe,
        content=b"List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert one_click.status_code == 200 and one_click.json()["unsubscribed"] is True
    db.refresh(sub)
    assert sub.status == "off"
    assert send_due(mail_settings, engine, NOW.replace(day=30), options=FAST).due == 0


@pytest.mark.parametrize(
    "address",
    [
        "not-an-address",
        "a@b",
        "reader@example.org\r\nBcc: victim@example.org",
        "x" * 400 + "@a.org",
    ],
)
def test_invalid_addresses_are_refused_with_a_message(
    client: TestClient, smtp: SmtpServer, address: str
) -> None:
    token = _csrf(client)
    response = client.post(
        "/subscribe", data={"email": address, "kind": "daily_trending", "csrf_token": token}
    )
    assert response.status_code == 422
    assert "email address" in response.text or "line breaks" in response.text
    assert smtp.inbox.messages == []


def test_header_injection_in_a_query_stays_in_one_header(
    client: TestClient, db: Session, smtp: SmtpServer
) -> None:
    token = _csrf(client)
    response = client.post(
        "/subscribe",
        data={
            "email": "alerts@example.org",
            "kind": "search",
            "query": "graphs\r\nBcc: victim@example.org\r\n\r\nspam",
            "csrf_token": token,
        },
    )
    assert response.status_code == 200
    (message,) = smtp.inbox.messages
    assert message["Bcc"] is None
    assert "\n" not in str(message["Subject"])
    sub = db.scalars(select(Subscription)).one()
    assert sub.params["query"] == "graphs Bcc: victim@example.org spam"


def test_subscribe_without_csrf_token_is_refused(client: TestClient) -> None:
    response = client.post("/subscribe", data={"email": "a@example.org", "kind": "weekly_trending"})
    assert response.status_code == 403


def test_forged_and_expired_tokens_are_refused(
    client: TestClient, db: Session, mail_settings: Settings
) -> None:
    sub = add_subscription(db, "t@example.org", "daily_trending", status="pending")
    db.commit()
    secret = mail_settings.effective_secret_key()
    good = make_token(secret, "manage", sub.id)
    forged = make_token("another-secret", "manage", sub.id)
    edited = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    wrong_purpose = make_token(secret, "confirm", sub.id)
    expired = make_token(secret, "confirm", sub.id, now=time.time() - 8 * 86400)
    for bad in (forged, edited, wrong_purpose):
        response = client.post(f"/subscriptions/unsubscribe/{bad}")
        assert response.status_code == 400, bad
        assert "not valid" in response.text
    response = client.post(f"/subscriptions/confirm/{expired}")
    assert response.status_code == 400 and "expired" in response.text
    db.refresh(sub)
    assert sub.status == "pending"
    assert client.get(f"/subscriptions/manage/{good}").status_code == 200


def test_manage_page_pauses_changes_frequency_and_resumes(
    client: TestClient, db: Session, mail_settings: Settings
) -> None:
    sub = add_subscription(db, "m@example.org", "category", params={"category": "cs.CV"})
    db.commit()
    token = make_token(mail_settings.effective_secret_key(), "manage", sub.id)
    path = f"/subscriptions/manage/{token}"
    assert client.post(path, data={"action": "pause"}).status_code == 200
    db.refresh(sub)
    assert sub.status == "paused"
    assert client.post(path, data={"action": "frequency", "frequency": "weekly"}).status_code == 200
    bad = client.post(path, data={"action": "frequency", "frequency": "hourly"})
    assert bad.status_code == 422 and "unknown frequency" in bad.text
    assert client.post(path, data={"action": "resume"}).status_code == 200
    db.refresh(sub)
    assert (sub.status, sub.frequency) == ("active", "weekly")


def _library_path(db: Session, settings: Settings) -> tuple[Subscription, str]:
    sub = add_subscription(db, "lib@example.org", "recommendations", feed_token="tok-" + "x" * 30)
    db.commit()
    token = make_token(settings.effective_secret_key(), "manage", sub.id)
    return sub, f"/subscriptions/manage/{token}/library"


def test_bibtex_upload_keeps_known_papers_and_lists_unknown_ids(
    client: TestClient, db: Session, mail_settings: Settings
) -> None:
    add_paper(db, "2611.00001", "Sparse mixture of experts", "MoE.")
    add_paper(db, "2611.00002", "Diffusion models for proteins", "Proteins.")
    sub, path = _library_path(db, mail_settings)
    bib = b"""
@article{moe, title={Sparse mixture of experts}, eprint={2611.00001}, archivePrefix={arXiv}}
@misc{missing, title={A paper we do not have}, url={https://arxiv.org/abs/2699.99999v2}}
@inproceedings{bytitle, title={Diffusion Models for {P}roteins}, booktitle={NeurIPS}}
@article{broken, title={Unclosed
"""
    response = client.post(path, files={"bibtex": ("library.bib", bib, "text/x-bibtex")})
    assert response.status_code == 200
    assert "2 papers added" in response.text
    assert "2699.99999" in response.text  # listed back, not silently dropped
    seeds = {
        s.paper_id for s in db.scalars(select(SeedPaper).where(SeedPaper.owner == f"sub:{sub.id}"))
    }
    assert len(seeds) == 2


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b"this is a shopping list, not a bibliography", "no BibTeX entries"),
        (b"@article{, ,,, }}}{{{ @@@", "no readable BibTeX entries"),
        (b"@misc{a, note={" + b"x" * (2 * 1024 * 1024) + b"}}", "too large"),
        (b"\x00\x01\x02@\xff\xfe", "not text"),
    ],
)
def test_bad_bibtex_gets_a_clear_error_not_a_500(
    client: TestClient, db: Session, mail_settings: Settings, payload: bytes, expected: str
) -> None:
    _sub, path = _library_path(db, mail_settings)
    response = client.post(path, files={"bibtex": ("x.bib", payload, "text/plain")})
    assert response.status_code == 422
    assert expected in response.text


def test_id_list_with_unknown_and_junk_ids(
    client: TestClient, db: Session, mail_settings: Settings
) -> None:
    add_paper(db, "2611.00001", "Sparse mixture of experts", "MoE.")
    _sub, path = _library_path(db, mail_settings)
    response = client.post(path, data={"ids": "arXiv:2611.00001v3, 2601.99999 hello"})
    assert response.status_code == 200
    assert "1 papers added" in response.text
    assert "2601.99999" in response.text and "hello" in response.text


def test_admin_page_needs_an_admin(client: TestClient) -> None:
    assert client.get("/admin/deliveries").status_code == 401


def _sign_in(client: TestClient, smtp: SmtpServer, address: str) -> str:
    """Sign in through the mailed link; returns the session's CSRF token."""
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    sent = client.post("/login", data={"email": address, "csrf_token": token.group(1)})
    assert sent.status_code == 200
    link = re.search(
        r"https?://[^/\s]+(/login/verify\?token=\S+)", _text(smtp.inbox.to(address)[-1])
    )
    assert link
    assert open_sign_in_link(client, link.group(1)).status_code == 303
    return _csrf(client, "/recommendations")


def _reader_beside_the_feed(client: TestClient, db: Session, smtp: SmtpServer) -> str:
    """The feed plus a paper on mixture-of-experts routing; Ada signed in (her CSRF token)."""
    _feed(db)
    add_paper(db, "2611.00009", "Routing experts for long context", "Mixture of experts routing.")
    db.commit()
    return _sign_in(client, smtp, "ada@example.org")


def test_signed_in_reader_builds_a_library_gets_reasons_and_can_say_not_interested(
    client: TestClient, db: Session, smtp: SmtpServer
) -> None:
    csrf = _reader_beside_the_feed(client, db, smtp)
    added = client.post(
        "/recommendations/library",
        data={"ids": "2611.00001 2699.00000", "csrf_token": csrf},
        headers={"accept": "application/json"},
    )
    assert added.status_code == 200
    assert added.json()["added"] == ["2611.00001"] and added.json()["unknown"] == ["2699.00000"]
    page = client.get("/recommendations")
    assert page.status_code == 200
    assert "close to “Sparse mixture of experts for long-context" in page.text
    assert "/feeds/recommendations/" in page.text

    dismissed = client.post(
        "/recommendations/not-interested/2611.00009",
        data={"csrf_token": csrf},
        headers={"accept": "application/json"},
    )
    assert dismissed.status_code == 200
    seeds = {s.weight for s in db.scalars(select(SeedPaper))}
    assert seeds == {1.0, -1.0}
    no_csrf = client.post("/recommendations/library", data={"ids": "2611.00002"})
    assert no_csrf.status_code == 403


def test_signed_out_for_you_and_admin_lead_to_sign_in_and_a_reader_gets_a_clear_403(
    client: TestClient, smtp: SmtpServer
) -> None:
    for path in ("/recommendations", "/admin"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303, path
        assert answer.headers["location"] == f"/login?next={path}"
    _sign_in(client, smtp, "ada@example.org")
    page = client.get("/admin", follow_redirects=False)
    assert page.status_code == 403
    assert "Not allowed" in page.text and "is not one" in page.text
    assert 'href="/login' not in page.text.split("<main", 1)[1]  # signed in: no sign-in offer


def test_html_library_add_reports_ids_rows_show_the_listing_and_entries_can_be_undone(
    client: TestClient, db: Session, smtp: SmtpServer
) -> None:
    csrf = _reader_beside_the_feed(client, db, smtp)
    added = client.post(
        "/recommendations/library",
        data={"ids": "2611.00001, foo-bar, 9999.99999, hep-th/9901001", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert added.status_code == 303 and added.headers["location"] == "/recommendations#library"
    page = client.get("/recommendations").text
    library = page[page.index('id="library"') :]
    note = re.search(r'<p class="flash row-note" role="status">([^<]+)</p>', library)
    assert note, "the report shows in the library section, where the page lands"
    report = note.group(1)
    assert "Added 1 paper to your library: 2611.00001." in report
    assert "Not found here: 9999.99999, hep-th/9901001." in report
    assert "Without an arXiv id: foo-bar." in report
    assert report not in client.get("/recommendations").text  # said once
    # Library rows in words, each with a way out.
    assert "added by id" in library and '<small class="muted">ids' not in library
    assert 'action="/recommendations/library/remove/2611.00001"' in library
    # The recommended papers are listing rows: authors, date, votes with the vote button.
    listing = page[page.index('class="for-you-list"') : page.index('id="library"')]
    assert 'action="/papers/2611.00009/vote"' in listing or "2611.00009" not in listing
    assert 'class="authors"' in listing and 'class="vote-button' in listing
    assert "Not interested" in listing

    dismissed = client.post(
        "/recommendations/not-interested/2611.00009",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert dismissed.headers["location"] == "/recommendations?dismissed=2611.00009#for-you"
    page = client.get(dismissed.headers["location"]).text
    assert "Marked “Routing experts for long context” not interested" in page
    assert 'action="/recommendations/library/remove/2611.00009"' in page  # the undo
    assert "Undo not interested" in page[page.index('id="library"') :]
    undone = client.post(
        "/recommendations/library/remove/2611.00009",
        data={"csrf_token": csrf, "back": "for-you"},
        follow_redirects=False,
    )
    assert undone.headers["location"] == "/recommendations#for-you"
    assert not db.scalars(select(SeedPaper).where(SeedPaper.weight < 0)).all()
    page = client.get("/recommendations").text
    assert "“Routing experts for long context” is no longer marked not interested." in page
    # Removing a liked entry, and one that is not there.
    removed = client.post(
        "/recommendations/library/remove/2611.00001",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert removed.status_code == 303
    db.expire_all()
    assert not db.scalars(select(SeedPaper)).all()
    again = client.post("/recommendations/library/remove/2611.00001", data={"csrf_token": csrf})
    assert again.status_code == 404 and "is not in your library" in again.text


def test_upvotes_that_seed_for_you_are_listed_on_it(
    client: TestClient, db: Session, smtp: SmtpServer
) -> None:
    _feed(db)
    db.commit()
    csrf = _sign_in(client, smtp, "ada@example.org")
    assert "No upvotes yet" in client.get("/recommendations").text
    voted = client.post("/papers/2611.00002/vote", data={"csrf_token": csrf})
    assert voted.status_code == 200
    page = client.get("/recommendations").text
    upvotes = page[page.index('id="upvotes"') :]
    assert "Diffusion models for protein structure generation" in upvotes
    assert 'aria-pressed="true"' in upvotes  # its vote button takes the upvote back
