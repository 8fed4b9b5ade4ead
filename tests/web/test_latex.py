"""LaTeX text markup where people read: `papertide.latex` as a pure function, then the pages
(math left for KaTeX, markup as text) and the feeds (clean text, math simplified)."""

from __future__ import annotations

import datetime as dt

import feedparser
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tests.web.conftest import DAY, add_entry, add_paper

from papertide.latex import Part, latex_parts, latex_to_text, simplify_math

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("source", "text"),
    [
        (r"recovers 58--75\% of the headroom", "recovers 58–75% of the headroom"),
        (r"memory cost---how much", "memory cost—how much"),
        (r"\textbf{DreamX-Phi 1.0}: a world model", "DreamX-Phi 1.0: a world model"),
        (r"the \textit{\textbf{Knowing--Using Gap}}", "the Knowing–Using Gap"),
        (r"\emph{HypergraphToString} and \textsc{EasyOPD}", "HypergraphToString and EasyOPD"),
        (
            r"{\em Text-Attributed Graphs} and {\it capability profile}",
            "Text-Attributed Graphs and capability profile",
        ),
        (r"\textbf{\underline{S}}keleton-\textbf{\underline{G}}uided", "Skeleton-Guided"),
        (
            r"a ``Counterfactual Physics Injection'' and `this'",
            "a “Counterfactual Physics Injection” and ‘this’",
        ),
        (r"Fig.~3 and 1~mm", f"Fig.{NBSP}3 and 1{NBSP}mm"),
        (r"at z~5 with ~5\% more", "at z~5 with ~5% more"),  # "about", not a tie
        (r"code at \url{https://github.com/a/b--c}", "code at https://github.com/a/b--c"),
        (r"code \href{https://x.org/r}{here}", "code here (https://x.org/r)"),
        (r"see https://x.org/~user/a--b.", "see https://x.org/~user/a--b."),
        (r"M\&A deals, OH\_P50N, \#1, cost \$1,750", "M&A deals, OH_P50N, #1, cost $1,750"),
        (
            r"Schr\"{o}dinger, Erd\H{o}s, G\"odel, \'{\i}ndice, Stra\ss e",
            "Schrödinger, Erdős, Gödel, índice, Straße",
        ),
        (r"Willman\,1; LLaMA\nobreakdash-3.1; (\eg, AR)", "Willman 1; LLaMA-3.1; (e.g., AR)"),
        (r"\textbf{SMR\textsuperscript{2}}", "SMR²"),
        (r"as in \citet{Lipovka2022}", "as in [Lipovka2022]"),
        (r"we propose \textbf{\method}, and \algo{}", r"we propose \method, and \algo"),
        ("plain text stays", "plain text stays"),
    ],
)
def test_text_markup_becomes_text(source: str, text: str) -> None:
    assert latex_to_text(source) == text
    assert latex_to_text(source, math="keep") == text


def test_math_is_kept_for_katex_or_simplified_for_text() -> None:
    source = r"\textbf{Fast}: $O(n \log n)$ with $16\times$ fewer -- and 97.3\%"
    assert (
        latex_to_text(source, math="keep")
        == r"Fast: $O(n \log n)$ with $16\times$ fewer – and 97.3%"
    )
    assert latex_to_text(source) == "Fast: O(n log n) with 16× fewer – and 97.3%"


@pytest.mark.parametrize(
    ("tex", "text"),
    [
        (r"$\mathcal{L}$", "L"),
        (r"$\sum_i x_i^2$", "∑ᵢ xᵢ²"),
        (r"$\alpha \le 0.5$", "α ≤ 0.5"),
        (r"$T_{\rm eff}=5000$", "T_eff = 5000"),
        (r"$10^{-3}$", "10⁻³"),
        (r"$\frac{a+b}{2}$", "(a+b)/2"),
        (r"$90^\circ$", "90°"),
        (r"$\mathbb{R}^d$", "ℝ^d"),
        (r"$\{0,1\}^n$", "{0,1}ⁿ"),
        (r"\(\hat{y}\)", "ŷ"),
        (r"$\unknownmacro{x}$", r"\unknownmacro{x}"),  # readable TeX when there is no better
    ],
)
def test_math_simplified(tex: str, text: str) -> None:
    assert simplify_math(tex) == text


def test_a_literal_dollar_is_text_and_never_opens_math() -> None:
    assert latex_parts(r"costs \$5 for $x$ and \$3") == [
        Part("costs $5 for "),
        Part("$x$", math=True),
        Part(" and $3"),
    ]


def test_empty_and_missing_text() -> None:
    assert latex_to_text(None) == "" and latex_parts("") == []


TITLE = r"\textbf{DreamX-Phi 1.0}: world models -- with $O(n)$ cost"
ABSTRACT = r"We reach 97.3\% on ``hard'' tasks --- see Fig.~2, at \$5 per $x^2$ run."


@pytest.fixture
def latex_paper(engine: Engine) -> None:
    with Session(engine) as session:
        paper = add_paper(session, "2608.00077", TITLE, abstract=ABSTRACT)
        add_entry(session, paper, DAY, upvotes=3)
        session.commit()


def _main(html: str) -> str:
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def test_paper_page_shows_markup_as_text_and_leaves_math_to_katex(
    client: TestClient, latex_paper: None
) -> None:
    page = client.get("/papers/2608.00077").text
    main = _main(page)
    assert "DreamX-Phi 1.0: world models – with $O(n)$ cost</h1>" in main
    assert "We reach 97.3% on “hard” tasks — see Fig.\u00a02" in main
    assert '<span class="dollar">$</span>5 per $x^2$ run.' in main
    reading = main.split('id="cite-h"')[0]  # the BibTeX below is LaTeX, and stays so
    assert "\\textbf" not in reading and "\\%" not in reading and "--" not in reading
    # The window title has no math delimiters at all.
    assert "<title>DreamX-Phi 1.0: world models – with O(n) cost ·" in page


def test_feed_cards_and_lists_show_markup_as_text(client: TestClient, latex_paper: None) -> None:
    day = _main(client.get(f"/papers/date/{DAY}").text)
    assert "DreamX-Phi 1.0: world models – with $O(n)$ cost</a>" in day  # the card title: KaTeX
    assert "We reach 97.3% on “hard” tasks — see Fig.\u00a02, at $5 per x² run." in day
    assert "\\textbf" not in day and "\\%" not in day


def test_feeds_carry_clean_text(client: TestClient, latex_paper: None) -> None:
    feed = feedparser.parse(client.get(f"/feed.atom?date={DAY}").content)
    entry = next(e for e in feed.entries if e.link.endswith("2608.00077"))
    assert entry.title == "DreamX-Phi 1.0: world models – with O(n) cost"
    assert "We reach 97.3% on “hard” tasks — see Fig. 2, at $5 per x² run." in entry.summary


def test_json_keeps_the_source_as_arxiv_gives_it(client: TestClient, latex_paper: None) -> None:
    body = client.get("/api/papers/2608.00077").json()
    assert body["title"] == TITLE and body["summary"] == ABSTRACT
    assert dt.date.fromisoformat(body["publishedAt"][:10]) == DAY
