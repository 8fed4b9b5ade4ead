"""Comments: add or reply (signed in), edit and delete (author or admin); reply mails opt-out."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from papertide.discussion.replies import (
    ReplyTokenError,
    read_opt_out_token,
    reply_message,
    reply_recipient,
    send_reply_notification,
)
from papertide.models import parse_arxiv_id
from papertide.store.queries import paper_by_arxiv_id
from papertide.store.schema import Comment, Paper, User
from papertide.web.deps import Csrf, Db, SignedIn, client_ip
from papertide.web.errors import WebError, wants_json
from papertide.web.markdown import render_comment
from papertide.web.params import RowId, plain_text
from papertide.web.render import render_page
from papertide.web.routes.common import audit, redirect, utcnow
from papertide.web.state import web_state

router = APIRouter(tags=["comments"])
MAX_COMMENT = 5000


def _clean_body(body: str) -> str:
    text = plain_text(body).strip()
    if not text:
        raise WebError(400, "a comment cannot be empty", code="empty_comment")
    if len(text) > MAX_COMMENT:
        raise WebError(400, f"a comment has at most {MAX_COMMENT} characters", code="too_long")
    return text


def _own_comment(db: Db, comment_id: int, user: User) -> tuple[Comment, Paper]:
    comment = db.get(Comment, comment_id)
    if comment is None or comment.deleted:
        raise WebError(404, f"no comment {comment_id}", code="not_found")
    if comment.user_id != user.id and not user.is_admin:
        raise WebError(403, "only its author or an admin can change this comment")
    paper = db.get(Paper, comment.paper_id)
    assert paper is not None
    return comment, paper


def _parent(db: Db, parent_id: int | None, paper: Paper, user: User) -> Comment | None:
    """The comment a reply answers: on the same paper, and still there for this person."""
    if parent_id is None:
        return None
    parent = db.get(Comment, parent_id)
    if (
        parent is None
        or parent.paper_id != paper.id
        or parent.deleted
        or (parent.hidden and not user.is_admin)
    ):
        raise WebError(
            404, f"no comment {parent_id} on {paper.arxiv_id} to reply to", code="not_found"
        )
    return parent


@router.post(
    "/papers/{arxiv_id:path}/comments", dependencies=[Csrf], summary="Add a comment or a reply"
)
def add_comment(
    request: Request,
    arxiv_id: str,
    db: Db,
    user: SignedIn,
    background: BackgroundTasks,
    body: str = Form(..., max_length=20_000),
    parent_id: int | None = Form(None, ge=1, description="The comment this one answers"),
) -> Response:
    state = web_state(request)
    parsed = parse_arxiv_id(arxiv_id)
    paper = paper_by_arxiv_id(db, parsed[0]) if parsed else None
    if paper is None:
        raise WebError(404, f"no paper {arxiv_id!r} here", code="not_found")
    text = _clean_body(body)
    parent = _parent(db, parent_id, paper, user)
    state.limits.hit("comment", ip=client_ip(request), account=str(user.id))
    comment = Comment(
        paper_id=paper.id,
        user_id=user.id,
        parent_id=parent.id if parent else None,
        body=text,
        body_html=render_comment(text),
        created_at=utcnow(),
    )
    db.add(comment)
    db.commit()
    state.invalidate()
    recipient = reply_recipient(db, comment)
    if recipient is not None:
        # Built now (the session closes with the request), sent after the response.
        message = reply_message(
            state.settings, reply=comment, replier=user, recipient=recipient, paper=paper
        )
        background.add_task(send_reply_notification, state.settings, message)
    if wants_json(request):
        return JSONResponse(
            {"id": comment.id, "parentId": comment.parent_id, "html": comment.body_html},
            status_code=201,
        )
    return redirect(f"/papers/{paper.arxiv_id}#comment-{comment.id}")


@router.post("/comments/{comment_id}/edit", dependencies=[Csrf], summary="Edit a comment")
def edit_comment(
    request: Request,
    comment_id: RowId,
    db: Db,
    user: SignedIn,
    body: str = Form(..., max_length=20_000),
) -> Response:
    comment, paper = _own_comment(db, comment_id, user)
    text = _clean_body(body)
    comment.body = text
    comment.body_html = render_comment(text)
    comment.edited_at = utcnow()
    if comment.user_id != user.id:
        audit(db, user, "edit_comment", "comment", comment.id)
    db.commit()
    web_state(request).invalidate()
    return redirect(f"/papers/{paper.arxiv_id}#comment-{comment.id}")


@router.post("/comments/{comment_id}/delete", dependencies=[Csrf], summary="Delete a comment")
def delete_comment(request: Request, comment_id: RowId, db: Db, user: SignedIn) -> Response:
    comment, paper = _own_comment(db, comment_id, user)
    comment.deleted = True
    if comment.user_id != user.id:
        audit(db, user, "delete_comment", "comment", comment.id)
    db.commit()
    web_state(request).invalidate()
    return redirect(f"/papers/{paper.arxiv_id}#comments")


# Reply mails: one-click opt-out from the link in every notification (RFC 8058) ------------------


def _opt_out_person(request: Request, db: Db, token: str) -> User:
    try:
        user_id = read_opt_out_token(web_state(request).settings.effective_secret_key(), token)
    except ReplyTokenError as exc:
        raise WebError(400, str(exc), code="bad_token") from None
    person = db.get(User, user_id)
    if person is None:
        raise WebError(404, "this account no longer exists", code="not_found")
    return person


@router.get("/replies/off/{token}", include_in_schema=False)
def reply_mails_off_page(request: Request, db: Db, token: str) -> HTMLResponse:
    person = _opt_out_person(request, db, token)
    return render_page(
        request,
        "subscriptions/message.html",
        {
            "title": "Stop reply mails",
            "message": f"Stop mailing {person.name} when someone replies to their comments?",
            "action": f"/replies/off/{token}",
            "button": "Stop reply mails",
        },
    )


@router.post("/replies/off/{token}", include_in_schema=False)
def reply_mails_off(request: Request, db: Db, token: str) -> Response:
    """RFC 8058 one-click (a POST from the mail client) or the button on the page. No sign-in,
    no CSRF token: the signed token is the authority, and it can only turn mails off."""
    person = _opt_out_person(request, db, token)
    person.notify_replies = False
    db.commit()
    if "text/html" not in request.headers.get("accept", ""):
        return JSONResponse({"notifyReplies": False, "name": person.name})
    return render_page(
        request,
        "subscriptions/message.html",
        {
            "title": "Reply mails stopped",
            "message": f"{person.name} will no longer get a mail for replies. "
            "Turn them back on in your settings.",
            "link": "/settings",
            "link_text": "Settings",
        },
    )
