"""The make_thumbnails job against a loopback server serving the test PDFs, on both databases."""

from __future__ import annotations

import datetime as dt
import io
import logging
import socket

import pytest
from PIL import Image
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from papertide.config import Settings
from papertide.jobs.queue import execute_job
from papertide.jobs.runs import recent_runs
from papertide.jobs.specs import default_jobs
from papertide.store.schema import Thumbnail, ThumbStatus
from papertide.thumbs.job import MAX_ATTEMPTS, RETRY_AFTER, thumbnail_feed_papers

from .conftest import FeedPaper, PdfReply, PdfServer, pdf


def _rows(engine: Engine) -> dict[int, Thumbnail]:
    with Session(engine) as session:
        return {t.paper_id: t for t in session.scalars(select(Thumbnail))}


def test_the_job_thumbnails_every_kind_of_pdf_and_finishes_ok(
    thumb_settings: Settings,
    engine: Engine,
    pdf_server: PdfServer,
    feed_paper: FeedPaper,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ids = {
        name: feed_paper(arxiv_id)
        for name, arxiv_id in [
            ("paper", "2608.00001"),
            ("broken", "2608.00002"),
            ("encrypted", "2608.00003"),
            ("missing", "2608.00004"),
            ("huge", "2608.00005"),
            ("huge-streamed", "2608.00006"),
            ("html", "2608.00007"),
        ]
    }
    pdf_server.serve("2608.00001", pdf("paper.pdf"))
    pdf_server.serve("2608.00002", pdf("broken.pdf"))
    pdf_server.serve("2608.00003", pdf("encrypted.pdf"))
    big = b"%PDF-1.7\n" + b"0" * (2 * 1024 * 1024)
    pdf_server.serve("2608.00005", big)
    pdf_server.serve("2608.00006", PdfReply(body=big, stream=True))
    pdf_server.serve("2608.00007", PdfReply(200, b"<html>PDF unavailable</html>", "text/html"))
    settings = thumb_settings.model_copy(update={"thumbnail_max_pdf_bytes": 1024 * 1024})
    spec = next(s for s in default_jobs() if s.name == "make_thumbnails")

    with caplog.at_level(logging.WARNING, logger="papertide.thumbs"):
        outcome = execute_job(settings, engine, spec)

    assert outcome.status == "ok"
    rows = _rows(engine)
    status = {name: ThumbStatus(rows[paper_id].status) for name, paper_id in ids.items()}
    assert status == {
        "paper": ThumbStatus.OK,
        "broken": ThumbStatus.BROKEN,
        "encrypted": ThumbStatus.ENCRYPTED,
        "missing": ThumbStatus.MISSING,
        "huge": ThumbStatus.TOO_LARGE,
        "huge-streamed": ThumbStatus.TOO_LARGE,
        "html": ThumbStatus.BROKEN,
    }
    made = rows[ids["paper"]]
    assert made.webp is not None and len(made.webp) <= 30_000
    assert Image.open(io.BytesIO(made.webp)).size == (made.width, made.height) == (320, 415)
    assert made.digest and made.reason is None
    reasons = {name: rows[paper_id].reason or "" for name, paper_id in ids.items()}
    assert "password" in reasons["encrypted"]
    assert "HTTP 404" in reasons["missing"]
    assert "more than the 1,048,576" in reasons["huge"]
    assert "more than the 1,048,576" in reasons["huge-streamed"]
    assert "sent no PDF (it starts '<html>" in reasons["html"]
    assert all(rows[i].webp is None for n, i in ids.items() if n != "paper")
    # Each reason is in the log too, and the run's record counts them.
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "no thumbnail for 2608.00003 (encrypted)" in logged
    result = recent_runs(engine, name="make_thumbnails", limit=1)[0].result
    assert result["made"] == 1 and result["waiting"] == 0
    assert result["failed"] == {"broken": 2, "encrypted": 1, "missing": 1, "too_large": 2}


def test_a_second_run_fetches_nothing_again(
    thumb_settings: Settings, engine: Engine, pdf_server: PdfServer, feed_paper: FeedPaper
) -> None:
    feed_paper("2608.00001")
    feed_paper("2608.00002")
    pdf_server.serve("2608.00001", pdf("paper.pdf"))
    pdf_server.serve("2608.00002", pdf("broken.pdf"))

    first = thumbnail_feed_papers(thumb_settings, engine)
    second = thumbnail_feed_papers(thumb_settings, engine)

    assert (first.made, first.failed) == (1, {"broken": 1})
    assert (second.made, second.failed, second.waiting) == (0, {}, 0)
    assert sorted(pdf_server.requests) == ["2608.00001", "2608.00002"]


def test_only_visible_feed_papers_are_fetched_newest_day_first_within_the_limit(
    thumb_settings: Settings, engine: Engine, pdf_server: PdfServer, feed_paper: FeedPaper
) -> None:
    day = dt.date(2026, 8, 19)
    feed_paper("2608.00010", day=day - dt.timedelta(days=2))
    feed_paper("2608.00011", day=day)
    feed_paper("2608.00012", day=day - dt.timedelta(days=1))
    feed_paper("2608.00013", hidden=True)
    feed_paper("2608.00014", withdrawn=True)
    feed_paper("2608.00015", on_feed=False)
    for arxiv_id in ("2608.00010", "2608.00011", "2608.00012"):
        pdf_server.serve(arxiv_id, pdf("paper.pdf"))

    run = thumbnail_feed_papers(thumb_settings, engine, limit=2)

    assert pdf_server.requests == ["2608.00011", "2608.00012"]
    assert (run.made, run.waiting) == (2, 1)
    thumbnail_feed_papers(thumb_settings, engine)
    assert pdf_server.requests[2:] == ["2608.00010"]


def test_an_error_answer_is_tried_again_later_but_not_forever(
    thumb_settings: Settings, engine: Engine, pdf_server: PdfServer, feed_paper: FeedPaper
) -> None:
    paper_id = feed_paper("2608.00020")
    pdf_server.serve("2608.00020", PdfReply(503, b"busy", "text/plain"))
    # The polite client's own retries (two, spaced by the tiny backoff of a 0 s delay) first.
    run = thumbnail_feed_papers(thumb_settings, engine)

    assert run.failed == {"unreachable": 1} and run.waiting == 0
    row = _rows(engine)[paper_id]
    assert (row.status, row.attempts) == (ThumbStatus.UNREACHABLE, 1)
    assert "HTTP 503" in (row.reason or "")
    assert thumbnail_feed_papers(thumb_settings, engine).failed == {}, "not again at once"

    def age_the_attempt() -> None:
        with engine.begin() as conn:
            conn.execute(
                update(Thumbnail).values(
                    updated_at=dt.datetime.now(dt.UTC) - RETRY_AFTER - dt.timedelta(minutes=1)
                )
            )

    for _ in range(MAX_ATTEMPTS - 1):
        age_the_attempt()
        assert thumbnail_feed_papers(thumb_settings, engine).failed == {"unreachable": 1}
    age_the_attempt()
    assert thumbnail_feed_papers(thumb_settings, engine).failed == {}, "given up"
    assert _rows(engine)[paper_id].attempts == MAX_ATTEMPTS


def test_a_paper_whose_retry_succeeds_gets_its_image(
    thumb_settings: Settings, engine: Engine, pdf_server: PdfServer, feed_paper: FeedPaper
) -> None:
    paper_id = feed_paper("2608.00021")
    pdf_server.serve("2608.00021", PdfReply(502, b"bad gateway", "text/plain"))
    thumbnail_feed_papers(thumb_settings, engine)
    pdf_server.serve("2608.00021", pdf("paper.pdf"))
    with engine.begin() as conn:
        conn.execute(update(Thumbnail).values(updated_at=dt.datetime.now(dt.UTC) - 2 * RETRY_AFTER))

    assert thumbnail_feed_papers(thumb_settings, engine).made == 1
    row = _rows(engine)[paper_id]
    assert (row.status, row.reason, row.attempts) == (ThumbStatus.OK, None, 2)


def test_when_arxiv_does_not_answer_the_run_stops_and_gives_up_on_nothing(
    thumb_settings: Settings, engine: Engine, feed_paper: FeedPaper
) -> None:
    first = feed_paper("2608.00031")
    feed_paper("2608.00030", day=dt.date(2026, 8, 18))
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings = thumb_settings.model_copy(update={"arxiv_pdf_url": f"http://127.0.0.1:{port}/pdf"})

    run = thumbnail_feed_papers(settings, engine)

    assert run.made == 0 and run.failed == {"unreachable": 1}
    assert run.stopped is not None and "did not answer" in run.stopped
    rows = _rows(engine)
    assert list(rows) == [first], "the run stopped at the first paper"
    assert (rows[first].status, rows[first].attempts) == (ThumbStatus.UNREACHABLE, 0)
    assert run.waiting == 1, "the first paper waits a while; the other is next"
    # However long arXiv stays away, the paper is tried again later and never given up.
    for _ in range(MAX_ATTEMPTS + 1):
        with engine.begin() as conn:
            conn.execute(
                update(Thumbnail).values(updated_at=dt.datetime.now(dt.UTC) - 2 * RETRY_AFTER)
            )
        assert thumbnail_feed_papers(settings, engine, limit=1).failed == {"unreachable": 1}
    assert _rows(engine)[first].attempts == 0


def test_no_thumbnails_when_the_setting_says_none(
    thumb_settings: Settings, engine: Engine, pdf_server: PdfServer, feed_paper: FeedPaper
) -> None:
    feed_paper("2608.00040")
    settings = thumb_settings.model_copy(update={"thumbnails_per_run": 0})

    run = thumbnail_feed_papers(settings, engine)

    assert (run.made, run.waiting, pdf_server.requests) == (0, 1, [])
