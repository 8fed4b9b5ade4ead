"""Papers for search tests, written through the store's real upsert into both databases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import Engine

from papertide.config import Settings
from papertide.models import FeedRecord, PaperRecord
from papertide.search.api import Searcher
from papertide.store.feed import upsert_feed_entries
from papertide.store.papers import upsert_papers

PAPERS = [
    # arxiv id, title, abstract, categories, first announced, code link
    (
        "2401.00001",
        "Graph neural networks for molecular property prediction",
        "We train message passing graph neural networks on molecules and predict quantum "
        "chemical properties of small organic compounds.",
        ["cs.LG", "q-bio.BM"],
        dt.date(2024, 1, 2),
        None,
    ),
    (
        "2401.00002",
        "Attention is what transformers need for translation",
        "Transformer language models with self-attention translate English to German better "
        "than recurrent networks.",
        ["cs.CL"],
        dt.date(2024, 1, 3),
        "https://github.com/a/mt",
    ),
    (
        "2401.00003",
        "Diffusion models for video generation",
        "A denoising diffusion model generates short videos from text prompts with temporal "
        "attention layers.",
        ["cs.CV"],
        dt.date(2024, 2, 1),
        None,
    ),
    (
        "2401.00004",
        "Dark matter halos in dwarf galaxies",
        "Rotation curves of dwarf galaxies constrain the inner density profile of dark matter "
        "halos; we compare cusp and core models.",
        ["astro-ph.GA"],
        dt.date(2024, 2, 5),
        None,
    ),
    (
        "2401.00005",
        "Ramsey numbers of sparse graphs",
        "We prove new upper bounds for Ramsey numbers of bounded degree graphs using the "
        "regularity lemma.",
        ["math.CO"],
        dt.date(2024, 3, 1),
        None,
    ),
    (
        "2401.00006",
        "Reinforcement learning for robot grasping",
        "A robot arm learns to grasp unseen objects with deep reinforcement learning from "
        "camera images.",
        ["cs.RO", "cs.LG"],
        dt.date(2024, 3, 2),
        "https://github.com/b/grasp",
    ),
    (
        "2401.00007",
        "Superconductivity in twisted bilayer graphene",
        "Magic angle twisted bilayer graphene shows unconventional superconductivity near "
        "correlated insulating states.",
        ["cond-mat.supr-con"],
        dt.date(2024, 3, 5),
        None,
    ),
    (
        "2401.00008",
        "Large language models as zero-shot reasoners",
        "Prompting large language models to think step by step improves arithmetic and "
        "symbolic reasoning without examples.",
        ["cs.CL", "cs.AI"],
        dt.date(2024, 4, 1),
        None,
    ),
]


def records() -> list[PaperRecord]:
    return [
        PaperRecord.build(
            arxiv_id=a,
            title=t,
            abstract=ab,
            categories=c,
            first_announced=d,
            authors=["Ada Lovelace", f"Author {a[-1]}"],
            code_links=[link] if link else None,
        )
        for a, t, ab, c, d, link in PAPERS
    ]


@pytest.fixture
def add_papers(engine: Engine) -> Callable[[list[PaperRecord]], None]:
    def add(items: list[PaperRecord]) -> None:
        with engine.begin() as conn:
            upsert_papers(conn, items)

    return add


@pytest.fixture
def corpus(engine: Engine, add_papers: Callable[[list[PaperRecord]], None]) -> Engine:
    """The eight papers above; the language-model paper is on the daily feed."""
    add_papers(records())
    feed = FeedRecord(paper=records()[7], feed_date=dt.date(2024, 4, 2), upvotes=3)
    with engine.begin() as conn:
        upsert_feed_entries(conn, [feed])
    return engine


@pytest.fixture
def searcher(settings: Settings) -> Searcher:
    return Searcher(settings)
