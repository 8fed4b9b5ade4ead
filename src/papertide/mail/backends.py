"""`settings.mail_backend` -> the transport it names, and `send_mail` for a single message.

Each backend is one entry in `TRANSPORTS`; adding one means adding a class and a line here,
not another branch somewhere that sends mail.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from email.message import EmailMessage

from papertide.config import Settings
from papertide.mail.console import ConsoleTransport
from papertide.mail.message import complete_message
from papertide.mail.null import NullTransport
from papertide.mail.smtp import SmtpTransport
from papertide.mail.transport import FatalMailError, MailTransport

TRANSPORTS: Mapping[str, Callable[[Settings], MailTransport]] = {
    "smtp": SmtpTransport,
    "console": lambda _settings: ConsoleTransport(),
    "null": lambda _settings: NullTransport(),
}


def transport_for(settings: Settings) -> MailTransport:
    """A new transport of the kind `settings.mail_backend` names (not yet connected)."""
    try:
        make = TRANSPORTS[settings.mail_backend]
    except KeyError:
        # Settings validation rejects unknown names; this catches copies made without it.
        raise FatalMailError(
            f"unknown mail backend {settings.mail_backend!r}; use {', '.join(TRANSPORTS)}"
        ) from None
    return make(settings)


def send_mail(settings: Settings, message: EmailMessage) -> str:
    """Send one message on its own connection; fills in From and Message-ID, returns the latter.

    Raises a MailError subclass when the message could not be handed over."""
    message_id = complete_message(settings, message)
    with transport_for(settings) as transport:
        transport.send(message)
    return message_id
