"""The query-kind classifier: each kind from its text alone."""

from __future__ import annotations

import pytest

from papertide.search.query import parse_query
from papertide.search.query_kind import classify, normalise_arxiv_id


def kind(text: str) -> str:
    return classify(text, parse_query(text)).kind


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2503.11731", "2503.11731"),
        ("arXiv:2503.11731v2", "2503.11731"),
        ("https://arxiv.org/abs/2503.11731v1", "2503.11731"),
        ("arxiv.org/pdf/2503.11731.pdf", "2503.11731"),
        ("hep-th/9901001", "hep-th/9901001"),
        ("math.GT/0309136", "math.gt/0309136"),
    ],
)
def test_arxiv_ids_in_every_usual_spelling(text: str, expected: str) -> None:
    found = classify(text, parse_query(text))
    assert found.kind == "arxiv_id" and found.arxiv_id == expected
    assert found.navigational and normalise_arxiv_id(text) == expected


@pytest.mark.parametrize("text", ["2503", "1234.5", "graph 2503.11731 networks", "v2"])
def test_numbers_that_are_not_ids(text: str) -> None:
    assert kind(text) != "arxiv_id"


@pytest.mark.parametrize(
    "text", ["au:hinton", 'author:"Geoffrey Hinton"', "G. Hinton", "G. E. Hinton", "Hinton, G.",
             "Hinton, Geoffrey", "LeCun Y", "J.-P. Bouchaud", "Y. van der Waals"],
)  # fmt: skip
def test_authors(text: str) -> None:
    assert kind(text) == "author"


@pytest.mark.parametrize(
    "text",
    [
        "Attention Is All You Need",
        "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding",
        "Denoising Diffusion Probabilistic Models",
        "Graph Attention Networks: a survey",
        'ti:"graph attention networks"',
    ],
)
def test_titles(text: str) -> None:
    found = classify(text, parse_query(text))
    assert found.kind == "title" and found.navigational and found.few_answers


@pytest.mark.parametrize(
    "text",
    [
        "Aspirin reduces the risk of colorectal cancer.",
        "0-dimensional biomaterials lack inductive properties.",
        "Transformers outperform recurrent networks on long sequences",
        "1 in 5 million in UK have abnormal PrP positivity.",
    ],
)
def test_claims(text: str) -> None:
    found = classify(text, parse_query(text))
    assert found.kind == "claim" and found.few_answers and not found.navigational


@pytest.mark.parametrize(
    "text",
    [
        "graph neural networks",
        "diffusion model",
        "black hole",
        "retrieval augmented generation",
        "MEASUREMENT OF DIELECTRIC CONSTANT OF LIQUIDS BY THE USE OF MICROWAVE TECHNIQUES",
        "What problems and concerns are there in making up descriptive titles?",
        "qwzx blorfing snarkle",
        "electron microscopy of lung or bronchi.",
    ],
)
def test_topics_and_everything_else(text: str) -> None:
    found = classify(text, parse_query(text))
    assert found.kind == "topic" and not found.few_answers and not found.navigational
