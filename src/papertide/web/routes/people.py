"""People: generated avatars, your settings, and claiming a paper as one of its authors."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response

from papertide.models import parse_arxiv_id
from papertide.people.avatar import avatar_svg
from papertide.people.claims import ClaimError, ClaimStatus, claim_of, claim_paper
from papertide.store.queries import paper_by_arxiv_id, user_by_name
from papertide.store.schema import Paper
from papertide.web.deps import Csrf, Db, PageUser, SignedIn, client_ip, web_session
from papertide.web.errors import WebError, wants_json
from papertide.web.render import render_page
from papertide.web.routes.common import redirect, utcnow
from papertide.web.state import web_state

router = APIRouter(tags=["people"])
MAX_DISPLAY_NAME = 80


@router.get("/u/{name}/avatar.svg", summary="A person's generated avatar (SVG)")
def avatar(name: str, db: Db) -> Response:
    person = user_by_name(db, name)
    if person is None:
        raise WebError(404, f"no user {name!r}", code="not_found")
    return Response(
        avatar_svg(person.id, person.name),
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@router.get("/settings", include_in_schema=False)
def settings_page(request: Request, user: PageUser) -> Response:
    return render_page(request, "settings.html", {"person": user})


@router.post("/settings", dependencies=[Csrf], include_in_schema=False)
def save_settings(
    request: Request,
    db: Db,
    user: SignedIn,
    display_name: str = Form("", max_length=1000),
    public_upvotes: bool = Form(False),
    notify_replies: bool = Form(False),
) -> Response:
    shown = " ".join(display_name.split())
    if len(shown) > MAX_DISPLAY_NAME:
        return render_page(
            request,
            "settings.html",
            {"person": user, "error": f"A name has at most {MAX_DISPLAY_NAME} characters."},
            status_code=400,
        )
    user.display_name = shown or None
    user.public_upvotes = public_upvotes
    user.notify_replies = notify_replies
    db.commit()
    web_state(request).invalidate()
    web_session(request).add_flash("Settings saved.")
    return redirect("/settings")


def _paper(db: Db, arxiv_id: str) -> Paper:
    parsed = parse_arxiv_id(arxiv_id)
    paper = paper_by_arxiv_id(db, parsed[0]) if parsed else None
    if paper is None:
        raise WebError(404, f"no paper {arxiv_id!r} here", code="not_found")
    return paper


@router.post(
    "/papers/{arxiv_id:path}/claim",
    dependencies=[Csrf],
    summary="Claim to be one of a paper's authors",
)
def claim(
    request: Request,
    arxiv_id: str,
    db: Db,
    user: SignedIn,
    author: str = Form(..., max_length=1000),
) -> Response:
    state = web_state(request)
    paper = _paper(db, arxiv_id)
    state.limits.hit("claim", ip=client_ip(request), account=str(user.id))
    try:
        made = claim_paper(
            db,
            user,
            paper,
            author,
            trusted_domains=state.settings.trusted_author_domains,
            now=utcnow(),
        )
    except ClaimError as exc:
        raise WebError(exc.status, str(exc), code=exc.code) from None
    db.commit()
    state.invalidate()
    if wants_json(request):
        return JSONResponse(
            {"paper": paper.arxiv_id, "author": made.author_name, "status": made.status},
            status_code=201,
        )
    web_session(request).add_flash(
        f"You are now shown as {made.author_name} on this paper."
        if made.status == ClaimStatus.CONFIRMED
        else f"Your claim to be {made.author_name} waits for an admin to confirm it."
    )
    return redirect(f"/papers/{paper.arxiv_id}#authorship")


@router.post(
    "/papers/{arxiv_id:path}/claim/withdraw",
    dependencies=[Csrf],
    summary="Withdraw your authorship claim on a paper",
)
def withdraw_claim(request: Request, arxiv_id: str, db: Db, user: SignedIn) -> Response:
    paper = _paper(db, arxiv_id)
    found = claim_of(db, user.id, paper.id)
    if found is None or found.status == ClaimStatus.REJECTED:
        raise WebError(404, f"you have no claim on {paper.arxiv_id}", code="not_found")
    db.delete(found)
    db.commit()
    web_state(request).invalidate()
    if wants_json(request):
        return JSONResponse({"paper": paper.arxiv_id, "withdrawn": True})
    web_session(request).add_flash("Your authorship claim is withdrawn.")
    return redirect(f"/papers/{paper.arxiv_id}#authorship")
