"""Pure normalisation: ids, titles, abstracts, code links, withdrawn comments."""

from __future__ import annotations

import datetime as dt

import pytest

from papertide.models import (
    PaperRecord,
    arxiv_id_could_exist,
    arxiv_id_in_text,
    extract_code_links,
    is_withdrawn_comment,
    join_abstract_lines,
    normalize_arxiv_id,
    parse_arxiv_id,
    split_arxiv_id,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2401.00001", ("2401.00001", None)),
        ("2401.00001v3", ("2401.00001", 3)),
        ("arXiv:2401.00001v2", ("2401.00001", 2)),
        ("https://arxiv.org/abs/2401.00001v1", ("2401.00001", 1)),
        ("oai:arXiv.org:0704.0001", ("0704.0001", None)),
        ("hep-th/9901001", ("hep-th/9901001", None)),
        ("hep-th/9901001v2", ("hep-th/9901001", 2)),
        ("math.AG/0601001", ("math/0601001", None)),
        ("http://arxiv.org/abs/cond-mat/0102536v1", ("cond-mat/0102536", 1)),
    ],
)
def test_arxiv_ids_lose_their_version_and_prefixes(
    raw: str, expected: tuple[str, int | None]
) -> None:
    assert split_arxiv_id(raw) == expected


@pytest.mark.parametrize("raw", ["", "x", "2401.1", "1234.1234v", "hep-th/99", "../etc/passwd"])
def test_things_that_are_not_arxiv_ids_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="not an arXiv id"):
        split_arxiv_id(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2401.00001", ("2401.00001", None)),
        ("0704.0001", ("0704.0001", None)),
        ("2401.00001v3", ("2401.00001", 3)),
        ("arXiv:2401.00001", ("2401.00001", None)),
        ("ARXIV: 2401.00001v2", ("2401.00001", 2)),
        ("  2401.00001\n", ("2401.00001", None)),
        ("https://arxiv.org/abs/2401.00001", ("2401.00001", None)),
        ("https://arxiv.org/pdf/2401.00001v2.pdf", ("2401.00001", 2)),
        ("https://arxiv.org/pdf/2401.00001v2", ("2401.00001", 2)),
        ("http://export.arxiv.org/abs/2401.00001v1", ("2401.00001", 1)),
        ("https://www.arxiv.org/html/2401.00001v4/", ("2401.00001", 4)),
        ("arxiv.org/abs/2401.00001", ("2401.00001", None)),
        ("2401.00001v2.pdf", ("2401.00001", 2)),
        ("oai:arXiv.org:hep-th/9901001", ("hep-th/9901001", None)),
        ("hep-th/9901001", ("hep-th/9901001", None)),
        ("solv-int/9901001v2", ("solv-int/9901001", 2)),
        ("arXiv:cond-mat/0102536v1", ("cond-mat/0102536", 1)),
        # The subject class is not part of the key the store writes for an old-style paper.
        ("math.AG/0601001", ("math/0601001", None)),
        ("math.AG/0601001v3", ("math/0601001", 3)),
        ("https://arxiv.org/abs/math.AG/0601001", ("math/0601001", None)),
    ],
)
def test_the_one_parser_reads_every_spelling_people_paste(
    raw: str, expected: tuple[str, int | None]
) -> None:
    assert parse_arxiv_id(raw) == expected
    assert split_arxiv_id(raw) == expected
    assert normalize_arxiv_id(raw) == expected[0]


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "x",
        "2401.1",
        "2401.000001",
        "1234.1234v",
        "2401.00001v2x",
        "hep-th/99",
        "HEP-TH/9901001",
        "../etc/passwd",
        "https://example.org/abs/2401.00001",
        "https://arxiv.org/abs/",
        "10.48550/arXiv.2401.00001",
        "2401.00001 2401.00002",
    ],
)
def test_the_one_parser_refuses_junk(raw: str) -> None:
    assert parse_arxiv_id(raw) is None
    with pytest.raises(ValueError, match="not an arXiv id"):
        normalize_arxiv_id(raw)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("arXiv preprint arXiv:1706.03762", "1706.03762"),
        ("https://arxiv.org/abs/2401.00001v2?context=cs.LG", "2401.00001"),
        ("doi:10.48550/arXiv.2401.00001", "2401.00001"),
        ("see arxiv.org/abs/math.AG/0601001v1.", "math/0601001"),
        ("https://arxiv.org/pdf/solv-int/9901001v2#page=3", "solv-int/9901001"),
        ("no id here, 12401.000011 neither", None),
    ],
)
def test_ids_mentioned_in_text_come_back_canonical(text: str, expected: str | None) -> None:
    assert arxiv_id_in_text(text) == expected


@pytest.mark.parametrize(
    ("arxiv_id", "possible"),
    [
        ("2608.20336", True),
        ("0704.0001", True),  # the first new-style id
        ("1412.9999", True),
        ("1501.00001", True),  # five digits from 2015
        ("hep-th/9901001", True),
        ("math/0601001", True),
        ("9999.99999", False),  # month 99
        ("2613.00001", False),  # month 13
        ("2600.00001", False),  # month 0
        ("2609.00001", False),  # next month, seen from August 21, 2026
        ("0703.0001", False),  # before new-style ids
        ("1501.0001", False),  # four digits after 2014
        ("1412.00001", False),  # five digits before 2015
        ("2608.00000", False),
        ("hep-th/9001001", False),  # before arXiv opened
        ("hep-th/0801001", False),  # old style ended in March 2007
    ],
)
def test_only_ids_arxiv_can_have_given_out_could_exist(arxiv_id: str, possible: bool) -> None:
    assert arxiv_id_could_exist(arxiv_id, dt.date(2026, 8, 21)) is possible


def test_abstract_wraps_are_joined_but_paragraphs_and_latex_kept() -> None:
    raw = (
        "  We study the dynamics of $(x, z, p_y)$ on a\n"
        "Poincar\\'{e} surface.\n"
        "  A second paragraph\n"
        "starts indented.\n"
    )
    assert join_abstract_lines(raw) == (
        "We study the dynamics of $(x, z, p_y)$ on a Poincar\\'{e} surface.\n\n"
        "A second paragraph starts indented."
    )


def test_reindented_xml_does_not_turn_every_line_into_a_paragraph() -> None:
    raw = "In this paper we\n        present a model\n        of cities.\n    "
    assert join_abstract_lines(raw) == "In this paper we present a model of cities."


def test_code_links_are_found_normalised_and_deduplicated() -> None:
    abstract = (
        "Code: https://github.com/Regan-Zhang/HaDis. Mirror at www.gitlab.com/grp/tool.git "
        "and again (github.com/regan-zhang/hadis)."
    )
    assert extract_code_links(abstract, "see \\url{https://github.com/x-y/z_1}") == [
        "https://github.com/Regan-Zhang/HaDis",
        "https://gitlab.com/grp/tool",
        "https://github.com/x-y/z_1",
    ]


def test_withdrawn_comment_is_detected() -> None:
    assert is_withdrawn_comment("This paper has been withdrawn. Theorem 38 is in error.")
    assert is_withdrawn_comment("withdrawn by the author due to an error")
    assert not is_withdrawn_comment("12 pages; withdrawal of the earlier claim in v2 explained")
    assert not is_withdrawn_comment(None)


def test_build_collapses_title_and_derives_primary_category_and_v1_date() -> None:
    v1 = dt.datetime(2008, 3, 30, 23, 26, 50, tzinfo=dt.UTC)
    record = PaperRecord.build(
        arxiv_id="0803.4354v6",
        title="A O(n^8) Model of the\n   Traveling Salesman  Problem ",
        categories=["cs.DM", "cs.DM", "math.OC"],
        versions=[(1, v1), (2, None)],
        comment="This paper has been withdrawn",
    )
    assert record.arxiv_id == "0803.4354"
    assert record.title == "A O(n^8) Model of the Traveling Salesman Problem"
    assert record.categories == ["cs.DM", "math.OC"]
    assert record.primary_category == "cs.DM"
    assert record.published_at == v1
    assert record.latest_version == 6
    assert record.withdrawn


def test_a_record_without_title_is_refused() -> None:
    with pytest.raises(ValueError, match="no title"):
        PaperRecord.build(arxiv_id="2401.00001", title="  ")


def test_acm_and_msc_classes_are_not_taken_for_arxiv_categories() -> None:
    record = PaperRecord.build(
        arxiv_id="2401.00001",
        title="T",
        categories=["I.2.7; I.2.6", "cs.CL", "68T50", "cond-mat.stat-mech"],
        primary_category="I.2.7; I.2.6",
    )
    assert record.categories == ["cs.CL", "cond-mat.stat-mech"]
    assert record.primary_category == "cs.CL"
