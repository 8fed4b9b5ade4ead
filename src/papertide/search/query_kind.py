"""What kind of query a person typed, from its text alone (pure: no index, no model).

- `arxiv_id`: `2503.11731`, `arXiv:2503.11731v2`, `hep-th/9901001`, an arxiv.org link.
  A researcher expects that paper, first.
- `author`: `au:hinton`, `G. E. Hinton`, `Hinton, G.`, `LeCun Y`. That person's papers.
- `title`: `Attention Is All You Need`, `BERT: Pre-training of Deep ...`. That paper first, if
  it exists; otherwise the one or two closest.
- `claim`: `Aspirin reduces the risk of colorectal cancer.` The one or two papers about it.
- `topic`: `graph neural networks`, a long question or description. Many papers.

`title` and `arxiv_id` are navigational: the search checks whether such a paper exists (an exact
title match, the id) and, if so, puts it first. The rules are deliberately conservative: a query
that is not clearly anything else is a `topic`. They were written by hand, looking at SciFact
*train* claims and the CISI/MEDLINE/NPL queries (none of the SciFact test queries): 758 of 809
train claims are `claim`, and 198 of 199 classic-collection queries are `topic`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from papertide.search.query import ParsedQuery

Kind = Literal["arxiv_id", "author", "title", "claim", "topic"]
KINDS: tuple[Kind, ...] = ("arxiv_id", "author", "title", "claim", "topic")

_NEW_ID = r"\d{4}\.\d{4,5}"
_OLD_ID = r"[a-z][a-z\-]*(?:\.[a-z]{2})?/\d{7}"
ARXIV_ID = re.compile(
    rf"^(?:(?:https?://)?(?:www\.)?(?:export\.)?arxiv\.org/(?:abs|pdf)/|arxiv:\s*)?"
    rf"(?P<id>{_NEW_ID}|{_OLD_ID})(?:v\d+)?(?:\.pdf)?/?$",
    re.IGNORECASE,
)
_INITIAL = r"[A-Z]\.?(?:-?[A-Z]\.?)?"  # G  G.  J.-P.  JP
_LOWER = r"[a-z\u00df-\u00ff\u0100-\u024f']"
_NAME = rf"[A-Z]{_LOWER}+(?:[A-Z]{_LOWER}+)?(?:-[A-Z]{_LOWER}+)?"  # Hinton LeCun Lennard-Jones
# Name particles: part of a surname ("van der Waals"), never a name on their own.
PARTICLES = ("van", "von", "der", "den", "de", "del", "della", "di", "da", "du", "la", "le", "ter",
             "bin", "al")  # fmt: skip
_PARTICLE = rf"(?:{'|'.join(PARTICLES)})"
AUTHOR_PATTERNS = (
    # G. Hinton, G. E. Hinton, J.-P. Sartre, Y. van der Waals
    re.compile(rf"^(?:{_INITIAL}\s*){{1,3}}(?:{_PARTICLE}\s+)*{_NAME}$"),
    # Hinton, G.   Hinton, Geoffrey   van der Waals, J. D.
    re.compile(rf"^(?:{_PARTICLE}\s+)*{_NAME},\s*(?:{_INITIAL}\s*){{1,3}}$"),
    re.compile(rf"^(?:{_PARTICLE}\s+)*{_NAME},\s*{_NAME}(?:\s+{_INITIAL})?$"),
    # Hinton G   LeCun Y   Hinton GE
    re.compile(rf"^{_NAME}\s+[A-Z]{{1,3}}$"),
)
# Finite verbs and copulas that make a statement of a short text (claims are declarative).
_CLAIM_VERBS = re.compile(
    r"\b(?:is|are|was|were|has|have|had|does|do|did|can|cannot|could|may|might|will|"
    r"increases?|decreases?|reduces?|improves?|causes?|leads?|prevents?|inhibits?|"
    r"promotes?|induces?|enhances?|impairs?|affects?|correlates?|predicts?|requires?|"
    r"lacks?|shows?|outperforms?|depends?|results?|contributes?|protects?|regulates?|"
    r"mediates?|activates?|suppresses?|exhibits?|associated|linked|correlated|"
    r"increased|decreased|reduced|improved|caused|led|prevented|inhibited|promoted|"
    r"induced|enhanced|impaired|affected|elevated|lowered|higher|lower|more|less|fewer)\b",
    re.IGNORECASE,
)
_SMALL_WORDS = {
    "a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "is", "of", "on", "or",
    "the", "to", "via", "vs", "with", "without", "are", "its", "their", "through", "under",
    "over", "using", "towards", "toward", "beyond", "between", "do", "does", "not", "can",
}  # fmt: skip
_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*", re.UNICODE)


@dataclass(frozen=True)
class QueryKind:
    kind: Kind
    arxiv_id: str | None = None  # the id without version, for `arxiv_id`
    words: int = 0

    @property
    def navigational(self) -> bool:
        """A query for one known paper (its id or, possibly, its exact title)."""
        return self.kind in ("arxiv_id", "title")

    @property
    def few_answers(self) -> bool:
        """Claims and titles have one or two right answers; topics and authors many."""
        return self.kind in ("claim", "title", "arxiv_id")


def normalise_arxiv_id(text: str) -> str | None:
    """`arXiv:2503.11731v2` -> `2503.11731`; None when the text is not an arXiv id."""
    match = ARXIV_ID.match(text.strip())
    return match.group("id").lower() if match else None


def _is_title_case(words: list[str]) -> bool:
    content = [w for w in words if w.lower() not in _SMALL_WORDS]
    if len(content) < 2:
        return False
    capitalised = sum(1 for w in content if w[:1].isupper() or w[:1].isdigit())
    return capitalised / len(content) >= 0.8


# Requests and descriptions of a subject: "information on ...", "I would like papers about ...".
_REQUEST = re.compile(
    r"^(?:what|how|why|which|who|where|when|is there|are there|any|i |i'm |we |please|give|"
    r"find|list|describe|information|papers|articles|literature|methods? (?:of|for)|"
    r"the (?:use|effects?|role|relationship|measurement|design|theory|study) of)",
    re.IGNORECASE,
)
_NOT_VERB_ENDINGS = ("ss", "us", "is", "ous", "ics", "sis", "nts")
# Plural nouns that often follow an adjective in a subject line ("retrieval systems for ...").
_PLURAL_NOUNS = {
    "systems", "methods", "models", "networks", "techniques", "effects", "studies", "problems",
    "applications", "devices", "materials", "properties", "results", "procedures", "processes",
    "measurements", "characteristics", "libraries", "services", "sciences", "users",
    "documents", "papers", "articles", "circuits", "filters", "waves", "cells", "levels",
}  # fmt: skip
_NOUN_BEFORE_VERB_NOT = {
    "of", "the", "a", "an", "and", "or", "in", "on", "for", "with", "to", "by", "from",
    "between", "its", "their", "these", "those", "some", "many", "all", "most", "at", "as",
    "into", "via", "than", "both", "each", "several", "two", "three", "new", "other",
}  # fmt: skip


def _is_statement(words: list[str]) -> bool:
    """A finite verb after the subject: `X reduces Y`, `X is associated with Y`.

    Either a verb of the list, or a lower-case word ending in -s (third person singular) or
    a plain plural-subject verb is hard to tell from a noun, so only a word ending in -s that
    follows a word that can end a subject (not `of`, `the`, `and` ...) and is not the last
    word counts: `Cdk5 phosphorylates ATM`, but not `theory of networks`.
    """
    lowered = [w.lower() for w in words]
    for i, lower in enumerate(lowered[1:], start=1):
        if _CLAIM_VERBS.fullmatch(lower):
            return True
        if (
            i < len(lowered) - 1
            and words[i].islower()
            and lower.isalpha()
            and len(lower) > 3
            and lower.endswith("s")
            and not lower.endswith(_NOT_VERB_ENDINGS)
            and lower not in _PLURAL_NOUNS
            and lowered[i - 1] not in _NOUN_BEFORE_VERB_NOT
            and lowered[i + 1] not in ("of", "and", "or")
        ):
            return True
    return False


def classify(text: str, parsed: ParsedQuery | None = None) -> QueryKind:
    """The kind of a query, from its text (and its parse, for `au:` and `ti:` prefixes)."""
    stripped = " ".join(text.split()).strip()
    words = _WORD.findall(stripped)
    n = len(words)
    arxiv_id = normalise_arxiv_id(stripped)
    if arxiv_id is not None:
        return QueryKind("arxiv_id", arxiv_id, n)
    if parsed is not None and parsed.fielded:
        fields = {name for name, _ in parsed.fielded}
        if fields == {"authors"} and not parsed.terms and not parsed.phrases:
            return QueryKind("author", None, n)
        if fields == {"title"} and not parsed.terms and not parsed.phrases:
            return QueryKind("title", None, n)
    bare = stripped.strip("\"'")
    if 2 <= n <= 5 and any(p.match(bare) for p in AUTHOR_PATTERNS):
        return QueryKind("author", None, n)
    if n >= 25 or "?" in stripped:
        return QueryKind("topic", None, n)  # a question or a description: many answers
    shouting = stripped.upper() == stripped  # all capitals: a heading, not a sentence
    request = bool(_REQUEST.match(stripped)) or stripped[:1].islower()
    statement = n >= 3 and not shouting and not request and _is_statement(words)
    sentence = statement and stripped.endswith(".")
    headline = ":" in stripped or (n >= 4 and _is_title_case(words))
    if n >= 3 and not shouting and not sentence and headline:
        return QueryKind("title", None, n)
    if statement:
        return QueryKind("claim", None, n)
    return QueryKind("topic", None, n)
