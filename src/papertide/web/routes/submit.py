"""Submit a paper to today's feed by arXiv id or URL."""

from __future__ import annotations

import datetime as dt
import logging

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select

from papertide.ingest.arxiv_api import ArxivApiError, fetch_papers
from papertide.ingest.http import PoliteClient
from papertide.models import parse_arxiv_id
from papertide.store.papers import upsert_papers
from papertide.store.queries import paper_by_arxiv_id
from papertide.store.schema import FeedEntry, Paper
from papertide.web.deps import Csrf, Db, PageUser, SignedIn, client_ip
from papertide.web.errors import WebError, wants_json
from papertide.web.render import render_page
from papertide.web.routes.common import redirect
from papertide.web.security import safe_next
from papertide.web.state import web_state

router = APIRouter(tags=["submit"])
log = logging.getLogger("papertide.web")


class ArxivUnavailable(Exception):
    """A paper we do not have could not be fetched; `message` is for the person submitting."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _fetch_unknown(request: Request, db: Db, arxiv_id: str) -> Paper | None:
    """Bring a paper we do not have yet in through the ingestion code (arXiv API)."""
    settings = web_state(request).settings
    try:
        # A person is waiting for this page: one retry of a slow or failing answer and a short
        # timeout, and none at all when arXiv cannot be reached (offline: say so at once).
        with PoliteClient.for_settings(
            settings, retries=1, timeout=15.0, retry_unreachable=False
        ) as client:
            records = list(fetch_papers(settings, [arxiv_id], client=client))
    except Exception as exc:  # arXiv down, bad XML: the person gets a reason, not a 500
        log.warning("fetching %s from arXiv failed: %s", arxiv_id, exc)
        if isinstance(exc, ArxivApiError) and exc.unreachable:
            raise ArxivUnavailable(
                503,
                "arxiv_unreachable",
                f"{arxiv_id} is not here yet, and arXiv cannot be reached from this server "
                "right now (no network connection, or arXiv is down), so it cannot be brought in. "
                "Papers already here can still be submitted; try this one again later.",
            ) from None
        raise ArxivUnavailable(
            502,
            "fetch_failed",
            f"{arxiv_id} is not here yet, and arXiv did not answer as expected when asked for "
            "it. Please try again in a few minutes.",
        ) from None
    if not records:
        return None
    upsert_papers(db, records)
    db.flush()
    return paper_by_arxiv_id(db, arxiv_id)


def _paper_date(paper: Paper) -> dt.date | None:
    if paper.published_at is not None:
        return paper.published_at.date()
    return paper.first_announced


@router.get("/submit", include_in_schema=False)
def submit_form(
    request: Request, user: PageUser, paper: str = Query("", max_length=300)
) -> Response:
    """The form; `?paper=` fills it in (the link on a missing paper's page)."""
    max_age = web_state(request).settings.submission_max_age_days
    return render_page(request, "submit.html", {"max_age": max_age, "value": paper})


@router.post("/submit", dependencies=[Csrf], summary="Submit a paper to today's feed")
def submit(
    request: Request,
    db: Db,
    user: SignedIn,
    paper: str = Form(..., max_length=300),
    next_path: str = Form(
        "", alias="next", max_length=500, description="Where to go afterwards (a path here)"
    ),
) -> Response:
    state = web_state(request)
    max_age = state.settings.submission_max_age_days

    def refuse(status: int, message: str, code: str) -> Response:
        if wants_json(request):
            raise WebError(status, message, code=code)
        return render_page(
            request,
            "submit.html",
            {"max_age": max_age, "error": message, "value": paper},
            status_code=status,
        )

    parsed = parse_arxiv_id(paper)
    if parsed is None:
        return refuse(400, f"{paper!r} is not an arXiv id or arxiv.org link", "bad_id")
    arxiv_id = parsed[0]
    state.limits.hit("submit", ip=client_ip(request), account=str(user.id))
    try:
        found = paper_by_arxiv_id(db, arxiv_id) or _fetch_unknown(request, db, arxiv_id)
    except ArxivUnavailable as exc:
        return refuse(exc.status, exc.message, exc.code)
    if found is None:
        return refuse(404, f"arXiv has no paper {arxiv_id}", "not_found")
    existing = db.scalars(
        select(FeedEntry).where(FeedEntry.paper_id == found.id).order_by(FeedEntry.feed_date)
    ).first()
    if existing is not None:
        db.commit()
        where = f"/papers/date/{existing.feed_date.isoformat()}#p-{found.arxiv_id}"
        if wants_json(request):
            return JSONResponse(
                {
                    "duplicate": True,
                    "paper": found.arxiv_id,
                    "feedDate": existing.feed_date.isoformat(),
                    "url": where,
                },
                status_code=409,
            )
        state_session = request.state.web_session
        state_session.add_flash(
            f"{found.arxiv_id} is already on the feed of {existing.feed_date:%B %-d, %Y}."
        )
        return redirect(where)
    now = state.settings.now()
    today = now.date()
    published = _paper_date(found)
    if published is not None and (today - published).days > max_age:
        db.commit()  # keep the fetched paper: it is real data, just too old for the feed
        return refuse(
            400,
            f"{found.arxiv_id} was published on {published:%B %-d, %Y}, more than {max_age} days "
            "ago; only recent papers can go on the daily feed",
            "too_old",
        )
    entry = FeedEntry(
        paper_id=found.id,
        feed_date=today,
        submitted_by_id=user.id,
        submitted_at=now,
        source="user",
        imported_upvotes=0,
        upvotes=0,
        github_repo=next((c for c in found.code_links or [] if "github.com/" in c), None),
        github_stars=found.github_stars,
        project_page=found.project_page,
    )
    db.add(entry)
    db.commit()
    state.invalidate()
    if wants_json(request):
        return JSONResponse(
            {"paper": found.arxiv_id, "feedDate": today.isoformat()}, status_code=201
        )
    target = safe_next(next_path, f"/papers/{found.arxiv_id}")
    message = f"Submitted {found.arxiv_id} to today's feed."
    anchor = target.partition("#")[2]
    if anchor:  # e.g. the suggested paper's row: say it there, where the browser scrolls to
        request.state.web_session.add_note(anchor, message)
    else:
        request.state.web_session.add_flash(message)
    return redirect(target)
