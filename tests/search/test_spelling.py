"""Did you mean: corrections of query words no paper contains, from a real tantivy index."""

from __future__ import annotations

from pathlib import Path

import pytest

from papertide.search.keyword import KeywordDoc, KeywordIndex
from papertide.search.spelling import Speller, Vocabulary

TITLES = [
    "Diffusion models for image synthesis",
    "Latent diffusion with transformers",
    "Score-based diffusion and its samplers",
    "Transformer language models are few-shot learners",
    "Vision transformers at scale",
    "Mixture of experts for sparse transformers",
    "Routing each token to an expert",
    "Sparse experts in language models",
    "Hallucination in large language models",
    "Detecting hallucinations with uncertainty",
    "Measuring hallucination rates of summarisers",
    "Zebras and the rare word",  # "zebras": one paper, too rare to be a correction
]


@pytest.fixture(scope="module")
def speller(tmp_path_factory: pytest.TempPathFactory) -> Speller:
    keyword = KeywordIndex.create(Path(tmp_path_factory.mktemp("spelling")) / "kw")
    keyword.upsert(
        KeywordDoc(
            paper_id=i + 1,
            arxiv_id=f"2401.{i + 1:05d}",
            title=title,
            abstract=f"We study {title.lower()} and report experiments.",
            authors=["Ada Lovelace", "Geoffrey Transformr"] if i == 0 else ["Alan Turing"],
        )
        for i, title in enumerate(TITLES)
    )
    keyword.commit()
    return Speller(keyword)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("difusion", "diffusion"),  # a letter missing
        ("transfromer", "transformer"),  # two letters swapped: one edit
        ("halucination", "hallucination"),
        ("experst", "experts"),  # "expert" is as near; the word as long as the typed one wins
        ("DIFUSSION", "diffusion"),  # case folded; two edits in an eight-letter word
        ("modls", "models"),  # five letters: one edit
        ("exprt", "expert"),
    ],
)
def test_a_word_no_paper_has_is_corrected_as_papers_write_it(
    speller: Speller, typed: str, meant: str
) -> None:
    assert speller.correct(typed) == meant


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("diffusion", "some paper has it"),
        ("transformers", "some paper has it (as the stem 'transform')"),
        ("difus", "five letters allow one edit; 'diffus' is one away but only as a stem"),
        ("zebrs", "the nearest word is in one paper only"),
        ("qwen3", "digits: a model name, not a typo"),
        ("blorfing", "nothing near"),
        ("lovelace", "an author's name, in no title or abstract"),
        ("transformr", "an author's name, though 'transformer' is one edit away"),
        ("tran", "four letters: too many neighbours"),
        ("diffusión", "not ASCII"),
    ],
)
def test_no_correction_when_the_word_is_known_short_odd_or_has_no_neighbour(
    speller: Speller, typed: str, why: str
) -> None:
    assert speller.correct(typed) is None, why


def test_a_query_keeps_its_other_words_and_syntax(speller: Speller) -> None:
    assert speller.suggest("difusion models", ["difusion", "models"]) == "diffusion models"
    assert (
        speller.suggest('ti:difusion "halucination rates"', ["difusion", "halucination", "rates"])
        == 'ti:diffusion "hallucination rates"'
    )
    # a word is replaced whole, wherever it appears, whatever its case
    assert speller.suggest("Transfromer vs transfromer", ["transfromer"]) == (
        "transformer vs transformer"
    )
    assert speller.suggest("diffusion models", ["diffusion", "models"]) is None
    assert speller.suggest("", []) is None


def test_the_vocabulary_is_the_most_common_terms_of_titles_and_abstracts(
    speller: Speller,
) -> None:
    vocabulary = Vocabulary.of(speller.keyword, size=5)
    assert len(vocabulary.terms) == 5
    assert vocabulary.papers == sorted(vocabulary.papers, reverse=True)
    # "we", "study", "and", "report", "experi(ment)" are in every abstract
    assert vocabulary.papers[0] == len(TITLES)
    full = speller.vocabulary
    assert "diffus" in full.terms and "hallucin" in full.terms
    assert full.papers[full.terms.index("diffus")] == 3


def test_a_query_of_many_unknown_words_gets_no_suggestion(speller: Speller) -> None:
    """Each unknown word costs a look-up; more than four are no typos (and a 1,000-character
    query of them must not take seconds)."""
    four = ["difusion", "transfromer", "halucination", "blorfing"]
    assert speller.suggest(" ".join(four), four) == ("diffusion transformer hallucination blorfing")
    five = [*four, "snarkles"]
    assert speller.suggest(" ".join(five), five) is None
    # known words do not count towards the four
    mixed = [*four, "diffusion", "models", "transformers"]
    assert speller.suggest(" ".join(mixed), mixed) is not None


def test_a_typo_some_abstract_made_too_is_corrected_to_a_far_more_common_word(
    tmp_path: Path,
) -> None:
    """At 158,898 papers "difusion" is in one abstract: a word of one or two papers is still
    corrected, but only to a word at least 20 times as common."""
    keyword = KeywordIndex.create(tmp_path / "kw")
    texts = [f"Diffusion models, part {i}" for i in range(30)]
    texts += ["A difusion model with a typo", "Sparse attenton, one", "Sparse attenton, two"]
    texts += [f"Attention heads, part {i}" for i in range(35)]
    texts += ["Graph netwroks here", "Graph netwroks there", "Graph netwroks everywhere"]
    texts += [f"Neural networks, part {i}" for i in range(10)]
    keyword.upsert(
        KeywordDoc(paper_id=i + 1, arxiv_id=f"2401.{i + 1:05d}", title=t, abstract=t)
        for i, t in enumerate(texts)
    )
    keyword.commit()
    speller = Speller(keyword)
    assert speller.papers_with("difusion") == 1 and not speller.known("difusion")
    assert speller.correct("difusion") == "diffusion"  # 30 papers >= 20 x 1
    assert speller.correct("attenton") is None  # two papers: needs 40, "attention" has 35
    assert speller.known("netwroks") and speller.correct("netwroks") is None  # three papers
