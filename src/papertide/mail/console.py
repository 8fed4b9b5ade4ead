"""Development mail: each message's plain text on stderr, so a sign-in link can be copied from
the server log without a mail server."""

from __future__ import annotations

import sys
from email.message import EmailMessage

from papertide.mail.message import RawMail
from papertide.mail.transport import MailTransport


class ConsoleTransport(MailTransport):
    def send(self, message: EmailMessage | RawMail) -> None:
        parsed = message.as_message() if isinstance(message, RawMail) else message
        body = parsed.get_body(("plain",))
        text = body.get_content() if body is not None else ""
        print(
            f"--- mail to {parsed['To']}: {parsed['Subject']} ---\n{text}\n--- end of mail ---",
            file=sys.stderr,
            flush=True,
        )

    def close(self) -> None:
        return None
