"""Sign in by emailed link, sign out. The same answer whether or not an address is known.

Limits follow OWASP's advice against lockout: requests are limited per client address and per
(client address, email), so many machines asking for one address do not lock its owner out;
the mails one address receives are throttled (the page says so), except in a browser that
address signed in from before (a device cookie).
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from papertide.mail.backends import send_mail
from papertide.mail.message import build_message
from papertide.mail.transport import MailError
from papertide.web.deps import Csrf, Db, client_ip, web_session
from papertide.web.errors import WebError, wants_json
from papertide.web.render import render_page
from papertide.web.routes.common import redirect, utcnow
from papertide.web.security import safe_next
from papertide.web.sessions import end_session, start_session
from papertide.web.signin import (
    DEVICE_COOKIE,
    DEVICE_MAX_AGE,
    SignInError,
    device_cookie,
    is_known_device,
    issue_token,
    normalise_email,
    pending_email,
    redeem_token,
)
from papertide.web.state import web_state

log = logging.getLogger("papertide.web")
router = APIRouter(tags=["accounts"], include_in_schema=False)

# Where a link goes when the mail backend is not a real mail server (the demo's default).
MAIL_NOTES = {
    "console": "This server does not send mail: it prints each message (with the link) in the "
    "terminal where `papertide demo` or `papertide serve` runs. Copy the link from there.",
    "null": "This server is set up to send no mail at all (PAPERTIDE_MAIL_BACKEND=null), so no "
    "link will arrive; ask its administrator.",
}


def _login_page(request: Request, status_code: int = 200, **context: object) -> Response:
    defaults: dict[str, object] = {"next": "/", "sent": False, "error": None, "note": None}
    return render_page(request, "login.html", {**defaults, **context}, status_code=status_code)


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return _login_page(request, next=safe_next(next))


@router.post("/login", dependencies=[Csrf])
def login_send(
    request: Request, db: Db, email: str = Form(..., max_length=320), next: str = Form("/")
) -> Response:
    state = web_state(request)
    settings = state.settings
    target = safe_next(next)
    address = normalise_email(email)
    if address is None:
        return _login_page(
            request,
            400,
            next=target,
            error="That does not look like an email address; use name@example.org.",
        )
    state.limits.hit("signin", ip=client_ip(request), account=address)
    secret = settings.effective_secret_key()
    wait = state.limits.check("signin_mail", account=address)
    if wait and not is_known_device(secret, request.cookies.get(DEVICE_COOKIE), address):
        minutes = max(1, round(wait / 60))
        return _login_page(
            request,
            next=target,
            error=f"Several sign-in links went to {address} within the last hour, so we did not "
            f"send another. Use the newest one in that inbox (each works for 15 minutes), or "
            f"ask again in {minutes} minute{'s' if minutes != 1 else ''}.",
        )
    now = utcnow()
    token = issue_token(db, secret, address, target, now)
    db.commit()
    link = f"{settings.base_url.rstrip('/')}/login/verify?token={token}"
    message = build_message(
        settings,
        to=address,
        subject=f"Sign in to {settings.site_name}",
        text=(
            f"Open this link to sign in to {settings.site_name}:\n\n{link}\n\n"
            "It works once and expires in 15 minutes. If you did not ask for it, ignore this mail."
        ),
    )
    try:
        send_mail(settings, message)
    except MailError as exc:
        # The details (host, port, account) are for the administrator's log, not for visitors.
        log.warning("sign-in mail not sent: %s", exc)
        raise WebError(
            503,
            "the sign-in mail could not be sent right now; try again in a few minutes",
            code="mail_failed",
        ) from None
    return _login_page(
        request, next=target, sent=True, email=address, note=MAIL_NOTES.get(settings.mail_backend)
    )


def _bad_link(request: Request, exc: SignInError) -> Response:
    if wants_json(request):
        raise WebError(400, str(exc), code="bad_token")
    # Said on the sign-in page itself, so the next step (a new link) is right there.
    message = str(exc)
    return _login_page(request, 400, error=message[:1].upper() + message[1:] + ".")


@router.get("/login/verify")
def login_verify_page(request: Request, db: Db, token: str = "") -> Response:
    """A button that signs in; following the link (GET or HEAD, as mail scanners and link
    previews do) uses nothing up."""
    secret = web_state(request).settings.effective_secret_key()
    try:
        email = pending_email(db, secret, token, utcnow())
    except SignInError as exc:
        return _bad_link(request, exc)
    return render_page(
        request,
        "login_verify.html",
        {"email": email, "token": token},
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


@router.post("/login/verify", dependencies=[Csrf])
def login_verify(request: Request, db: Db, token: str = Form("", max_length=2000)) -> Response:
    secret = web_state(request).settings.effective_secret_key()
    now = utcnow()
    try:
        user, target = redeem_token(db, secret, token, now)
    except SignInError as exc:
        db.rollback()
        return _bad_link(request, exc)
    key = start_session(db, user, now)
    db.commit()
    session = web_session(request)
    session.sign_in(user.id, key)
    session.add_flash(f"Signed in as {user.name}.")
    response = redirect(safe_next(target))
    response.set_cookie(
        DEVICE_COOKIE,
        device_cookie(secret, user.email),
        max_age=DEVICE_MAX_AGE,
        path="/login",
        httponly=True,
        samesite="lax",
        secure=web_state(request).settings.base_url.startswith("https://"),
    )
    return response


@router.post("/logout", dependencies=[Csrf])
def logout(request: Request, db: Db) -> Response:
    session = web_session(request)
    end_session(db, session.key, utcnow())
    db.commit()
    session.sign_out()
    return redirect("/")
