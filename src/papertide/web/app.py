"""`create_app(settings)`: the whole web application, built on demand (nothing at import time).

Besides the routes, a web node runs what its lifespan starts: the index follower (keeps this
node's index files in step with the database every settings.index_sync_seconds, and warms the
For-you ranker on the same beat) and, with settings.jobs_in_process, the job consumer itself
(one machine, no separate `papertide worker`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from papertide.config import Settings, load_settings
from papertide.jobs.queue import EmbeddedWorker
from papertide.ops.limits import install_request_limits
from papertide.ops.logs import configure_logging
from papertide.ops.metrics import MetricsMiddleware, RequestMetrics, StateCollector
from papertide.search.follower import IndexFollower
from papertide.store.db import make_engine, session_factory
from papertide.web.handlers import install_error_handlers
from papertide.web.middleware import SessionAndHeadersMiddleware
from papertide.web.ratelimit import RateLimits
from papertide.web.render import build_templates
from papertide.web.routes import all_routers
from papertide.web.security import SessionCodec
from papertide.web.state import WebState

log = logging.getLogger("papertide.web")

STATIC = Path(__file__).with_name("static")


def create_app(settings: Settings, *, engine: Engine | None = None) -> FastAPI:
    """The FastAPI app for `settings`; pass `engine` to share one (tests, the demo)."""
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
    if settings.index_sync_seconds > 0:
        state.index_follower = IndexFollower(
            settings, db_engine, settings.index_sync_seconds, also=state.warm_for_you
        )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # JSON logs once the app really serves (not when a test merely builds it).
        configure_logging()
        follower = state.index_follower
        if follower is not None:
            follower.start()
        worker = None
        if settings.jobs_in_process:
            worker = EmbeddedWorker(state.job_queue(), threads=1, scheduler=True)
            await asyncio.to_thread(worker.start)
        try:
            yield
        finally:
            if worker is not None:
                await asyncio.to_thread(worker.stop)
            if follower is not None:
                await asyncio.to_thread(follower.stop)
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
    app.add_middleware(
        SessionAndHeadersMiddleware,
        codec=codec,
        secure=settings.base_url.startswith("https://"),
        pages=state.pages,
    )
    state.metrics.register(StateCollector(settings, db_engine, state.job_queue))
    app.add_middleware(
        MetricsMiddleware, metrics=RequestMetrics(state.metrics), routes=app.router.routes
    )
    install_request_limits(app, settings)
    if settings.trusted_proxies:
        # Outermost, so every part of the app (rate limits, logs, Secure cookies) sees the
        # client's address and scheme as the trusted proxy reported them; and only then.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    return app


def app_from_environment() -> FastAPI:
    """Factory for `uvicorn --factory` with several workers: settings from the environment."""
    return create_app(load_settings())
