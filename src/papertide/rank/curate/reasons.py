"""Why a paper is suggested, in words a reader checks at a glance."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from papertide.rank.curate.records import Candidate

_VENUE = re.compile(
    r"\b(?:accepted|to appear)\b[^.;]*?\b(?:at|in|by|to)\s+(?:the\s+)?"
    r"([A-Z][\w\- ]{1,40}?\d{0,4})\b"
)
# Where the picks a reason counts were made: an instance's own model learnt from its community;
# the shipped model's history is the public feed it was trained on plus this instance's picks.
HERE = "here"
SHIPPED_PLACE = "on Hugging Face Daily Papers or here"
# How close (tf-idf cosine) a paper must be to a recent pick to call it the same topic.
TOPIC_SIMILARITY = 0.2
# How close (cosine of the dense vectors) a paper must be to one of its authors' picked papers
# to name that paper: the "near" of the taste features (taste.NEAR is 0.5); higher, so that the
# named paper reads as the same line of work.
SAME_LINE = 0.6
# Longer titles are cut to this many characters in a reason.
TITLE_CHARS = 90
# Words every abstract uses whatever its subject: they weigh a lot in a tf-idf product with the
# week's picks but name no topic ("knowledge / improves" said less than "knowledge / editing").
GENERIC_TERMS = frozenset(
    (
        "achieve",
        "achieves",
        "achieving",
        "approach",
        "approaches",
        "based",
        "demonstrate",
        "demonstrates",
        "effective",
        "effectively",
        "existing",
        "extensive",
        "framework",
        "improve",
        "improved",
        "improvement",
        "improvements",
        "improves",
        "improving",
        "method",
        "methods",
        "novel",
        "outperforms",
        "paper",
        "performance",
        "propose",
        "proposed",
        "proposes",
        "results",
        "show",
        "shows",
        "significant",
        "significantly",
        "superior",
        "using",
        "work",
    )
)


def author_reason(authors_picked: int, picks: int, place: str = HERE) -> str | None:
    """'3 authors' earlier papers were picked here 11 times'."""
    if authors_picked <= 0 or picks <= 0:
        return None
    who = "1 author's" if authors_picked == 1 else f"{authors_picked} authors'"
    times = "once" if picks == 1 else f"{picks} times"
    return f"{who} earlier papers were picked {place} {times}"


def same_line_reason(title: str, similarity: float, place: str = HERE) -> str | None:
    """'close to the same authors' “Title”, picked here'."""
    if not title or similarity < SAME_LINE:
        return None
    if len(title) > TITLE_CHARS:
        title = title[: TITLE_CHARS - 1].rstrip() + "…"
    return f"close to the same authors' “{title}”, picked {place}"


def topic_terms(
    vector: sparse.csr_matrix, centroid: NDArray[np.float32], terms: Sequence[str], k: int = 2
) -> list[str]:
    """The terms that make a paper close to the recent picks (largest products of weights)."""
    row = vector.tocoo()
    if row.nnz == 0:
        return []
    weight = row.data * centroid[row.col]
    order = np.argsort(-weight)
    out: list[str] = []
    for i in order:
        if weight[i] <= 0 or len(out) >= k:
            break
        term = terms[row.col[i]]
        if any(word in GENERIC_TERMS for word in term.split()):
            continue
        if not any(term in t or t in term for t in out):
            out.append(term)
    return out


def reasons_for(
    paper: Candidate,
    *,
    authors_picked: tuple[int, int],
    week_similarity: float,
    topic: Sequence[str],
    text_rank: float,
    place: str = HERE,
    closest_pick: tuple[str, float] = ("", -1.0),
) -> list[str]:
    """The reasons, strongest first; never empty."""
    out: list[str] = []
    by_authors = author_reason(*authors_picked, place=place)
    if by_authors:
        out.append(by_authors)
    same_line = same_line_reason(*closest_pick, place=place)
    if same_line:
        out.append(same_line)
    if week_similarity >= TOPIC_SIMILARITY and topic:
        out.append(f"close to this week's trending topic “{' / '.join(topic)}”")
    if paper.code_links:
        out.append("links code")
    venue = _VENUE.search(paper.comment or "")
    if venue:
        out.append(f"accepted at {venue.group(1).strip()}")
    if len(paper.authors) >= 15:
        out.append(f"a {len(paper.authors)}-author team")
    if text_rank <= 0.1 and len(out) < 2:
        out.append(f"its subject is often picked {place}")
    return out or ["ranked by the community-interest model"]
