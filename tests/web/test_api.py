"""The Hugging Face compatible `/api/daily_papers` and the paper API."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from tests.web.conftest import DAY


def test_default_is_the_newest_feed_day(reader: TestClient) -> None:
    body = reader.get("/api/daily_papers").json()
    assert {e["feedDate"] for e in body} == {DAY.isoformat()}


def test_date_week_month_select_ranges(reader: TestClient) -> None:
    iso = DAY.isocalendar()
    assert len(reader.get(f"/api/daily_papers?date={DAY}").json()) == 3
    assert len(reader.get(f"/api/daily_papers?week={iso.year}-W{iso.week:02d}").json()) == 4
    assert len(reader.get(f"/api/daily_papers?month={DAY:%Y-%m}").json()) == 4
    empty = reader.get(f"/api/daily_papers?date={DAY + dt.timedelta(days=30)}")
    assert empty.status_code == 200 and empty.json() == []


def test_limit_and_paging_with_link_header(reader: TestClient) -> None:
    first = reader.get(f"/api/daily_papers?month={DAY:%Y-%m}&limit=3")
    assert len(first.json()) == 3
    assert first.headers["x-total-count"] == "4"
    assert 'rel="next"' in first.headers["link"] and "p=1" in first.headers["link"]
    second = reader.get(f"/api/daily_papers?month={DAY:%Y-%m}&limit=3&p=1")
    assert len(second.json()) == 1
    assert 'rel="prev"' in second.headers["link"]
    ids = {e["paper"]["id"] for e in first.json()} | {e["paper"]["id"] for e in second.json()}
    assert len(ids) == 4


def test_sort_by_trending_and_published(reader: TestClient) -> None:
    trending = reader.get(f"/api/daily_papers?date={DAY}&sort=trending").json()
    assert trending[0]["paper"]["id"] == "2608.00002"
    published = reader.get(f"/api/daily_papers?month={DAY:%Y-%m}&sort=publishedAt").json()
    dates = [e["publishedAt"] for e in published]
    assert dates == sorted(dates, reverse=True)


def test_submitter_filter(reader: TestClient) -> None:
    body = reader.get(f"/api/daily_papers?month={DAY:%Y-%m}&submitter=reader-1").json()
    assert [e["paper"]["id"] for e in body] == ["2608.00001"]
    assert reader.get("/api/daily_papers?submitter=nobody").json() == []


def test_bad_parameters_are_4xx_with_error_bodies(reader: TestClient) -> None:
    cases = {
        "/api/daily_papers?limit=101": 422,
        "/api/daily_papers?limit=0": 422,
        "/api/daily_papers?limit=abc": 422,
        "/api/daily_papers?p=-1": 422,
        "/api/daily_papers?sort=random": 422,
        "/api/daily_papers?date=2026-02-30": 400,
        "/api/daily_papers?date=20260819": 400,
        "/api/daily_papers?week=2026-53": 400,
        "/api/daily_papers?month=2026-13": 400,
        f"/api/daily_papers?date={DAY}&week=2026-W33": 400,
        "/api/papers/search?q=" + "x" * 1001: 422,
        "/api/papers/search?q=x&limit=1000": 422,
    }
    for url, status in cases.items():
        response = reader.get(url)
        assert response.status_code == status, (url, response.text)
        error = response.json()["error"]
        assert error["code"] and error["message"], url


def test_paper_api_has_versions_and_feed_days(reader: TestClient) -> None:
    body = reader.get("/api/papers/2608.00001").json()
    assert body["id"] == "2608.00001" and body["upvotes"] == 5
    assert [v["version"] for v in body["versions"]] == [1, 2]
    [day] = body["feed"]
    assert day["date"] == DAY.isoformat() and day["upvotes"] == 5
    assert day["submittedBy"]["name"] == "reader-1" and day["submittedBy"]["type"] == "user"
    assert reader.get("/api/papers/2608.00001v1").json()["id"] == "2608.00001"


def test_trending_json_explains_each_score(reader: TestClient) -> None:
    body = reader.get("/trending.json?window=week").json()
    assert body[0]["paper"]["id"] == "2608.00004"
    terms = body[0]["trending"]["terms"]
    names = [t["name"] for t in terms]
    assert names == ["votes", "recent votes", "github stars", "comments", "age"]
    total = sum(t["contribution"] for t in terms if t["name"] != "age")
    assert abs(total - body[0]["trending"]["score"]) < 0.01
    assert reader.get("/trending?window=year").status_code == 422
