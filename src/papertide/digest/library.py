"""A person's library, the seed of their recommendations: from a BibTeX upload, a list of arXiv
ids, a collection or their upvotes; "not interested" is stored as a negative seed.

Uploads are checked before they are trusted: a size limit, a clear error for a file that is not
BibTeX at all, and for a partly broken one the entries that could be read are kept and the rest
reported by line. Ids we do not have are listed back, never silently dropped.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from papertide.models import SeedOwner, arxiv_id_in_text, parse_arxiv_id
from papertide.store.batch import in_chunks
from papertide.store.schema import CollectionItem, Paper, SeedPaper

MAX_BIBTEX_BYTES = 2 * 1024 * 1024
MAX_ENTRIES = 5000
MAX_IDS = 1000


class LibraryError(ValueError):
    """The upload cannot be used at all; the message says why and what to do."""


@dataclass
class ImportReport:
    """What an import did: papers added, ids we do not know, entries we could not read."""

    added: list[str] = field(default_factory=list)  # arXiv ids now in the library
    already: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # arXiv ids not in this instance
    unmatched: list[str] = field(default_factory=list)  # entries with no arXiv id (titles)
    unreadable: list[str] = field(default_factory=list)  # "line 12: ..." per broken entry

    def _kinds(self) -> list[tuple[list[str], str, str]]:
        """(items, as counted, as listed) for what did not go in, in the order people read it."""
        return [
            (self.already, "already in your library", "Already in it"),
            (self.unknown, "arXiv ids not found here", "Not found here"),
            (self.unmatched, "entries without an arXiv id", "Without an arXiv id"),
            (self.unreadable, "entries could not be read", "Could not be read"),
        ]

    def summary(self) -> str:
        parts = [f"{len(self.added)} papers added"]
        parts += [f"{len(items)} {counted}" for items, counted, _ in self._kinds() if items]
        return ", ".join(parts)

    def details(self, shown: int = 6, width: int = 50) -> str:
        """The summary with the ids themselves (the first `shown` of each kind, each cut to
        `width` characters: the text travels in the session cookie), for a person who wants to
        see which of theirs went in and which did not."""

        def listed(items: list[str]) -> str:
            cut = [i if len(i) <= width else i[: width - 1] + "…" for i in items[:shown]]
            more = len(items) - shown
            return ", ".join(cut) + (f" and {more} more" if more > 0 else "")

        papers = "paper" if len(self.added) == 1 else "papers"
        parts = [f"Added {len(self.added)} {papers} to your library"]
        parts[0] += f": {listed(self.added)}." if self.added else "."
        parts += [f"{label}: {listed(items)}." for items, _, label in self._kinds() if items]
        return " ".join(parts)


def parse_id_list(text: str) -> tuple[list[str], list[str]]:
    """(arXiv ids, tokens that are not ids) from text separated by commas, spaces or lines."""
    tokens = [t for t in re.split(r"[\s,;]+", text or "") if t]
    if len(tokens) > MAX_IDS:
        raise LibraryError(f"too many ids ({len(tokens)}); at most {MAX_IDS} at a time")
    ids, bad = [], []
    for token in tokens:
        parsed = parse_arxiv_id(token)
        found = parsed[0] if parsed else None
        if found is None and "arxiv" in token.lower():
            found = arxiv_id_in_text(token)  # e.g. a link with a query string
        if found:
            ids.append(found)
        else:
            bad.append(token[:60])
    return list(dict.fromkeys(ids)), bad


def _entry_arxiv_id(fields: dict[str, str]) -> str | None:
    eprint = fields.get("eprint", "")
    prefix = fields.get("archiveprefix", "") or fields.get("eprinttype", "")
    if eprint and (not prefix or prefix.lower() == "arxiv"):
        parsed = parse_arxiv_id(eprint)
        if parsed:
            return parsed[0]
    for key in ("doi", "url", "journal", "note", "howpublished", "booktitle", "volume"):
        value = fields.get(key, "")
        if not value:
            continue
        if key == "doi" and value.lower().startswith("10.48550/arxiv."):
            parsed = parse_arxiv_id(value[len("10.48550/arxiv.") :])
            return parsed[0] if parsed else None
        if "arxiv" in value.lower():
            found = arxiv_id_in_text(value)
            if found:
                return found
    return None


@dataclass
class ParsedBibtex:
    arxiv_ids: list[str]
    titles_without_id: list[str]
    unreadable: list[str]


def parse_bibtex(data: bytes) -> ParsedBibtex:
    """arXiv ids (and titles of entries without one) from a BibTeX file; LibraryError when the
    file is too big, not text, or has no readable entry at all."""
    if len(data) > MAX_BIBTEX_BYTES:
        raise LibraryError(
            f"the file is too large ({len(data) / 1e6:.1f} MB); "
            f"at most {MAX_BIBTEX_BYTES // (1024 * 1024)} MB"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("latin-1")
        except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes any byte
            raise LibraryError("the file is not text; upload a .bib file") from None
    if "\x00" in text:
        raise LibraryError("the file is not text; upload a .bib file")
    if "@" not in text:
        raise LibraryError("no BibTeX entries found; a .bib file has entries like @article{...}")
    import bibtexparser

    # bibtexparser logs every broken block; we report them to the person instead.
    logger = logging.getLogger("bibtexparser")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        library = bibtexparser.parse_string(text)
    except Exception as exc:  # the parser's own errors have no common base class
        raise LibraryError(f"the file is not valid BibTeX ({type(exc).__name__})") from None
    finally:
        logger.setLevel(level)
    entries = library.entries
    if len(entries) > MAX_ENTRIES:
        raise LibraryError(f"too many entries ({len(entries)}); at most {MAX_ENTRIES}")
    unreadable = [_describe_block(block) for block in library.failed_blocks]
    if not entries:
        raise LibraryError(
            "no readable BibTeX entries"
            + (
                f" ({len(unreadable)} broken, first at {unreadable[0].split(':')[0]})"
                if unreadable
                else ""
            )
        )
    ids: list[str] = []
    titles: list[str] = []
    for entry in entries:
        fields = {k.lower(): str(v.value) for k, v in entry.fields_dict.items()}
        found = _entry_arxiv_id(fields)
        if found:
            ids.append(found)
        else:
            title = " ".join(
                fields.get("title", entry.key).replace("{", "").replace("}", "").split()
            )
            titles.append(title[:200])
    return ParsedBibtex(list(dict.fromkeys(ids)), titles, unreadable)


def _describe_block(block: object) -> str:
    line = getattr(block, "start_line", None)
    where = f"line {line + 1}" if isinstance(line, int) else "an entry"
    raw = str(getattr(block, "raw", "")).strip()
    return f"{where}: {raw.splitlines()[0][:80]}" if raw else where


def _title_key(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", title.lower()).strip()


def add_seeds(
    session: Session, owner: SeedOwner, arxiv_ids: list[str], source: str, *, weight: float = 1.0
) -> ImportReport:
    """Add papers (by arXiv id) to `owner`'s library; unknown ids are reported, not fatal."""
    report = ImportReport()
    if not arxiv_ids:
        return report
    found: dict[str, int] = {}
    for chunk in in_chunks(arxiv_ids):
        rows = session.execute(select(Paper.arxiv_id, Paper.id).where(Paper.arxiv_id.in_(chunk)))
        found.update({aid: pid for aid, pid in rows})
    existing = {
        pid: weight
        for pid, weight in session.execute(
            select(SeedPaper.paper_id, SeedPaper.weight).where(SeedPaper.owner == owner.key)
        )
    }
    for aid in arxiv_ids:
        pid = found.get(aid)
        if pid is None:
            report.unknown.append(aid)
        elif pid in existing and (existing[pid] > 0) == (weight > 0):
            report.already.append(aid)
        else:
            if pid in existing:  # changed their mind: "not interested" <-> liked
                session.execute(
                    delete(SeedPaper).where(SeedPaper.owner == owner.key, SeedPaper.paper_id == pid)
                )
            session.add(SeedPaper(owner=owner.key, paper_id=pid, weight=weight, source=source))
            existing[pid] = weight
            report.added.append(aid)
    session.flush()
    return report


def import_bibtex(session: Session, owner: SeedOwner, data: bytes) -> ImportReport:
    """Seeds from a BibTeX upload: arXiv ids, and entries without one matched by exact title."""
    parsed = parse_bibtex(data)
    ids = list(parsed.arxiv_ids)
    unmatched: list[str] = []
    if parsed.titles_without_id:
        keys = {_title_key(t): t for t in parsed.titles_without_id}
        # Titles are compared normalised, in IN-lists of the store's chunk size.
        lowered = [t.lower() for t in parsed.titles_without_id]
        matches: dict[str, str] = {}
        for chunk in in_chunks(lowered):
            rows = session.execute(
                select(Paper.title, Paper.arxiv_id).where(func.lower(Paper.title).in_(chunk))
            )
            matches.update({_title_key(title): aid for title, aid in rows})
        for key, title in keys.items():
            if key in matches:
                ids.append(matches[key])
            else:
                unmatched.append(title)
    report = add_seeds(session, owner, list(dict.fromkeys(ids)), "bibtex")
    report.unmatched = unmatched
    report.unreadable = parsed.unreadable
    return report


def import_library(
    session: Session, owner: SeedOwner, ids: str, bibtex: bytes | None
) -> ImportReport:
    """Add the papers of an uploaded .bib file and of a pasted id list to `owner`'s library."""
    if bibtex is None and not ids.strip():
        raise LibraryError("upload a .bib file or paste arXiv ids")
    report = import_bibtex(session, owner, bibtex) if bibtex is not None else ImportReport()
    if ids.strip():
        parsed, bad = parse_id_list(ids)
        more = add_seeds(session, owner, parsed, "ids")
        report.added += more.added
        report.already += more.already
        report.unknown += more.unknown
        report.unmatched += bad
    return report


def import_collection(session: Session, owner: SeedOwner, collection_id: int) -> ImportReport:
    ids = list(
        session.scalars(
            select(Paper.arxiv_id)
            .join(CollectionItem, CollectionItem.paper_id == Paper.id)
            .where(CollectionItem.collection_id == collection_id)
        )
    )
    return add_seeds(session, owner, ids, "collection")


def not_interested(session: Session, owner: SeedOwner, arxiv_id: str) -> ImportReport:
    """Record that `owner` does not want papers like this one (a negative seed)."""
    parsed = parse_arxiv_id(arxiv_id)
    wanted = parsed[0] if parsed else arxiv_id  # not an id: reported back as unknown
    return add_seeds(session, owner, [wanted], "not_interested", weight=-1.0)


# What each `SeedPaper.source` means, in the words the library list uses.
SOURCE_LABELS = {
    "ids": "added by id",
    "bibtex": "from a BibTeX file",
    "collection": "from a collection",
    "vote": "from an upvote",
    "not_interested": "not interested",
}


def source_label(source: str) -> str:
    return SOURCE_LABELS.get(source, source.replace("_", " "))


def remove_seed(session: Session, owner: SeedOwner, arxiv_id: str) -> float | None:
    """Take a paper out of `owner`'s library (liked or "not interested"): the weight it had,
    None when it was not in it. Upvotes and collections still count: they are not entries."""
    row = session.execute(
        select(SeedPaper.id, SeedPaper.weight)
        .join(Paper, Paper.id == SeedPaper.paper_id)
        .where(SeedPaper.owner == owner.key, Paper.arxiv_id == arxiv_id)
    ).first()
    if row is None:
        return None
    session.execute(delete(SeedPaper).where(SeedPaper.id == row.id))
    session.flush()
    return float(row.weight)


def library(session: Session, owner: SeedOwner) -> list[tuple[Paper, SeedPaper]]:
    stmt = (
        select(Paper, SeedPaper)
        .join(SeedPaper, SeedPaper.paper_id == Paper.id)
        .where(SeedPaper.owner == owner.key)
        .order_by(SeedPaper.created_at.desc(), SeedPaper.id.desc())
    )
    return [(p, s) for p, s in session.execute(stmt)]
