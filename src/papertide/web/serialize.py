"""JSON shapes. Feed entries follow the Hugging Face daily-papers API field names."""

from __future__ import annotations

import datetime as dt
from typing import Any

from papertide.models import web_link
from papertide.rank.trending import TrendingItem
from papertide.store.queries import FeedItem, PaperStats, published
from papertide.store.schema import Paper, PaperVersion


def iso(value: dt.datetime | dt.date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return value.isoformat()


def paper_json(paper: Paper, *, upvotes: int | None = None) -> dict[str, Any]:
    """A paper with HF's names (`id`, `authors[{name}]`, `publishedAt`, `summary`) plus ours."""
    links = [link for link in map(web_link, paper.code_links or []) if link]
    github = next((link for link in links if "github.com/" in link), None)
    return {
        "id": paper.arxiv_id,
        "authors": [{"name": name} for name in paper.authors or []],
        "publishedAt": iso(published(paper)),
        "title": paper.title,
        "summary": paper.abstract,
        "upvotes": upvotes if upvotes is not None else 0,
        "githubRepo": github,
        "githubStars": paper.github_stars,
        "projectPage": web_link(paper.project_page),
        "categories": list(paper.categories or []),
        "primaryCategory": paper.primary_category,
        "version": paper.latest_version or None,
        "updatedAt": iso(paper.revised_at),
        "withdrawn": paper.withdrawn,
        "codeLinks": links,
        "comment": paper.comment,
        "journalRef": paper.journal_ref,
        "doi": paper.doi,
    }


def listed_paper_json(paper: Paper, stats: PaperStats) -> dict[str, Any]:
    """A paper in a list (search, profiles): what its card shows, votes and comments included."""
    body = paper_json(paper, upvotes=stats.upvotes)
    body.update(
        githubRepo=stats.github_repo,
        githubStars=stats.github_stars,
        numComments=stats.num_comments,
        numImportedComments=stats.imported_comments,
    )
    return body


def avatar_url(name: str) -> str:
    return f"/u/{name}/avatar.svg"


def feed_entry_json(item: FeedItem, trending: TrendingItem | None = None) -> dict[str, Any]:
    paper = paper_json(item.paper, upvotes=item.upvotes)
    paper.update(
        githubRepo=web_link(item.github_repo),
        githubStars=item.github_stars,
        projectPage=web_link(item.project_page),
        submittedOnDailyAt=iso(item.submitted_at),
    )
    body: dict[str, Any] = {
        "paper": paper,
        "publishedAt": iso(published(item.paper)),
        "title": item.paper.title,
        "summary": item.paper.abstract,
        # Comments readable here (the count pages show); those counted on HF come apart.
        "numComments": item.num_comments,
        "numImportedComments": item.imported_comments,
        "submittedBy": submitter_json(item),
        "feedDate": item.feed_date.isoformat(),
    }
    if trending is not None:
        body["trending"] = trending_json(trending)
    return body


def submitter_json(item: FeedItem) -> dict[str, Any] | None:
    """Who put the paper on the feed, in the shape of the HF API's `submittedBy` object."""
    if not item.submitted_by:
        return None
    return {
        "_id": str(item.submitter_id) if item.submitter_id is not None else None,
        "name": item.submitted_by,
        "user": item.submitted_by,  # older HF responses carry the handle under `user`
        "fullname": item.submitter_fullname or item.submitted_by,
        "avatarUrl": avatar_url(item.submitted_by),
        "isPro": False,
        "type": "user",
    }


def trending_json(t: TrendingItem) -> dict[str, Any]:
    return {
        "score": t.score,
        "ageDays": t.age_days,
        "terms": [
            {
                "name": term.name,
                "value": term.value,
                "contribution": term.contribution,
                "explanation": term.explanation,
            }
            for term in t.terms
        ],
    }


def versions_json(versions: list[PaperVersion]) -> list[dict[str, Any]]:
    return [
        {"version": v.version, "submittedAt": iso(v.submitted_at), "size": v.size} for v in versions
    ]
