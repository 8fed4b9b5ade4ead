"""Outgoing mail: one `send_mail` over SMTP, console and null backends."""

from papertide.mail.backends import MailError, build_message, send_mail

__all__ = ["MailError", "build_message", "send_mail"]
