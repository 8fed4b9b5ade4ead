"""What people type becomes words, phrases and field terms; never query syntax."""

from __future__ import annotations

import pytest

from papertide.search.query import MAX_QUERY_CHARS, QueryTooLong, parse_query


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("graph neural networks", "graph neural networks"),
        ('"attention is all" au:vaswani', '"attention is all" authors:vaswani'),
        ("cat:cs.CL transformers", 'transformers categories:"cs.cl"'),
        ('"unbalanced quote', "unbalanced quote"),
        ("stray : colon", "stray colon"),
        ("AND", "and"),
        ("NOT OR TO", "not or to"),
        ("foo:bar", "foo bar"),
        ("$\\alpha$-divergence", "alpha divergence"),
        ("'; DROP TABLE papers;--", "drop table papers"),
        ("ti:(title) +must -not ^2 ~3", "must not 2 3 title:title"),
    ],
)
def test_typed_query_becomes_plain_words(typed: str, expected: str) -> None:
    assert parse_query(typed).tantivy_string() == expected


@pytest.mark.parametrize("typed", ["", "   ", "*", "🚀", ":", '""', "::**"])
def test_query_without_words_has_no_keywords(typed: str) -> None:
    assert not parse_query(typed).has_keywords


def test_unicode_words_are_kept() -> None:
    parsed = parse_query("Schrödinger équation 量子")
    assert parsed.terms == ["schrödinger", "équation", "量子"]


def test_semantic_text_is_the_query_as_typed_without_field_prefixes() -> None:
    assert parse_query("  Diffusion  models ").semantic_text == "Diffusion models"
    assert parse_query("au:hinton ti:capsules").semantic_text == "capsules"


def test_query_longer_than_the_limit_is_rejected_with_its_length() -> None:
    parse_query("a" * MAX_QUERY_CHARS)
    with pytest.raises(QueryTooLong, match="1,001 characters"):
        parse_query("a" * (MAX_QUERY_CHARS + 1))
