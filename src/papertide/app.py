"""`create_app(settings)`: the whole web application, built on demand (nothing at import time)."""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from papertide.config import Settings

log = logging.getLogger("papertide.web")

STATIC = Path(__file__).with_name("web") / "static"

# Routers other packages provide; included when they exist.
OPTIONAL_ROUTERS = ("papertide.feeds.routes", "papertide.digest.routes")


def _optional_router(module_name: str) -> APIRouter | None:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            return None  # not written yet
        raise
    router = getattr(module, "router", None)
    return router if isinstance(router, APIRouter) else None


def create_app(settings: Settings, *, engine: Engine | None = None) -> FastAPI:
    """The FastAPI app for `settings`; pass `engine` to share one (tests, the demo)."""
    from papertide.ops.routes import install_ops
    from papertide.store.db import make_engine, session_factory
    from papertide.web.errors import install_error_handlers
    from papertide.web.middleware import SessionAndHeadersMiddleware
    from papertide.web.ratelimit import RateLimits
    from papertide.web.render import build_templates
    from papertide.web.routes import all_routers
    from papertide.web.security import SessionCodec
    from papertide.web.state import WebState

    own_engine = engine is None
    db_engine = engine if engine is not None else make_engine(settings.effective_database_url)
    codec = SessionCodec(settings.effective_secret_key())
    state = WebState(
        settings=settings,
        engine=db_engine,
        sessions=session_factory(db_engine),
        codec=codec,
        limits=RateLimits(settings.redis_url, namespace=settings.queue_name),
        templates=build_templates(),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if own_engine:
            db_engine.dispose()

    app = FastAPI(
        title=f"{settings.site_name} API",
        version="1",
        description="Daily feed, trending, papers and search. Errors: "
        '`{"error": {"code", "message"}}`.',
        docs_url=None,  # our own /docs page: Swagger UI vendored, no CDN
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.web = state
    install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in all_routers():
        app.include_router(router)
    for name in OPTIONAL_ROUTERS:
        extra = _optional_router(name)
        if extra is not None:
            app.include_router(extra)
    app.add_middleware(
        SessionAndHeadersMiddleware,
        codec=codec,
        secure=settings.base_url.startswith("https://"),
        pages=state.pages,
    )
    install_ops(app)
    return app


def app_from_environment() -> FastAPI:
    """Factory for `uvicorn --factory` with several workers: settings from the environment."""
    from papertide.config import load_settings

    return create_app(load_settings())
