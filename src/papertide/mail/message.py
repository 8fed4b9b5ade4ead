"""The two shapes of a built message a transport accepts, and the defaults every message needs.

What a message says (subjects, templates, List-Unsubscribe) is decided by the code that sends
it; this module only knows about envelopes, From and Message-ID.
"""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

from papertide.config import Settings


@dataclass(frozen=True, slots=True)
class RawMail:
    """A message already serialised to bytes (CRLF line ends), with its envelope.

    Bulk senders build these directly instead of an `EmailMessage`: the standard library
    re-parses every header and re-flattens every part, which cost more than composing a digest
    when sending ten thousand of them. Transports send `data` exactly as given."""

    sender: str
    recipient: str
    data: bytes
    message_id: str

    def as_message(self) -> EmailMessage:
        """The parsed message (for previews, the console transport and tests)."""
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


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


def complete_message(settings: Settings, message: EmailMessage) -> str:
    """Fill in From and Message-ID where missing; returns the Message-ID."""
    if not message["From"]:
        message["From"] = settings.mail_from
    if not message["Message-ID"]:
        domain = settings.mail_from.rsplit("@", 1)[-1].strip("> ") or "localhost"
        message["Message-ID"] = make_msgid(domain=domain)
    return str(message["Message-ID"])
