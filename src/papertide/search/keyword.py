"""The BM25 index: tantivy, one folder of files, fields title/abstract/authors/categories.

Filters are query clauses (never a cut of an unfiltered top-k); they score 0 so that BM25 values
stay comparable between filtered and unfiltered searches (the calibration reads them).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import html
import math
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tantivy

SCHEMA_VERSION = 1
EPOCH = dt.date(1970, 1, 1)
TEXT_FIELDS = ("title", "abstract", "authors")


@dataclass(frozen=True)
class KeywordDoc:
    paper_id: int
    arxiv_id: str
    title: str
    abstract: str
    authors: Sequence[str] = ()
    categories: Sequence[str] = ()
    first_announced: dt.date | None = None
    has_code: bool = False
    on_feed: bool = False


@dataclass(frozen=True)
class Filter:
    """Filter clauses in index terms (see api.SearchFilters for the public form)."""

    categories: tuple[str, ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    has_code: bool | None = None
    on_feed: bool | None = None
    # Field clauses every paper must match, in tantivy syntax (`+title:diffusion`, from a
    # query's `ti:`/`au:`/`cat:` words, see ParsedQuery.split_fields). The keyword index applies
    # them; the vector index cannot, so its candidates are checked with `passing` afterwards.
    must: str = ""

    @property
    def empty(self) -> bool:
        return self.empty_metadata and not self.must

    @property
    def by_metadata(self) -> Filter:
        """The clauses on a paper's metadata alone (what the vector index can apply)."""
        return dataclasses.replace(self, must="") if self.must else self

    @property
    def empty_metadata(self) -> bool:
        return (
            not self.categories
            and self.date_from is None
            and self.date_to is None
            and (self.has_code is None and self.on_feed is None)
        )


def day_number(day: dt.date) -> int:
    return (day - EPOCH).days


def category_terms(categories: Iterable[str]) -> list[str]:
    """ "cs.CV" is indexed as "cs.cv" and its archive "cs", so that a filter on "cs" finds it."""
    terms: set[str] = set()
    for category in categories:
        lowered = category.strip().lower()
        if lowered:
            terms.add(lowered)
            terms.add(lowered.split(".")[0])
    return sorted(terms)


def _schema() -> Any:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("paper_id", stored=True, indexed=True, fast=True)
    builder.add_text_field("arxiv_id", stored=True, tokenizer_name="raw")
    builder.add_text_field("title", stored=True, tokenizer_name="en_stem")
    builder.add_text_field("abstract", stored=True, tokenizer_name="en_stem")
    builder.add_text_field("authors", stored=True, tokenizer_name="default")
    builder.add_text_field("categories", stored=True, tokenizer_name="raw")
    builder.add_integer_field("day", stored=False, indexed=True, fast=True)
    builder.add_integer_field("has_code", stored=False, indexed=True, fast=True)
    builder.add_integer_field("on_feed", stored=False, indexed=True, fast=True)
    return builder.build()


class KeywordIndex:
    """A tantivy index in `path`: add/update/delete by paper id, BM25 search with filters."""

    def __init__(self, path: Path, field_boosts: dict[str, float] | None = None) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.schema = _schema()
        self.index = tantivy.Index(self.schema, path=str(path), reuse=True)
        self.field_boosts = field_boosts or {"title": 1.0, "abstract": 1.0, "authors": 1.0}
        self._writer: Any = None

    @classmethod
    def create(cls, path: Path, field_boosts: dict[str, float] | None = None) -> KeywordIndex:
        """A new empty index, replacing whatever was in `path`."""
        if path.exists():
            shutil.rmtree(path)
        return cls(path, field_boosts)

    # Writing -----------------------------------------------------------------------------------

    def _writer_(self) -> Any:
        if self._writer is None:
            self._writer = self.index.writer(heap_size=128_000_000, num_threads=1)
        return self._writer

    def upsert(self, docs: Iterable[KeywordDoc]) -> int:
        """Add or replace documents (by paper id). Call commit() to make them visible."""
        writer = self._writer_()
        count = 0
        for doc in docs:
            writer.delete_documents_by_term("paper_id", doc.paper_id)
            fields: dict[str, Any] = {
                "paper_id": doc.paper_id,
                "arxiv_id": doc.arxiv_id,
                "title": doc.title,
                "abstract": doc.abstract,
                "authors": list(doc.authors) or [""],
                "categories": category_terms(doc.categories) or [""],
                "day": day_number(doc.first_announced) if doc.first_announced else -1,
                "has_code": int(doc.has_code),
                "on_feed": int(doc.on_feed),
            }
            writer.add_document(tantivy.Document(**fields))
            count += 1
        return count

    def delete(self, paper_ids: Iterable[int]) -> None:
        writer = self._writer_()
        for paper_id in paper_ids:
            writer.delete_documents_by_term("paper_id", paper_id)

    def commit(self) -> None:
        if self._writer is not None:
            self._writer.commit()
            self._writer.wait_merging_threads()
            self._writer = None
        self.index.reload()

    # Reading -----------------------------------------------------------------------------------

    @property
    def num_docs(self) -> int:
        return int(self.index.searcher().num_docs)

    def text_query(self, query_string: str) -> Any:
        fields = [f for f in TEXT_FIELDS if self.field_boosts.get(f, 0.0) > 0]
        return self.index.parse_query(
            query_string, default_field_names=fields, field_boosts=self.field_boosts
        )

    def id_query(self, paper_ids: Sequence[int]) -> Any:
        """A zero-scored query matching these paper ids.

        A disjunction of exact id terms: a term-set query on `paper_id` scans the id dictionary,
        ~9 ms a query at 158,898 papers, whatever the number of ids.
        """
        terms = [
            (tantivy.Occur.Should, tantivy.Query.term_query(self.schema, "paper_id", int(p)))
            for p in paper_ids
        ]
        return tantivy.Query.const_score_query(tantivy.Query.boolean_query(terms), 0.0)

    def filter_clauses(self, flt: Filter) -> list[Any]:
        clauses: list[Any] = []
        if flt.categories:
            terms = sorted({c.strip().lower() for c in flt.categories if c.strip()})
            clauses.append(tantivy.Query.term_set_query(self.schema, "categories", terms))
        if flt.date_from is not None or flt.date_to is not None:
            clauses.append(
                tantivy.Query.range_query(
                    self.schema,
                    "day",
                    tantivy.FieldType.Integer,
                    day_number(flt.date_from) if flt.date_from else None,
                    day_number(flt.date_to) if flt.date_to else None,
                )
            )
        if flt.has_code is not None:
            clauses.append(tantivy.Query.term_query(self.schema, "has_code", int(flt.has_code)))
        if flt.on_feed is not None:
            clauses.append(tantivy.Query.term_query(self.schema, "on_feed", int(flt.on_feed)))
        if flt.must:
            clauses.append(self.index.parse_query(flt.must, default_field_names=["title"]))
        return clauses

    def _combine(self, text: Any | None, flt: Filter, ids: Sequence[int] | None = None) -> Any:
        clauses = self.filter_clauses(flt)
        if ids is not None:
            clauses.append(self.id_query(ids))
        if not clauses:
            return text if text is not None else tantivy.Query.all_query()
        must = [(tantivy.Occur.Must, tantivy.Query.const_score_query(c, 0.0)) for c in clauses]
        if text is not None:
            must.insert(0, (tantivy.Occur.Must, text))
        return tantivy.Query.boolean_query(must)

    def search(
        self, query_string: str, flt: Filter = Filter(), limit: int = 100, count: bool = False
    ) -> tuple[list[tuple[int, float]], int]:
        """(paper id, BM25) best first, and how many documents matched.

        Counting every match stops tantivy from skipping blocks that cannot reach the top-k
        (block-max WAND), so without `count` the number is only the hits returned.
        """
        if not query_string.strip():
            return [], 0
        query = self._combine(self.text_query(query_string), flt)
        searcher = self.index.searcher()
        result = searcher.search(query, limit=limit, count=count)
        hits = result.hits
        ids = searcher.fast_field_values("paper_id", [addr for _, addr in hits])
        matched = int(getattr(result, "count", 0) or len(hits)) if count else len(hits)
        return [(int(i or 0), float(s)) for (s, _), i in zip(hits, ids, strict=True)], matched

    def scores_for(self, query_string: str, paper_ids: Sequence[int]) -> dict[int, float]:
        """BM25 of these papers for the query (absent: they match no query word)."""
        if not paper_ids or not query_string.strip():
            return {}
        query = self._combine(self.text_query(query_string), Filter(), paper_ids)
        searcher = self.index.searcher()
        hits = searcher.search(query, limit=len(paper_ids), count=False).hits
        ids = searcher.fast_field_values("paper_id", [addr for _, addr in hits])
        return {int(i or 0): float(s) for (s, _), i in zip(hits, ids, strict=True)}

    def count(self, flt: Filter) -> int:
        """How many papers pass the filter."""
        result = self.index.searcher().search(self._combine(None, flt), limit=1, count=True)
        return int(getattr(result, "count", 0) or 0)

    def newest(self, flt: Filter, limit: int) -> list[int]:
        """The newest papers that pass the filter (by listing day), newest first."""
        searcher = self.index.searcher()
        query = self._combine(None, flt)
        hits = searcher.search(query, limit=max(limit, 1), count=False, order_by_field="day").hits
        return [int(i or 0) for i in searcher.fast_field_values("paper_id", [a for _, a in hits])]

    def passing(self, paper_ids: Sequence[int], flt: Filter) -> set[int]:
        """Those of these papers that pass the filter."""
        if not paper_ids:
            return set()
        if flt.empty:
            return set(paper_ids)
        searcher = self.index.searcher()
        query = self._combine(None, flt, paper_ids)
        hits = searcher.search(query, limit=len(paper_ids), count=False).hits
        return {int(i or 0) for i in searcher.fast_field_values("paper_id", [a for _, a in hits])}

    def filtered_ids(self, flt: Filter, limit: int) -> list[int]:
        """Every paper id that passes the filter (up to `limit`)."""
        searcher = self.index.searcher()
        hits = searcher.search(self._combine(None, flt), limit=max(limit, 1), count=False).hits
        return [int(i or 0) for i in searcher.fast_field_values("paper_id", [a for _, a in hits])]

    def filtered_ids_all(self) -> list[int]:
        """Every paper id in the index."""
        return self.filtered_ids(Filter(), self.num_docs)

    def expansion_terms(
        self, paper_ids: Sequence[int], exclude: set[str], count: int
    ) -> list[tuple[str, float]]:
        """RM3-style feedback terms: frequent in these papers, rare in the index (tf x idf)."""
        if not paper_ids or count <= 0:
            return []
        analyzer = _feedback_analyzer()
        docs = self.documents(paper_ids)
        searcher = self.index.searcher()
        total = max(searcher.num_docs, 1)
        weights: dict[str, float] = {}
        excluded = {t for word in exclude for t in analyzer.analyze(word)}
        for paper_id in paper_ids:
            stored = docs.get(paper_id)
            if stored is None:
                continue
            text = f"{stored['title'][0]} {stored['abstract'][0]}"
            tokens = [t for t in analyzer.analyze(text) if len(t) > 2 and not t.isdigit()]
            if not tokens:
                continue
            for token in set(tokens):
                if token in excluded:
                    continue
                weights[token] = weights.get(token, 0.0) + tokens.count(token) / len(tokens)
        scored = []
        for token, weight in weights.items():
            df = searcher.doc_freq("abstract", token)
            if df <= 1:
                continue  # a typo or a name: no help in finding other papers
            scored.append((token, weight * math.log(total / df)))
        scored.sort(key=lambda item: -item[1])
        return scored[:count]

    def find_arxiv_id(self, arxiv_id: str) -> tuple[int, str, str] | None:
        """(paper id, title, abstract) of an arXiv id, or None."""
        query = tantivy.Query.term_query(self.schema, "arxiv_id", arxiv_id)
        searcher = self.index.searcher()
        hits = searcher.search(query, limit=1, count=False).hits
        if not hits:
            return None
        doc = searcher.doc(hits[0][1]).to_dict()
        return int(doc["paper_id"][0]), doc["title"][0], doc["abstract"][0]

    def documents(self, paper_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """Stored fields of these papers, by paper id."""
        return {pid: fields for pid, (fields, _) in self._stored(paper_ids).items()}

    def _stored(self, paper_ids: Sequence[int]) -> dict[int, tuple[dict[str, Any], Any]]:
        if not paper_ids:
            return {}
        query = self.id_query(paper_ids)
        searcher = self.index.searcher()
        out: dict[int, tuple[dict[str, Any], Any]] = {}
        for _, addr in searcher.search(query, limit=len(paper_ids), count=False).hits:
            doc = searcher.doc(addr)
            fields = doc.to_dict()
            out[int(fields["paper_id"][0])] = (fields, doc)
        return out

    def count_matching(self, words: str, flt: Filter = Filter()) -> int:
        """How many papers passing `flt` contain at least one of these words (space-separated,
        plain words: see `content_words`) in their title, abstract or authors."""
        terms = words.split()
        if not terms:
            # A query of field clauses alone (`cat:cs.LG`): every paper that has them matches.
            return self.count(flt) if flt.must else 0
        query = self._combine(self.text_query(" ".join(terms)), flt)
        result = self.index.searcher().search(query, limit=1, count=True)
        return int(getattr(result, "count", 0) or 0)

    def snippets(
        self, query_string: str, paper_ids: Sequence[int], max_chars: int = 240
    ) -> tuple[dict[int, dict[str, Any]], dict[int, str]]:
        """Stored fields, and escaped abstract excerpts with <mark> around matched words.

        `query_string` says which words to mark (callers pass `content_words` of the query, so
        "of" and "the" are not marked); without any, an excerpt from the start."""
        stored = self._stored(paper_ids)
        out: dict[int, str] = {}
        generator = None
        if query_string.strip():
            generator = tantivy.SnippetGenerator.create(
                self.index.searcher(), self.text_query(query_string), self.schema, "abstract"
            )
            generator.set_max_num_chars(max_chars)
        for paper_id, (fields, doc) in stored.items():
            abstract = " ".join((fields.get("abstract") or [""])[0].split())
            html_text = ""
            if generator is not None:
                snippet = generator.snippet_from_doc(doc)
                html_text = highlight_html(snippet.fragment(), snippet.highlighted())
            if not html_text.strip():
                cut = abstract[:max_chars]
                html_text = html.escape(cut + ("…" if len(abstract) > max_chars else ""))
            out[paper_id] = " ".join(html_text.split())
        return {pid: fields for pid, (fields, _) in stored.items()}, out


@functools.lru_cache(maxsize=1)
def _feedback_analyzer() -> Any:
    """The en_stem analysis plus English stop words, for picking feedback terms."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.stopword("english"))
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


@functools.lru_cache(maxsize=1)
def _stop_words() -> Any:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.stopword("english"))
        .build()
    )


def content_words(words: Iterable[str]) -> list[str]:
    """The words worth marking and counting: lower case, no English stop words ("of", "the",
    "is" ...; tantivy's list), no duplicates, only letters and digits (safe as a query)."""
    analyzer = _stop_words()
    return list(dict.fromkeys(token for word in words for token in analyzer.analyze(word)))


def highlight_html(fragment: str, ranges: Sequence[Any]) -> str:
    """Escape `fragment` and wrap the highlighted byte ranges in <mark>."""
    raw = fragment.encode("utf-8")
    parts: list[str] = []
    last = 0
    for rng in sorted(ranges, key=lambda r: r.start):
        start, end = int(rng.start), int(rng.end)
        if start < last:
            continue
        parts.append(html.escape(raw[last:start].decode("utf-8", "replace")))
        parts.append("<mark>" + html.escape(raw[start:end].decode("utf-8", "replace")) + "</mark>")
        last = end
    parts.append(html.escape(raw[last:].decode("utf-8", "replace")))
    return "".join(parts)
