"""Reply notifications: when someone answers your comment, one mail says so (unless you opted out).

Who gets it is decided here (`reply_recipient`), what it says too (`reply_message`); sending goes
through the one mail interface. Every mail carries a one-click opt-out link (RFC 8058): the
signed token names the person, so stopping the mails needs no sign-in.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import Session

from papertide.config import Settings
from papertide.mail.backends import send_mail
from papertide.mail.message import build_message
from papertide.mail.transport import MailError
from papertide.store.schema import Comment, Paper, User

log = logging.getLogger("papertide.discussion")
QUOTE_CHARS = 1200
NOT_VALID = "this link is not valid; turn reply mails off in your settings instead"


class ReplyTokenError(Exception):
    """The opt-out link is not valid; the message says what to do instead."""


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt="papertide.replies.off")


def opt_out_token(secret: str, user_id: int) -> str:
    """The token of a person's "stop reply mails" link; it stays valid (old mails keep working)."""
    return str(_serializer(secret).dumps(int(user_id)))


def read_opt_out_token(secret: str, token: str) -> int:
    """The user id in an opt-out token; ReplyTokenError when forged or edited."""
    if len(token) > 256:
        raise ReplyTokenError(NOT_VALID)
    try:
        value = _serializer(secret).loads(token)
    except BadSignature:
        raise ReplyTokenError(
            "this link is not valid; change it in your settings instead"
        ) from None
    if not isinstance(value, int):
        raise ReplyTokenError(NOT_VALID)
    return value


def reply_recipient(session: Session, reply: Comment) -> User | None:
    """Whom to tell about `reply`: the answered comment's author, if they want to know.

    Nobody for a top-level comment, a reply to oneself, an imported handle (no real address),
    a banned account, or someone who turned the mails off.
    """
    if reply.parent_id is None:
        return None
    parent = session.get(Comment, reply.parent_id)
    if parent is None or parent.user_id == reply.user_id:
        return None
    person = session.get(User, parent.user_id)
    if person is None or person.imported or person.banned or not person.notify_replies:
        return None
    return person


def _quote(text: str) -> str:
    short = text if len(text) <= QUOTE_CHARS else text[:QUOTE_CHARS].rstrip() + " …"
    return "\n".join(f"> {line}" if line else ">" for line in short.splitlines())


def reply_message(
    settings: Settings, *, reply: Comment, replier: User, recipient: User, paper: Paper
) -> EmailMessage:
    """The notification mail: who answered, what they wrote, where to read it, how to stop."""
    base = settings.base_url.rstrip("/")
    link = f"{base}/papers/{paper.arxiv_id}#comment-{reply.id}"
    opt_out = f"{base}/replies/off/{opt_out_token(settings.effective_secret_key(), recipient.id)}"
    who = replier.display_name or replier.name
    title = paper.title if len(paper.title) <= 90 else paper.title[:89].rstrip() + "…"
    text = (
        f"{who} (@{replier.name}) replied to your comment on “{title}”:\n\n"
        f"{_quote(reply.body)}\n\n"
        f"Read the thread and answer: {link}\n\n"
        "--\n"
        f"You get this because someone answered your comment on {settings.site_name}.\n"
        f"Stop these mails: {opt_out}\n"
        f"(or untick “replies” in your settings: {base}/settings)\n"
    )
    return build_message(
        settings,
        to=recipient.email,
        subject=f"{who} replied to your comment on “{title}”",
        text=text,
        headers={
            "List-Unsubscribe": f"<{opt_out}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )


def send_reply_notification(settings: Settings, message: EmailMessage) -> bool:
    """Send one notification; a mail failure is logged, never raised (the reply is saved)."""
    try:
        send_mail(settings, message)
    except MailError as exc:
        log.warning("reply notification to %s not sent: %s", message["To"], exc)
        return False
    return True
