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

_URL = re.compile(r"https?://|www\.|\b[\w-]+\.github\.io\b", re.IGNORECASE)
_PROJECT_PAGE = re.compile(
    r"github\.io|project page|project website|homepage|huggingface\.co|hf\.co/", re.IGNORECASE
)
_HF = re.compile(r"huggingface\.co|hf\.co/", re.IGNORECASE)
_VENUE = re.compile(
    r"\b(neurips|nips|iclr|icml|cvpr|iccv|eccv|acl|emnlp|naacl|coling|aaai|ijcai|kdd|sigir|"
    r"www|colm|corl|rss|icra|iros|siggraph|tmlr|jmlr|tpami|wacv|bmvc|interspeech|icassp|miccai)"
    r"\b",
    re.IGNORECASE,
)
_ACCEPTED = re.compile(r"\b(accepted|to appear|camera[- ]ready|published|oral|spotlight)\b", re.I)
_WORKSHOP = re.compile(r"\bworkshop\b", re.IGNORECASE)
_PAGES = re.compile(r"(\d+)\s*pages", re.IGNORECASE)
_TECH_REPORT = re.compile(r"technical report|tech report|white ?paper", re.IGNORECASE)
_RELEASE = re.compile(
    r"\b(open[- ]?source[sd]?|we release|publicly available|are available at|will be released|"
    r"code is available|code and|models? (?:and|are) (?:publicly )?(?:released|available))",
    re.IGNORECASE,
)
_NAMED = re.compile(r"^[A-Z][\w\-.+]*[A-Z0-9][\w\-.+]*\s*[:\-—]")
_SCALE = re.compile(r"\b\d+(?:\.\d+)?\s*[BMT]\b|\bbillion\b|\btrillion\b")

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
    comment = c.comment or ""
    both = f"{c.abstract} {comment}"
    primary = c.categories[0] if c.categories else ""
    cats = set(c.categories)
    pages = _PAGES.search(comment)
    return [
        float(len(c.authors)),
        float(len(c.categories)),
        *(1.0 if primary == t else 0.0 for t in TOP_CATEGORIES),
        *(1.0 if t in cats else 0.0 for t in TOP_CATEGORIES),
        1.0 if comment else 0.0,
        1.0 if _VENUE.search(comment) else 0.0,
        1.0 if _ACCEPTED.search(comment) else 0.0,
        1.0 if _WORKSHOP.search(comment) else 0.0,
        float(pages.group(1)) if pages else -1.0,
        1.0 if _TECH_REPORT.search(both) or _TECH_REPORT.search(c.title) else 0.0,
        1.0 if c.code_links else 0.0,
        1.0 if _URL.search(both) else 0.0,
        1.0 if _PROJECT_PAGE.search(both) else 0.0,
        1.0 if _HF.search(both) else 0.0,
        1.0 if _RELEASE.search(c.abstract) else 0.0,
        1.0 if _NAMED.match(c.title) else 0.0,
        1.0 if _SCALE.search(c.abstract) else 0.0,
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
    return bool(_URL.search(f"{c.abstract} {c.comment}"))
