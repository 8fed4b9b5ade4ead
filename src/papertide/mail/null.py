"""Mail that goes nowhere: load tests, fuzzing and dry runs, where nobody reads it."""

from __future__ import annotations

from email.message import EmailMessage

from papertide.mail.message import RawMail
from papertide.mail.transport import MailTransport


class NullTransport(MailTransport):
    def send(self, message: EmailMessage | RawMail) -> None:
        return None

    def close(self) -> None:
        return None
