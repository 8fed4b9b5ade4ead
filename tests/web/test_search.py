"""Search pages and API over a real (keyword) index built from the test database."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from tests.web.conftest import Seed

from papertide.config import Settings
from papertide.web.app import create_app


@pytest.fixture
def indexed(web_settings: Settings, engine: Engine, seed: Seed) -> Iterator[TestClient]:
    from papertide.search.api import get_searcher

    get_searcher(web_settings).sync(engine, embed=False)
    with TestClient(create_app(web_settings, engine=engine)) as client:
        yield client


def test_search_page_finds_papers_with_snippets_and_relevance(indexed: TestClient) -> None:
    page = indexed.get("/search?q=attention")
    assert page.status_code == 200
    assert "Alpha: attention for all" in page.text
    assert 'class="relevance"' in page.text
    body = indexed.get("/api/papers/search?q=attention&limit=5").json()
    assert body[0]["paper"]["id"] == "2608.00001"
    assert {"relevance", "score", "snippet"} <= set(body[0])


def test_category_filter_is_applied(indexed: TestClient) -> None:
    everything = indexed.get("/search.json?q=vision+attention+language").json()["results"]
    only_cv = indexed.get("/search.json?q=vision+attention+language&category=cs.CV").json()
    ids = [r["paper"]["id"] for r in only_cv["results"]]
    assert ids == ["2608.00005"]
    assert len(everything) >= len(ids)


def test_search_bad_input(indexed: TestClient) -> None:
    assert indexed.get("/search?q=" + "x" * 1001).status_code == 422
    empty = indexed.get("/api/papers/search?q=")
    assert empty.json() == [] and "empty" in empty.headers["X-Search-Message"]
    bad_date = indexed.get("/search.json?q=attention&from=2026-99-01")
    assert bad_date.status_code == 400 and bad_date.json()["error"]["code"] == "bad_date"
    assert indexed.get("/search?q=attention&page=-1").status_code == 422
    html = indexed.get("/search?q=<script>alert(1)</script>").text
    assert "<script>alert(1)</script>" not in html


def test_without_an_index_search_says_so(client: TestClient, seed: Seed) -> None:
    page = client.get("/search?q=attention")
    assert page.status_code == 200
    assert "search index not built" in page.text and "papertide index rebuild" in page.text


def test_search_page_offers_the_query_as_atom_feed_and_email_alert(indexed: TestClient) -> None:
    import feedparser

    page = indexed.get("/search?q=attention&category=cs.CL").text
    assert 'href="/search.atom?q=attention&amp;category=cs.CL' in page
    assert 'href="/subscribe?kind=search&amp;q=attention"' in page
    feed = feedparser.parse(indexed.get("/search.atom?q=attention&category=cs.CL").content)
    assert not feed.bozo
    assert all("cs.CL" in {t.term for t in e.tags} for e in feed.entries)
    form = indexed.get("/subscribe?kind=search&q=attention").text
    assert 'value="attention"' in form


def test_overlong_queries_are_refused_with_a_clear_message(indexed: TestClient) -> None:
    api = indexed.get("/api/papers/search", params={"q": "x" * 1001})
    assert api.status_code == 422
    assert "1,000" in api.text or "1000" in api.text


def test_results_under_the_calibrated_cutoff_sit_below_a_divider(indexed: TestClient) -> None:
    from papertide.search.params import load_params

    # Indexed without vectors: keyword search judged by the BM25-evidence model and its line.
    cutoff = load_params().min_relevance["keyword_text"]
    page = indexed.get("/search?q=attention").text
    results = indexed.get("/search.json?q=attention").json()["results"]
    below = [r for r in results if r["relevance"] < cutoff]
    assert ('class="cutoff"' in page) == bool(below)


def test_the_category_filter_is_built_from_the_categories_held_here(indexed: TestClient) -> None:
    page = indexed.get("/search?q=attention").text
    select_html = page[page.index('<select id="f-cat"') : page.index("</select>")]
    options = dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select_html))
    # The seed holds five papers in cs.AI, four in cs.CL and one in cs.CV; cs.LG, one of the
    # followed categories in the settings, has no paper here.
    assert options == {
        "": "Any",
        "cs": "cs: all",
        "cs.AI": "cs.AI (5)",
        "cs.CL": "cs.CL (4)",
        "cs.CV": "cs.CV (1)",
    }


def test_sorting_by_upvotes_or_time_reads_votes_and_dates_from_the_database(
    indexed: TestClient,
) -> None:
    # "things" is in every seeded abstract; votes 5, 12, 0 (feed), 30 (the day before), none.
    by_votes = indexed.get("/search.json?q=things&sort=votes").json()
    line = by_votes["cutoff"]
    for part in (
        [r for r in by_votes["results"] if r["relevance"] >= line],
        [r for r in by_votes["results"] if r["relevance"] < line],
    ):
        votes = [r["paper"]["upvotes"] for r in part]
        assert votes == sorted(votes, reverse=True)
    assert {r["paper"]["id"] for r in by_votes["results"]} == {f"2608.0000{i}" for i in range(1, 6)}
    newest = indexed.get("/search.json?q=things&sort=time").json()["results"]
    for part in (
        [r for r in newest if r["relevance"] >= line],
        [r for r in newest if r["relevance"] < line],
    ):
        days = [r["paper"]["publishedAt"] for r in part]
        assert days == sorted(days, reverse=True)
    assert any(r["paper"]["id"] == "2608.00004" for r in newest)  # the older one is there


def test_query_words_inside_latex_are_marked_in_the_converted_text(
    web_settings: Settings, engine: Engine, seed: Seed
) -> None:
    """The index marks "Mpc" inside `$…\\mathrm{Mpc}…$`; the card converts that math to text,
    and the mark must survive as a real, balanced <mark>, not as literal "< mark >" text."""
    from sqlalchemy.orm import Session
    from tests.web.conftest import add_paper

    from papertide.search.api import get_searcher

    with Session(engine) as session:
        add_paper(
            session,
            "2608.00010",
            "Galaxy clustering on large scales",
            abstract=r"We measure the power spectrum for $k<0.8\,h\,\mathrm{Mpc}^{-1}$ and "
            r"filaments of $R_{200}$ near 2 Mpc, with $\mathcal{O}(1)$ errors.",
        )
        session.commit()
    get_searcher(web_settings).sync(engine, embed=False)
    with TestClient(create_app(web_settings, engine=engine)) as client:
        for query in ("Mpc", "mpc filaments"):
            page = client.get("/search", params={"q": query}).text
            card = page[page.index('id="p-2608.00010"') :]
            snippet = card[card.index('<p class="snippet">') :]
            snippet = snippet[: snippet.index("</p>")]
            assert "&lt;" not in snippet.replace("k &lt; 0.8", ""), snippet
            assert "&lt; mark &gt;" not in snippet and "< mark >" not in snippet, snippet
            assert snippet.count("<mark>") == snippet.count("</mark>") >= 2, snippet
            assert "<mark>Mpc</mark>⁻¹" in snippet, snippet
            assert "k &lt; 0.8" in snippet, snippet  # a "<" of the math stays text


def test_bad_search_parameters_show_the_form_with_the_query_and_a_plain_message(
    indexed: TestClient,
) -> None:
    cases = {
        "q=" + "x" * 5000: "Your query is 5,000 characters long; at most 1,000 can be searched",
        "q=attention&page=200": "There is no results page &#39;200&#39;: pages go from 0 to 9",
        "q=attention&page=-1": "There is no results page &#39;-1&#39;",
        "q=attention&sort=bogus": "Unknown order &#39;bogus&#39;: sort by relevance, time or votes",
        "q=attention&has_code=maybe": "has_code is &#39;maybe&#39;: use true",
        "q=attention&from=2026-99-01": "Not a date: &#39;2026-99-01&#39;; use YYYY-MM-DD.",
    }
    for query, message in cases.items():
        page = indexed.get("/search?" + query)
        assert page.status_code == 422, query
        assert message in page.text, (query, page.text[-2000:])
        assert '<form method="get" action="/search" role="search">' in page.text
        assert "Input should be" not in page.text and "Something went wrong" not in page.text
        kept = "x" * 1000 if query.startswith("q=x") else "attention"
        assert f'id="q" name="q" type="search" value="{kept}"' in page.text, query
    # Both search boxes take no more than a search accepts.
    page = indexed.get("/search?q=attention").text
    assert 'id="q-top" name="q" type="search" maxlength="1000"' in page
    assert 'id="q" name="q" type="search" value="attention" maxlength="1000"' in page
    # The JSON twin keeps clear 4xx JSON errors.
    api = indexed.get("/search.json?q=attention&sort=bogus")
    assert api.status_code == 422 and "Unknown order" in api.json()["error"]["message"]
    long = indexed.get("/search.json?q=" + "x" * 1001)
    assert long.status_code == 422 and long.json()["error"]["code"] == "query_too_long"
    assert indexed.get("/search.json?q=attention&from=2026-99-01").json()["error"]["code"] == (
        "bad_date"
    )


def test_a_misspelt_word_gets_a_did_you_mean_link_that_keeps_the_filters(
    indexed: TestClient,
) -> None:
    # Every seed abstract says "We study things ...": "thnigs" is in no paper, one swap away.
    body = indexed.get("/search.json", params={"q": "thnigs", "category": "cs.CL"}).json()
    assert body["suggestion"] == "things"
    api = indexed.get("/api/papers/search", params={"q": "thnigs"})
    assert api.headers["X-Search-Suggestion"] == "things" and isinstance(api.json(), list)
    assert "X-Search-Suggestion" not in indexed.get("/api/papers/search?q=things").headers
    page = indexed.get("/search", params={"q": "thnigs", "category": "cs.CL", "sort": "time"})
    link = re.search(r'<p class="did-you-mean"[^>]*>Did you mean <a href="([^"]+)"', page.text)
    assert link is not None
    assert link.group(1).replace("&amp;", "&") == "/search?q=things&category=cs.CL&sort=time"
    # the corrected search has no suggestion of its own, and finds the papers
    fixed = indexed.get("/search.json", params={"q": "things", "category": "cs.CL"}).json()
    assert fixed["suggestion"] is None and fixed["results"]
    assert "did-you-mean" not in indexed.get("/search?q=things").text


def test_results_say_which_query_words_they_lack(indexed: TestClient) -> None:
    # Every seed abstract has "things"; no paper has "giraffe".
    body = indexed.get("/search.json", params={"q": "things giraffe"}).json()
    assert body["results"] and all(r["missing"] == ["giraffe"] for r in body["results"])
    api = indexed.get("/api/papers/search", params={"q": "things giraffe"}).json()
    assert api and all(item["missing"] == ["giraffe"] for item in api)
    page = indexed.get("/search", params={"q": "things giraffe"}).text
    assert page.count('<span class="missing"') == len(body["results"])
    assert "Missing: <s>giraffe</s>" in page
    whole = indexed.get("/search.json", params={"q": "things"}).json()
    assert whole["results"] and all(r["missing"] == [] for r in whole["results"])
    assert 'class="missing"' not in indexed.get("/search", params={"q": "things"}).text
