"""Domain types shared by ingestion, storage and the web: plain dataclasses, no database.

`PaperRecord` is what every source produces (one arXiv paper, normalised); `FeedRecord` is one
paper on one day's community feed (Hugging Face daily papers); `SeedOwner` is whose library seeds
recommendations. The pure normalisation helpers live here too so every source cleans ids, titles,
abstracts and links the same way; `parse_arxiv_id` is the one arXiv id parser, `parse_email`
the one email address parser and `web_link` the one check that a link may become an href.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

__all__ = [
    "FeedRecord",
    "PaperRecord",
    "SeedOwner",
    "SeedOwnerKind",
    "arxiv_id_could_exist",
    "arxiv_id_in_text",
    "arxiv_id_month",
    "collapse_whitespace",
    "content_hash",
    "could_be_v1_date",
    "extract_code_links",
    "is_withdrawn_comment",
    "join_abstract_lines",
    "normalize_arxiv_id",
    "parse_arxiv_id",
    "parse_datetime",
    "parse_email",
    "split_arxiv_id",
    "web_link",
]

# The one arXiv id parser. New-style ids (0704.0001 onwards: YYMM.NNNN, YYMM.NNNNN from 1501) and
# old-style archive ids (hep-th/9901001; math.AG/0601001 as some sources spell them, with the
# subject class), each with an optional version. Every module that reads an id someone typed,
# pasted or a source sent calls `parse_arxiv_id` (or its raising twins below); none has its own.
_NEW_ID = r"\d{4}\.\d{4,5}"
_OLD_ID = r"(?P<archive>[a-z][a-z\-]*)(?:\.[A-Z]{2})?/(?P<number>\d{7})"
_ID = re.compile(rf"(?P<id>{_NEW_ID}|{_OLD_ID})(?:v(?P<v>\d+))?")
_ID_PREFIX = re.compile(r"^(?:oai:arxiv\.org:|arxiv:\s*)", re.IGNORECASE)
_ID_URL = re.compile(
    r"(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/(?P<rest>.+?)(?:\.pdf)?/?",
    re.IGNORECASE,
)
# An id mentioned in free text (a BibTeX note, a link with a query string): the same pattern, not
# glued to a letter or digit on either side.
_ID_IN_TEXT = re.compile(rf"(?<!\w)(?:{_ID.pattern})(?!\w)")


def _canonical(match: re.Match[str]) -> tuple[str, int | None]:
    # The stored key of an old-style id is the archive form: math.AG/0601001 -> math/0601001.
    archive = match.group("archive")
    arxiv_id = f"{archive}/{match.group('number')}" if archive else match.group("id")
    version = match.group("v")
    return arxiv_id, int(version) if version else None


def parse_arxiv_id(raw: str) -> tuple[str, int | None] | None:
    """(canonical id, version or None) for any common spelling of an arXiv id; None otherwise.

    Accepts `2401.00001`, `2401.00001v3`, `arXiv:2401.00001`, `oai:arXiv.org:…`, arxiv.org
    links (`/abs/…`, `/pdf/….pdf`, `/html/…`, with or without scheme), `hep-th/9901001`,
    `solv-int/9901001v2` and `math.AG/0601001` (-> `math/0601001`, the key the store writes).
    The canonical id is the database key: no prefix, no version, no subject class.
    """
    text = raw.strip()
    url = _ID_URL.fullmatch(text)
    if url is not None:
        text = url.group("rest")
    else:
        text = _ID_PREFIX.sub("", text, count=1).removesuffix(".pdf")
    match = _ID.fullmatch(text)
    return _canonical(match) if match is not None else None


def split_arxiv_id(raw: str) -> tuple[str, int | None]:
    """`parse_arxiv_id` for callers that treat a bad id as an error: ValueError instead of None."""
    parsed = parse_arxiv_id(raw)
    if parsed is None:
        raise ValueError(f"not an arXiv id: {raw!r}")
    return parsed


def normalize_arxiv_id(raw: str) -> str:
    """The canonical arXiv id without version; ValueError if `raw` is not an arXiv id."""
    return split_arxiv_id(raw)[0]


def arxiv_id_in_text(text: str) -> str | None:
    """The canonical id of the first arXiv id mentioned in `text` (a link, a note), or None."""
    match = _ID_IN_TEXT.search(text)
    return _canonical(match)[0] if match is not None else None


# Deliberately strict: ASCII, one @, a dotted domain, no spaces, quotes, angle brackets, control
# characters or line breaks (which would let an address smuggle mail headers or recipients).
_EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+"
)


def parse_email(raw: str) -> str | None:
    """The address trimmed and lower-cased, or None when it is not one we can mail.

    The one email parser: sign-in and subscriptions both call it."""
    if any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in raw or ""):
        return None
    email = (raw or "").strip().lower()
    if len(email) > 254 or ".." in email or not _EMAIL.fullmatch(email):
        return None
    return email


def web_link(raw: str | None) -> str | None:
    """`raw` when it is an absolute http(s) URL, else None.

    Links from imported data (project pages, code repositories) become hrefs; `javascript:`,
    `data:` and relative or malformed URLs must never reach a page, a feed or a mail."""
    if not raw:
        return None
    link = raw.strip()
    if any(ord(ch) < 33 or ord(ch) == 127 for ch in link) or "\\" in link:
        return None
    try:
        parts = urlsplit(link)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return link


_NEW_ID_PARTS = re.compile(r"(\d{2})(\d{2})\.(\d{4,5})")
_OLD_ID_PARTS = re.compile(r"[a-z][a-z\-]*/(\d{2})(\d{2})(\d{3})")
_FIRST_NEW_STYLE = (2007, 4)  # 0704.0001 is the first new-style id
_FIRST_OLD_STYLE = (1991, 8)  # arXiv opened in August 1991
_LAST_OLD_STYLE = (2007, 3)


def arxiv_id_month(arxiv_id: str) -> tuple[int, int] | None:
    """(year, month) of a canonical arXiv id's YYMM: the month its v1 was submitted in.

    None when the id has no such part (not canonical); the month may be impossible (99).
    """
    match = _NEW_ID_PARTS.fullmatch(arxiv_id)
    if match is not None:
        return 2000 + int(match.group(1)), int(match.group(2))
    match = _OLD_ID_PARTS.fullmatch(arxiv_id)
    if match is not None:
        yy = int(match.group(1))
        return (1900 + yy if yy >= 91 else 2000 + yy), int(match.group(2))
    return None


def could_be_v1_date(arxiv_id: str, when: dt.date | None) -> bool:
    """Whether `when` can be when `arxiv_id`'s v1 was submitted: in the month its id names.

    Sources that give one date per paper sometimes give a later version's (the Hugging Face
    Hub's `publishedAt` moves to the newest version), which must not pass for v1's.
    """
    return when is not None and arxiv_id_month(arxiv_id) == (when.year, when.month)


def arxiv_id_could_exist(arxiv_id: str, today: dt.date) -> bool:
    """Whether arXiv can have given out this canonical id by `today`: its YYMM is a real month
    in the span of its scheme and not in the future, and its number is not zero.

    9999.99999 (month 99) or 3001.00001 (years ahead) cannot; 2608.12345 can, even if no paper
    has that number: only arXiv knows which numbers of a month were used.
    """
    month = arxiv_id_month(arxiv_id)
    if month is None or not 1 <= month[1] <= 12:
        return False
    new = _NEW_ID_PARTS.fullmatch(arxiv_id)
    if new is not None:
        digits = 5 if month >= (2015, 1) else 4
        return (
            len(new.group(3)) == digits
            and int(new.group(3)) > 0
            and _FIRST_NEW_STYLE <= month <= (today.year, today.month)
        )
    old = _OLD_ID_PARTS.fullmatch(arxiv_id)
    assert old is not None
    return int(old.group(3)) > 0 and _FIRST_OLD_STYLE <= month <= _LAST_OLD_STYLE


def collapse_whitespace(text: str | None) -> str:
    """One space between words, none at the ends (titles, author names)."""
    return " ".join(text.split()) if text else ""


def _clean_line(line: str) -> str:
    return " ".join(line.split())


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def join_abstract_lines(text: str | None) -> str:
    """Join the hard line wraps of an arXiv abstract; keep paragraph breaks and LaTeX as is.

    arXiv marks a new paragraph by a blank line or by indenting its first line deeper than the
    wrapped lines around it; every other newline is a wrap at ~80 columns. Paragraphs come back
    separated by one blank line.
    """
    if not text:
        return ""
    # The common case, one paragraph: every newline is a wrap. One replace() and one scan for
    # a double space cost a few microseconds on a 1.5 kB abstract; a double space means a
    # blank or indented line (or stray spaces), which the careful path below handles.
    joined = text.replace("\n", " ").strip()
    if "  " not in joined and "\t" not in joined and "\r" not in joined:
        return joined
    text = text.strip("\n")
    if "\n\n" not in text and "\n " not in text and "\n\t" not in text:
        return " ".join(text.split())
    lines = text.split("\n")
    # Continuation lines sit at the smallest indentation (0 from arXiv; more when someone
    # re-indented the XML): only lines indented deeper than that open a paragraph.
    base = min((_indent(line) for line in lines[1:] if line.strip()), default=0)
    paragraphs: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        stripped = _clean_line(line)
        if not stripped:
            if current:
                paragraphs.append(current)
                current = []
            continue
        if current and _indent(line) > base:
            paragraphs.append(current)
            current = []
        current.append(stripped)
    if current:
        paragraphs.append(current)
    return "\n\n".join(" ".join(words) for words in paragraphs)


# GitHub/GitLab repository links, with or without scheme; owner and repo only (no deep paths).
_CODE_LINK = re.compile(
    r"(?P<host>github\.com|gitlab\.com)/"
    r"(?P<owner>[A-Za-z0-9](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_])?)/"
    r"(?P<repo>[A-Za-z0-9_.\-]+)",
    re.IGNORECASE,
)
_NOT_OWNERS = {"about", "features", "orgs", "topics", "sponsors", "marketplace", "settings"}
_HOST_PREFIX_CHARS = frozenset("/:([{<\"' \t\n")


def extract_code_links(*texts: str | None) -> list[str]:
    """GitHub/GitLab repository URLs found in the texts, normalised, first-seen order, no dups."""
    links: list[str] = []
    seen: set[str] = set()
    for text in texts:
        if not text:
            continue
        # Most abstracts have no link: cheap substring tests first, the regex only if needed.
        if ".com/" not in text and ".COM/" not in text:
            continue
        lowered = text.lower()
        if "github.com/" not in lowered and "gitlab.com/" not in lowered:
            continue
        for match in _CODE_LINK.finditer(text):
            start = match.start()
            before = text[max(0, start - 5) : start].lower()
            if before.endswith("www."):
                before = before[:-4]
            # "notgithub.com/x/y" is another host; the link must start a word or follow "//".
            if before and before[-1] not in _HOST_PREFIX_CHARS:
                continue
            owner = match.group("owner")
            repo = match.group("repo").rstrip(".-_")
            repo = repo.removesuffix(".git")
            if not repo or owner.lower() in _NOT_OWNERS:
                continue
            url = f"https://{match.group('host').lower()}/{owner}/{repo}"
            key = url.lower()
            if key not in seen:
                seen.add(key)
                links.append(url)
    return links


_WITHDRAWN = re.compile(
    r"(?:this|the)\s+(?:paper|article|manuscript|submission|work)\s+(?:has\s+been|is)\s+withdrawn"
    r"|withdrawn\s+by\s+(?:the\s+)?(?:authors?|arxiv\s+admin)"
    r"|^\s*withdrawn\b",
    re.IGNORECASE,
)


# arXiv category syntax: archive[.subject], e.g. cs.AI, hep-th, cond-mat.stat-mech, q-bio.NC.
_CATEGORY = re.compile(r"[a-z][a-z\-]{0,15}(?:\.[A-Za-z][A-Za-z\-]{0,15})?\Z")


def is_withdrawn_comment(comment: str | None) -> bool:
    """True when an arXiv comment says so ("This paper has been withdrawn by the author…")."""
    return bool(comment and _WITHDRAWN.search(comment))


def parse_datetime(value: str | None) -> dt.datetime | None:
    """A timezone-aware UTC datetime from ISO 8601 or RFC 2822 (Kaggle `versions`); None if empty.

    Raises ValueError for text that is neither.
    """
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            raise ValueError(f"not a date: {text!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def content_hash(title: str, abstract: str) -> str:
    """sha1 of what gets embedded, so only papers whose text changed are re-embedded."""
    return hashlib.sha1(f"{title}\n{abstract}".encode()).hexdigest()


@dataclass(slots=True)
class PaperRecord:
    """One arXiv paper as a source sees it, already normalised (see `PaperRecord.build`)."""

    arxiv_id: str
    title: str
    abstract: str = ""
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    primary_category: str | None = None
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    license: str | None = None
    # (version number, submission time) in ascending order; empty when the source has none.
    versions: list[tuple[int, dt.datetime | None]] = field(default_factory=list)
    published_at: dt.datetime | None = None  # v1 submission
    first_announced: dt.date | None = None
    withdrawn: bool = False
    code_links: list[str] = field(default_factory=list)
    project_page: str | None = None
    github_stars: int | None = None

    @property
    def latest_version(self) -> int:
        """Highest version number the source knows; 0 when it does not say."""
        versions = self.versions
        if not versions:
            return 0
        return versions[0][0] if len(versions) == 1 else max(n for n, _ in versions)

    @property
    def revised_at(self) -> dt.datetime | None:
        """Submission time of the latest known version."""
        if not self.versions:
            return None
        return max(self.versions, key=lambda item: item[0])[1]

    @property
    def content_hash(self) -> str:
        return content_hash(self.title, self.abstract)

    @classmethod
    def build(
        cls,
        *,
        arxiv_id: str,
        title: str | None,
        abstract: str | None = None,
        authors: list[str] | None = None,
        categories: list[str] | None = None,
        primary_category: str | None = None,
        comment: str | None = None,
        journal_ref: str | None = None,
        doi: str | None = None,
        license: str | None = None,
        versions: list[tuple[int, dt.datetime | None]] | None = None,
        published_at: dt.datetime | None = None,
        first_announced: dt.date | None = None,
        withdrawn: bool = False,
        code_links: list[str] | None = None,
        project_page: str | None = None,
        github_stars: int | None = None,
    ) -> PaperRecord:
        """Normalise raw source values into a record; ValueError when the id or title is bad."""
        canonical, id_version = split_arxiv_id(arxiv_id)
        clean_title = collapse_whitespace(title)
        if not clean_title:
            raise ValueError(f"paper {canonical} has no title")
        clean_abstract = join_abstract_lines(abstract)
        clean_comment = collapse_whitespace(comment) or None
        merged: dict[int, dt.datetime | None] = {}
        for number, when in versions or []:
            if merged.get(number) is None:
                merged[number] = when
        if id_version is not None and id_version not in merged:
            merged[id_version] = None
        version_list = sorted(merged.items())
        if published_at is None and version_list and version_list[0][0] == 1:
            published_at = version_list[0][1]
        # Some sources mix ACM/MSC classes ("I.2.7", "68T50") into categories: keep arXiv's only.
        cats = [c.strip() for c in categories or [] if c and _CATEGORY.match(c.strip())]
        cats = list(dict.fromkeys(cats))
        primary = (primary_category or "").strip()
        if not _CATEGORY.match(primary):
            primary = ""
        primary = primary or (cats[0] if cats else "")
        if primary and primary not in cats:
            cats.insert(0, primary)
        links = extract_code_links(clean_abstract, clean_comment)
        for link in code_links or []:
            for found in extract_code_links(link) or []:
                if found.lower() not in {known.lower() for known in links}:
                    links.append(found)
        return cls(
            arxiv_id=canonical,
            title=clean_title,
            abstract=clean_abstract,
            authors=[name for name in [" ".join(a.split()) for a in authors or [] if a] if name],
            categories=cats,
            primary_category=primary or None,
            comment=clean_comment,
            journal_ref=collapse_whitespace(journal_ref) or None,
            doi=collapse_whitespace(doi)[:255] or None,
            license=collapse_whitespace(license)[:255] or None,
            versions=version_list,
            published_at=published_at,
            first_announced=first_announced,
            withdrawn=withdrawn or is_withdrawn_comment(clean_comment),
            code_links=links,
            project_page=web_link(project_page),
            github_stars=github_stars,
        )


@dataclass(slots=True)
class FeedRecord:
    """One paper on one day's community feed (a Hugging Face daily-papers entry)."""

    paper: PaperRecord
    feed_date: dt.date
    upvotes: int = 0
    num_comments: int = 0
    submitter_handle: str | None = None
    submitter_name: str | None = None
    submitted_at: dt.datetime | None = None
    snapshot_time: dt.datetime | None = None
    github_repo: str | None = None
    github_stars: int | None = None
    project_page: str | None = None

    @property
    def arxiv_id(self) -> str:
        return self.paper.arxiv_id


SeedOwnerKind = Literal["user", "subscription"]
_OWNER_KEY_PREFIX: dict[SeedOwnerKind, str] = {"user": "user", "subscription": "sub"}
_OWNER_KIND: dict[str, SeedOwnerKind] = {p: kind for kind, p in _OWNER_KEY_PREFIX.items()}


@dataclass(frozen=True, slots=True)
class SeedOwner:
    """Whose library seeds recommendations: a signed-in user, or a subscription without an account.

    `key` is the string `seed_papers.owner` stores ("user:12", "sub:34"); `from_key` reads one.
    """

    kind: SeedOwnerKind
    id: int

    @classmethod
    def for_user(cls, user_id: int) -> SeedOwner:
        return cls("user", user_id)

    @classmethod
    def for_subscription(cls, subscription_id: int) -> SeedOwner:
        return cls("subscription", subscription_id)

    @classmethod
    def from_key(cls, key: str) -> SeedOwner:
        """The owner a stored `key` names; ValueError for anything `key` never produces."""
        prefix, _, number = key.partition(":")
        kind = _OWNER_KIND.get(prefix)
        canonical = number.isascii() and number.isdigit() and number == str(int(number))
        if kind is None or not canonical:
            raise ValueError(f"not a seed owner: {key!r}")
        return cls(kind, int(number))

    @property
    def key(self) -> str:
        return f"{_OWNER_KEY_PREFIX[self.kind]}:{self.id}"

    @property
    def user_id(self) -> int | None:
        """The user whose upvotes also count as liked papers; None for a subscription."""
        return self.id if self.kind == "user" else None
