"""Operations endpoints: liveness, readiness, Prometheus metrics and the job overview (admins)."""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from papertide.jobs.queue import jobs_overview
from papertide.ops.status import database_error
from papertide.search.state import index_health
from papertide.web.deps import Admin, State
from papertide.web.handlers import RETRY_AFTER_SECONDS

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness: the process answers (checks nothing else)")
def healthz() -> JSONResponse:
    # No database work: also the benchmark's ceiling route.
    return JSONResponse({"ok": True})


@router.get(
    "/readyz",
    summary="Readiness: database and search index reachable",
    responses={503: {"description": "not ready; the body says which check failed"}},
)
def readyz(state: State) -> JSONResponse:
    db_error = database_error(state.engine)
    index = index_health(state.settings, state.engine)
    checks: dict[str, dict[str, Any]] = {
        "database": {"ok": db_error is None, "error": db_error},
        "index": {
            "ok": index.built,
            "error": index.error,
            "papers_behind": index.papers_behind,
            "lag_seconds": index.lag_seconds,
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
def metrics(state: State) -> Response:
    return Response(generate_latest(state.metrics), media_type=CONTENT_TYPE_LATEST)


@router.get("/admin/jobs.json", summary="Background jobs: schedule, last runs, failures (admins)")
def jobs_json(state: State, _admin: Admin) -> JSONResponse:
    return JSONResponse(jobs_overview(state.job_queue()))


def _jobs_page(overview: dict[str, Any]) -> str:
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
def jobs_page(state: State, _admin: Admin) -> HTMLResponse:
    return HTMLResponse(_jobs_page(jobs_overview(state.job_queue())))
