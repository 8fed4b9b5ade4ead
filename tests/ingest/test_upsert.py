"""The paper repository on SQLite and PostgreSQL: idempotent, version-aware, one batch at a time."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, func, select

from papertide.models import PaperRecord, content_hash
from papertide.store.papers import upsert_papers
from papertide.store.schema import Paper, PaperCategory, PaperVersion

V1 = dt.datetime(2024, 1, 2, 10, 0, tzinfo=dt.UTC)
V2 = dt.datetime(2024, 2, 3, 11, 0, tzinfo=dt.UTC)
V3 = dt.datetime(2024, 3, 4, 12, 0, tzinfo=dt.UTC)


def _record(version: int, title: str, **extra: object) -> PaperRecord:
    dates = {1: V1, 2: V2, 3: V3}
    return PaperRecord.build(
        arxiv_id=f"2401.00001v{version}",
        title=title,
        abstract=f"Abstract of v{version}.",
        authors=["Ada Lovelace", "Alan Turing"],
        categories=["cs.LG", "stat.ML"],
        versions=[(n, dates[n]) for n in range(1, version + 1)],
        **extra,  # type: ignore[arg-type]
    )


def _paper(engine: Engine) -> Paper:
    with engine.connect() as conn:
        row = conn.execute(select(Paper.__table__)).one()
    return row  # type: ignore[return-value]


def _versions(engine: Engine) -> list[tuple[int, dt.datetime | None]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(PaperVersion.version, PaperVersion.submitted_at).order_by(PaperVersion.version)
        )
        return [(v, when) for v, when in rows]


def test_same_record_twice_writes_nothing_the_second_time(engine: Engine) -> None:
    record = _record(2, "Learning things")
    with engine.begin() as conn:
        first = upsert_papers(conn, [record])
    before = _paper(engine)
    with engine.begin() as conn:
        second = upsert_papers(conn, [record])
    after = _paper(engine)
    assert (first.inserted, first.updated, first.unchanged) == (1, 0, 0)
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 1)
    assert after.updated_at == before.updated_at
    assert after.content_hash == content_hash("Learning things", "Abstract of v2.")
    assert _versions(engine) == [(1, V1), (2, V2)]


def test_newer_version_updates_the_paper_and_extends_its_history(engine: Engine) -> None:
    with engine.begin() as conn:
        upsert_papers(conn, [_record(1, "First title")])
    with engine.begin() as conn:
        counts = upsert_papers(
            conn, [_record(3, "Better title", doi="10.1/x", comment="see github.com/a/b")]
        )
    paper = _paper(engine)
    assert counts.updated == 1
    assert paper.title == "Better title"
    assert paper.latest_version == 3
    assert paper.doi == "10.1/x"
    assert paper.code_links == ["https://github.com/a/b"]
    assert paper.published_at == V1
    assert paper.revised_at == V3
    assert _versions(engine) == [(1, V1), (2, V2), (3, V3)]


def test_older_version_never_overwrites_a_newer_one_but_fills_gaps(engine: Engine) -> None:
    with engine.begin() as conn:
        upsert_papers(conn, [_record(3, "Final title")])
    older = _record(1, "Draft title", journal_ref="J. Stuff 1 (2024)")
    with engine.begin() as conn:
        counts = upsert_papers(conn, [older])
    paper = _paper(engine)
    assert counts.updated == 1  # only the empty journal_ref was filled
    assert paper.title == "Final title"
    assert paper.abstract == "Abstract of v3."
    assert paper.latest_version == 3
    assert paper.journal_ref == "J. Stuff 1 (2024)"
    with engine.begin() as conn:
        again = upsert_papers(conn, [older])
    assert again.unchanged == 1


def test_versions_from_different_sources_are_merged(engine: Engine) -> None:
    only_v2 = PaperRecord.build(
        arxiv_id="2401.00001v2", title="T", versions=[(2, V2)], categories=["cs.LG"]
    )
    only_v1 = PaperRecord.build(
        arxiv_id="2401.00001", title="T", versions=[(1, V1)], categories=["cs.LG"]
    )
    with engine.begin() as conn:
        upsert_papers(conn, [only_v2])
    with engine.begin() as conn:
        upsert_papers(conn, [only_v1])
    assert _versions(engine) == [(1, V1), (2, V2)]
    assert _paper(engine).published_at == V1


def test_categories_follow_the_newest_version(engine: Engine) -> None:
    with engine.begin() as conn:
        upsert_papers(conn, [_record(1, "T")])
    newer = PaperRecord.build(
        arxiv_id="2401.00001v2", title="T", categories=["cs.CV"], versions=[(2, V2)]
    )
    with engine.begin() as conn:
        upsert_papers(conn, [newer])
    with engine.connect() as conn:
        cats = sorted(conn.execute(select(PaperCategory.category)).scalars())
    assert cats == ["cs.CV"]
    assert _paper(engine).primary_category == "cs.CV"


def test_one_batch_is_one_transaction(engine: Engine) -> None:
    good = _record(1, "Kept?")
    try:
        with engine.begin() as conn:
            upsert_papers(conn, [good])
            raise RuntimeError("the batch fails after the upsert")
    except RuntimeError:
        pass
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Paper)).scalar_one() == 0


def test_withdrawn_is_sticky_for_older_versions(engine: Engine) -> None:
    with engine.begin() as conn:
        upsert_papers(conn, [_record(2, "T", comment="This paper has been withdrawn")])
    with engine.begin() as conn:
        upsert_papers(conn, [_record(1, "T")])
    assert _paper(engine).withdrawn is True


def test_marking_withdrawn_changes_only_known_papers_once(engine: Engine) -> None:
    from papertide.store.papers import mark_withdrawn

    with engine.begin() as conn:
        upsert_papers(conn, [_record(1, "T")])
    with engine.begin() as conn:
        assert mark_withdrawn(conn, ["2401.00001", "2401.99999"]) == 1
    with engine.begin() as conn:
        assert mark_withdrawn(conn, ["2401.00001"]) == 0
    assert _paper(engine).withdrawn is True


def test_a_paper_added_by_another_writer_meanwhile_is_merged_not_duplicated(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import papertide.store.papers as repo

    with engine.begin() as conn:
        upsert_papers(conn, [_record(1, "Written by the web app")])
    # As if the first lookup ran just before the other writer committed: nothing seemed stored.
    real_fetch = repo._fetch_existing
    calls: list[int] = []

    def fetch_too_early(conn: object, ids: object) -> object:
        calls.append(1)
        return ({}, {}) if len(calls) == 1 else real_fetch(conn, ids)  # type: ignore[arg-type]

    monkeypatch.setattr(repo, "_fetch_existing", fetch_too_early)
    with engine.begin() as conn:
        counts = upsert_papers(conn, [_record(2, "Newer from the harvest")])
    assert (counts.inserted, counts.updated) == (0, 1)
    assert _paper(engine).title == "Newer from the harvest"
    assert _versions(engine) == [(1, V1), (2, V2)]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(PaperCategory)).scalar_one() == 2
