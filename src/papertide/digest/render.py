"""How a mail looks: HTML (inline CSS, dark-mode aware) plus a plain-text part, with the
List-Unsubscribe headers of RFC 2369 / RFC 8058 on every message."""

from __future__ import annotations

import functools
import hashlib
from email.message import EmailMessage
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from papertide.config import Settings
from papertide.digest.compose import Digest
from papertide.digest.subscriptions import describe
from papertide.digest.tokens import make_token
from papertide.mail import build_message
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


def manage_url(settings: Settings, sub: Subscription) -> str:
    token = make_token(settings.effective_secret_key(), "manage", sub.id)
    return f"{settings.base_url.rstrip('/')}/subscriptions/manage/{token}"


def unsubscribe_url(settings: Settings, sub: Subscription) -> str:
    token = make_token(settings.effective_secret_key(), "manage", sub.id)
    return f"{settings.base_url.rstrip('/')}/subscriptions/unsubscribe/{token}"


def confirm_url(settings: Settings, sub: Subscription) -> str:
    token = make_token(settings.effective_secret_key(), "confirm", sub.id)
    return f"{settings.base_url.rstrip('/')}/subscriptions/confirm/{token}"


def message_id(settings: Settings, key: str) -> str:
    """The same Message-ID for every attempt at one delivery, so a receiving server or client can
    recognise a resend after a crash between "accepted" and "recorded" as the same mail."""
    digest = hashlib.sha256(f"{settings.site_name}:{key}".encode()).hexdigest()[:32]
    return f"<{digest}@{_domain(settings)}>"


def _list_headers(settings: Settings, sub: Subscription) -> dict[str, str]:
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(settings, sub)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": f"<{sub.kind.replace('_', '-')}.{_domain(settings)}>",
        "Auto-Submitted": "auto-generated",
        "Precedence": "bulk",
    }


def digest_message(settings: Settings, sub: Subscription, digest: Digest, key: str) -> EmailMessage:
    """The mail for one composed digest; `key` is the delivery's idempotency key."""
    context = {
        "site": settings.site_name,
        "subject": digest.subject,
        "heading": digest.subject.split("] ", 1)[-1],
        "intro": digest.intro,
        "sections": digest.sections,
        "email": sub.email,
        "what": describe(sub),
        "manage_url": manage_url(settings, sub),
        "unsubscribe_url": unsubscribe_url(settings, sub),
    }
    headers = _list_headers(settings, sub)
    headers["Message-ID"] = message_id(settings, key)
    return build_message(
        settings,
        to=sub.email,
        subject=digest.subject,
        text=render("mail_digest.txt", **context),
        html=render("mail_digest.html", **context),
        headers=headers,
    )


def confirmation_message(settings: Settings, sub: Subscription) -> EmailMessage:
    """The double opt-in mail: nothing is sent to this address until its link is followed."""
    what = describe(sub)
    subject = " ".join(f"[{settings.site_name}] Confirm: {what}".split())[:200]
    context = {
        "site": settings.site_name,
        "subject": subject,
        "heading": "Confirm your subscription",
        "intro": f"One click and you will receive {what}.",
        "email": sub.email,
        "what": what,
        "confirm_url": confirm_url(settings, sub),
        "unsubscribe_url": unsubscribe_url(settings, sub),
    }
    return build_message(
        settings,
        to=sub.email,
        subject=subject,
        text=render("mail_confirm.txt", **context),
        html=render("mail_confirm.html", **context),
        headers=_list_headers(settings, sub),
    )
