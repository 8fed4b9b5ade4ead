"""Prometheus metrics: request latency from a middleware, the rest read at scrape time.

Each app gets its own CollectorRegistry (no module-level globals), so several apps in one
process — tests, the multi-node check — never mix their numbers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from papertide.config import Settings
from papertide.jobs.queue import JobQueue
from papertide.ops.status import database_ok, job_counts, queue_depth
from papertide.search.state import index_health

log = logging.getLogger("papertide.ops")

# Up to 10 s: a request slower than that is an outage, not a latency.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class RequestMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.latency = Histogram(
            "papertide_http_request_duration_seconds",
            "Time from request start to the end of the response body.",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.requests = Counter(
            "papertide_http_requests",
            "Requests answered (the _total suffix is added by the client library).",
            ["method", "route", "status"],
            registry=registry,
        )


def _route_label(scope: Scope) -> str | None:
    # The route template (/paper/{arxiv_id}), never the raw path: labels must stay few.
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path
    if scope.get("path", "").startswith("/static/"):
        return "/static"
    return None


# Paths seen per route template, so responses served before routing (the web's page cache
# answers repeat GETs in its middleware) still count under their route. Bounded.
KNOWN_PATHS_MAX = 20_000


def _match_route(routes: Any, scope: Scope) -> str | None:
    """The template of the route `scope` would reach, for responses sent before routing."""
    if not routes:
        return None
    from starlette.routing import Match

    probe = {**scope, "type": "http"}
    for route in routes:
        try:
            # FastAPI wraps included routers; their _match names the route it would pick.
            matcher = getattr(route, "_match", None)
            if matcher is not None:
                match, _child, inner, _context = matcher(probe)
                path = getattr(inner, "path", None)
            else:
                match, _child = route.matches(probe)
                path = getattr(route, "path", None)
        except Exception:  # an internal API changed: fall back to "unmatched"
            return None
        if match == Match.FULL and isinstance(path, str):
            return path
    return None


class MetricsMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware): times every HTTP request to its last body byte."""

    def __init__(self, app: ASGIApp, metrics: RequestMetrics, routes: Any = None) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes  # the application's routes, to label requests answered early
        self.known: dict[str, str] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            raw_path = scope.get("path", "")
            route = _route_label(scope)
            if route is None:
                route = self.known.get(raw_path) or _match_route(self.routes, scope) or "unmatched"
            elif status < 400:
                if len(self.known) >= KNOWN_PATHS_MAX:
                    self.known.clear()
                self.known[raw_path] = route
            labels = (scope.get("method", "GET"), route, f"{status // 100}xx")
            self.metrics.latency.labels(*labels).observe(time.perf_counter() - started)
            self.metrics.requests.labels(*labels).inc()


class StateCollector(Collector):
    """Job runs, queue depth, index lag and database reachability, read when scraped."""

    def __init__(
        self, settings: Settings, engine: Engine, job_queue: Callable[[], JobQueue]
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.job_queue = job_queue

    def collect(self) -> Iterator[GaugeMetricFamily]:
        db_up = GaugeMetricFamily("papertide_database_up", "1 when the database answers.")
        ok = database_ok(self.engine)
        db_up.add_metric([], 1.0 if ok else 0.0)
        yield db_up

        runs = GaugeMetricFamily(
            "papertide_job_runs", "Recorded job runs by job and outcome.", labels=["job", "status"]
        )
        if ok:
            for (job, status), n in sorted(job_counts(self.engine).items()):
                runs.add_metric([job, status], float(n))
        yield runs

        depth = GaugeMetricFamily(
            "papertide_queue_depth", "Jobs waiting in the queue.", labels=["state"]
        )
        for state, count in queue_depth(self.job_queue()).items():
            if count is not None:
                depth.add_metric([state], float(count))
        yield depth

        index = index_health(self.settings, self.engine)
        lag = GaugeMetricFamily(
            "papertide_index_lag_seconds",
            "How far this node's search index is behind the newest change in the database.",
        )
        if index.lag_seconds is not None:
            lag.add_metric([], index.lag_seconds)
        yield lag
        behind = GaugeMetricFamily(
            "papertide_index_papers_behind", "Papers changed in the database but not yet indexed."
        )
        if index.papers_behind is not None:
            behind.add_metric([], float(index.papers_behind))
        yield behind
        up = GaugeMetricFamily("papertide_index_up", "1 when this node's search index is usable.")
        up.add_metric([], 1.0 if index.built else 0.0)
        yield up
