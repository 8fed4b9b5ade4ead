"""The search API against a real index built from a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, delete, select

from papertide.config import Settings
from papertide.models import FeedRecord, PaperRecord
from papertide.search.api import QueryTooLong, Searcher, SearchFilters
from papertide.search.keyword import KeywordIndex
from papertide.store.feed import upsert_feed_entries
from papertide.store.schema import Embedding, Paper

from .conftest import records


def ids(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.arxiv_id for r in response.results]


def test_missing_index_is_reported_not_silently_empty(searcher: Searcher) -> None:
    response = searcher.search("graph neural networks")
    assert response.results == []
    assert response.message is not None and "papertide index rebuild" in response.message


def test_keyword_search_works_before_any_vector_exists(corpus: Engine, searcher: Searcher) -> None:
    searcher.sync(corpus, embed=False)
    response = searcher.search("graph neural networks", min_relevance=0.0)
    assert ids(response)[0] == "2401.00001"
    assert response.mode == "keyword"
    assert response.message is not None and "0% embedded" in response.message


def test_semantic_results_join_once_vectors_are_stored(corpus: Engine, searcher: Searcher) -> None:
    searcher.sync(corpus, embed=False)
    report = searcher.sync(corpus)  # embeds the eight papers
    assert report.vectors == 8
    with corpus.connect() as conn:
        assert conn.execute(select(Embedding.model).distinct()).scalars().all() == [
            searcher.embedder.name
        ]
    # no word in common with the dark-matter abstract: only the vectors can find it
    response = searcher.search(
        "invisible mass around small galaxies", mode="semantic", min_relevance=0.0
    )
    assert ids(response)[0] == "2401.00004"
    assert response.results[0].keyword_score is None
    hybrid = searcher.search("graph neural networks molecules", min_relevance=0.0)
    assert hybrid.mode == "hybrid" and hybrid.message is None
    top = hybrid.results[0]
    assert top.arxiv_id == "2401.00001"
    assert top.keyword_score and top.keyword_score > 0 and top.semantic_score is not None
    assert 0.0 <= top.relevance <= 1.0
    # scores come best first
    assert [r.score for r in hybrid.results] == sorted(
        (r.score for r in hybrid.results), reverse=True
    )


def test_filters_apply_inside_retrieval(corpus: Engine, searcher: Searcher) -> None:
    searcher.sync(corpus)
    for mode in ("keyword", "semantic", "hybrid"):
        check_filters(searcher, mode)


def check_filters(searcher: Searcher, mode: str) -> None:

    def search(filters: SearchFilters) -> list[str]:
        return ids(
            searcher.search("graph neural networks", filters, limit=1, min_relevance=0.0, mode=mode)
        )  # type: ignore[arg-type]

    # the best match overall is a cs.LG paper; limited to maths, the Ramsey paper (on graphs)
    # must come back even with limit=1: the filter is not a cut of the unfiltered top-1
    assert search(SearchFilters()) == ["2401.00001"]
    assert search(SearchFilters(categories=("math",))) == ["2401.00005"]
    assert search(SearchFilters(categories=("math.CO",))) == ["2401.00005"]
    every = searcher.search(
        "graph neural networks",
        SearchFilters(categories=("cs",)),
        limit=20,
        min_relevance=0.0,
        mode=mode,
    )  # type: ignore[arg-type]
    assert ids(every) and all(
        i in {"2401.00001", "2401.00002", "2401.00003", "2401.00006", "2401.00008"}
        for i in ids(every)
    )
    dated = SearchFilters(date_from=dt.date(2024, 3, 1), date_to=dt.date(2024, 3, 31))
    assert search(dated)[0] in {"2401.00005", "2401.00006", "2401.00007"}
    with_code = ids(
        searcher.search(
            "graph neural networks",
            SearchFilters(has_code=True),
            limit=20,
            min_relevance=0.0,
            mode=mode,
        )
    )  # type: ignore[arg-type]
    assert with_code and set(with_code) <= {"2401.00002", "2401.00006"}
    feed = ids(
        searcher.search(
            "neural models", SearchFilters(on_feed=True), limit=20, min_relevance=0.0, mode=mode
        )
    )  # type: ignore[arg-type]
    assert feed == ["2401.00008"]
    assert search(SearchFilters(categories=("nonexistent.XX",))) == []


def test_incremental_sync_adds_updates_and_removes(
    corpus: Engine, searcher: Searcher, add_papers: Callable[[list[PaperRecord]], None]
) -> None:
    first = searcher.sync(corpus)
    assert first.rebuilt and first.keyword_docs == 8
    assert searcher.search("exoplanet atmospheres", mode="keyword").results == []

    add_papers(
        [
            PaperRecord.build(
                arxiv_id="2401.00009",
                title="Exoplanet atmospheres with JWST",
                abstract="Transmission spectra of hot Jupiters.",
                categories=["astro-ph.EP"],
                first_announced=dt.date(2024, 5, 1),
                versions=[(1, None)],
            )
        ]
    )
    report = searcher.sync(corpus)
    assert not report.rebuilt and report.papers_indexed == 1 and report.vectors == 9
    assert ids(searcher.search("exoplanet atmospheres", min_relevance=0.0))[0] == "2401.00009"

    # a new version with a new title replaces the old text
    add_papers(
        [
            PaperRecord.build(
                arxiv_id="2401.00009",
                title="Brown dwarf weather maps",
                abstract="Doppler imaging of clouds.",
                categories=["astro-ph.SR"],
                versions=[(2, None)],
            )
        ]
    )
    searcher.sync(corpus)
    assert "2401.00009" not in ids(searcher.search("exoplanet", mode="keyword", min_relevance=0))
    assert ids(searcher.search("brown dwarf weather", min_relevance=0.0))[0] == "2401.00009"
    assert (
        ids(
            searcher.search(
                "weather", SearchFilters(categories=("astro-ph.EP",)), min_relevance=0.0
            )
        )
        == []
    )

    # a paper put on the feed after indexing is found by the on-feed filter after a sync
    with corpus.begin() as conn:
        upsert_feed_entries(conn, [FeedRecord(paper=records()[4], feed_date=dt.date(2024, 5, 2))])
    searcher.sync(corpus)
    feed = ids(searcher.search("Ramsey graphs", SearchFilters(on_feed=True), min_relevance=0.0))
    assert feed[0] == "2401.00005" and set(feed) <= {"2401.00005", "2401.00008"}

    # a paper deleted from the database leaves the index
    with corpus.begin() as conn:
        conn.execute(delete(Paper).where(Paper.arxiv_id == "2401.00009"))
    report = searcher.sync(corpus)
    assert report.papers_deleted == 1 and report.keyword_docs == 8
    assert "2401.00009" not in ids(searcher.search("brown dwarf weather", min_relevance=0.0))


def test_a_sync_with_nothing_new_leaves_the_index_files_alone(
    corpus: Engine, searcher: Searcher, settings: Settings
) -> None:
    searcher.sync(corpus)
    assert ids(searcher.search("Ramsey graphs", min_relevance=0.0))
    engine_before = searcher._current()
    state = settings.effective_index_dir / "state.json"
    stamp = state.stat().st_mtime_ns
    report = searcher.sync(corpus)
    # Followers sync every few seconds: with no change, no file is rewritten, so searchers keep
    # their open indexes instead of reloading them (at a million papers, a large graph).
    assert report.notes == ["up to date"] and report.keyword_docs == 8
    assert state.stat().st_mtime_ns == stamp
    assert searcher._current() is engine_before


BAD_INPUTS = [
    '"unbalanced quote',
    "stray : colon",
    "AND",
    "OR NOT",
    "*",
    "ti:",
    'au:"',
    "(((",
    "graph AND",
    "😀🚀",
    "$\\mathbb{R}^n$ manifolds",
    "'; DROP TABLE papers; --",
    "SELECT * FROM papers WHERE 1=1",
    "\x00\x1f control",
    "a" * 1000,
    "ｇｒａｐｈ",
]


def test_bad_input_is_searched_as_plain_text(corpus: Engine, searcher: Searcher) -> None:
    searcher.sync(corpus)
    for mode in ("keyword", "semantic", "hybrid"):
        for typed in BAD_INPUTS:
            response = searcher.search(typed, min_relevance=0.0, mode=mode)  # type: ignore[arg-type]
            assert response.query == typed
            if not re.search(r"\w", typed):
                assert response.results == [], typed
                assert response.message == "no searchable words in the query"
            for result in response.results:
                assert 0.0 <= result.relevance <= 1.0
    # "AND" is a word here, not an operator missing its right side
    graph = ids(searcher.search("graph AND", mode="keyword", min_relevance=0.0))
    assert graph[0] in {"2401.00001", "2401.00005"}


def test_sql_looking_query_is_only_text(corpus: Engine, searcher: Searcher) -> None:
    searcher.sync(corpus)
    searcher.search("'; DROP TABLE papers; --", min_relevance=0.0)
    with corpus.connect() as conn:
        assert len(conn.execute(select(Paper.id)).all()) == 8


def test_empty_and_too_long_queries(corpus: Engine, searcher: Searcher) -> None:
    searcher.sync(corpus, embed=False)
    empty = searcher.search("   ")
    assert empty.results == [] and empty.message == "empty query"
    with pytest.raises(QueryTooLong):
        searcher.search("x" * 1001)
    with pytest.raises(ValueError, match="mode"):
        searcher.search("graphs", mode="fuzzy")  # type: ignore[arg-type]


def test_snippets_are_escaped_with_mark_highlights_only(
    corpus: Engine, searcher: Searcher, add_papers: Callable[[list[PaperRecord]], None]
) -> None:
    add_papers(
        [
            PaperRecord.build(
                arxiv_id="2401.00010",
                title="Escaping <b>markup</b>",
                abstract="A <script>alert(1)</script> payload & quantum "
                "tomography of <i>qubits</i>.",
                categories=["quant-ph"],
            )
        ]
    )
    searcher.sync(corpus, embed=False)
    result = searcher.search("quantum tomography", mode="keyword", min_relevance=0.0).results[0]
    assert result.arxiv_id == "2401.00010"
    assert "<mark>quantum</mark>" in result.snippet_html
    assert "&lt;script&gt;" in result.snippet_html
    assert set(re.findall(r"</?(\w+)", result.snippet_html)) == {"mark"}
    # A page that sorts a long ranking asks for the excerpts of the papers it shows only.
    bare = searcher.search("quantum tomography", mode="keyword", min_relevance=0.0, snippets=False)
    assert bare.results[0].arxiv_id == "2401.00010"
    assert all(r.snippet_html == "" for r in bare.results)
    assert searcher.snippets("quantum tomography", [result.paper_id]) == {
        result.paper_id: result.snippet_html
    }


def test_pagination_and_cutoff(corpus: Engine, searcher: Searcher) -> None:
    searcher.sync(corpus)
    everything = searcher.search("learning", limit=8, min_relevance=0.0)
    page = searcher.search("learning", limit=2, offset=2, min_relevance=0.0)
    assert ids(page) == ids(everything)[2:4]
    strict = searcher.search("learning", limit=8, min_relevance=0.999)
    assert len(strict.results) <= len(everything.results)
    assert all(r.relevance >= 0.999 for r in strict.results)


def test_related_papers_exclude_the_paper_itself(corpus: Engine, searcher: Searcher) -> None:
    searcher.sync(corpus)
    related = searcher.related("2401.00008", limit=3)
    assert related and "2401.00008" not in [r.arxiv_id for r in related]
    assert len(related) <= 3
    assert searcher.related("2401.00008v2", limit=3)[0].arxiv_id == related[0].arxiv_id
    assert searcher.related("9999.99999") == []


def test_related_papers_of_an_old_style_versioned_id_look_up_the_stored_id(
    corpus: Engine,
    searcher: Searcher,
    add_papers: Callable[[list[PaperRecord]], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old = PaperRecord.build(
        arxiv_id="solv-int/9901001",
        title="Language models of integrable lattices",
        abstract="Solitons on a lattice, read by large language models.",
        categories=["solv-int"],
    )
    add_papers([old])
    searcher.sync(corpus)
    looked_up: list[str] = []
    find = KeywordIndex.find_arxiv_id
    monkeypatch.setattr(
        KeywordIndex,
        "find_arxiv_id",
        lambda self, arxiv_id: looked_up.append(arxiv_id) or find(self, arxiv_id),
    )
    related = searcher.related("solv-int/9901001v2", limit=3)
    assert looked_up == ["solv-int/9901001"]
    assert related and "solv-int/9901001" not in [r.arxiv_id for r in related]
    assert [r.arxiv_id for r in searcher.related("solv-int/9901001", limit=3)] == [
        r.arxiv_id for r in related
    ]
    assert searcher.related("not an id") == []


def test_rebuild_replaces_the_index_and_a_new_searcher_reads_it(
    corpus: Engine, searcher: Searcher, settings: Settings
) -> None:
    report = searcher.rebuild(corpus)
    assert report.rebuilt and report.keyword_docs == 8
    other = Searcher(dataclasses.replace(settings) if False else settings)
    assert ids(other.search("Ramsey", mode="keyword", min_relevance=0.0)) == ["2401.00005"]


def test_relevance_never_increases_down_the_ranking(corpus: Engine, searcher: Searcher) -> None:
    searcher.sync(corpus)
    for query in ("learning", "graphs and galaxies", "language models translation"):
        rel = [r.relevance for r in searcher.search(query, limit=8, min_relevance=0.0).results]
        assert rel == sorted(rel, reverse=True)
        # the default cutoff keeps a prefix of the full ranking
        default = searcher.search(query, limit=8)
        assert (
            ids(default)
            == ids(searcher.search(query, limit=8, min_relevance=0.0))[: len(default.results)]
        )


def test_damaged_index_is_reported_and_a_sync_repairs_it(
    corpus: Engine, searcher: Searcher, settings: Settings
) -> None:
    searcher.sync(corpus)
    (settings.effective_index_dir / "vectors" / "meta.json").write_text("{not json")
    fresh = Searcher(settings)
    response = fresh.search("Ramsey graphs")
    assert response.results == []
    assert response.message and "unreadable" in response.message
    assert "papertide index rebuild" in response.message
    report = fresh.sync(corpus)  # the periodic sync repairs it too
    assert report.rebuilt and "unreadable" in report.notes[0]
    assert ids(fresh.search("Ramsey graphs", min_relevance=0.0))[0] == "2401.00005"
