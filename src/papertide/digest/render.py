"""How a mail looks: HTML (inline CSS, dark-mode aware) plus a plain-text part, with the
List-Unsubscribe headers of RFC 2369 / RFC 8058 on every message."""

from __future__ import annotations

import functools
import hashlib
import quopri
import uuid
from email.header import Header
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from papertide.config import Settings
from papertide.digest.compose import Digest
from papertide.digest.subscriptions import Schedule, describe
from papertide.digest.tokens import make_change_token, make_token
from papertide.mail.message import RawMail, build_message, header_text
from papertide.store.schema import Subscription

TEMPLATES = Path(__file__).with_name("templates")


@functools.cache
def _env() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(name: str, **context: object) -> str:
    return _env().get_template(f"digest/{name}").render(**context)


def _domain(settings: Settings) -> str:
    return settings.mail_from.rsplit("@", 1)[-1].strip("> ") or "localhost"


def subscription_links(settings: Settings, sub: Subscription) -> tuple[str, str]:
    """(manage URL, one-click unsubscribe URL), both carrying the same signed token."""
    token = make_token(settings.effective_secret_key(), "manage", sub.id)
    base = settings.base_url.rstrip("/")
    return f"{base}/subscriptions/manage/{token}", f"{base}/subscriptions/unsubscribe/{token}"


def confirm_url(settings: Settings, sub: Subscription) -> str:
    token = make_token(settings.effective_secret_key(), "confirm", sub.id)
    return f"{settings.base_url.rstrip('/')}/subscriptions/confirm/{token}"


def message_id(settings: Settings, key: str) -> str:
    """The same Message-ID for every attempt at one delivery, so a receiving server or client can
    recognise a resend after a crash between "accepted" and "recorded" as the same mail."""
    digest = hashlib.sha256(f"{settings.site_name}:{key}".encode()).hexdigest()[:32]
    return f"<{digest}@{_domain(settings)}>"


def _list_headers(settings: Settings, sub: Subscription, unsubscribe: str) -> dict[str, str]:
    return {
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": f"<{sub.kind.replace('_', '-')}.{_domain(settings)}>",
        "Auto-Submitted": "auto-generated",
        "Precedence": "bulk",
    }


def _header(name: str, value: str) -> str:
    if "\r" in value or "\n" in value:  # every value was cleaned; this is the last line of defence
        raise ValueError(f"line break in the {name} header")
    if value.isascii():
        return f"{name}: {value}"
    return f"{name}: {Header(value, 'utf-8', header_name=name).encode()}"


def _part(content_type: str, body: str) -> str:
    encoded = quopri.encodestring(body.replace("\r\n", "\n").encode("utf-8")).decode("ascii")
    return (
        f'Content-Type: {content_type}; charset="utf-8"\n'
        "Content-Transfer-Encoding: quoted-printable\n\n"
        f"{encoded}\n"
    )


def raw_message(
    settings: Settings,
    *,
    to: str,
    subject: str,
    text: str,
    html: str,
    headers: dict[str, str],
    msg_id: str,
) -> RawMail:
    """multipart/alternative (text, then HTML) as bytes, with quoted-printable parts."""
    name, sender = parseaddr(settings.mail_from)
    boundary = f"=_pt_{uuid.uuid4().hex}"
    lines = [
        _header("From", formataddr((name, sender), charset="utf-8")),
        _header("To", to),
        _header("Subject", header_text(subject)),
        _header("Date", formatdate(usegmt=True)),
        _header("Message-ID", msg_id),
        *(_header(k, header_text(v)) for k, v in headers.items()),
        "MIME-Version: 1.0",
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
        "",
        f"--{boundary}",
        _part("text/plain", text),
        f"--{boundary}",
        _part("text/html", html),
        f"--{boundary}--",
        "",
    ]
    # SMTP wants CRLF line ends, and smtplib sends bytes exactly as given.
    data = "\n".join(lines).replace("\r\n", "\n").replace("\n", "\r\n").encode("ascii")
    return RawMail(sender, to, data, msg_id)


def digest_mail(settings: Settings, sub: Subscription, digest: Digest, key: str) -> RawMail:
    """The mail for one composed digest; `key` is the delivery's idempotency key."""
    manage, unsubscribe = subscription_links(settings, sub)
    context = {
        "site": settings.site_name,
        "subject": digest.subject,
        "heading": digest.subject.split("] ", 1)[-1],
        "intro": digest.intro,
        "sections": digest.sections,
        "email": sub.email,
        "what": describe(sub),
        "manage_url": manage,
        "unsubscribe_url": unsubscribe,
    }
    return raw_message(
        settings,
        to=sub.email,
        subject=digest.subject,
        text=render("mail_digest.txt", **context),
        html=render("mail_digest.html", **context),
        headers=_list_headers(settings, sub, unsubscribe),
        msg_id=message_id(settings, key),
    )


def confirmation_message(settings: Settings, sub: Subscription) -> EmailMessage:
    """The double opt-in mail: nothing is sent to this address until its link is followed."""
    what = describe(sub)
    _manage, unsubscribe = subscription_links(settings, sub)
    subject = " ".join(f"[{settings.site_name}] Confirm: {what}".split())[:200]
    context = {
        "site": settings.site_name,
        "subject": subject,
        "heading": "Confirm your subscription",
        "intro": f"One click and you will receive {what}.",
        "email": sub.email,
        "what": what,
        "confirm_url": confirm_url(settings, sub),
        "unsubscribe_url": unsubscribe,
    }
    return build_message(
        settings,
        to=sub.email,
        subject=subject,
        text=render("mail_confirm.txt", **context),
        html=render("mail_confirm.html", **context),
        headers=_list_headers(settings, sub, unsubscribe),
    )


def change_url(settings: Settings, sub: Subscription, schedule: Schedule) -> str:
    token = make_change_token(settings.effective_secret_key(), sub.id, schedule.as_dict())
    return f"{settings.base_url.rstrip('/')}/subscriptions/change/{token}"


def existing_subscription_message(
    settings: Settings, sub: Subscription, asked: Schedule
) -> EmailMessage:
    """The mail for a subscribe form naming a subscription that exists already.

    The form's answer is the same as for a new one ("check your inbox"), so it tells nobody
    whether the address is subscribed; this mail tells the owner, with a link that applies the
    new schedule (if it differs) and the link to manage the subscription."""
    what = describe(sub)
    manage, unsubscribe = subscription_links(settings, sub)
    current = Schedule.of(sub)
    changed = asked != current
    subject = " ".join(
        f"[{settings.site_name}] {'Confirm the change' if changed else 'Already subscribed'}: "
        f"{what}".split()
    )[:200]
    context = {
        "site": settings.site_name,
        "subject": subject,
        "heading": "Confirm the change" if changed else "You are already subscribed",
        "intro": f"Someone (hopefully you) filled in the subscribe form for {what}.",
        "email": sub.email,
        "what": what,
        "current": current.describe(),
        "asked": asked.describe() if changed else None,
        "change_url": change_url(settings, sub, asked) if changed else None,
        "manage_url": manage,
        "unsubscribe_url": unsubscribe,
    }
    return build_message(
        settings,
        to=sub.email,
        subject=subject,
        text=render("mail_existing.txt", **context),
        html=render("mail_existing.html", **context),
        headers=_list_headers(settings, sub, unsubscribe),
    )
