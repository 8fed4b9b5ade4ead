"""Kill -9 the worker in the middle of a job; the restarted worker resumes without duplicates.

Real `papertide worker` processes on a SQLite installation (SqliteHuey queue), a recorded arXiv
OAI-PMH endpoint and a real SMTP server (aiosmtpd) that can hold a delivery open.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import signal
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from papertide.store.db import make_engine
from papertide.store.migrate import upgrade
from papertide.store.schema import Delivery, FeedEntry, JobRun, Paper, PaperCategory, Subscription

from .cluster import Cluster, FakeOai, cluster, free_port, wait_for


@pytest.fixture
def sqlite_install(tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    url = f"sqlite:///{tmp_path / 'papertide.db'}"
    engine = make_engine(url)
    upgrade(engine)
    yield url, engine
    engine.dispose()


def _runs(engine: Engine, name: str) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(JobRun.trigger, JobRun.status).where(JobRun.name == name).order_by(JobRun.id)
        )
        return [(t, s) for t, s in rows]


def _kill_and_restart(group: Cluster, engine: Engine, job: str, release: Any) -> None:
    worker = group.procs[-1]
    worker.popen.send_signal(signal.SIGKILL)
    worker.popen.wait(timeout=10)
    assert _runs(engine, job)[-1][1] == "running"  # cut off: nobody recorded an end
    release()
    group.worker("worker_restarted")
    wait_for(lambda: ("resume", "ok") in _runs(engine, job), f"the resumed {job}", limit=60)


def test_killed_ingest_resumes_from_its_page_and_stores_no_duplicates(
    tmp_path: Path, sqlite_install: tuple[str, Engine]
) -> None:
    url, engine = sqlite_install
    with FakeOai() as oai, cluster(tmp_path, url, PAPERTIDE_ARXIV_OAI_URL=oai.url) as group:
        oai.hold.set()
        group.worker()
        assert group.cli("worker", "jobs", "run", "ingest_arxiv", "--enqueue").returncode == 0
        wait_for(oai.page2_requested.is_set, "the harvest to reach page 2")

        def release() -> None:
            oai.hold.clear()
            oai.release.set()

        _kill_and_restart(group, engine, "ingest_arxiv", release)

    with engine.connect() as conn:
        ids = conn.execute(select(Paper.arxiv_id)).scalars().all()
    assert sorted(ids) == sorted(
        ["0803.4354", "0808.3386", "0910.4952", "1007.2706", "1008.4940", "1606.07946"]
    )
    # The restarted harvest asked for page 2 with the saved token; page 1 was fetched once.
    first_pages = [r for r in oai.requests if "resumptionToken" not in r]
    assert len(first_pages) == 1
    assert [r.get("resumptionToken") for r in oai.requests[1:]] == ["1403493|1001"] * 2
    assert _runs(engine, "ingest_arxiv") == [("manual", "interrupted"), ("resume", "ok")]


class HoldingInbox:
    """An SMTP handler that accepts mail but can hold a recipient at RCPT until released."""

    def __init__(self) -> None:
        self.accepted: list[str] = []
        self.hold_after = 1  # hold the 2nd recipient
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if len(self.accepted) >= self.hold_after and not self.release.is_set():
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 60)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.accepted.extend(envelope.rcpt_tos)
        return "250 Message accepted for delivery"


def _due_weekly_digests(engine: Engine, recipients: list[str]) -> None:
    """Trending papers on every recent feed day, and weekly-trending subscribers to mail."""
    today = dt.datetime.now(dt.UTC).date()
    with Session(engine) as db:
        for n in range(21):
            day = today - dt.timedelta(days=n)
            paper = Paper(
                arxiv_id=f"2611.{n:05d}",
                title=f"A trending paper number {n}",
                abstract="An abstract about learning.",
                authors=["Ada Lovelace"],
                categories=["cs.LG"],
                primary_category="cs.LG",
                first_announced=day,
            )
            db.add(paper)
            db.flush()
            db.add(PaperCategory(paper_id=paper.id, category="cs.LG"))
            db.add(FeedEntry(paper_id=paper.id, feed_date=day, upvotes=10 + n, source="hf"))
        for address in recipients:
            db.add(
                Subscription(
                    email=address,
                    kind="weekly_trending",
                    params={},
                    frequency="weekly",
                    send_hour=0,
                    timezone="UTC",
                    status="active",
                    confirmed_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                )
            )
        db.commit()


def test_killed_digest_run_resumes_and_mails_nobody_twice(
    tmp_path: Path, sqlite_install: tuple[str, Engine]
) -> None:
    from aiosmtpd.controller import Controller

    url, engine = sqlite_install
    recipients = [f"reader{i}@example.org" for i in range(4)]
    _due_weekly_digests(engine, recipients)
    inbox = HoldingInbox()
    port = free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        with cluster(
            tmp_path,
            url,
            PAPERTIDE_MAIL_BACKEND="smtp",
            PAPERTIDE_SMTP_HOST="127.0.0.1",
            PAPERTIDE_SMTP_PORT=str(port),
            PAPERTIDE_MAIL_RATE_PER_SECOND="1000",
        ) as group:
            group.worker()
            assert group.cli("worker", "jobs", "run", "send_digests", "--enqueue").returncode == 0
            wait_for(inbox.holding.is_set, "the second delivery to be in flight")
            _kill_and_restart(group, engine, "send_digests", inbox.release.set)
    finally:
        inbox.release.set()
        smtp.stop()

    assert Counter(inbox.accepted) == Counter(recipients), inbox.accepted
    with engine.connect() as conn:
        statuses = conn.execute(select(Delivery.status, func.count()).group_by(Delivery.status))
        assert dict(statuses.all()) == {"sent": len(recipients)}
