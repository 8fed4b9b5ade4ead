"""`/papers/{id}.md`: the paper as Markdown at the path the Hugging Face Hub uses, so the
`huggingface_hub` client's `HfApi.read_paper(id)` works against papertide too."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests.e2e.conftest import LiveServer
from tests.web.conftest import Seed, add_paper, free_port

from papertide.config import Settings
from papertide.web.app import create_app


def test_paper_as_markdown_has_title_authors_abstract_and_links(reader: TestClient) -> None:
    response = reader.get("/papers/2608.00001.md")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    text = response.text
    assert text.startswith("# Alpha: attention for all\n")
    assert "**Authors:** Ada Lovelace, Alan Turing" in text
    assert "**arXiv:** [2608.00001](https://arxiv.org/abs/2608.00001)" in text
    assert "**Published:** 2026-08-19" in text
    assert "## Abstract\n\nWe study things with $x^2$ and more.\n" in text
    assert "- PDF: https://arxiv.org/pdf/2608.00001" in text
    assert "- Code: https://github.com/example/repo (★ 120)" in text
    assert "- Paper page: http://testserver/papers/2608.00001" in text


def test_markdown_of_a_missing_or_versioned_id(reader: TestClient) -> None:
    assert reader.get("/papers/2608.99999.md").status_code == 404
    moved = reader.get("/papers/2608.00001v2.md")
    assert moved.status_code == 301 and moved.headers["location"] == "/papers/2608.00001.md"


def test_markdown_shows_latex_markup_as_text_and_keeps_math(
    client: TestClient, engine: Engine
) -> None:
    with Session(engine) as session:
        add_paper(
            session,
            "2608.00088",
            r"\textbf{Fast} attention -- in $O(n)$",
            abstract=r"We gain 97.3\% with ``less''.",
        )
        session.commit()
    text = client.get("/papers/2608.00088.md").text
    assert text.startswith("# Fast attention – in $O(n)$\n")
    assert "We gain 97.3% with “less”." in text


@pytest.fixture
def live(web_settings: Settings, engine: Engine, seed: Seed) -> Iterator[LiveServer]:
    port = free_port()
    cfg = web_settings.model_copy(update={"base_url": f"http://127.0.0.1:{port}"})
    with LiveServer(create_app(cfg, engine=engine), port) as server:
        yield server


def test_the_hugging_face_client_reads_a_paper(live: LiveServer) -> None:
    import huggingface_hub as hub

    api = hub.HfApi(endpoint=live.url, token=False)
    text = api.read_paper("2608.00001")
    assert text.startswith("# Alpha: attention for all\n")
    assert f"- Paper page: {live.url}/papers/2608.00001" in text
    with pytest.raises(hub.errors.HfHubHTTPError):
        api.read_paper("2608.99999")
