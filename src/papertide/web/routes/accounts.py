"""Sign in by emailed link, sign out. The same answer whether or not an address is known."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from papertide.mail.backends import send_mail
from papertide.mail.message import build_message
from papertide.mail.transport import MailError
from papertide.web.deps import Csrf, Db, client_ip, web_session
from papertide.web.errors import WebError
from papertide.web.render import render_page
from papertide.web.routes.common import redirect, utcnow
from papertide.web.security import safe_next
from papertide.web.signin import SignInError, issue_token, normalise_email, redeem_token
from papertide.web.state import web_state

router = APIRouter(tags=["accounts"], include_in_schema=False)


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return render_page(request, "login.html", {"next": safe_next(next), "sent": False})


@router.post("/login", dependencies=[Csrf])
def login_send(
    request: Request, db: Db, email: str = Form(..., max_length=320), next: str = Form("/")
) -> Response:
    state = web_state(request)
    target = safe_next(next)
    address = normalise_email(email)
    if address is None:
        return render_page(
            request,
            "login.html",
            {"next": target, "sent": False, "error": "That does not look like an email address."},
            status_code=400,
        )
    state.limits.hit("signin", ip=client_ip(request), account=address)
    now = utcnow()
    token = issue_token(db, state.settings.effective_secret_key(), address, target, now)
    db.commit()
    link = f"{state.settings.base_url.rstrip('/')}/login/verify?token={token}"
    message = build_message(
        state.settings,
        to=address,
        subject=f"Sign in to {state.settings.site_name}",
        text=(
            f"Open this link to sign in to {state.settings.site_name}:\n\n{link}\n\n"
            "It works once and expires in 15 minutes. If you did not ask for it, ignore this mail."
        ),
    )
    try:
        send_mail(state.settings, message)
    except MailError as exc:
        raise WebError(
            503, f"the sign-in mail could not be sent ({exc})", code="mail_failed"
        ) from None
    return render_page(request, "login.html", {"next": target, "sent": True, "email": address})


@router.get("/login/verify")
def login_verify(request: Request, db: Db, token: str = "") -> Response:
    state = web_state(request)
    try:
        user, target = redeem_token(db, state.settings.effective_secret_key(), token, utcnow())
    except SignInError as exc:
        db.rollback()
        raise WebError(400, str(exc), code="bad_token") from None
    db.commit()
    session = web_session(request)
    session.sign_in(user.id)
    session.add_flash(f"Signed in as {user.name}.")
    return redirect(safe_next(target))


@router.post("/logout", dependencies=[Csrf])
def logout(request: Request) -> Response:
    web_session(request).sign_out()
    return redirect("/")
