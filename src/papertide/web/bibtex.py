"""BibTeX and CSV for papers and collections."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

from papertide.store.queries import published
from papertide.store.schema import Paper


def _key(paper: Paper) -> str:
    first = (paper.authors or ["anon"])[0].split()
    surname = re.sub(r"[^A-Za-z]", "", first[-1] if first else "anon") or "anon"
    when = published(paper)
    year = when.year if when else ""
    word = next((re.sub(r"[^A-Za-z]", "", w) for w in paper.title.split() if len(w) > 3), "paper")
    return f"{surname.lower()}{year}{word.lower()}"


def _clean(value: str) -> str:
    # Balanced braces keep the entry parseable; LaTeX in titles stays as typed.
    text = " ".join(value.split())
    return text if text.count("{") == text.count("}") else text.replace("{", "").replace("}", "")


def paper_bibtex(paper: Paper) -> str:
    when = published(paper)
    fields = [
        ("title", "{" + _clean(paper.title) + "}"),
        ("author", " and ".join(_clean(a) for a in paper.authors or [])),
        ("year", str(when.year) if when else ""),
        ("eprint", paper.arxiv_id),
        ("archivePrefix", "arXiv"),
        ("primaryClass", paper.primary_category or ""),
        ("url", f"https://arxiv.org/abs/{paper.arxiv_id}"),
        ("doi", paper.doi or ""),
        ("journal", _clean(paper.journal_ref) if paper.journal_ref else ""),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@misc{{{_key(paper)},\n{body}\n}}\n"


def papers_bibtex(papers: Iterable[Paper]) -> str:
    return "\n".join(paper_bibtex(p) for p in papers)


def _day(paper: Paper) -> str:
    when = published(paper)
    return when.date().isoformat() if when else ""


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str) -> str:
    """A cell a spreadsheet shows as text (OWASP, CSV injection): one that would start a formula,
    even after leading spaces, gets a leading apostrophe."""
    return "'" + value if value.lstrip(" ").startswith(_FORMULA_START) else value


def papers_csv(papers: Iterable[Paper]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["arxiv_id", "title", "authors", "published", "primary_category", "url"])
    for p in papers:
        # Every cell from imported data is guarded, not only the title: any of them can be typed
        # by whoever wrote the record (authors above all).
        writer.writerow(
            [
                csv_cell(p.arxiv_id),
                csv_cell(p.title),
                csv_cell("; ".join(p.authors or [])),
                _day(p),
                csv_cell(p.primary_category or ""),
                f"https://arxiv.org/abs/{p.arxiv_id}",
            ]
        )
    return out.getvalue()
