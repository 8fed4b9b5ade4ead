"""Health, readiness, metrics and the job overview; and what a web node runs beside its routes.

`install_ops(app)` is the one line `create_app` needs. It adds:

- `router`: GET /healthz (the process answers), /readyz (database and search index reachable;
  503 otherwise, so a load balancer stops sending traffic), /metrics (Prometheus text) and
  /admin/jobs (+ .json: job state and failures, admins only);
- `install_metrics(app)`: request latency histogram and counts per route template;
- `install_db_outage_handler(app)`: a lost database becomes 503 + Retry-After, never a 500;
- `install_request_limits(app)` (ops/limits.py): 431 for oversized headers, 413 for bodies;
- `install_index_follower(app)`: a thread that keeps this node's index files in step with the
  database every PAPERTIDE_INDEX_SYNC_SECONDS (default 10) — the bound on how long a new paper
  takes to become searchable on every node; a node started empty builds its index this way;
- `install_embedded_worker(app)` when PAPERTIDE_JOBS_IN_PROCESS=true: the job consumer inside
  `papertide serve`, for a one-machine install without a separate `papertide worker`.

Both switches are environment variables read here (not Settings fields) because they describe how
one process is run, not the installation.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

log = logging.getLogger("papertide.ops")

RETRY_AFTER_SECONDS = 10

router = APIRouter(tags=["operations"])


def _web(request: Request) -> Any:
    return request.app.state.web


@router.get("/healthz", summary="Liveness: the process answers (checks nothing else)")
def healthz() -> dict[str, Any]:
    # The web package may answer /healthz first with its own body; any JSON object is valid.
    return {"ok": True}


@router.get(
    "/readyz",
    summary="Readiness: database and search index reachable",
    responses={503: {"description": "not ready; the body says which check failed"}},
)
def readyz(request: Request) -> JSONResponse:
    from papertide.ops.status import database_error, index_status

    web = _web(request)
    db_error = database_error(web.engine)
    index = index_status(request.app)
    checks = {
        "database": {"ok": db_error is None, "error": db_error},
        "index": {
            "ok": bool(index.get("ok")),
            "error": None if index.get("ok") else index.get("error"),
            "papers_behind": index.get("papers_behind"),
            "lag_seconds": index.get("lag_seconds"),
        },
    }
    ready = all(c["ok"] for c in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not_ready", "checks": checks},
        status_code=200 if ready else 503,
        headers=None if ready else {"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}}},
)
def metrics(request: Request) -> Response:
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    registry = getattr(request.app.state, "ops_registry", None)
    if registry is None:
        return PlainTextResponse("# metrics are not installed on this app\n")
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


def _require_admin(request: Request) -> None:
    """Admins only; the check is the web app's own (imported late: ops does not depend on web)."""
    from papertide.store.schema import User
    from papertide.web.deps import load_user
    from papertide.web.errors import WebError

    web = _web(request)
    with web.sessions() as db:
        user: User | None = load_user(request, db)
    if user is None:
        raise WebError(401, "sign in first", code="unauthorized")
    if not user.is_admin or user.banned:
        raise WebError(403, "admins only")


@router.get("/admin/jobs.json", summary="Background jobs: schedule, last runs, failures (admins)")
def jobs_json(request: Request) -> JSONResponse:
    from papertide.ops.jobstate import jobs_overview
    from papertide.ops.status import job_queue

    _require_admin(request)
    return JSONResponse(jobs_overview(job_queue(request.app)))


def _jobs_page(overview: dict[str, Any]) -> str:
    from html import escape

    def cell(value: Any) -> str:
        return f"<td>{escape('' if value is None else str(value))}</td>"

    rows = []
    for job in overview["jobs"]:
        last = job["last_run"] or {}
        rows.append(
            "<tr>"
            + cell(job["name"])
            + cell(job["schedule"])
            + cell((last.get("started_at") or "never")[:19])
            + cell(last.get("status", "-"))
            + cell((job["last_ok_at"] or "never")[:19])
            + cell(job["failed_24h"])
            + cell(job["running_on"] or "-")
            + "</tr>"
        )
    failures = [
        "<tr>"
        + cell(f["started_at"][:19])
        + cell(f["name"])
        + cell(f["status"])
        + cell(f["attempt"])
        + f"<td><pre>{escape((f['error'] or '').strip()[:2000])}</pre></td></tr>"
        for f in overview["failures"]
    ]
    depth = overview["queue"]
    return (
        "<!doctype html><html lang=en><meta charset=utf-8><title>Jobs · admin</title>"
        '<link rel="stylesheet" href="/static/style.css">'
        "<main><h1>Background jobs</h1>"
        f"<p>Queue ({escape(overview['backend'])}): {depth.get('pending')} pending, "
        f'{depth.get("scheduled")} scheduled. <a href="/admin/jobs.json">JSON</a></p>'
        "<table><tr><th>job</th><th>schedule (UTC)</th><th>last run</th><th>status</th>"
        "<th>last ok</th><th>failed 24 h</th><th>running on</th></tr>"
        + "".join(rows)
        + "</table><h2>Recent failures</h2>"
        + (
            "<table><tr><th>when</th><th>job</th><th>status</th><th>attempt</th><th>error</th>"
            "</tr>" + "".join(failures) + "</table>"
            if failures
            else "<p>None.</p>"
        )
        + "</main></html>"
    )


@router.get(
    "/admin/jobs",
    summary="Background jobs page (admins)",
    response_class=HTMLResponse,
    include_in_schema=False,
)
def jobs_page(request: Request) -> HTMLResponse:
    from papertide.ops.jobstate import jobs_overview
    from papertide.ops.status import job_queue

    _require_admin(request)
    return HTMLResponse(_jobs_page(jobs_overview(job_queue(request.app))))


# Installers ------------------------------------------------------------------------------------


def install_metrics(app: FastAPI) -> None:
    """Request latency and counts per route, plus job/queue/index gauges read at scrape time."""
    from prometheus_client import CollectorRegistry

    from papertide.ops.metrics import MetricsMiddleware, RequestMetrics, StateCollector

    registry = CollectorRegistry()
    app.state.ops_registry = registry
    registry.register(StateCollector(app))
    app.add_middleware(
        MetricsMiddleware, metrics=RequestMetrics(registry), routes=app.router.routes
    )


def _wants_json(request: Request) -> bool:
    path = request.url.path
    accept = request.headers.get("accept", "")
    return (
        path.startswith("/api/")
        or path.endswith(".json")
        or ("application/json" in accept and "text/html" not in accept)
    )


def install_db_outage_handler(app: FastAPI) -> None:
    """A database that is down, restarting or overloaded answers 503 with Retry-After."""
    from sqlalchemy.exc import InterfaceError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    message = "the database is unavailable right now; try again in a few seconds"

    async def outage(request: Request, exc: Exception) -> Response:
        log.warning(
            "database unavailable",
            extra={"path": request.url.path, "error": str(exc).splitlines()[0][:300]},
        )
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
        if _wants_json(request):
            body = {"error": {"code": "unavailable", "message": message}}
            return JSONResponse(body, status_code=503, headers=headers)
        page = (
            "<!doctype html><meta charset=utf-8><title>Unavailable</title>"
            f"<h1>Back in a moment</h1><p>{message}.</p>"
        )
        return HTMLResponse(page, status_code=503, headers=headers)

    for cls in (OperationalError, InterfaceError, PoolTimeout):
        app.add_exception_handler(cls, outage)


def _chain_lifespan(app: FastAPI, start: Any, stop: Any) -> None:
    """Run start()/stop() around the app's own lifespan (which belongs to create_app)."""
    original = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(inner: Any) -> AsyncIterator[Any]:
        await asyncio.to_thread(start)
        try:
            async with original(inner) as state:
                yield state
        finally:
            await asyncio.to_thread(stop)

    app.router.lifespan_context = lifespan


class IndexFollower:
    """Keeps this node's index files in step with the database, one sync every `interval` s."""

    def __init__(self, app: FastAPI, interval: float) -> None:
        self.app = app
        self.interval = interval
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None
        self.last_ok: float | None = None
        self.last_error: str | None = None

    def sync_once(self) -> None:
        from papertide.search.api import get_searcher

        web = self.app.state.web
        searcher = get_searcher(web.settings)
        # Asked between batches, so a shutdown never waits on (or kills) a long embedding run.
        searcher.sync(
            web.engine,
            embed=web.settings.index_follower_embeds,
            should_stop=self.stop_event.is_set,
        )
        if getattr(web, "searcher", None) is None:
            web.searcher_error = None  # a node that started empty can search now
        self.last_ok = time.time()
        self.last_error = None

    def _loop(self) -> None:
        while not self.stop_event.is_set():
            try:
                self.sync_once()
            except ImportError as exc:
                self.last_error = f"search is not installed: {exc}"
                log.warning("index follower stopped", extra={"error": self.last_error})
                return
            except Exception as exc:  # database down, disk full: log, keep trying
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("index sync failed", extra={"error": self.last_error})
            self.stop_event.wait(self.interval)

    def start(self) -> None:
        self.thread = threading.Thread(target=self._loop, name="index-follower", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        if self.thread is not None:
            self.thread.join(timeout=30)


def install_index_follower(app: FastAPI, interval: float) -> None:
    """Sync this node's index every `interval` s (settings.index_sync_seconds; 0 turns it off)."""
    seconds = interval
    if seconds <= 0:
        return
    follower = IndexFollower(app, seconds)
    app.state.ops_index_follower = follower
    _chain_lifespan(app, follower.start, follower.stop)


def install_embedded_worker(app: FastAPI, *, threads: int = 1) -> None:
    """Run the job consumer (and scheduler) inside this web process."""
    holder: dict[str, Any] = {}

    def start() -> None:
        from papertide.jobs import EmbeddedWorker
        from papertide.ops.status import job_queue

        worker = EmbeddedWorker(job_queue(app), threads=threads, scheduler=True)
        worker.start()
        holder["worker"] = worker

    def stop() -> None:
        worker = holder.pop("worker", None)
        if worker is not None:
            worker.stop()

    _chain_lifespan(app, start, stop)


def install_ops(app: FastAPI) -> None:
    """Everything above, for `create_app` (call it after app.state.web is set)."""
    from papertide.ops.limits import install_request_limits
    from papertide.ops.logs import configure_logging

    app.include_router(router)
    # JSON logs once the app really serves (not when a test merely builds it).
    _chain_lifespan(app, configure_logging, lambda: None)
    install_db_outage_handler(app)
    install_metrics(app)
    settings = app.state.web.settings
    install_request_limits(app, settings)
    install_index_follower(app, settings.index_sync_seconds)
    if settings.jobs_in_process:
        install_embedded_worker(app)
