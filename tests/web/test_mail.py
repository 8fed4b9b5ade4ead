"""Mail backends: SMTP against a real local server, console and null."""

from __future__ import annotations

import pytest
from tests.web.conftest import Mailbox, free_port

from papertide.config import Settings
from papertide.mail.backends import send_mail
from papertide.mail.message import build_message
from papertide.mail.transport import MailError


def test_smtp_backend_delivers_text_and_html(settings: Settings, mailbox: Mailbox) -> None:
    cfg = settings.model_copy(
        update={"mail_backend": "smtp", "smtp_host": "127.0.0.1", "smtp_port": mailbox.port}  # type: ignore[attr-defined]
    )
    message = build_message(
        cfg, to="reader@example.org", subject="Hello", text="plain body", html="<p>html body</p>"
    )
    message_id = send_mail(cfg, message)
    assert len(mailbox.messages) == 1
    got = mailbox.messages[0]
    assert got["Message-ID"] == message_id and got["To"] == "reader@example.org"
    types = {part.get_content_type() for part in got.walk()}
    assert {"text/plain", "text/html"} <= types


def test_unreachable_smtp_server_is_a_clear_error(settings: Settings) -> None:
    cfg = settings.model_copy(
        update={"mail_backend": "smtp", "smtp_host": "127.0.0.1", "smtp_port": free_port()}
    )
    with pytest.raises(MailError, match=r"cannot send mail through 127\.0\.0\.1"):
        send_mail(cfg, build_message(cfg, to="a@example.org", subject="x", text="y"))


def test_console_backend_prints_the_message(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = settings.model_copy(update={"mail_backend": "console"})
    send_mail(cfg, build_message(cfg, to="a@example.org", subject="Sign in", text="the link"))
    err = capsys.readouterr().err
    assert "Sign in" in err and "the link" in err


def test_null_backend_sends_nothing_but_returns_an_id(settings: Settings) -> None:
    cfg = settings.model_copy(update={"mail_backend": "null"})
    assert send_mail(cfg, build_message(cfg, to="a@example.org", subject="x", text="y")).startswith(
        "<"
    )
