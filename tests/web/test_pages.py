"""Reading pages and their JSON twins: feed, weeks, months, papers, categories, errors."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests.web.conftest import DAY, Seed, add_entry, add_paper

from papertide.config import Settings
from papertide.store.schema import PaperCategory
from papertide.web.app import create_app


def titles_in_order(html: str, titles: list[str]) -> list[int]:
    return [html.index(t) for t in titles]


def test_day_feed_lists_that_days_papers_most_voted_first(reader: TestClient) -> None:
    page = reader.get(f"/papers/date/{DAY.isoformat()}")
    assert page.status_code == 200
    positions = titles_in_order(page.text, ["Beta", "Alpha: attention", "Gamma rays"])
    assert positions == sorted(positions)
    # Yesterday's paper is not on the day's feed (a suggestion's reason may name it: the
    # same authors' picked paper).
    feed = page.text.split('id="suggested"')[0]
    assert "Gamma rays" in feed and "Delta yesterday" not in feed
    assert 'rel="prev"' in page.text and f"/papers/date/{(DAY - dt.timedelta(days=1))}" in page.text


def test_home_falls_back_to_the_latest_day_and_says_so(reader: TestClient) -> None:
    page = reader.get("/")
    assert page.status_code == 200
    assert "showing the latest day with papers" in page.text
    assert 'rel="alternate" type="application/atom+xml"' in page.text
    assert reader.get("/feed.atom").status_code == 200  # served by papertide.feeds
    assert "Alpha: attention for all" in page.text


def test_weekend_day_explains_that_arxiv_does_not_announce(reader: TestClient) -> None:
    saturday = DAY + dt.timedelta(days=(5 - DAY.weekday()))
    page = reader.get(f"/papers/date/{saturday.isoformat()}")
    assert page.status_code == 200
    assert "does not announce new papers on weekends" in page.text


def test_an_empty_past_weekday_says_there_were_none_and_only_today_on_says_yet(
    reader: TestClient,
) -> None:
    for past in ("2026-07-01", "1900-01-01"):  # a Wednesday, a Monday
        page = reader.get(f"/papers/date/{past}").text
        assert "There were no papers on this day&#39;s feed." in page, past
        assert "yet" not in page.split('class="note"')[1].split("</p>")[0], past
    future = (dt.date.today() + dt.timedelta(days=7 - dt.date.today().weekday())).isoformat()
    page = reader.get(f"/papers/date/{future}").text  # next Monday: nothing announced yet
    assert "No papers on this day&#39;s feed yet." in page


def test_week_and_month_views_cover_both_days(reader: TestClient) -> None:
    iso = DAY.isocalendar()
    for url in (f"/papers/week/{iso.year}-W{iso.week:02d}", f"/papers/month/{DAY:%Y-%m}"):
        page = reader.get(url)
        assert page.status_code == 200
        assert "Delta yesterday" in page.text and "Alpha: attention" in page.text


def test_json_twin_uses_hugging_face_field_names(reader: TestClient) -> None:
    body = reader.get(f"/papers/date/{DAY.isoformat()}.json").json()
    assert [e["paper"]["id"] for e in body] == ["2608.00002", "2608.00001", "2608.00003"]
    first = body[1]
    assert first["paper"]["authors"] == [{"name": "Ada Lovelace"}, {"name": "Alan Turing"}]
    assert first["paper"]["upvotes"] == 5
    assert first["submittedBy"]["name"] == first["submittedBy"]["user"] == "reader-1"
    for key in ("publishedAt", "title", "summary", "numComments"):
        assert key in first
    for key in ("githubRepo", "githubStars", "projectPage", "publishedAt", "summary"):
        assert key in first["paper"]


def test_titles_are_escaped_everywhere(reader: TestClient) -> None:
    for url in (f"/papers/date/{DAY}", "/papers/2608.00002", "/trending?window=week"):
        html = reader.get(url).text
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_paper_page_shows_versions_links_bibtex_and_math(reader: TestClient) -> None:
    page = reader.get("/papers/2608.00001")
    assert page.status_code == 200
    html = page.text
    assert "v1" in html and "v2" in html
    assert "https://arxiv.org/pdf/2608.00001" in html
    assert "https://github.com/example/repo" in html
    assert "@misc{" in html and "eprint = {2608.00001}" in html
    assert "/static/vendor/katex/katex.min.js" in html and "$x^2$" in html
    assert "Related papers" in html


def test_versioned_id_redirects_to_the_canonical_page(reader: TestClient) -> None:
    response = reader.get("/papers/2608.00001v2")
    assert response.status_code == 301
    assert response.headers["location"] == "/papers/2608.00001"


def test_old_style_ids_with_a_subject_class_find_the_stored_archive_form(
    client: TestClient, engine: Engine
) -> None:
    with Session(engine) as session:
        add_paper(session, "math/0601001", "Moduli of curves", category="math.AG")
        add_paper(session, "solv-int/9901001", "Solitons on a lattice", category="solv-int")
        session.commit()
    response = client.get("/papers/math.AG/0601001")
    assert response.status_code == 301
    assert response.headers["location"] == "/papers/math/0601001"
    page = client.get("/papers/math/0601001")
    assert page.status_code == 200 and "Moduli of curves" in page.text
    assert client.get("/api/papers/math.AG/0601001v2").json()["id"] == "math/0601001"
    assert client.get("/papers/math.AG/0601001.json").headers["location"] == (
        "/papers/math/0601001.json"
    )
    versioned = client.get("/papers/solv-int/9901001v2")
    assert versioned.headers["location"] == "/papers/solv-int/9901001"
    assert client.get("/papers/solv-int/9901001").status_code == 200


def test_unknown_paper_is_a_404_page_and_a_json_error(reader: TestClient) -> None:
    page = reader.get("/papers/2608.99999")
    assert page.status_code == 404
    assert "text/html" in page.headers["content-type"] and "Not found" in page.text
    api = reader.get("/api/papers/2608.99999")
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "not_found"
    twin = reader.get("/papers/2608.99999.json")
    assert twin.status_code == 404 and twin.json()["error"]["code"] == "not_found"
    garbage = reader.get("/papers/not-an-id")
    assert garbage.status_code == 404
    nowhere = reader.get("/api/nothing/here")
    assert nowhere.status_code == 404 and nowhere.json()["error"]["code"] == "not_found"


def test_bad_dates_weeks_and_months_are_400_with_a_reason(reader: TestClient) -> None:
    for url, code in (
        ("/papers/date/2026-13-45", "bad_date"),
        ("/papers/date/yesterday", "bad_date"),
        ("/papers/week/2026-W60", "bad_week"),
        ("/papers/month/2026-00", "bad_month"),
    ):
        page = reader.get(url)
        assert page.status_code == 400, url
        assert "text/html" in page.headers["content-type"]
        as_json = reader.get(url + ".json")
        assert as_json.status_code == 400
        assert as_json.json()["error"]["code"] == code


def test_category_listing_and_json(reader: TestClient) -> None:
    page = reader.get("/c/cs.CV")
    assert page.status_code == 200 and "Epsilon vision" in page.text
    assert "Alpha" not in page.text
    body = reader.get("/c/cs.AI.json").json()
    assert len(body) == 5
    assert reader.get("/c/<b>").status_code == 404


def test_user_page_lists_submissions(reader: TestClient) -> None:
    page = reader.get("/u/reader-1")
    assert page.status_code == 200 and "Alpha: attention for all" in page.text
    assert reader.get("/u/reader-1.json").json()["submissions"][0]["paper"]["id"] == "2608.00001"
    assert reader.get("/u/nobody-here").status_code == 404


def test_every_response_has_a_csp_without_any_cdn(reader: TestClient) -> None:
    for url in ("/", "/docs", "/papers/2608.00001", "/api/daily_papers", "/nothing"):
        response = reader.get(url)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "default-src 'self'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert "cdn" not in response.text.lower()


def test_openapi_and_offline_docs(reader: TestClient) -> None:
    schema = reader.get("/openapi.json").json()
    assert "/api/daily_papers" in schema["paths"] and "/api/papers/search" in schema["paths"]
    docs = reader.get("/docs")
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs.text
    assert reader.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
    assert reader.get("/static/vendor/htmx.min.js").status_code == 200


def test_api_docs_page_has_the_site_navigation_and_follows_dark_mode(reader: TestClient) -> None:
    page = reader.get("/docs").text
    assert '<nav class="bar" aria-label="Main">' in page
    assert '<a href="/trending"' in page and 'action="/search"' in page
    assert '<meta name="color-scheme" content="light dark">' in page
    assert '<script src="/static/swagger-init.js"' in page
    script = reader.get("/static/swagger-init.js").text
    assert "prefers-color-scheme: dark" in script and "dark-mode" in script
    assert reader.get("/static/swagger-theme.css").status_code == 200


def test_feed_can_list_every_new_paper_in_the_followed_categories(
    web_settings: Settings, engine: Engine, seed: Seed
) -> None:
    cfg = web_settings.model_copy(update={"feed_include_new_papers": True, "categories": ["cs.CV"]})
    with TestClient(create_app(cfg, engine=engine)) as client:
        page = client.get(f"/papers/date/{DAY}").text
    assert "Also new in cs.CV" in page
    also = page.split("Also new in cs.CV")[1]
    assert "Epsilon vision" in also and "Alpha: attention" not in also


def test_head_requests_answer_like_get_without_a_body(reader: TestClient) -> None:
    response = reader.head("/papers/2608.00001")
    assert response.status_code == 200 and response.content == b""
    assert response.headers["content-type"].startswith("text/html")
    assert reader.head("/papers/2608.99999").status_code == 404


def test_month_view_pages_through_its_papers(reader: TestClient) -> None:
    first = reader.get(f"/papers/month/{DAY:%Y-%m}?limit=3")
    assert "4 papers; showing 1–3" in first.text
    assert f"/papers/month/{DAY:%Y-%m}?limit=3&amp;p=1" in first.text
    second = reader.get(f"/papers/month/{DAY:%Y-%m}?limit=3&p=1")
    assert "Gamma rays" in second.text and "Beta" not in second.text
    assert reader.get(f"/papers/month/{DAY:%Y-%m}?p=-1").status_code == 422


def test_a_paper_without_categories_shows_no_none_category_anywhere(
    client: TestClient, engine: Engine, seed: Seed, web_settings: Settings
) -> None:
    """Papers known from the Hugging Face feed alone have no categories: no "None" pill, no
    link to /c/None, and /c/None is no category page."""
    with Session(engine) as session:
        paper = add_paper(session, "2608.00009", "Zeta without categories")
        paper.categories, paper.primary_category = [], None
        session.query(PaperCategory).filter_by(paper_id=paper.id).delete()
        add_entry(session, paper, upvotes=3)
        session.commit()
    for url in ("/papers/2608.00009", f"/papers/date/{DAY.isoformat()}", "/feed.atom"):
        page = client.get(url)
        assert page.status_code == 200 and "Zeta without categories" in page.text, url
        assert "None" not in page.text and "/c/None" not in page.text, url
    missing = client.get("/c/None")
    assert missing.status_code == 404
    assert "no paper here is listed in &#39;None&#39;" in missing.text
    assert client.get("/c/None.json").json()["error"]["code"] == "not_found"
    # A followed category without papers yet is still a category: an empty page, not a 404.
    followed = next(c for c in web_settings.categories if c not in {"cs.CL", "cs.AI", "cs.CV"})
    assert client.get(f"/c/{followed}").status_code == 200
