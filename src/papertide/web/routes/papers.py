"""`/papers/{arxiv_id}`: the paper page (`.json` twin, `.bib` citation, `.md` as the Hugging Face
Hub serves it for `HfApi.read_paper`; versioned ids redirect)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from sqlalchemy import select

from papertide.discussion.threads import count_visible, paper_thread
from papertide.models import arxiv_id_could_exist, could_be_v1_date, parse_arxiv_id, web_link
from papertide.people.claims import claim_of, confirmed_authors
from papertide.store.queries import (
    feed_entries_for_paper,
    paper_by_arxiv_id,
    paper_upvotes,
    papers_by_ids,
    user_collections,
)
from papertide.store.schema import Paper, PaperVersion
from papertide.web.bibtex import paper_bibtex
from papertide.web.deps import CurrentUser, Db
from papertide.web.errors import WebError
from papertide.web.handlers import error_response
from papertide.web.paper_markdown import paper_markdown
from papertide.web.render import render_page
from papertide.web.routes import api
from papertide.web.routes.common import cached_anonymous, voted_ids
from papertide.web.searching import related
from papertide.web.state import web_state

router = APIRouter(tags=["papers"])


@dataclass(frozen=True, slots=True)
class VersionLine:
    """One line of the page's version list."""

    version: int
    submitted_at: dt.datetime | None
    size: str | None = None


def version_lines(paper: Paper, stored: list[PaperVersion]) -> list[VersionLine]:
    """The versions the page lists: the stored history; or, when no source gave one, v1 (every
    arXiv paper has it), dated by the paper's v1 date when that lies in the id's month."""
    if stored:
        return [VersionLine(v.version, v.submitted_at, v.size) for v in stored]
    when = paper.published_at
    return [VersionLine(1, when if could_be_v1_date(paper.arxiv_id, when) else None)]


def _missing_paper(request: Request, arxiv_id: str) -> Response:
    """404 for a paper we do not have: with a link to submit it when arXiv can have it."""
    today = web_state(request).settings.today()
    if not arxiv_id_could_exist(arxiv_id, today):
        message = (
            f"There is no arXiv paper {arxiv_id}: an arXiv id begins with the year and month "
            f"it was given out (YYMM, from 0704 to {today:%y%m} so far)."
        )
        action = None
    else:
        message = f"{arxiv_id} is not here yet."
        action = (
            f"/submit?{urlencode({'paper': arxiv_id})}",
            "Submit it to bring it in from arXiv",
        )
    return error_response(request, 404, "not_found", message, action=action)


@router.get("/papers/{arxiv_id:path}", summary="Paper page (.json, .bib and .md twins)")
def paper_page(request: Request, arxiv_id: str, db: Db, user: CurrentUser) -> Response:
    suffix = next((s for s in (".json", ".bib", ".md") if arxiv_id.endswith(s)), "")
    raw = arxiv_id[: -len(suffix)] if suffix else arxiv_id
    parsed = parse_arxiv_id(raw)
    if parsed is None:
        raise WebError(404, f"{raw!r} is not an arXiv id (e.g. 2607.08964)", code="not_found")
    canonical, version = parsed
    if version is not None or canonical != raw:
        return RedirectResponse(f"/papers/{canonical}{suffix}", status_code=301)
    if suffix == ".json":
        return api.paper(request, db, canonical)
    paper = paper_by_arxiv_id(db, canonical)
    if paper is None:
        return _missing_paper(request, canonical)
    if suffix == ".bib":
        return PlainTextResponse(paper_bibtex(paper), media_type="application/x-bibtex")
    if suffix == ".md":
        base = web_state(request).settings.base_url
        body = paper_markdown(paper, base, upvotes=paper_upvotes(db, paper.id))
        return PlainTextResponse(body, media_type="text/markdown; charset=utf-8")

    def make() -> Response:
        assert paper is not None
        state = web_state(request)
        versions = list(
            db.scalars(
                select(PaperVersion)
                .where(PaperVersion.paper_id == paper.id)
                .order_by(PaperVersion.version)
            )
        )
        is_admin = bool(user and user.is_admin)
        thread = paper_thread(db, paper.id, admin=is_admin)
        entries = [e for e in feed_entries_for_paper(db, paper.id) if is_admin or not e.hidden]
        related_hits, related_note = state.data.get_or_set(
            ("related", paper.arxiv_id), lambda: related(state, paper.arxiv_id)
        )
        related_papers = papers_by_ids(db, [r.paper_id for r in related_hits])
        return render_page(
            request,
            "paper.html",
            {
                "paper": paper,
                "versions": version_lines(paper, versions),
                "entries": entries,
                "upvotes": paper_upvotes(db, paper.id),
                "voted": voted_ids(db, user, [paper.id]),
                "thread": thread,
                "num_comments": count_visible(thread),
                # Counted on Hugging Face by the newest imported entry; readable only there.
                "imported_comments": entries[-1].imported_comments if entries else 0,
                "claimed": confirmed_authors(db, paper.id),
                "my_claim": claim_of(db, user.id, paper.id) if user else None,
                "bibtex": paper_bibtex(paper),
                "related": [
                    (hit, related_papers[hit.paper_id])
                    for hit in related_hits
                    if hit.paper_id in related_papers
                ],
                "related_note": related_note,
                "collections": user_collections(db, user.id, include_private=True) if user else [],
                "github": next(
                    (c for c in map(web_link, paper.code_links or []) if c and "github.com/" in c),
                    None,
                ),
            },
        )

    return cached_anonymous(request, make)
