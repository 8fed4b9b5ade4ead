"""Turn a list of papers into RSS 2.0 or Atom bytes (feedgen), plus the validators for caching."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from feedgen.feed import FeedGenerator

from papertide.latex import latex_to_text
from papertide.store.queries import published as paper_published
from papertide.store.schema import Paper

FeedFormat = Literal["atom", "rss"]
MEDIA_TYPES: dict[str, str] = {
    "atom": "application/atom+xml; charset=utf-8",
    "rss": "application/rss+xml; charset=utf-8",
}

# XML 1.0 forbids most C0 controls; arXiv abstracts occasionally carry them (from TeX sources).
_XML_INVALID = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# An empty feed still needs an <updated>; a constant keeps its bytes (and ETag) stable. Entries
# never get it: each has a date of its own (`item_from_paper`).
_EMPTY_FEED_UPDATED = dt.datetime(1991, 8, 14, tzinfo=dt.UTC)  # arXiv's first day


def clean_text(value: str | None) -> str:
    """Text safe to put into XML: forbidden control characters removed, whitespace collapsed."""
    if not value:
        return ""
    return " ".join(_XML_INVALID.sub(" ", value).split())


@dataclass(frozen=True)
class FeedItem:
    """One entry of a feed: a paper and, for personal feeds, why it is there."""

    arxiv_id: str
    title: str
    abstract: str
    authors: Sequence[str]
    categories: Sequence[str]
    published: dt.datetime
    updated: dt.datetime
    link: str
    reason: str | None = None


@dataclass(frozen=True)
class FeedMeta:
    """What a feed is: a stable id, a title, the HTML page it mirrors and its own URL."""

    feed_id: str
    title: str
    html_url: str
    self_url: str
    subtitle: str = ""
    extra_links: dict[str, str] = field(default_factory=dict)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def item_from_paper(
    paper: Paper,
    base_url: str,
    *,
    listed_at: dt.datetime | None = None,
    reason: str | None = None,
    first_listed: dt.date | None = None,
) -> FeedItem:
    """A feed item for a stored paper, dated by the first of: `listed_at` (when it entered this
    feed), its arXiv v1 date or first announcement, `first_listed` (its first day on this site's
    daily feed, for papers known from the Hugging Face feed alone), when this site stored it."""
    listed_day = dt.datetime.combine(first_listed, dt.time(), dt.UTC) if first_listed else None
    published = (
        _aware(listed_at)
        or _aware(paper_published(paper))
        or listed_day
        or _aware(paper.created_at)
        or dt.datetime.now(dt.UTC)  # a paper not yet flushed (created_at is set on insert)
    )
    updated = max(published, _aware(paper.revised_at) or published)
    return FeedItem(
        arxiv_id=paper.arxiv_id,
        title=clean_text(latex_to_text(paper.title)) or paper.arxiv_id,
        abstract=clean_text(latex_to_text(paper.abstract)),
        authors=[clean_text(a) for a in (paper.authors or []) if clean_text(a)],
        categories=list(paper.categories or []),
        published=published,
        updated=updated,
        link=f"{base_url.rstrip('/')}/papers/{paper.arxiv_id}",
        reason=clean_text(reason) or None,
    )


def entry_id(item: FeedItem) -> str:
    """A globally unique, permanent entry id: the arXiv abstract URL of the paper."""
    return f"https://arxiv.org/abs/{item.arxiv_id}"


def render_feed(meta: FeedMeta, items: Iterable[FeedItem], fmt: FeedFormat) -> bytes:
    """The feed document in `fmt`; entries keep the order given (the ranking of the page)."""
    items = list(items)
    fg = FeedGenerator()
    fg.load_extension("dc", atom=False, rss=True)  # dc:creator: RSS <author> demands an email
    fg.id(meta.feed_id)
    fg.title(clean_text(meta.title))
    # feedgen uses the last link as the RSS channel <link>: the HTML page must come last.
    fg.link(href=meta.self_url, rel="self", type=MEDIA_TYPES[fmt].split(";")[0])
    fg.link(href=meta.html_url, rel="alternate", type="text/html")
    fg.description(clean_text(meta.subtitle) or clean_text(meta.title))
    fg.subtitle(clean_text(meta.subtitle) or clean_text(meta.title))
    fg.language("en")
    fg.generator("papertide")
    fg.updated(last_modified(items) or _EMPTY_FEED_UPDATED)
    if fmt == "rss":
        fg.lastBuildDate(last_modified(items) or _EMPTY_FEED_UPDATED)
    for item in items:
        fe = fg.add_entry(order="append")
        fe.id(entry_id(item))
        fe.guid(entry_id(item), permalink=True)
        fe.title(clean_text(item.title) or item.arxiv_id)
        fe.link(href=item.link, rel="alternate", type="text/html")
        fe.published(item.published)
        fe.updated(item.updated)
        for name in filter(None, map(clean_text, item.authors)):
            if fmt == "atom":
                fe.author(name=name)
            else:
                fe.dc.dc_creator(name)
        for cat in item.categories:
            fe.category(term=cat, scheme="https://arxiv.org/archive/", label=cat)
        summary, reason = clean_text(item.abstract), clean_text(item.reason)
        if reason:
            summary = f"{reason}. {summary}" if summary else reason
        fe.summary(summary or clean_text(item.title))  # Atom: type text, shown as typed
        if fmt == "rss":
            # RSS readers take <description> as HTML: escaped once more, "<b>" in an abstract
            # is shown as "<b>", not as bold text (or a live tag).
            fe.description(html.escape(summary or clean_text(item.title), quote=False))
    if fmt == "atom":
        return bytes(fg.atom_str(pretty=True))
    return bytes(fg.rss_str(pretty=True))


def last_modified(items: Sequence[FeedItem]) -> dt.datetime | None:
    """The newest change among the items, or None for an empty feed."""
    return max((i.updated for i in items), default=None)


def etag_for(body: bytes) -> str:
    """A strong validator: the same bytes give the same tag on every node."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
