"""Mail backends chosen by `settings.mail_backend`: smtp, console (development) or null.

`send_mail` sends one message and returns its Message-ID; bulk delivery with idempotency keys
(digests) is built on top of it elsewhere. Failures raise MailError with a message a person can act
on, never a bare socket error.
"""

from __future__ import annotations

import smtplib
import ssl
import sys
from email.message import EmailMessage
from email.utils import make_msgid

from papertide.config import Settings


class MailError(Exception):
    """A message could not be handed to the mail server."""


def build_message(
    settings: Settings,
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """A plain-text message (with an HTML alternative when given) from `settings.mail_from`."""
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    for key, value in (headers or {}).items():
        message[key] = value
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def _ensure_message_id(settings: Settings, message: EmailMessage) -> str:
    if not message["Message-ID"]:
        domain = settings.mail_from.rsplit("@", 1)[-1].strip("> ") or "localhost"
        message["Message-ID"] = make_msgid(domain=domain)
    return str(message["Message-ID"])


def _send_smtp(settings: Settings, message: EmailMessage) -> None:
    host, port = settings.smtp_host, settings.smtp_port
    try:
        smtp: smtplib.SMTP
        if settings.smtp_security == "tls":
            smtp = smtplib.SMTP_SSL(host, port, timeout=30, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(host, port, timeout=30)
        with smtp:
            if settings.smtp_security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
            smtp.send_message(message)
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(
            f"SMTP server {host}:{port} refused the login for {settings.smtp_user!r} "
            f"({exc.smtp_code}); check PAPERTIDE_SMTP_USER / PAPERTIDE_SMTP_PASSWORD"
        ) from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise MailError(
            f"SMTP server {host}:{port} refused the recipient(s) {list(exc.recipients)}"
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(
            f"cannot send mail through {host}:{port} ({type(exc).__name__}: {exc}); "
            "check PAPERTIDE_SMTP_HOST, _PORT and _SECURITY"
        ) from None


def send_mail(settings: Settings, message: EmailMessage) -> str:
    """Send `message` with the configured backend; returns its Message-ID."""
    if not message["From"]:
        message["From"] = settings.mail_from
    message_id = _ensure_message_id(settings, message)
    backend = settings.mail_backend
    if backend == "smtp":
        _send_smtp(settings, message)
    elif backend == "console":
        # Development: the whole message on stderr, so a sign-in link can be copied from the log.
        body = message.get_body(("plain",))
        text = body.get_content() if body is not None else ""
        print(
            f"--- mail to {message['To']}: {message['Subject']} ---\n{text}\n--- end of mail ---",
            file=sys.stderr,
            flush=True,
        )
    elif backend != "null":
        raise MailError(f"unknown mail backend {backend!r}; use smtp, console or null")
    return message_id
