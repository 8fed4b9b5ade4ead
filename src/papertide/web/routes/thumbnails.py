"""`/papers/{arxiv_id}/thumbnail.webp`: a paper's card image, cached hard by browsers.

Cards link the image with `?v=<digest>`; such a URL never changes meaning, so it is cached for a
year. Without the version it is cached for a day. Both carry the digest as a strong ETag, and a
paper without an image answers 404 (its card shows the placeholder instead).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from papertide.models import parse_arxiv_id
from papertide.store.queries import thumbnail_image
from papertide.web.deps import Db
from papertide.web.errors import WebError
from papertide.web.state import not_modified

router = APIRouter(tags=["papers"])

VERSIONED = "public, max-age=31536000, immutable"
UNVERSIONED = "public, max-age=86400"


@router.get(
    "/papers/{arxiv_id:path}/thumbnail.webp",
    summary="Card image of a paper: page one of its PDF as WebP (404 while it has none)",
    response_class=Response,
    responses={
        200: {"content": {"image/webp": {}}, "description": "the image"},
        301: {"description": "a versioned or non-canonical id: the canonical URL"},
        304: {"description": "the client's copy (If-None-Match) is current"},
        404: {"description": "no image (yet): show a placeholder"},
    },
)
def paper_thumbnail(request: Request, arxiv_id: str, db: Db, v: str | None = None) -> Response:
    parsed = parse_arxiv_id(arxiv_id)
    if parsed is None:
        raise WebError(404, f"{arxiv_id[:40]!r} is not an arXiv id (e.g. 2607.08964)")
    canonical, version = parsed
    if version is not None or canonical != arxiv_id:
        return RedirectResponse(f"/papers/{canonical}/thumbnail.webp", status_code=301)
    image = thumbnail_image(db, canonical)
    if image is None:
        raise WebError(404, f"no thumbnail for {canonical} yet")
    etag = f'"{image.digest}"'
    headers = {"ETag": etag, "Cache-Control": VERSIONED if v == image.digest else UNVERSIONED}
    if not_modified(request.headers.get("if-none-match"), None, etag, None):
        return Response(status_code=304, headers=headers)
    return Response(image.webp, media_type="image/webp", headers=headers)
