"""Comments: add (signed in), edit and delete (author or admin)."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response

from papertide.models import parse_arxiv_id
from papertide.store.queries import paper_by_arxiv_id
from papertide.store.schema import Comment, Paper, User
from papertide.web.deps import Csrf, Db, SignedIn, client_ip
from papertide.web.errors import WebError, wants_json
from papertide.web.markdown import render_comment
from papertide.web.params import RowId, plain_text
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


@router.post("/papers/{arxiv_id:path}/comments", dependencies=[Csrf], summary="Add a comment")
def add_comment(
    request: Request,
    arxiv_id: str,
    db: Db,
    user: SignedIn,
    body: str = Form(..., max_length=20_000),
) -> Response:
    state = web_state(request)
    parsed = parse_arxiv_id(arxiv_id)
    paper = paper_by_arxiv_id(db, parsed[0]) if parsed else None
    if paper is None:
        raise WebError(404, f"no paper {arxiv_id!r} here", code="not_found")
    text = _clean_body(body)
    state.limits.hit("comment", ip=client_ip(request), account=str(user.id))
    comment = Comment(
        paper_id=paper.id,
        user_id=user.id,
        body=text,
        body_html=render_comment(text),
        created_at=utcnow(),
    )
    db.add(comment)
    db.commit()
    state.invalidate()
    if wants_json(request):
        return JSONResponse({"id": comment.id, "html": comment.body_html}, status_code=201)
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
