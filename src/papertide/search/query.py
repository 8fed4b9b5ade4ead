"""User query text -> a safe keyword query and the text the embedder sees.

People type anything: unbalanced quotes, a stray `:`, a lone `AND` or `*`, LaTeX, emoji, SQL.
Nothing they type reaches the tantivy query language as syntax: we keep words (and quoted phrases,
and the field prefixes `au:` `ti:` `cat:` / `abs:`), and rebuild a query string from those alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_QUERY_CHARS = 1000

_WORD = re.compile(r"\w+", re.UNICODE)
# field:"a phrase" | field:word | "a phrase" | anything else up to whitespace
_TOKEN = re.compile(r'(?:(\w+):)?"([^"]*)"|(?:(\w+):)?(\S+)', re.UNICODE)
FIELD_ALIASES = {
    "au": "authors",
    "author": "authors",
    "ti": "title",
    "title": "title",
    "abs": "abstract",
    "abstract": "abstract",
    "cat": "categories",
    "category": "categories",
}


class QueryTooLong(ValueError):
    """The query is longer than MAX_QUERY_CHARS characters."""

    def __init__(self, length: int) -> None:
        super().__init__(
            f"query is {length:,} characters long; at most {MAX_QUERY_CHARS:,} are allowed"
        )


@dataclass
class ParsedQuery:
    text: str  # the query as typed, stripped: what the embedder sees
    terms: list[str] = field(default_factory=list)  # free words
    phrases: list[list[str]] = field(default_factory=list)
    fielded: list[tuple[str, list[str]]] = field(default_factory=list)  # (field, words)

    @property
    def has_keywords(self) -> bool:
        return bool(self.terms or self.phrases or self.fielded)

    @property
    def semantic_text(self) -> str:
        """What the embedder sees: the query without field prefixes (`au:smith` -> smith)."""
        if not self.fielded:
            return self.text
        words = [*self.terms, *(w for p in self.phrases for w in p)]
        words += [w for f, ws in self.fielded if f in ("title", "abstract") for w in ws]
        return " ".join(words) if words else self.text

    def split_fields(self) -> tuple[ParsedQuery, str]:
        """The query's subject and its field clauses: `ti:diffusion cat:cs.LG` is the subject
        "diffusion" over the papers that have "diffusion" in their title and are in cs.LG.

        The subject keeps the free words and phrases, and takes the title and abstract words as
        plain ones (what a paper is about is judged on its whole text, as for any query); the
        clauses come back in tantivy syntax, each required ("" when the query has none).
        """
        if not self.fielded:
            return self, ""
        subject = ParsedQuery(
            text=self.semantic_text if self.has_subject else "",
            terms=list(self.terms),
            phrases=[list(p) for p in self.phrases],
        )
        clauses = []
        for name, words in self.fielded:
            if name in ("title", "abstract"):
                if len(words) > 1:
                    subject.phrases.append(list(words))
                else:
                    subject.terms.extend(words)
            clauses.append(f"+{ParsedQuery(text='', fielded=[(name, words)]).tantivy_string()}")
        return subject, " ".join(clauses)

    @property
    def has_subject(self) -> bool:
        """Words beyond author and category clauses (`au:smith` alone names no subject)."""
        return bool(
            self.terms
            or self.phrases
            or any(name in ("title", "abstract") for name, _ in self.fielded)
        )

    def tantivy_string(self) -> str:
        """A query in tantivy syntax built only from words, so it always parses."""
        parts = list(self.terms)
        parts += [f'"{" ".join(p)}"' if len(p) > 1 else p[0] for p in self.phrases]
        for name, words in self.fielded:
            if name == "categories":
                # categories are indexed whole ("cs.cv"): rejoin the words with dots
                parts.append(f'categories:"{".".join(words)}"')
            elif len(words) == 1:
                parts.append(f"{name}:{words[0]}")
            else:
                parts.append(f'{name}:"{" ".join(words)}"')
        return " ".join(parts)


def _words(text: str) -> list[str]:
    # lower-case so AND/OR/NOT/TO are plain words, never operators
    return [w.lower() for w in _WORD.findall(text)]


def parse_query(raw: str) -> ParsedQuery:
    """Split what a person typed into free words, phrases and field terms."""
    if len(raw) > MAX_QUERY_CHARS:
        raise QueryTooLong(len(raw))
    text = " ".join(raw.split())
    parsed = ParsedQuery(text=text)
    # An odd number of quotes: the last one is a typo, not a phrase start.
    if text.count('"') % 2:
        index = text.rfind('"')
        text = text[:index] + " " + text[index + 1 :]
    for match in _TOKEN.finditer(text):
        phrase_field, phrase, word_field, word = match.groups()
        name = (phrase_field or word_field or "").lower()
        body = phrase if phrase is not None else word
        words = _words(body)
        target = FIELD_ALIASES.get(name)
        if target is not None:
            if words:
                parsed.fielded.append((target, words))
            continue
        if name:  # an unknown prefix like "foo:bar" is just two words
            words = _words(name) + words
        if not words:
            continue
        if phrase is not None and len(words) > 1:
            parsed.phrases.append(words)
        else:
            parsed.terms.extend(words)
    return parsed
