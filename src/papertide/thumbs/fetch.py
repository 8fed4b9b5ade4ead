"""A paper's PDF from arXiv, through the one polite client and never larger than allowed."""

from __future__ import annotations

from papertide.config import Settings
from papertide.ingest.http import FetchError, PoliteClient, ResponseTooLarge
from papertide.store.schema import ThumbStatus
from papertide.thumbs.errors import SourceUnreachable, ThumbnailError

# Answers that mean "there is no PDF", as opposed to "not now".
GONE = (404, 410)


def pdf_url(settings: Settings, arxiv_id: str) -> str:
    """Where arXiv serves the latest version's PDF (old-style ids keep their slash)."""
    return f"{settings.arxiv_pdf_url.rstrip('/')}/{arxiv_id}"


def fetch_pdf(client: PoliteClient, url: str, *, max_bytes: int) -> bytes:
    """The PDF at `url`.

    ThumbnailError MISSING, TOO_LARGE, BROKEN (not a PDF) or UNREACHABLE (an error answer after
    retries); SourceUnreachable when no answer came at all.
    """
    try:
        body = client.download(url, max_bytes=max_bytes)
    except ResponseTooLarge as exc:
        raise ThumbnailError(ThumbStatus.TOO_LARGE, str(exc)) from None
    except FetchError as exc:
        if exc.status is None:
            raise SourceUnreachable(str(exc)) from None
        if exc.status in GONE:
            raise ThumbnailError(ThumbStatus.MISSING, f"{url} answered HTTP {exc.status}") from None
        raise ThumbnailError(ThumbStatus.UNREACHABLE, str(exc)) from None
    # The format allows a little junk before the header, and so does every reader.
    if b"%PDF-" not in body[:1024]:
        start = body[:32].decode("latin-1").strip() or "nothing"
        raise ThumbnailError(ThumbStatus.BROKEN, f"{url} sent no PDF (it starts {start!r})")
    return body
