"""The bundled sample's 3,885 real arXiv papers, indexed with the bundled model, for tests of
how queries behave (`bundled_sample` builds one per test module: SQLite, the index and the
ranking do not depend on the database)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import index_sample_papers, sqlite_instance

from papertide.models import PaperRecord
from papertide.search.api import Searcher, SearchFilters, SearchResponse, get_searcher


@dataclass
class Sample:
    searcher: Searcher
    papers: dict[str, PaperRecord]

    @property
    def line(self) -> float:
        return self.searcher.params.min_relevance["hybrid"]

    def relevant(self, query: str) -> list[str]:
        """arXiv ids above the default line, best first."""
        return [r.arxiv_id for r in self.searcher.search(query, limit=200).results]

    def ranked(self, query: str, limit: int = 20) -> list[tuple[str, float]]:
        results = self.searcher.search(query, limit=limit, min_relevance=0.0).results
        return [(r.arxiv_id, r.relevance) for r in results]

    def search(self, query: str, **filters: object) -> SearchResponse:
        """The first 200 ranked papers with the matching count, as the search page asks."""
        return self.searcher.search(
            query,
            SearchFilters(**filters),  # type: ignore[arg-type]
            limit=200,
            min_relevance=0.0,
            count_matching=True,
        )

    def above(self, response: SearchResponse) -> dict[str, float]:
        """The results above the default line, with their probabilities."""
        return {r.arxiv_id: r.relevance for r in response.results if r.relevance >= self.line}

    def by(self, surname: str) -> set[str]:
        return {
            a
            for a, p in self.papers.items()
            if any(name.split()[-1] == surname for name in p.authors)
        }

    def text(self, arxiv_id: str) -> str:
        paper = self.papers[arxiv_id]
        return f"{paper.title} {paper.abstract}".lower()

    def in_category(self, arxiv_id: str, category: str) -> bool:
        categories = self.papers[arxiv_id].categories
        return any(c == category or c.startswith(f"{category}.") for c in categories)


def bundled_sample(folder: Path) -> Iterator[Sample]:
    with sqlite_instance(folder) as (settings, engine):
        records = index_sample_papers(settings, engine)
        yield Sample(get_searcher(settings), {r.arxiv_id: r for r in records})
