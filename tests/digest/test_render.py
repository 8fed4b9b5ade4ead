"""The digest mail as bytes: valid MIME that any client parses, non-ASCII headers encoded, no
line longer than SMTP allows, and no way for a line break to reach a header."""

from __future__ import annotations

import datetime as dt

import pytest

from papertide.config import Settings, load_settings
from papertide.digest.compose import Digest, DigestItem, Section
from papertide.digest.render import digest_mail, raw_message
from papertide.digest.schedule import Period
from papertide.store.schema import Subscription


@pytest.fixture
def cfg(tmp_path: object) -> Settings:
    return load_settings(
        data_dir=str(tmp_path),
        secret_key="k" * 40,
        mail_from="Papertide Ünïcode <digest@papertide.test>",
        base_url="https://papers.example.org",
    )


def test_digest_mail_parses_with_unicode_headers_and_both_parts(cfg: Settings) -> None:
    sub = Subscription(id=7, email="reader@example.org", kind="search", params={"query": "GNN"})
    period = Period(
        "2026-11-26",
        "daily",
        dt.datetime(2026, 11, 25, 7, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 26, 7, tzinfo=dt.UTC),
        "Thursday, November 26",
    )
    item = DigestItem(
        "2611.00001",
        "Grâph nëural networks — “at scale”",
        "Zoë Ångström, Li Wei",
        "An abstract with = signs and a very long line " * 20,
        "https://papers.example.org/papers/2611.00001",
        "https://arxiv.org/abs/2611.00001",
        "https://arxiv.org/pdf/2611.00001",
        "https://github.com/example/gnn",
        "matches “GNN” (relevance 0.91)",
    )
    digest = Digest(7, sub.email, "search", period, "[papertide] 1 paper: “GNN”", "intro", [])
    digest.sections.append(Section("New for “GNN”", [item]))

    mail = digest_mail(cfg, sub, digest, "7:2026-11-26")

    assert max(len(line) for line in mail.data.split(b"\r\n")) <= 998
    assert b"\n" not in mail.data.replace(b"\r\n", b"")  # CRLF only, as SMTP wants
    message = mail.as_message()
    assert str(message["Subject"]) == "[papertide] 1 paper: “GNN”"
    assert message["From"].addresses[0].display_name == "Papertide Ünïcode"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Message-ID"] == mail.message_id
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Grâph nëural networks — “at scale”" in text
    assert "Zoë Ångström" in html and "relevance 0.91" in html
    assert "https://github.com/example/gnn" in text


def test_a_line_break_never_reaches_a_header(cfg: Settings) -> None:
    mail = raw_message(
        cfg,
        to="a@example.org",
        subject="hello\r\nBcc: victim@example.org",
        text="x",
        html="<p>x</p>",
        headers={},
        msg_id="<x@y>",
    )
    assert b"\r\nBcc:" not in mail.data
    parsed = mail.as_message()
    assert parsed["Bcc"] is None and parsed["Subject"] == "hello Bcc: victim@example.org"
