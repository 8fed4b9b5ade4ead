"""Subscription pages: subscribe (double opt-in), confirm, manage (pause, frequency, library),
one-click unsubscribe (RFC 8058, no login), the reader's recommendations, and the admin's view of
failed deliveries. Every mail link carries a signed token, so none of this needs an account.

The subscribe form answers the same whether or not the address is subscribed already: a new
subscription gets its confirmation mail, an existing one a mail to its owner with a link that
applies the change (`/subscriptions/change/{token}`). Limits per client address and per
(address, email), and a throttle on the mails one address receives, keep it from being a way to
flood someone's inbox."""

from __future__ import annotations

import functools
import zoneinfo
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.orm import Session

from papertide.digest import library as lib
from papertide.digest.render import confirmation_message, existing_subscription_message
from papertide.digest.send import failed_deliveries
from papertide.digest.subscriptions import (
    FREQUENCIES,
    KIND_LABELS,
    InvalidInput,
    Schedule,
    apply_schedule,
    confirm,
    describe,
    seed_owner,
    set_frequency,
    set_status,
    subscribe,
    validate_request,
)
from papertide.digest.tokens import TokenError, make_token, read_change_token, read_token
from papertide.mail.backends import send_mail
from papertide.mail.transport import MailError
from papertide.store.schema import Subscription
from papertide.web.deps import Admin, Csrf, CurrentUser, Db, client_ip
from papertide.web.errors import WebError
from papertide.web.render import render_page
from papertide.web.state import web_state

router = APIRouter(tags=["subscriptions"])


def _secret(request: Request) -> str:
    return web_state(request).settings.effective_secret_key()


def _subscription(request: Request, db: Session, token: str, purpose: str) -> Subscription:
    try:
        sub_id = read_token(_secret(request), purpose, token)  # type: ignore[arg-type]
    except TokenError as exc:
        raise WebError(400, str(exc), code="bad_token") from None
    sub = db.get(Subscription, sub_id)
    if sub is None:
        raise WebError(404, "this subscription no longer exists", code="not_found")
    return sub


def _message_page(
    request: Request, title: str, message: str, *, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    return render_page(
        request,
        "subscriptions/message.html",
        {"title": title, "message": message, **extra},
        status_code=status_code,
    )


# Subscribe --------------------------------------------------------------------------------------


@functools.cache
def time_zones() -> list[str]:
    """The IANA zones a person picks from (UTC first), without legacy aliases."""
    names = {
        name
        for name in zoneinfo.available_timezones()
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/"))
    }
    return ["UTC", *sorted(names)]


def _subscribe_page(
    request: Request, form: dict[str, Any], error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    return render_page(
        request,
        "subscriptions/subscribe.html",
        {"kinds": KIND_LABELS, "form": form, "error": error, "time_zones": time_zones()},
        status_code=status_code,
    )


@router.get("/subscribe", response_class=HTMLResponse)
def subscribe_form(
    request: Request,
    user: CurrentUser,
    kind: str = "daily_trending",
    category: str = "",
    q: str = "",
) -> HTMLResponse:
    """The subscribe form, prefilled from links like /subscribe?kind=search&q=..."""
    return _subscribe_page(
        request,
        {
            "kind": kind if kind in KIND_LABELS else "daily_trending",
            "category": category[:40],
            "query": q[:300],
            "email": user.email if user is not None else "",
            "send_hour": 7,
            "timezone": "UTC",
            "frequency": "daily",
        },
    )


@router.post("/subscribe", dependencies=[Csrf])
def subscribe_submit(
    request: Request,
    db: Db,
    user: CurrentUser,
    email: Annotated[str, Form(max_length=5000)] = "",
    kind: Annotated[str, Form(max_length=40)] = "daily_trending",
    category: Annotated[str, Form(max_length=100)] = "",
    query: Annotated[str, Form(max_length=2000)] = "",
    frequency: Annotated[str, Form(max_length=20)] = "",
    send_hour: Annotated[str, Form(max_length=5)] = "7",
    timezone: Annotated[str, Form(max_length=80)] = "UTC",
    min_relevance: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Create a pending subscription and mail the confirmation link (double opt-in)."""
    settings = web_state(request).settings
    form = {
        "email": email,
        "kind": kind,
        "category": category,
        "query": query,
        "frequency": frequency,
        "send_hour": send_hour,
        "timezone": timezone,
    }
    try:
        req = validate_request(
            email,
            kind,
            category=category,
            query=query,
            frequency=frequency or None,
            send_hour=send_hour,
            timezone=timezone,
            min_relevance=min_relevance,
        )
    except InvalidInput as exc:
        return _subscribe_page(request, form, str(exc), status_code=422)
    limits = web_state(request).limits
    limits.hit("subscribe", ip=client_ip(request), account=req.email)
    wait = limits.check("subscribe_mail", account=req.email)
    if wait:
        minutes = max(1, round(wait / 60))
        return _message_page(
            request,
            "Not sent again",
            f"Several subscription mails went to {req.email} within the last hour, so we did "
            f"not send another. Use the newest one in that inbox, or try again in {minutes} "
            f"minute{'s' if minutes != 1 else ''}.",
        )
    owner_id = user.id if user is not None and user.email == req.email else None
    sub = subscribe(db, req, user_id=owner_id)
    db.commit()
    if sub.status == "pending":
        message = confirmation_message(settings, sub)
    else:  # active or paused: its owner decides, by mail; the page says the same either way
        message = existing_subscription_message(settings, sub, Schedule.of(req))
    try:
        send_mail(settings, message)
    except MailError:
        return _message_page(
            request,
            "Could not send the confirmation mail",
            "The mail server is not reachable right now; please try again in a few minutes.",
            status_code=503,
        )
    return _message_page(
        request,
        "Check your inbox",
        f"We sent a mail with a confirmation link to {req.email}. Nothing is sent and nothing "
        "changes until you open it.",
    )


# Confirm ----------------------------------------------------------------------------------------


@router.get("/subscriptions/confirm/{token}", response_class=HTMLResponse)
def confirm_page(request: Request, db: Db, token: str) -> HTMLResponse:
    # A GET only shows a button: link scanners in mail systems follow links, people press buttons.
    sub = _subscription(request, db, token, "confirm")
    return _message_page(
        request,
        "Confirm your subscription",
        f"Receive {describe(sub)} at {sub.email}?",
        action=f"/subscriptions/confirm/{token}",
        button="Confirm subscription",
    )


@router.post("/subscriptions/confirm/{token}", response_class=HTMLResponse)
def confirm_submit(request: Request, db: Db, token: str) -> HTMLResponse:
    sub = _subscription(request, db, token, "confirm")
    if sub.status == "off":
        raise WebError(410, "this subscription was cancelled; subscribe again", code="gone")
    confirm(db, sub, web_state(request).settings.now())
    db.commit()
    manage = make_token(_secret(request), "manage", sub.id)
    return _message_page(
        request,
        "Subscribed",
        f"{sub.email} will receive {describe(sub)}.",
        link=f"/subscriptions/manage/{manage}",
        link_text="Manage this subscription",
    )


# Change (asked for on the subscribe form, confirmed from the owner's inbox) ----------------------


def _change(request: Request, db: Session, token: str) -> tuple[Subscription, Schedule]:
    try:
        sub_id, change = read_change_token(_secret(request), token)
        schedule = Schedule.from_dict(change)
    except (TokenError, InvalidInput) as exc:
        raise WebError(400, str(exc), code="bad_token") from None
    sub = db.get(Subscription, sub_id)
    if sub is None:
        raise WebError(404, "this subscription no longer exists", code="not_found")
    if sub.status == "off":
        raise WebError(410, "this subscription was cancelled; subscribe again", code="gone")
    return sub, schedule


@router.get("/subscriptions/change/{token}", response_class=HTMLResponse)
def change_page(request: Request, db: Db, token: str) -> HTMLResponse:
    sub, schedule = _change(request, db, token)
    return _message_page(
        request,
        "Change your subscription",
        f"Send {describe(sub)} to {sub.email} {schedule.describe()} "
        f"(now: {Schedule.of(sub).describe()})?",
        action=f"/subscriptions/change/{token}",
        button="Apply the change",
    )


@router.post("/subscriptions/change/{token}", response_class=HTMLResponse)
def change_submit(request: Request, db: Db, token: str) -> HTMLResponse:
    sub, schedule = _change(request, db, token)
    apply_schedule(sub, schedule)
    db.commit()
    manage = make_token(_secret(request), "manage", sub.id)
    return _message_page(
        request,
        "Changed",
        f"{sub.email} receives {describe(sub)} {schedule.describe()}.",
        link=f"/subscriptions/manage/{manage}",
        link_text="Manage this subscription",
    )


# Manage -----------------------------------------------------------------------------------------


def _manage_context(request: Request, db: Session, sub: Subscription, token: str) -> dict[str, Any]:
    settings = web_state(request).settings
    context: dict[str, Any] = {
        "sub": sub,
        "token": token,
        "what": describe(sub),
        "frequencies": FREQUENCIES,
        "library": [],
        "feed_url": None,
        "report": None,
        "error": None,
    }
    if sub.kind == "recommendations":
        context["library"] = lib.library(db, seed_owner(sub))
        if sub.feed_token:
            base = settings.base_url.rstrip("/")
            context["feed_url"] = f"{base}/feeds/recommendations/{sub.feed_token}.atom"
    return context


@router.get("/subscriptions/manage/{token}", response_class=HTMLResponse)
def manage_page(request: Request, db: Db, token: str) -> HTMLResponse:
    sub = _subscription(request, db, token, "manage")
    return render_page(
        request, "subscriptions/manage.html", _manage_context(request, db, sub, token)
    )


@router.post("/subscriptions/manage/{token}", response_class=HTMLResponse)
def manage_submit(
    request: Request,
    db: Db,
    token: str,
    action: Annotated[str, Form(max_length=20)],
    frequency: Annotated[str, Form(max_length=20)] = "",
) -> HTMLResponse:
    """pause | resume | unsubscribe | frequency — the token is the authority, no login."""
    sub = _subscription(request, db, token, "manage")
    try:
        if action == "pause":
            set_status(sub, "paused")
        elif action == "resume":
            set_status(sub, "active")
        elif action == "unsubscribe":
            set_status(sub, "off")
        elif action == "frequency":
            set_frequency(sub, frequency)
        else:
            raise InvalidInput(f"unknown action {action[:20]!r}")
    except InvalidInput as exc:
        context = _manage_context(request, db, sub, token)
        context["error"] = str(exc)
        return render_page(request, "subscriptions/manage.html", context, status_code=422)
    db.commit()
    return render_page(
        request, "subscriptions/manage.html", _manage_context(request, db, sub, token)
    )


@router.post("/subscriptions/manage/{token}/library", response_class=HTMLResponse)
async def manage_library(
    request: Request,
    db: Db,
    token: str,
    ids: Annotated[str, Form(max_length=50_000)] = "",
    bibtex: Annotated[UploadFile | None, File()] = None,
) -> HTMLResponse:
    """Add papers to the library behind a recommendations subscription (BibTeX or ids)."""
    sub = _subscription(request, db, token, "manage")
    if sub.kind != "recommendations":
        raise WebError(400, "only recommendation subscriptions have a library")
    context = _manage_context(request, db, sub, token)
    try:
        report = lib.import_library(db, seed_owner(sub), ids, await upload_bytes(bibtex))
    except lib.LibraryError as exc:
        context["error"] = str(exc)
        return render_page(request, "subscriptions/manage.html", context, status_code=422)
    db.commit()
    context = _manage_context(request, db, sub, token)
    context["report"] = report
    return render_page(request, "subscriptions/manage.html", context)


async def upload_bytes(upload: UploadFile | None) -> bytes | None:
    """The uploaded file's bytes (one more than the library accepts, so it can say too big)."""
    if upload is None or not upload.filename:
        return None
    return await upload.read(lib.MAX_BIBTEX_BYTES + 1)


# Unsubscribe ------------------------------------------------------------------------------------


@router.get("/subscriptions/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_page(request: Request, db: Db, token: str) -> HTMLResponse:
    sub = _subscription(request, db, token, "manage")
    return _message_page(
        request,
        "Unsubscribe",
        f"Stop sending {describe(sub)} to {sub.email}?",
        action=f"/subscriptions/unsubscribe/{token}",
        button="Unsubscribe",
    )


@router.post("/subscriptions/unsubscribe/{token}")
def unsubscribe_one_click(request: Request, db: Db, token: str) -> Response:
    """RFC 8058 one-click: a POST from the mail client (body List-Unsubscribe=One-Click) or
    the button on the page. No login, no CSRF token: the signed token is the authority."""
    sub = _subscription(request, db, token, "manage")
    sub.status = "off"
    db.commit()
    if "text/html" not in request.headers.get("accept", ""):
        return JSONResponse({"unsubscribed": True, "email": sub.email})
    return _message_page(
        request, "Unsubscribed", f"{sub.email} will no longer receive {describe(sub)}."
    )


# Admin ------------------------------------------------------------------------------------------


@router.get("/admin/deliveries", response_class=HTMLResponse)
def admin_deliveries(request: Request, db: Db, admin: Admin) -> Response:
    """Permanent failures (5xx) and deliveries still waiting for a retry."""
    rows = failed_deliveries(db)
    if request.url.path.endswith(".json") or "application/json" in request.headers.get(
        "accept", ""
    ):
        return JSONResponse(
            [
                {
                    "email": d.email,
                    "period": d.period,
                    "status": d.status,
                    "attempts": d.attempts,
                    "last_error": d.last_error,
                    "created_at": d.created_at.isoformat(),
                }
                for d in rows
            ]
        )
    return render_page(request, "subscriptions/admin_deliveries.html", {"deliveries": rows})
