"""The two shapes of a built message a transport accepts, and the defaults every message needs.

What a message says (subjects, templates, List-Unsubscribe) is decided by the code that sends
it; this module only knows about envelopes, From and Message-ID.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

from papertide.config import Settings

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_ENCODED_WORD_START = re.compile(r"=\?")
_PARSE_HEADER = email.policy.default.header_factory


def header_text(value: str) -> str:
    """`value` as one line of header text that says only what it shows.

    Every header value built from what someone typed (a saved search in a Subject) goes through
    here. A line break is the obvious way to add a header; the subtle one is an RFC 2047 encoded
    word: the email package decodes `=?utf-8?q?=0D=0AReply-To:...?=` in any value it is given,
    and Python 3.11 writes the decoded CR LF to the wire as a real line break. So the text is
    decoded as the email package (or a mail client) would decode it, its control characters
    become spaces, and that repeats until nothing changes: what remains decodes to itself."""
    text = " ".join(_CONTROL.sub(" ", value).split())
    for _ in range(8):
        decoded = str(_PARSE_HEADER("subject", text))
        cleaned = " ".join(_CONTROL.sub(" ", decoded).split())
        if cleaned == text:
            return text
        text = cleaned
    # Encoded words nested this deep are no subject anyone typed: make sure none is decoded.
    return _ENCODED_WORD_START.sub("= ?", text)


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
    """A plain-text message (with an HTML alternative when given) from `settings.mail_from`.

    Header values pass through `header_text`, so nothing in them can start another header."""
    message = EmailMessage(policy=email.policy.strict)
    message["From"] = settings.mail_from
    message["To"] = header_text(to)
    message["Subject"] = header_text(subject)
    for key, value in (headers or {}).items():
        message[key] = header_text(value)
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
