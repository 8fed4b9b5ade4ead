"""Author queries: "Yoshua Bengio", "Bengio Y", "LeCun", `au:hinton` — that person's papers first.

Whether a short query is a person's name cannot be told from its text alone ("Graph Networks"
and "Julian McAuley" look alike), so the index decides: the query's words must all be in one
author name of at least one paper, and, unless the query is written as a name (initials,
"Surname, Given", `au:`; see query_kind), more papers must have them as an author than in their
title or abstract (so "black hole", "Kalman", "deep learning" stay topics).

`name_in_query` is pure (text -> the name's words and initials); `author_papers` reads the
index. A paper counts when one of its authors has every word of the name and, for each initial,
another name part starting with it ("Bengio Y" matches "Yoshua Bengio", not "Samy Bengio").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import tantivy

from papertide.search.fusion import Fused
from papertide.search.keyword import Filter, KeywordIndex
from papertide.search.query import ParsedQuery
from papertide.search.query_kind import PARTICLES, classify
from papertide.search.relevance import analysed_terms

F64 = npt.NDArray[np.float64]

# p(relevant) of a paper by the named author, and the factor on every other paper's: set by
# rule, like the 0.99 of a named paper (no collection with author queries to fit them on). A
# name can be shared ("Wei Wang"), so not 0.99; the others stay well under any default line.
AUTHOR_RELEVANCE = 0.9
OTHERS_FACTOR = 0.1
MAX_NAME_WORDS = 4  # "Maria Camila Roa Carvajal"; longer queries are not looked up

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)  # tantivy's `default` tokenizer: runs of letters/digits
_INITIALS = re.compile(r"^(?:[A-Z]\.?-?){1,3}$")  # G  G.  GE  J.-P.
_NAME_CHARS = re.compile(r"^[^\W\d_]+(?:[-'’.][^\W\d_]+)*\.?$", re.UNICODE)


@dataclass(frozen=True)
class AuthorName:
    """A name as typed: its words (lower case, as the index has them) and initials."""

    words: tuple[str, ...]
    initials: tuple[str, ...] = ()
    explicit: bool = False  # written as a name (`au:`, initials, "Surname, Given")

    def matches(self, author: str) -> bool:
        """Whether one author name (as stored) is this name."""
        tokens = [t.lower() for t in _TOKEN.findall(author)]
        rest = list(tokens)
        for word in self.words:
            if word not in rest:
                return False
            rest.remove(word)
        for initial in self.initials:
            found = next((t for t in rest if t.startswith(initial)), None)
            if found is None:
                return False
            rest.remove(found)
        return True


def name_in_query(query: ParsedQuery) -> AuthorName | None:
    """The person a short query may name, from its text alone; None when it cannot be a name."""
    fielded = {name for name, _ in query.fielded}
    if fielded:
        if fielded != {"authors"} or query.terms or query.phrases:
            return None  # `au:smith transformers`: an ordinary search with an author clause
        given = [w for _, ws in query.fielded for w in ws]
        return _split([w for w in given if len(w) > 1], [w for w in given if len(w) == 1], True)
    raw = query.text.replace('"', " ").replace(",", " , ").split()
    if not raw or len(raw) > MAX_NAME_WORDS + 3:
        return None
    words: list[str] = []
    initials: list[str] = []
    for token in raw:
        if token == ",":
            continue
        if _INITIALS.match(token) or (len(token) == 1 and token.isalpha()):
            initials += [c.lower() for c in token if c.isalpha()]
        elif _NAME_CHARS.match(token):
            words += [t.lower() for t in _TOKEN.findall(token)]
        else:
            return None  # digits, symbols: not a name
    explicit = classify(query.text, query).kind == "author"
    return _split(words, initials, explicit)


def _split(words: Sequence[str], initials: Sequence[str], explicit: bool) -> AuthorName | None:
    if not words or len(words) > MAX_NAME_WORDS or len(initials) > 3:
        return None
    if all(w in PARTICLES for w in words):
        return None  # "de", "van der": part of many names, nobody's name
    return AuthorName(tuple(dict.fromkeys(words)), tuple(initials), explicit)


@dataclass(frozen=True)
class AuthorPapers:
    """The papers of a named author that pass the filter, newest first (maybe none)."""

    name: AuthorName
    paper_ids: list[int]


def author_papers(
    keyword: KeywordIndex, query: ParsedQuery, flt: Filter = Filter(), limit: int = 100
) -> AuthorPapers | None:
    """The papers of the person `query` names (passing `flt`), or None when it names nobody.

    Whether it names someone is decided on the whole index (so that an alert's date filter
    does not turn a name into a topic); the papers listed are those that pass the filter, the
    newest `limit` of them, so an author with no new paper this week gets an empty list.
    """
    name = name_in_query(query)
    if name is None:
        return None
    searcher = keyword.index.searcher()
    every_word = tantivy.Query.boolean_query(
        [
            (tantivy.Occur.Must, tantivy.Query.term_query(keyword.schema, "authors", w))
            for w in name.words
        ]
    )
    authored = _count(searcher.search(every_word, limit=1, count=True))
    if authored == 0:
        return None
    if not name.explicit and authored <= _text_count(keyword, searcher, name.words):
        return None  # the words are more often a subject than a person here
    hits = searcher.search(
        keyword._combine(every_word, flt), limit=max(limit, 1), count=False, order_by_field="day"
    ).hits
    ids = []
    for _, addr in hits:  # the words may belong to two people: check each name
        doc = searcher.doc(addr).to_dict()
        if any(name.matches(str(a)) for a in doc.get("authors", [])):
            ids.append(int(doc["paper_id"][0]))
    return AuthorPapers(name, ids)


def _text_count(keyword: KeywordIndex, searcher: Any, words: Sequence[str]) -> int:
    """How many papers have these words, in this order, in their title or abstract."""
    terms: list[str | tuple[int, str]] = list(analysed_terms(words))
    if not terms:
        return 0
    clauses = []
    for field in ("title", "abstract"):
        if len(terms) == 1:
            clause = tantivy.Query.term_query(keyword.schema, field, terms[0])
        else:
            clause = tantivy.Query.phrase_query(keyword.schema, field, terms)
        clauses.append((tantivy.Occur.Should, clause))
    return _count(searcher.search(tantivy.Query.boolean_query(clauses), limit=1, count=True))


def _count(result: Any) -> int:
    return int(getattr(result, "count", 0) or 0)


def put_authors_first(fused: Fused, relevance: F64, found: AuthorPapers) -> tuple[Fused, F64]:
    """The author's papers first (newest first) at AUTHOR_RELEVANCE, the rest after, scaled down."""
    position = {pid: i for i, pid in enumerate(fused.paper_ids)}
    first = list(dict.fromkeys(found.paper_ids))
    chosen = set(first)
    rest = [i for i, pid in enumerate(fused.paper_ids) if pid not in chosen]
    top = float(fused.fused[0]) if len(fused.fused) else 0.0

    def column(values: F64, missing: float, ids: list[int]) -> F64:
        return np.array([values[position[p]] if p in position else missing for p in ids])

    moved = Fused(
        first + [fused.paper_ids[i] for i in rest],
        np.concatenate([column(fused.fused, top, first), fused.fused[rest]]),
        np.concatenate([column(fused.keyword, 0.0, first), fused.keyword[rest]]),
        np.concatenate([column(fused.semantic, np.nan, first), fused.semantic[rest]]),
    )
    rel = np.concatenate(
        [np.full(len(first), AUTHOR_RELEVANCE), np.nan_to_num(relevance[rest]) * OTHERS_FACTOR]
    )
    return moved, rel
