"""Several web nodes: sessions from one are accepted by another; rate limits shared via Redis."""

from __future__ import annotations

import os
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from tests.web.conftest import Mailbox, Seed, sign_in

from papertide.config import Settings
from papertide.web.app import create_app
from papertide.web.errors import WebError
from papertide.web.ratelimit import RateLimits, Scope

REDIS_URL = os.environ.get("PAPERTIDE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def test_a_session_from_one_node_works_on_another(
    web_settings: Settings, engine: Engine, mailbox: Mailbox, seed: Seed
) -> None:
    with TestClient(create_app(web_settings, engine=engine), follow_redirects=False) as node_a:
        token = sign_in(node_a, mailbox)
        cookie = node_a.cookies.get("pt_session")
    with TestClient(create_app(web_settings, engine=engine), follow_redirects=False) as node_b:
        node_b.cookies.set("pt_session", cookie)
        voted = node_b.post(
            "/papers/2608.00001/vote",
            data={"csrf_token": token},
            headers={"accept": "application/json"},
        )
        assert voted.status_code == 200 and voted.json()["voted"] is True
    other = web_settings.model_copy(update={"secret_key": "a-different-secret"})
    with TestClient(create_app(other, engine=engine), follow_redirects=False) as node_c:
        node_c.cookies.set("pt_session", cookie)
        assert "Sign in" in node_c.get("/papers/2608.00001").text


def _redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.RedisError as exc:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"Redis is required in CI but not reachable at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")


def test_rate_limits_are_shared_between_nodes_through_redis() -> None:
    _redis_or_skip()
    limits: dict[str, dict[Scope, str]] = {"vote": {"ip": "100/minute", "account": "3/minute"}}
    node_a = RateLimits(REDIS_URL, limits)
    node_b = RateLimits(REDIS_URL, limits)
    account = f"test-{uuid.uuid4().hex}"
    node_a.hit("vote", ip="10.0.0.1", account=account)
    node_b.hit("vote", ip="10.0.0.2", account=account)
    node_a.hit("vote", ip="10.0.0.1", account=account)
    with pytest.raises(WebError) as refused:
        node_b.hit("vote", ip="10.0.0.3", account=account)
    assert refused.value.status == 429
    assert int(refused.value.headers["Retry-After"]) >= 1


def test_memory_limits_count_per_ip_and_per_account() -> None:
    limits = RateLimits(None, {"comment": {"ip": "2/minute", "account": "5/minute"}})
    limits.hit("comment", ip="10.0.0.1", account="a")
    limits.hit("comment", ip="10.0.0.1", account="b")
    with pytest.raises(WebError):
        limits.hit("comment", ip="10.0.0.1", account="c")
    limits.hit("comment", ip="10.0.0.2", account="a")  # another IP, same account: still allowed
