"""Routers, one module per page kind. Order matters: fixed paths before `/papers/{arxiv_id}`."""

from __future__ import annotations

from fastapi import APIRouter


def all_routers() -> list[APIRouter]:
    """Every page and API router, in matching order."""
    from papertide.web.routes import (
        accounts,
        admin,
        api,
        collections,
        comments,
        docs,
        feed,
        feeds,
        ops,
        papers,
        people,
        recommendations,
        search,
        submit,
        subscriptions,
        thumbnails,
        trending,
        users,
        votes,
    )

    return [
        docs.router,
        api.router,
        feed.router,
        trending.router,
        search.router,
        accounts.router,
        submit.router,
        votes.router,
        comments.router,
        people.router,
        collections.router,
        users.router,
        admin.router,
        thumbnails.router,
        papers.router,
        feeds.router,
        subscriptions.router,
        recommendations.router,
        ops.router,
    ]
