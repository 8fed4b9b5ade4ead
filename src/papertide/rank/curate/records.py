"""The two inputs of curation: papers listed on a day, and papers the community picked.

Plain frozen dataclasses, built from ingest records (`PaperRecord`, `FeedRecord`) or database
rows, so the model never sees a database or a file. A pick carries only what a live instance has
about an *earlier* day: the day it was picked, its vote count, its authors and its text.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from papertide.models import FeedRecord, PaperRecord

# The candidate set: papers listed in any of these categories.
DEFAULT_CATEGORIES: tuple[str, ...] = ("cs.AI", "cs.CL", "cs.CV", "cs.LG")

_NOT_LETTERS = re.compile(r"[^a-z ]+")


@lru_cache(maxsize=1 << 20)
def author_key(name: str) -> str:
    """One spelling per person-name: accents folded, lower case, letters and single spaces.

    arXiv and the community feed spell the same names with and without accents, hyphens and
    dots ("José-María Pérez" / "Jose Maria Perez"), so history lookups match on this key.
    """
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return " ".join(_NOT_LETTERS.sub(" ", folded).split())


@dataclass(frozen=True, slots=True)
class Candidate:
    """A paper listed on `day` (its first announcement in this instance)."""

    arxiv_id: str
    day: dt.date
    title: str
    abstract: str = ""
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    comment: str = ""
    code_links: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return f"{self.title}. {self.abstract}"


@dataclass(frozen=True, slots=True)
class Pick:
    """A paper the community picked (submitted or voted onto the feed) on `day`."""

    arxiv_id: str
    day: dt.date
    upvotes: int = 0
    title: str = ""
    abstract: str = ""
    authors: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return f"{self.title}. {self.abstract}"


def candidate_from_record(record: PaperRecord, day: dt.date | None = None) -> Candidate | None:
    """The candidate for an ingested paper; None when it has no listing day."""
    when = day or record.first_announced
    if when is None:
        return None
    return Candidate(
        arxiv_id=record.arxiv_id,
        day=when,
        title=record.title,
        abstract=record.abstract,
        authors=tuple(record.authors),
        categories=tuple(record.categories),
        comment=record.comment or "",
        code_links=tuple(record.code_links),
    )


def pick_from_feed_record(record: FeedRecord) -> Pick:
    """A feed entry as a pick: day, votes, authors and text; never the submitter's handle."""
    return Pick(
        arxiv_id=record.arxiv_id,
        day=record.feed_date,
        upvotes=record.upvotes,
        title=record.paper.title,
        abstract=record.paper.abstract,
        authors=tuple(record.paper.authors),
    )


def in_categories(candidate: Candidate, categories: tuple[str, ...]) -> bool:
    """True when the paper is listed in any of `categories` (all papers when empty)."""
    return not categories or any(c in categories for c in candidate.categories)
