"""Outgoing mail behind one interface, `transport.MailTransport`, with SMTP, console and null
implementations (`smtp`, `console`, `null`); `backends.transport_for(settings)` picks one by
`settings.mail_backend` and `backends.send_mail` sends a single message with it. Building the
messages is left to the senders (`message.build_message` for simple ones)."""
