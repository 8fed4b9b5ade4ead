"""A paper as Markdown, as the Hugging Face Hub serves `/papers/{id}.md` (what
`huggingface_hub.HfApi.read_paper(id)` fetches): title, authors, abstract and links."""

from __future__ import annotations

import re

from papertide.latex import latex_to_text
from papertide.store.queries import published
from papertide.store.schema import Paper


def _line(text: str) -> str:
    """One line of text that Markdown will not read as a heading, list or quote."""
    text = " ".join(text.split())
    if text[:1] in ("#", ">", "-", "+", "*"):
        return "\\" + text
    return re.sub(r"^(\d+)([.)])(\s)", r"\1\\\2\3", text)


def paper_markdown(paper: Paper, base_url: str, *, upvotes: int | None = None) -> str:
    """The paper's page as Markdown. LaTeX text markup becomes text; math stays as `$…$`."""
    arxiv = f"https://arxiv.org/abs/{paper.arxiv_id}"
    pdf = f"https://arxiv.org/pdf/{paper.arxiv_id}"
    title = latex_to_text(paper.title, math="keep")
    lines = [f"# {' '.join(title.split())}", ""]
    if paper.authors:
        lines += [f"**Authors:** {', '.join(paper.authors)}", ""]
    facts = [f"**arXiv:** [{paper.arxiv_id}]({arxiv})"]
    when = published(paper)
    if when is not None:
        facts.append(f"**Published:** {when.date().isoformat()}")
    if paper.categories:
        facts.append(f"**Categories:** {', '.join(paper.categories)}")
    if upvotes is not None:
        facts.append(f"**Upvotes:** {upvotes}")
    lines += [" · ".join(facts), ""]
    if paper.withdrawn:
        lines += ["> This paper has been withdrawn by its authors.", ""]
    abstract = latex_to_text(paper.abstract, math="keep")
    paragraphs = [p for p in (" ".join(part.split()) for part in abstract.split("\n\n")) if p]
    if paragraphs:
        lines += ["## Abstract", ""]
        for paragraph in paragraphs:
            lines += [_line(paragraph), ""]
    if paper.comment:
        lines += [f"Comment: {latex_to_text(paper.comment)}", ""]
    links = [
        f"- Paper page: {base_url.rstrip('/')}/papers/{paper.arxiv_id}",
        f"- arXiv: {arxiv}",
        f"- PDF: {pdf}",
    ]
    github = next((c for c in paper.code_links or [] if "github.com/" in c), None)
    if github:
        stars = f" (★ {paper.github_stars:,})" if paper.github_stars else ""
        links.append(f"- Code: {github}{stars}")
    if paper.project_page:
        links.append(f"- Project page: {paper.project_page}")
    if paper.doi:
        links.append(f"- DOI: https://doi.org/{paper.doi}")
    lines += ["## Links", "", *links]
    return "\n".join(lines) + "\n"
