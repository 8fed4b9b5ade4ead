"""The one interface every way of sending mail implements, and the errors it raises.

A transport hands built messages to the mail system and may keep a connection open between
them (the digest sender pushes thousands through one), so callers `close()` it when done; used
as a context manager it closes itself. Failures are sorted by what the caller should do next:
try the same message again later, give up on this message, or stop sending altogether.
"""

from __future__ import annotations

from email.message import EmailMessage
from types import TracebackType
from typing import Protocol, Self

from papertide.mail.message import RawMail


class MailError(Exception):
    """A message could not be handed to the mail system; the text says what to check."""


class TransientMailError(MailError):
    """Could not send now (server away, 4xx); the same message may be retried."""


class PermanentMailError(MailError):
    """The server refused this message for good (5xx); retrying will not help."""


class FatalMailError(MailError):
    """Nothing can be sent with this configuration (e.g. the login is refused): stop the run."""


class MailTransport(Protocol):
    """Sends one built message at a time; implementations subclass this to get `with` support."""

    def send(self, message: EmailMessage | RawMail) -> None:
        """Hand `message` over as it is (headers are the caller's business).

        Raises TransientMailError, PermanentMailError or FatalMailError; the transport stays
        usable after the first two."""
        ...

    def close(self) -> None:
        """Let go of any open connection; a later `send` opens a new one."""
        ...

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
