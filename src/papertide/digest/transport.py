"""Handing messages to the mail system, many per connection, with errors sorted into
"try again later" (4xx, connection lost) and "never going to work" (5xx).

`papertide.mail.send_mail` opens one SMTP connection per message, which is right for a sign-in
mail but too slow for ten thousand digests; `SmtpTransport` keeps one connection open (same
settings: STARTTLS/TLS, auth) and reconnects when the server drops it. Console and null backends
go through `send_mail` unchanged.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from types import TracebackType
from typing import Protocol

from papertide.config import Settings
from papertide.mail.backends import send_mail
from papertide.mail.message import RawMail
from papertide.mail.transport import MailError


class TransientMailError(Exception):
    """Could not send now (server away, 4xx); the same message may be retried."""


class PermanentMailError(Exception):
    """The server refused this message for good (5xx); retrying will not help."""


class FatalMailError(Exception):
    """Nothing can be sent with this configuration (e.g. the login is refused): stop the run."""


class Transport(Protocol):
    def send(self, message: EmailMessage | RawMail) -> None: ...

    def close(self) -> None: ...


def _classify(exc: Exception, where: str) -> Exception:
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return FatalMailError(
            f"SMTP server {where} refused the login ({exc.smtp_code}); "
            "check PAPERTIDE_SMTP_USER / PAPERTIDE_SMTP_PASSWORD"
        )
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        text = "; ".join(
            f"{rcpt}: {code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
            for rcpt, (code, msg) in exc.recipients.items()
        )
        if codes and all(code >= 500 for code in codes):
            return PermanentMailError(f"recipient refused: {text}")
        return TransientMailError(f"recipient deferred: {text}")
    if isinstance(exc, smtplib.SMTPResponseException):
        msg = exc.smtp_error
        text = f"{exc.smtp_code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
        if exc.smtp_code >= 500:
            return PermanentMailError(f"refused by {where}: {text}")
        return TransientMailError(f"deferred by {where}: {text}")
    return TransientMailError(f"cannot reach {where}: {type(exc).__name__}: {exc}")


class SmtpTransport:
    """One SMTP connection reused across messages; reconnects after the server drops it."""

    def __init__(self, settings: Settings, *, timeout: float = 30.0) -> None:
        self.settings = settings
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None
        self.where = f"{settings.smtp_host}:{settings.smtp_port}"

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
                smtp.starttls(context=ssl.create_default_context())
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password or "")
        except Exception:
            smtp.close()
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
            failed = _classify(exc, self.where)
            if isinstance(exc, smtplib.SMTPRecipientsRefused | smtplib.SMTPDataError):
                self._reset()  # the connection is fine, only this message failed
            else:
                self.close()
            raise failed from None

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

    def __enter__(self) -> SmtpTransport:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class BackendTransport:
    """The console or null backend of `papertide.mail` (development, dry runs)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send(self, message: EmailMessage | RawMail) -> None:
        try:
            send_mail(
                self.settings, message.as_message() if isinstance(message, RawMail) else message
            )
        except MailError as exc:
            raise TransientMailError(str(exc)) from None

    def close(self) -> None:
        return None


def transport_for(settings: Settings) -> Transport:
    """The transport `settings.mail_backend` asks for."""
    if settings.mail_backend == "smtp":
        return SmtpTransport(settings)
    return BackendTransport(settings)
