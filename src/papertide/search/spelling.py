"""Did you mean: a correction for query words that no paper contains.

A misspelt word ("difusion") matches nothing in BM25, so the keyword side of a search loses it
and the page fills with papers that match the other words. Such a word is compared with the
index's own most common terms (title and abstract, as stemmed there), the nearest are read back
as papers write them, and the nearest written word within a small edit distance (a swap of two
letters counts one) is offered ("diffusion"). Words of the collection (in a few papers' titles
and abstracts, or in an author's name) are never corrected, nor words with digits (model names
such as "qwen3") or of four letters or fewer (too many neighbours to choose from). The
suggestion changes nothing in the results: it is a link to the corrected search. Measured in
bench/spelling_check.py (docs/web.md).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import tantivy
from rapidfuzz import process
from rapidfuzz.distance import OSA

from papertide.search.keyword import KeywordIndex
from papertide.search.relevance import MATCH_FIELDS, analysed_terms

# The vocabulary a correction is chosen from: the most common terms of titles and abstracts
# (a typo's target is a common word; the rare tail is mostly names and other typos).
VOCABULARY = 100_000
# A correction must be a term of at least this many papers; a word of this many papers is a
# word of the collection, never corrected.
MIN_PAPERS = 3
# ... and a word of fewer papers (one abstract's typo) is corrected only to a term of this many
# times more papers.
RARER = 20
MIN_LETTERS = 5  # shorter words are not corrected
# A query with more words that no paper has is not a query with typos (a pasted passage in
# another language, a hostile string); each correction costs about 20 ms at 158,898 papers.
MAX_UNKNOWN = 4
# Papers read for the ways a term is written ("transform": transformer, transformers, ...).
WRITTEN_SAMPLE = 10
# Index terms considered for a word (the nearest stems first), and how much further apart
# than the words their stems may be.
CANDIDATES = 12
STEM_SLACK = 2
WORD = re.compile(r"[a-z]+")


def correctable(word: str) -> bool:
    """Long enough, and only ASCII letters (a word with digits is a name: "qwen3")."""
    return len(word) >= MIN_LETTERS and word.isalpha() and word.isascii()


def max_distance(word: str) -> int:
    """Edits allowed for a typed word: one up to seven letters, two from eight."""
    return 1 if len(word) < 8 else 2


@dataclass(frozen=True)
class Vocabulary:
    """Index terms (stemmed) and how many papers have each, most common first."""

    terms: list[str]
    papers: list[int]

    @classmethod
    def of(cls, keyword: KeywordIndex, size: int = VOCABULARY) -> Vocabulary:
        searcher = keyword.index.searcher()
        counts: dict[str, int] = {}
        for field in MATCH_FIELDS:
            for term, count in searcher.terms_with_prefix(field, "", limit=size):
                counts[term] = max(counts.get(term, 0), int(count))
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:size]
        return cls([t for t, _ in ranked], [c for _, c in ranked])


class Speller:
    """Corrections for the words of a query, from one keyword index (built on first use)."""

    def __init__(self, keyword: KeywordIndex) -> None:
        self.keyword = keyword
        self._vocabulary: Vocabulary | None = None
        self._lock = threading.Lock()

    @property
    def vocabulary(self) -> Vocabulary:
        with self._lock:
            if self._vocabulary is None:
                self._vocabulary = Vocabulary.of(self.keyword)
            return self._vocabulary

    def suggest(self, query: str, words: Sequence[str]) -> str | None:
        """`query` with each correctable word of `words` replaced, or None if none is (or if
        more than MAX_UNKNOWN words are not words of the collection: not typos, and each costs
        a look-up)."""
        unknown = [w for w in dict.fromkeys(words) if correctable(w) and not self.known(w)]
        if len(unknown) > MAX_UNKNOWN:
            return None
        fixes = {w: fix for w in unknown if (fix := self.correct(w)) is not None}
        if not fixes:
            return None
        pattern = re.compile(
            r"\b(" + "|".join(re.escape(w) for w in fixes) + r")\b", flags=re.IGNORECASE
        )
        return pattern.sub(lambda m: fixes[m.group(0).lower()], query)

    def correct(self, word: str) -> str | None:
        """The nearest word a paper writes, if `word` is not a word of the collection (see
        `known`) and one is near enough (nearest as typed, then in the most papers); None
        otherwise.

        Terms are compared as the index stems them, which can be further apart than the words
        ("learnng" -> "learnng", "learning" -> "learn"): terms up to two edits beyond the limit
        are candidates, and the limit is applied to the words as papers write them.
        """
        word = word.lower()
        if not correctable(word):
            return None
        stems = analysed_terms([word])
        if len(stems) != 1 or self._names_an_author(word):
            return None
        papers = self.papers_with(word)
        if papers >= MIN_PAPERS:
            return None
        vocabulary = self.vocabulary
        limit = max_distance(word)
        # A word a paper or two have is corrected only to one far more papers have.
        enough = max(MIN_PAPERS, RARER * papers)
        # A term is a stem, so it is near the start of the word a paper writes ("predict" of
        # "prediction"): it is looked for near the typed word's own stem and near the word's
        # prefixes ("prdict" -> "predict", where the misspelt word's stem "prdiction" is three
        # edits from it).
        views = [(stems[0], limit + STEM_SLACK)] + [
            (word[:end], limit) for end in range(max(MIN_LETTERS - 1, len(word) - 3), len(word) - 1)
        ]
        nearest: dict[int, int] = {}
        for view, cutoff in views:
            for _, distance, index in process.extract(
                view,
                vocabulary.terms,
                scorer=OSA.distance,
                score_cutoff=cutoff,
                limit=4 * CANDIDATES,
            ):
                nearest[index] = min(distance, nearest.get(index, distance))
        candidates = sorted(
            (distance, index)
            for index, distance in nearest.items()
            if vocabulary.papers[index] >= enough
        )[:CANDIDATES]
        best: tuple[int, int, int, str] | None = None
        for _, index in candidates:
            for written in self._as_written(vocabulary.terms[index]):
                distance = OSA.distance(written, word)
                if distance > limit:
                    continue
                # Ties go to the more common term ("souce": source, not sauce), then to the
                # word as long as the one typed ("experst": experts, not expert).
                key = (distance, -vocabulary.papers[index], abs(len(written) - len(word)), written)
                best = key if best is None or key < best else best
        return best[3] if best is not None else None

    def papers_with(self, word: str) -> int:
        """How many papers' titles or abstracts have `word` (as the index stems it)."""
        searcher = self.keyword.index.searcher()
        return max(
            (
                int(searcher.doc_freq(field, term))
                for term in analysed_terms([word])
                for field in MATCH_FIELDS
            ),
            default=0,
        )

    def known(self, word: str) -> bool:
        """Whether `word` is a word of this collection: in at least MIN_PAPERS papers' titles
        or abstracts, or in an author's name (a surname is no typo: "hinton" is not "hint").
        A word of one or two papers may be their typo: at 158,898 papers "difusion" is in one
        abstract, and "diffusion" in thousands."""
        return self._names_an_author(word) or self.papers_with(word) >= MIN_PAPERS

    def _names_an_author(self, word: str) -> bool:
        return self.keyword.index.searcher().doc_freq("authors", word.lower()) > 0

    def _as_written(self, term: str) -> set[str]:
        """The words of a few papers whose stem is `term` ("transform": transformer, ...)."""
        searcher = self.keyword.index.searcher()
        query = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Should, tantivy.Query.term_query(self.keyword.schema, f, term))
                for f in MATCH_FIELDS
            ]
        )
        written: set[str] = set()
        for _, address in searcher.search(query, limit=WRITTEN_SAMPLE).hits:
            doc = searcher.doc(address)
            for field in MATCH_FIELDS:
                for text in doc.get_all(field):
                    words = set(WORD.findall(str(text).lower())) - written
                    # Only words that can stem to `term` are stemmed (the analyser is the cost).
                    written.update(
                        w for w in words if w.startswith(term[:2]) and analysed_terms([w]) == [term]
                    )
        return written
