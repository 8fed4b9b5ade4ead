"""The thumbnail URL (200, 304, 404, redirects) and the cards that show it or a placeholder."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from papertide.config import Settings
from papertide.store.schema import ThumbStatus
from papertide.thumbs.errors import ThumbnailError
from papertide.thumbs.job import save_failure, save_thumbnail
from papertide.thumbs.render import render_first_page
from papertide.web.app import create_app

from .conftest import DAY, FeedPaper, pdf


@pytest.fixture
def client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(settings, engine=engine), follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def digest(engine: Engine, feed_paper: FeedPaper) -> str:
    """2608.00001 has a thumbnail (its digest is returned), 2608.00002 a broken PDF, 2608.00003
    nothing yet; all three are on DAY's feed."""
    save_thumbnail(engine, feed_paper("2608.00001"), render_first_page(pdf("paper.pdf")))
    broken = ThumbnailError(ThumbStatus.BROKEN, "PDFium cannot read it")
    save_failure(engine, feed_paper("2608.00002"), broken)
    feed_paper("2608.00003")
    with engine.connect() as conn:
        value = conn.exec_driver_sql("SELECT digest FROM thumbnails WHERE status = 'ok'").scalar()
    assert isinstance(value, str)
    return value


def test_a_thumbnail_is_served_as_webp_with_a_strong_etag(client: TestClient, digest: str) -> None:
    response = client.get("/papers/2608.00001/thumbnail.webp")

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/webp"
    assert response.content == render_first_page(pdf("paper.pdf")).webp
    assert response.headers["etag"] == f'"{digest}"'
    assert response.headers["cache-control"] == "public, max-age=86400"


def test_the_versioned_url_the_cards_use_is_cached_for_a_year(
    client: TestClient, digest: str
) -> None:
    response = client.get(f"/papers/2608.00001/thumbnail.webp?v={digest}")

    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    stale = client.get("/papers/2608.00001/thumbnail.webp?v=0123456789abcdef")
    assert stale.headers["cache-control"] == "public, max-age=86400"


def test_a_browser_holding_the_image_gets_304_without_a_body(
    client: TestClient, digest: str
) -> None:
    response = client.get(
        "/papers/2608.00001/thumbnail.webp", headers={"If-None-Match": f'"{digest}"'}
    )

    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == f'"{digest}"'
    changed = client.get(
        "/papers/2608.00001/thumbnail.webp", headers={"If-None-Match": '"0123456789abcdef"'}
    )
    assert changed.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/papers/2608.00002/thumbnail.webp",  # its PDF is broken
        "/papers/2608.00003/thumbnail.webp",  # not made yet
        "/papers/2608.99999/thumbnail.webp",  # no such paper
        "/papers/not-an-id/thumbnail.webp",
    ],
)
def test_no_image_is_a_404(client: TestClient, digest: str, path: str) -> None:
    response = client.get(path, headers={"accept": "application/json"})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_versioned_id_redirects_to_the_canonical_thumbnail(
    client: TestClient, digest: str
) -> None:
    response = client.get("/papers/2608.00001v2/thumbnail.webp")

    assert response.status_code == 301
    assert response.headers["location"] == "/papers/2608.00001/thumbnail.webp"


def _card(html: str, arxiv_id: str) -> str:
    match = re.search(
        rf'<article class="card" id="p-{re.escape(arxiv_id)}">.*?</article>', html, re.S
    )
    assert match, f"no card for {arxiv_id}"
    return match.group(0)


def test_cards_show_the_image_once_it_exists_and_a_drawn_page_until_then(
    client: TestClient, digest: str
) -> None:
    page = client.get(f"/papers/date/{DAY.isoformat()}")

    assert page.status_code == 200
    made = _card(page.text, "2608.00001")
    img = re.search(r"<img [^>]*>", made)
    assert img is not None
    tag = img.group(0)
    assert f'src="/papers/2608.00001/thumbnail.webp?v={digest}"' in tag
    assert 'width="120" height="155"' in tag and 'loading="lazy"' in tag and 'alt=""' in tag
    assert "thumb-placeholder" not in made
    for waiting in ("2608.00002", "2608.00003"):
        card = _card(page.text, waiting)
        assert "thumb-placeholder" in card and "<img" not in card
    # What the card links to is served.
    src = re.search(r'src="([^"]+)"', tag)
    assert src is not None and client.get(src.group(1)).status_code == 200


def test_the_placeholder_is_drawn_for_light_and_dark_mode(client: TestClient) -> None:
    css = client.get("/static/style.css").text

    assert ".thumb-placeholder" in css
    rule = css[css.index(".thumb-placeholder {") :].split("}")[0]
    assert "var(--line)" in rule and "var(--muted)" in rule, "colours follow the theme"
    assert "#" not in rule, "no fixed colour that would glare in dark mode"
