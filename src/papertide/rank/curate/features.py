"""Features of a listed paper that need no history: its metadata, comment, links and shape.

Only what arXiv itself lists (title, abstract, authors, categories, comment). Nothing a feed
adds to a paper it already picked (votes, organisation, AI summaries, GitHub stars).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from papertide.rank.curate.records import Candidate

# Patterns run on lower-cased ASCII-flagged text, and plain substring tests replace what needs
# no regex: case-insensitive Unicode regexes over abstracts were a third of a day's scoring time.
_URL_PARTS = ("http://", "https://", "www.", "github.io")
_PROJECT_PARTS = (
    "github.io",
    "project page",
    "project website",
    "homepage",
    "huggingface.co",
    "hf.co/",
)
_HF_PARTS = ("huggingface.co", "hf.co/")
_TECH_PARTS = ("technical report", "tech report", "white paper", "whitepaper")
_VENUE = re.compile(
    r"\b(neurips|nips|iclr|icml|cvpr|iccv|eccv|acl|emnlp|naacl|coling|aaai|ijcai|kdd|sigir|"
    r"www|colm|corl|rss|icra|iros|siggraph|tmlr|jmlr|tpami|wacv|bmvc|interspeech|icassp|miccai)"
    r"\b",
    re.ASCII,
)
_ACCEPTED = re.compile(r"\b(accepted|to appear|camera[- ]ready|published|oral|spotlight)\b", re.A)
_PAGES = re.compile(r"(\d+)\s*pages", re.ASCII)
_RELEASE = re.compile(
    r"\b(open[- ]?source[sd]?|we release|publicly available|are available at|will be released|"
    r"code is available|code and|models? (?:and|are) (?:publicly )?(?:released|available))",
    re.ASCII,
)
_NAMED = re.compile(r"^[A-Z][\w\-.+]*[A-Z0-9][\w\-.+]*\s*[:\-\u2014]")
_SCALE = re.compile(r"\b\d+(?:\.\d+)?\s*[BMT]\b|\bbillion\b|\btrillion\b", re.ASCII)
# What every match of _RELEASE and _SCALE contains: a cheap test first, the pattern (which tries
# its alternatives at every position of an abstract) only when it passes.
_RELEASE_WORDS = ("open", "we release", "available", "released", "code and")
_DIGIT_UNIT = re.compile(r"\d\s*[BMT]", re.ASCII)


def _any_in(text: str, parts: tuple[str, ...]) -> bool:
    return any(part in text for part in parts)


def _releases(abstract: str) -> bool:
    """_RELEASE in the lower-cased abstract."""
    return _any_in(abstract, _RELEASE_WORDS) and _RELEASE.search(abstract) is not None


def _names_scale(abstract: str) -> bool:
    """_SCALE in the abstract as written ("7B", "1.5 T", "billion")."""
    return ("illion" in abstract or _DIGIT_UNIT.search(abstract) is not None) and (
        _SCALE.search(abstract) is not None
    )


TOP_CATEGORIES = (
    "cs.AI",
    "cs.CL",
    "cs.CV",
    "cs.LG",
    "cs.RO",
    "cs.MM",
    "cs.IR",
    "cs.SD",
    "eess.AS",
    "eess.IV",
    "cs.GR",
    "cs.HC",
    "cs.CR",
    "stat.ML",
    "cs.SE",
    "cs.MA",
)

META_FEATURES = (
    "n_authors",
    "n_categories",
    *(f"primary_{c}" for c in TOP_CATEGORIES),
    *(f"cat_{c}" for c in TOP_CATEGORIES),
    "has_comment",
    "venue",
    "accepted",
    "workshop",
    "pages",
    "tech_report",
    "code_link",
    "any_link",
    "project_page",
    "huggingface",
    "release_words",
    "named_method",
    "model_scale",
    "title_words",
    "abstract_words",
)


def meta_row(c: Candidate) -> list[float]:
    """META_FEATURES of one paper."""
    comment = (c.comment or "").lower()
    abstract = c.abstract.lower()
    both = f"{abstract} {comment}"
    primary = c.categories[0] if c.categories else ""
    cats = set(c.categories)
    pages = _PAGES.search(comment) if "pages" in comment else None
    return [
        float(len(c.authors)),
        float(len(c.categories)),
        *(1.0 if primary == t else 0.0 for t in TOP_CATEGORIES),
        *(1.0 if t in cats else 0.0 for t in TOP_CATEGORIES),
        1.0 if comment else 0.0,
        1.0 if comment and _VENUE.search(comment) else 0.0,
        1.0 if comment and _ACCEPTED.search(comment) else 0.0,
        1.0 if "workshop" in comment else 0.0,
        float(pages.group(1)) if pages else -1.0,
        1.0 if _any_in(both, _TECH_PARTS) or _any_in(c.title.lower(), _TECH_PARTS) else 0.0,
        1.0 if c.code_links else 0.0,
        1.0 if _any_in(both, _URL_PARTS) else 0.0,
        1.0 if _any_in(both, _PROJECT_PARTS) else 0.0,
        1.0 if _any_in(both, _HF_PARTS) else 0.0,
        1.0 if _releases(abstract) else 0.0,
        1.0 if _NAMED.match(c.title) else 0.0,
        1.0 if _names_scale(c.abstract) else 0.0,
        float(len(c.title.split())),
        float(len(c.abstract.split())),
    ]


def meta_matrix(candidates: Sequence[Candidate]) -> NDArray[np.float32]:
    """META_FEATURES for many papers, one row each."""
    if not candidates:
        return np.zeros((0, len(META_FEATURES)), dtype=np.float32)
    return np.asarray([meta_row(c) for c in candidates], dtype=np.float32)


def has_link(c: Candidate) -> bool:
    """A link of any kind in the abstract or comment (the issue's 'has a link' ranking)."""
    return _any_in(f"{c.abstract} {c.comment}".lower(), _URL_PARTS)
