"""Two web nodes and a worker on one PostgreSQL, each node with its own index files.

Loopback only: `papertide serve` twice (and a third, empty node later), `papertide worker`,
the local PostgreSQL and Redis, and a recorded arXiv OAI-PMH endpoint.
"""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from papertide.store.db import make_engine
from papertide.store.schema import User

from .cluster import REDIS_URL, FakeOai, cluster, pg_schema, redis_available, wait_for

SYNC_SECONDS = 1.0
# The bound a deployment configures (PAPERTIDE_INDEX_SYNC_SECONDS) plus time for the worker to
# harvest two pages and each node to run one sync on a shared 2-core machine.
VISIBLE_WITHIN = 60.0


def _found(base: str, query: str, arxiv_id: str) -> bool:
    response = httpx.get(
        f"{base}/api/papers/search", params={"q": query, "mode": "keyword"}, timeout=10
    )
    if response.status_code != 200:
        return False
    return any(hit["paper"]["id"] == arxiv_id for hit in response.json())


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the login page has no CSRF field"
    return match.group(1)


def _form_value(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert match, f"the page has no {name} field"
    return match.group(1)


def _ready(base: str) -> bool:
    return httpx.get(f"{base}/readyz", timeout=10).status_code == 200


@pytest.mark.slow
def test_two_nodes_and_a_worker_share_one_database(tmp_path: Path, pg_reachable: None) -> None:
    if (reason := redis_available()) is not None:
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {reason}")
    with (
        FakeOai() as oai,
        pg_schema() as url,
        cluster(
            tmp_path,
            url,
            PAPERTIDE_REDIS_URL=REDIS_URL,
            PAPERTIDE_ARXIV_OAI_URL=oai.url,
            PAPERTIDE_INDEX_SYNC_SECONDS=str(SYNC_SECONDS),
        ) as group,
    ):
        a, b = group.serve("node_a"), group.serve("node_b")
        worker = group.worker()
        for node in (a, b):
            assert node.url
            wait_for(lambda n=node: _ready(n.url), f"{node.name} to build its index")

        # A paper harvested by the worker becomes searchable on both nodes.
        queued = group.cli("worker", "jobs", "run", "ingest_arxiv", "--enqueue")
        assert queued.returncode == 0, queued.stderr
        started = time.monotonic()
        for node in (a, b):
            wait_for(
                lambda n=node: _found(n.url, "Dedekind sums", "1606.07946"),
                f"the new paper on {node.name}",
                limit=VISIBLE_WITHIN,
            )
        visible_after = time.monotonic() - started
        print(f"harvested paper searchable on both nodes after {visible_after:.1f} s")
        status = group.cli("worker", "jobs", "status", "--json")
        assert '"status": "ok"' in status.stdout and worker.alive()

        # A node that starts with no index builds one from the database and joins.
        c = group.serve("node_c")
        assert c.url
        wait_for(lambda: _ready(c.url), "the new node to build its index")
        assert _found(c.url, "Quantum Leader Election", "0910.4952")

        # A session and its CSRF token from node A work on node B.
        email = f"multi-{uuid.uuid4().hex[:8]}@example.org"
        with httpx.Client(base_url=a.url, timeout=10) as on_a:
            token = _csrf(on_a.get("/login").text)
            cookies = dict(on_a.cookies)
        sent = httpx.post(
            f"{b.url}/login", data={"email": email, "csrf_token": token}, cookies=cookies
        )
        assert sent.status_code == 200, sent.text[:300]
        link = wait_for(
            lambda: re.search(r"/login/verify\?token=[\w.\-~%]+", b.output()), "the sign-in mail"
        ).group(0)
        button = httpx.get(f"{a.url}{link}", cookies=cookies, timeout=10)  # a page, no sign-in
        assert button.status_code == 200, button.text[:300]
        signed_in = httpx.post(
            f"{a.url}/login/verify",
            data={"token": _form_value(button.text, "token"), "csrf_token": token},
            cookies=cookies,
            timeout=10,
        )
        assert signed_in.status_code in (302, 303), signed_in.text[:300]
        session_cookies = {**cookies, **dict(signed_in.cookies)}
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(update(User).where(User.email == email).values(is_admin=True))
        engine.dispose()
        jobs = httpx.get(f"{b.url}/admin/jobs.json", cookies=session_cookies, timeout=10)
        assert jobs.status_code == 200, jobs.text[:300]
        ingest = next(j for j in jobs.json()["jobs"] if j["name"] == "ingest_arxiv")
        assert ingest["last_run"]["status"] == "ok"

        # Rate limits are shared through Redis: the sign-in limit per address and account (5 an
        # hour) counts requests to both nodes together.
        other = f"limited-{uuid.uuid4().hex[:8]}@example.org"
        codes = []
        for i in range(6):
            node = a if i % 2 == 0 else b
            reply = httpx.post(
                f"{node.url}/login",
                data={"email": other, "csrf_token": token},
                cookies=cookies,
                timeout=10,
            )
            codes.append(reply.status_code)
        assert codes == [200, 200, 200, 200, 200, 429], codes
        for proc in group.procs:
            assert "Traceback" not in proc.output(), proc.output()[-3000:]
