"""/healthz, /readyz, /metrics, the 503 on a lost database, and the admin job overview."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from papertide.config import Settings, load_settings
from papertide.jobs.queue import execute_job
from papertide.jobs.specs import JobSpec, Schedule
from papertide.store.schema import Paper, User
from papertide.web.app import create_app

from .serving import serving, wait_for


def _ok_job(_settings: Settings, _engine: Engine) -> dict[str, int]:
    return {"n": 1}


def test_health_readiness_and_metrics_of_a_node_that_starts_empty(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings.model_copy(update={"index_sync_seconds": 0.3})
    execute_job(settings, engine, JobSpec("probe", "test", Schedule(), _ok_job))
    app = create_app(settings, engine=engine)
    with serving(app) as base, httpx.Client(base_url=base, timeout=30) as http:
        assert http.get("/healthz").status_code == 200
        # The node had no index: the follower builds one, then the node reports ready.
        ready = wait_for(lambda: http.get("/readyz").status_code == 200, "the node to be ready")
        assert ready
        body = http.get("/readyz").json()
        assert body["checks"]["database"]["ok"] and body["checks"]["index"]["ok"]

        with engine.begin() as conn:
            conn.execute(
                Paper.__table__.insert(),
                [{"arxiv_id": "2611.00001", "title": "A new paper", "abstract": "text"}],
            )
        wait_for(
            lambda: http.get("/readyz").json()["checks"]["index"]["papers_behind"] == 0,
            "the index to catch up",
        )
        for _ in range(3):
            http.get("/api/daily_papers")
        text = http.get("/metrics").text

    assert (
        'papertide_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/healthz",status="2xx"}'
        in text
    )
    assert (
        'papertide_http_requests_total{method="GET",route="/api/daily_papers",status="2xx"} 3.0'
        in text
    )
    assert "papertide_database_up 1.0" in text
    assert 'papertide_job_runs{job="probe",status="ok"} 1.0' in text
    assert 'papertide_queue_depth{state="pending"} 0.0' in text
    assert "papertide_index_up 1.0" in text
    assert "papertide_index_papers_behind 0.0" in text
    assert "papertide_index_lag_seconds 0.0" in text


@pytest.fixture
def offline_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings whose PostgreSQL server does not exist (nothing listens on port 1)."""
    for key in ("PAPERTIDE_DATABASE_URL", "PAPERTIDE_REDIS_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("PAPERTIDE_CONFIG", str(tmp_path / "absent.toml"))
    return load_settings(
        data_dir=tmp_path / "data",
        database_url="postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2",
        secret_key="s" * 40,
    )


def test_lost_database_gives_503_with_retry_after_never_500(offline_settings: Settings) -> None:
    app = create_app(offline_settings)
    with serving(app) as base, httpx.Client(base_url=base, timeout=30) as http:
        api = http.get("/api/daily_papers")
        page = http.get("/", headers={"accept": "text/html"})
        health = http.get("/healthz")
        ready = http.get("/readyz")
    assert api.status_code == 503
    assert api.headers["retry-after"] == "10"
    assert api.json()["error"]["code"] == "unavailable"
    assert page.status_code == 503 and "try again" in page.text
    assert page.headers["retry-after"] == "10"
    assert health.status_code == 200
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"]["ok"] is False


def _admin_cookie(settings: Settings, engine: Engine, *, admin: bool) -> dict[str, str]:
    """The cookie of a signed-in session (its row in user_sessions, as signing in makes)."""
    import datetime as dt

    from sqlalchemy.orm import Session

    from papertide.web.security import SESSION_COOKIE, SessionCodec, WebSession
    from papertide.web.sessions import start_session

    name = f"u{uuid.uuid4().hex[:8]}"
    with Session(engine) as session:
        user = User(email=f"{name}@example.org", name=name, is_admin=admin)
        session.add(user)
        session.flush()
        key = start_session(session, user, dt.datetime.now(dt.UTC))
        session.commit()
        cookie = WebSession(user_id=user.id, key=key, sid="s1")
    codec = SessionCodec(settings.effective_secret_key())
    return {SESSION_COOKIE: codec.dumps(cookie)}


def test_admin_job_overview_is_for_admins_only(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    execute_job(settings, engine, JobSpec("ingest_arxiv", "t", Schedule(), _ok_job))
    app = create_app(settings, engine=engine)
    with serving(app) as base:
        anonymous = httpx.get(f"{base}/admin/jobs.json")
        user = httpx.get(
            f"{base}/admin/jobs.json", cookies=_admin_cookie(settings, engine, admin=False)
        )
        cookies = _admin_cookie(settings, engine, admin=True)
        admin = httpx.get(f"{base}/admin/jobs.json", cookies=cookies)
        page = httpx.get(f"{base}/admin/jobs", cookies=cookies)
        anonymous_page = httpx.get(f"{base}/admin/jobs", headers={"accept": "text/html"})
    assert anonymous.status_code == 401
    assert user.status_code == 403
    assert admin.status_code == 200
    jobs = {j["name"]: j for j in admin.json()["jobs"]}
    assert set(jobs) == {
        "ingest_arxiv",
        "embed_and_sync",
        "retrain_suggestions",
        "send_digests",
        "make_thumbnails",
    }
    assert jobs["ingest_arxiv"]["last_run"]["status"] == "ok"
    assert page.status_code == 200 and "<td>ingest_arxiv</td>" in page.text
    assert anonymous_page.status_code == 401


def test_serve_alone_runs_the_jobs_in_process_when_asked(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from papertide.jobs.runs import recent_runs

    settings = settings.model_copy(update={"jobs_in_process": True})
    app = create_app(settings, engine=engine)
    with serving(app) as base:
        app.state.web.job_queue().enqueue("send_digests")
        run = wait_for(
            lambda: [r for r in recent_runs(engine, name="send_digests") if r.status == "ok"],
            "the in-process worker to run the job",
        )
        assert httpx.get(f"{base}/healthz").status_code == 200
    assert run[0].result is not None and run[0].result["due"] == 0


def test_a_node_shutting_down_mid_embedding_stops_its_index_follower(
    settings: Settings, engine: Engine
) -> None:
    from sqlalchemy import func, select

    from papertide.ingest.sample import load_demo_data
    from papertide.search.follower import IndexFollower
    from papertide.store.schema import Embedding

    load_demo_data(settings, engine)  # 4,161 papers without vectors: minutes of embedding
    settings = settings.model_copy(update={"index_sync_seconds": 0.2})
    app = create_app(settings, engine=engine)
    follower = app.state.web.index_follower
    assert isinstance(follower, IndexFollower)

    def embedded() -> int:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(Embedding)).scalar_one())

    with serving(app):
        wait_for(embedded, "the follower to start embedding", limit=120)
    # serving() returned: the lifespan stopped the follower, which left between two batches
    # instead of being abandoned inside the model (that aborted the interpreter before).
    assert follower.thread is not None and not follower.thread.is_alive()
    done = embedded()
    assert 0 < done < 4161
    time.sleep(1)
    assert embedded() == done  # nothing runs on after shutdown


def test_a_node_that_leaves_embedding_to_the_worker_only_indexes(
    settings: Settings, engine: Engine
) -> None:
    from sqlalchemy import func, select

    from papertide.ingest.sample import load_demo_data
    from papertide.store.schema import Embedding

    load_demo_data(settings, engine)
    settings = settings.model_copy(
        update={"index_sync_seconds": 0.2, "index_follower_embeds": False}
    )
    app = create_app(settings, engine=engine)
    with serving(app) as base, httpx.Client(base_url=base, timeout=30) as http:
        wait_for(lambda: http.get("/readyz").status_code == 200, "the node to build its index")
        found = http.get("/api/papers/search", params={"q": "graph", "mode": "keyword"})
        time.sleep(1)  # several more follower rounds
    assert found.status_code == 200 and found.json()
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Embedding)).scalar_one() == 0
