"""SMTP: one connection (plain, STARTTLS or TLS, with an optional login) reused across messages.

Opening a connection per message is fine for a sign-in mail and far too slow for ten thousand
digests, so the connection stays open until `close()` and is opened again after the server
drops it. Errors are sorted into "try again later" (4xx, connection trouble), "never going to
work for this message" (5xx) and "nothing will work" (login refused), each with a text a person
can act on, never a bare socket error.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from papertide.config import Settings
from papertide.mail.message import RawMail
from papertide.mail.transport import (
    FatalMailError,
    MailError,
    MailTransport,
    PermanentMailError,
    TransientMailError,
)


def _text(msg: bytes | str) -> str:
    return msg.decode(errors="replace") if isinstance(msg, bytes) else msg


class SmtpTransport(MailTransport):
    """`settings.smtp_*`: host, port, security (none, starttls, tls), user and password."""

    def __init__(self, settings: Settings, *, timeout: float = 30.0) -> None:
        self.settings = settings
        self.timeout = timeout
        self.where = f"{settings.smtp_host}:{settings.smtp_port}"
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        smtp: smtplib.SMTP
        if s.smtp_security == "tls":
            smtp = smtplib.SMTP_SSL(
                s.smtp_host, s.smtp_port, timeout=self.timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=self.timeout)
        try:
            if s.smtp_security == "starttls":
                # Fails when the server does not offer STARTTLS: never fall back to plain text.
                smtp.starttls(context=ssl.create_default_context())
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password or "")
        except BaseException:
            smtp.close()  # a half-set-up connection must not be reused for the next message
            raise
        return smtp

    def send(self, message: EmailMessage | RawMail) -> None:
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            if isinstance(message, RawMail):
                self._smtp.sendmail(message.sender, [message.recipient], message.data)
            else:
                self._smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            failed = self._classify(exc)
            if isinstance(exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPDataError):
                self._reset()  # the connection is fine, only this message failed
            else:
                self.close()
            raise failed from None

    def _classify(self, exc: Exception) -> MailError:
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            return FatalMailError(
                f"SMTP server {self.where} refused the login for {self.settings.smtp_user!r} "
                f"({exc.smtp_code}); check PAPERTIDE_SMTP_USER / PAPERTIDE_SMTP_PASSWORD"
            )
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            codes = [code for code, _ in exc.recipients.values()]
            text = "; ".join(
                f"{rcpt}: {code} {_text(msg)}" for rcpt, (code, msg) in exc.recipients.items()
            )
            if codes and all(code >= 500 for code in codes):
                return PermanentMailError(f"recipient refused: {text}")
            return TransientMailError(f"recipient deferred: {text}")
        if isinstance(exc, smtplib.SMTPResponseException):
            text = f"{exc.smtp_code} {_text(exc.smtp_error)}"
            if exc.smtp_code >= 500:
                return PermanentMailError(f"refused by {self.where}: {text}")
            return TransientMailError(f"deferred by {self.where}: {text}")
        return TransientMailError(
            f"cannot send mail through {self.where} ({type(exc).__name__}: {exc}); "
            "check PAPERTIDE_SMTP_HOST, _PORT and _SECURITY"
        )

    def _reset(self) -> None:
        try:
            if self._smtp is not None:
                self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self.close()

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()
