"""Mail backends: SMTP against a real local server, console and null."""

from __future__ import annotations

import email
import email.policy
import os
import subprocess
import sys
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any, get_args

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from tests.web.conftest import Mailbox, free_port

from papertide.config import Settings, load_settings
from papertide.mail.backends import TRANSPORTS, send_mail, transport_for
from papertide.mail.console import ConsoleTransport
from papertide.mail.message import RawMail, build_message, complete_message
from papertide.mail.null import NullTransport
from papertide.mail.smtp import SmtpTransport
from papertide.mail.transport import (
    FatalMailError,
    MailError,
    PermanentMailError,
    TransientMailError,
)


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


# The transports behind `send_mail`, each against a real local aiosmtpd server. These never touch
# a database, so they use plain settings instead of the per-database `settings` fixture.


class Server:
    """aiosmtpd recording which connection each message came over; refuses listed recipients."""

    def __init__(self, **smtp_options: Any) -> None:
        self.peers: list[object] = []
        self.messages: list[EmailMessage] = []
        self.refuse: dict[str, str] = {}  # address -> reply, e.g. "550 5.1.1 no such user"
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port(), **smtp_options)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.peers.append(session.peer)
        self.messages.append(message)
        return "250 OK"


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server()
    running.controller.start()
    yield running
    running.controller.stop()


@pytest.fixture
def plain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for key in list(os.environ):
        if key.startswith("PAPERTIDE_") and not key.startswith("PAPERTIDE_TEST_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("PAPERTIDE_CONFIG", str(tmp_path / "absent.toml"))
    return load_settings(data_dir=str(tmp_path / "data"), mail_from="site <site@example.org>")


def _smtp(cfg: Settings, server: Server, **update: object) -> Settings:
    return cfg.model_copy(
        update={
            "mail_backend": "smtp",
            "smtp_host": "127.0.0.1",
            "smtp_port": server.controller.port,
            **update,
        }
    )


def _raw(cfg: Settings, to: str, subject: str, text: str) -> RawMail:
    """A pre-serialised message, as the digest sender hands them over."""
    message = build_message(cfg, to=to, subject=subject, text=text)
    message_id = complete_message(cfg, message)
    data = message.as_bytes(policy=email.policy.SMTP)
    return RawMail("site@example.org", to, data, message_id)


def test_every_backend_setting_names_a_transport(plain: Settings) -> None:
    allowed = get_args(Settings.model_fields["mail_backend"].annotation)
    assert set(TRANSPORTS) == set(allowed)
    kinds = {"smtp": SmtpTransport, "console": ConsoleTransport, "null": NullTransport}
    for name, kind in kinds.items():
        transport = transport_for(plain.model_copy(update={"mail_backend": name}))
        assert type(transport) is kind
        transport.close()  # never connected: closing is a no-op


def test_unknown_backend_is_a_fatal_mail_error(plain: Settings) -> None:
    cfg = plain.model_copy(update={"mail_backend": "pigeon"})  # model_copy skips validation
    with pytest.raises(FatalMailError, match="unknown mail backend 'pigeon'"):
        transport_for(cfg)
    with pytest.raises(MailError, match="use smtp, console, null"):
        send_mail(cfg, build_message(cfg, to="a@example.org", subject="x", text="y"))


def test_null_backend_never_contacts_the_configured_server(plain: Settings, server: Server) -> None:
    cfg = _smtp(plain, server, mail_backend="null")
    with transport_for(cfg) as transport:
        transport.send(build_message(cfg, to="a@example.org", subject="x", text="y"))
        transport.send(_raw(cfg, "b@example.org", "raw", "bytes"))
    assert send_mail(cfg, build_message(cfg, to="c@example.org", subject="x", text="y"))
    assert server.messages == []


def test_console_backend_prints_both_message_shapes_and_sends_nothing(
    plain: Settings, server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = _smtp(plain, server, mail_backend="console")
    with transport_for(cfg) as transport:
        transport.send(build_message(cfg, to="a@example.org", subject="Built", text="first body"))
        transport.send(_raw(cfg, "b@example.org", "Serialised", "second body"))
    err = capsys.readouterr().err
    assert "--- mail to a@example.org: Built ---\nfirst body" in err
    assert "--- mail to b@example.org: Serialised ---\nsecond body" in err
    assert server.messages == []


def test_smtp_transport_reuses_one_connection_until_closed(plain: Settings, server: Server) -> None:
    cfg = _smtp(plain, server)
    transport = transport_for(cfg)
    with transport:
        transport.send(build_message(cfg, to="a@example.org", subject="1", text="one"))
        transport.send(_raw(cfg, "b@example.org", "2", "two"))
        transport.send(build_message(cfg, to="c@example.org", subject="3", text="three"))
    transport.send(build_message(cfg, to="d@example.org", subject="4", text="four"))
    transport.close()
    assert [str(m["Subject"]) for m in server.messages] == ["1", "2", "3", "4"]
    assert server.peers[0] == server.peers[1] == server.peers[2] != server.peers[3]
    assert server.messages[1].get_body(("plain",)).get_content().rstrip() == "two"  # type: ignore[union-attr]


def test_refused_recipients_fail_alone_and_the_connection_carries_on(
    plain: Settings, server: Server
) -> None:
    server.refuse = {"gone@example.org": "550 5.1.1 no such user", "full@example.org": "452 full"}
    cfg = _smtp(plain, server)
    with transport_for(cfg) as transport:
        with pytest.raises(PermanentMailError, match=r"recipient refused: gone@example\.org: 550"):
            transport.send(_raw(cfg, "gone@example.org", "x", "y"))
        with pytest.raises(TransientMailError, match=r"recipient deferred: full@example\.org: 452"):
            transport.send(build_message(cfg, to="full@example.org", subject="x", text="y"))
        transport.send(build_message(cfg, to="here@example.org", subject="x", text="y"))
        transport.send(build_message(cfg, to="also@example.org", subject="x", text="y"))
    assert [str(m["To"]) for m in server.messages] == ["here@example.org", "also@example.org"]
    assert server.peers[0] == server.peers[1]


def test_refused_login_is_fatal_and_says_which_settings_to_check(plain: Settings) -> None:
    def authenticate(
        server: Any, session: Any, envelope: Any, mechanism: str, auth: Any
    ) -> AuthResult:
        ok = auth.login == b"reader" and auth.password == b"right"
        return AuthResult(success=ok, handled=False)  # not handled: the server answers 535

    server = Server(authenticator=authenticate, auth_require_tls=False)
    server.controller.start()
    try:
        wrong = _smtp(plain, server, smtp_user="reader", smtp_password="wrong")
        with pytest.raises(FatalMailError, match=r"refused the login for 'reader' \(535\)"):
            send_mail(wrong, build_message(wrong, to="a@example.org", subject="x", text="y"))
        right = _smtp(plain, server, smtp_user="reader", smtp_password="right")
        send_mail(right, build_message(right, to="a@example.org", subject="in", text="y"))
    finally:
        server.controller.stop()
    assert [str(m["Subject"]) for m in server.messages] == ["in"]


def test_starttls_never_falls_back_to_plain_text(plain: Settings, server: Server) -> None:
    cfg = _smtp(plain, server, smtp_security="starttls")  # this server does not offer STARTTLS
    with pytest.raises(TransientMailError, match=r"check PAPERTIDE_SMTP_HOST, _PORT and _SECURITY"):
        send_mail(cfg, build_message(cfg, to="a@example.org", subject="x", text="y"))
    assert server.messages == []


def test_mail_package_imports_neither_web_nor_digest() -> None:
    code = (
        "import pkgutil, importlib, sys, papertide.mail as m\n"
        "for info in pkgutil.iter_modules(m.__path__):\n"
        "    importlib.import_module(f'papertide.mail.{info.name}')\n"
        "bad = ('papertide.web', 'papertide.digest')\n"
        "print(sorted(n for n in sys.modules if n.startswith(bad)))"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert found.strip() == "[]"
