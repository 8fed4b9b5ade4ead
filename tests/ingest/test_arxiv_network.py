"""OAI-PMH harvesting and the Atom API against a local server replaying recorded arXiv answers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from tests.conftest import TEST_DATA
from tests.ingest.conftest import RecordedServer, Reply, offline

from papertide.config import Settings
from papertide.ingest.arxiv_api import ArxivApiError, fetch_papers
from papertide.ingest.arxiv_oai import HarvestError, harvest
from papertide.ingest.http import PoliteClient
from papertide.store.schema import HarvestState, Paper, PaperVersion

PAGE1 = (TEST_DATA / "arxiv_oai_arxivraw_page1.xml").read_bytes()
PAGE2 = (TEST_DATA / "arxiv_oai_arxivraw_page2.xml").read_bytes()
NO_RECORDS = (TEST_DATA / "arxiv_oai_no_records_match.xml").read_bytes()
ARXIV_FORMAT = (TEST_DATA / "arxiv_oai_arxiv_listrecords.xml").read_bytes()
ATOM = (TEST_DATA / "arxiv_api_id_list.atom.xml").read_bytes()
TOKEN = "1403493|1001"

Start = Callable[[Callable[[dict[str, str]], Reply]], RecordedServer]


def two_pages(params: dict[str, str]) -> Reply:
    if params.get("resumptionToken") == TOKEN:
        return Reply(body=PAGE2)
    assert params["verb"] == "ListRecords" and params["metadataPrefix"] == "arXivRaw"
    return Reply(body=PAGE1)


def _papers(engine: Engine) -> dict[str, object]:
    with engine.connect() as conn:
        return {row.arxiv_id: row for row in conn.execute(select(Paper.__table__))}


def test_multi_page_harvest_follows_the_resumption_token(
    settings: Settings, engine: Engine, recorded_server: Start
) -> None:
    server = recorded_server(two_pages)
    cfg = offline(settings, arxiv_oai_url=server.url)
    report = harvest(cfg, engine, set_spec="cs", from_date="2016-10-20", metadata_prefix="arXivRaw")
    papers = _papers(engine)
    assert report.complete and report.pages == 2 and report.read == 6
    assert set(papers) == {
        "0803.4354",
        "0808.3386",
        "0910.4952",
        "1007.2706",
        "1008.4940",
        "1606.07946",
    }
    assert papers["0803.4354"].latest_version == 6  # type: ignore[attr-defined]
    assert papers["0808.3386"].withdrawn is True  # type: ignore[attr-defined]
    assert papers["1007.2706"].doi == "10.1017/S0004972714000355"  # type: ignore[attr-defined]
    assert "\\alpha" in papers["1606.07946"].abstract  # type: ignore[attr-defined]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(PaperVersion)).scalar_one() == 22
    assert server.requests[0][1]["set"] == "cs" and server.requests[0][1]["from"] == "2016-10-20"
    again = harvest(cfg, engine, set_spec="cs", from_date="2016-10-20", metadata_prefix="arXivRaw")
    assert again.papers.changed == 0 and again.papers.unchanged == 6


def test_interrupted_harvest_resumes_after_the_last_stored_page(
    settings: Settings, engine: Engine, recorded_server: Start
) -> None:
    server = recorded_server(two_pages)
    cfg = offline(settings, arxiv_oai_url=server.url)
    first = harvest(cfg, engine, set_spec="cs", metadata_prefix="arXivRaw", max_pages=1)
    assert not first.complete and len(_papers(engine)) == 3
    with engine.connect() as conn:
        state = conn.execute(select(HarvestState.__table__)).one()
    assert state.resumption_token == TOKEN and state.status == "running"
    second = harvest(cfg, engine, set_spec="cs", metadata_prefix="arXivRaw")
    assert second.resumed and second.complete and second.pages == 1
    assert server.requests[-1][1] == {"verb": "ListRecords", "resumptionToken": TOKEN}
    assert len(_papers(engine)) == 6
    with engine.connect() as conn:
        state = conn.execute(select(HarvestState.__table__)).one()
    assert state.status == "done" and state.resumption_token is None


def test_a_failing_server_leaves_the_harvest_resumable(
    settings: Settings, engine: Engine, recorded_server: Start
) -> None:
    broken = {"on": True}

    def route(params: dict[str, str]) -> Reply:
        if "resumptionToken" in params and broken["on"]:
            return Reply(status=500, body=b"Internal Server Error")
        return two_pages(params)

    server = recorded_server(route)
    cfg = offline(settings, arxiv_oai_url=server.url)
    client = PoliteClient(delay=0, retries=1, backoff=0.01)
    with pytest.raises(HarvestError, match=r"HTTP 500.*run the same command again to resume"):
        harvest(cfg, engine, set_spec="cs", metadata_prefix="arXivRaw", client=client)
    assert len(_papers(engine)) == 3
    broken["on"] = False
    report = harvest(cfg, engine, set_spec="cs", metadata_prefix="arXivRaw")
    assert report.resumed and report.complete and len(_papers(engine)) == 6


def test_503_retry_after_is_honoured_then_the_page_is_used(
    settings: Settings, engine: Engine, recorded_server: Start
) -> None:
    calls = {"n": 0}

    def route(params: dict[str, str]) -> Reply:
        calls["n"] += 1
        if calls["n"] == 1:
            return Reply(status=503, body=b"Retry after 1 seconds", headers={"Retry-After": "1"})
        return Reply(body=ARXIV_FORMAT)

    server = recorded_server(route)
    cfg = offline(settings, arxiv_oai_url=server.url)
    report = harvest(cfg, engine, set_spec="physics:astro-ph", metadata_prefix="arXiv")
    assert report.complete and report.read == 1
    (t1, _), (t2, _) = server.requests
    assert t2 - t1 >= 0.9  # the client waited as the server asked
    paper = _papers(engine)["0801.3931"]
    assert paper.authors == ["T. Manos", "E. Athanassoula"]  # type: ignore[attr-defined]
    assert paper.journal_ref.startswith("Chaos in Astronomy")  # type: ignore[attr-defined]
    assert paper.abstract.startswith("We study the dynamics")  # type: ignore[attr-defined]


def test_no_records_match_is_a_finished_empty_harvest(
    settings: Settings, engine: Engine, recorded_server: Start
) -> None:
    server = recorded_server(lambda params: Reply(body=NO_RECORDS))
    cfg = offline(settings, arxiv_oai_url=server.url)
    report = harvest(
        cfg, engine, set_spec="hep-ex", from_date="2026-10-03", until_date="2026-10-03"
    )
    assert report.complete and report.ok and report.read == 0
    assert _papers(engine) == {}


def test_network_errors_are_retried_with_backoff_then_reported(settings: Settings) -> None:
    cfg = offline(settings, arxiv_oai_url="http://127.0.0.1:9/oai")  # discard port: refused
    slept: list[float] = []
    client = PoliteClient(delay=0, retries=3, backoff=0.5, sleep=slept.append)
    with pytest.raises(ArxivApiError, match=r"cannot reach .* after 4 tries") as info:
        fetch_papers(
            offline(settings, arxiv_api_url=cfg.arxiv_oai_url), ["1205.1001"], client=client
        )
    assert slept == [0.5, 1.0, 2.0]
    assert info.value.unreachable


def test_an_unreachable_host_fails_at_once_when_asked_not_to_retry_it(
    settings: Settings,
) -> None:
    cfg = offline(settings, arxiv_api_url="http://127.0.0.1:9/api/query")  # discard: refused
    slept: list[float] = []
    client = PoliteClient(delay=3, retries=3, sleep=slept.append, retry_unreachable=False)
    with pytest.raises(ArxivApiError, match=r"after 1 try;") as info:
        fetch_papers(cfg, ["1205.1001"], client=client)
    assert info.value.unreachable
    assert slept == []  # no backoff, no politeness pause: there was nobody to be polite to


def test_api_fetch_parses_an_id_list_answer(settings: Settings, recorded_server: Start) -> None:
    server = recorded_server(lambda params: Reply(body=ATOM))
    cfg = offline(settings, arxiv_api_url=server.url)
    records = fetch_papers(cfg, ["arXiv:1205.1001v1", "1001.1001"])
    assert server.requests[0][1]["id_list"] == "1205.1001,1001.1001"
    first, second = records
    assert first.arxiv_id == "1205.1001"
    assert (
        first.title
        == "Membrane lateral structure: The influence of immobilized particles on domain size"
    )
    assert first.authors == ["Timo Fischer", "H. Jelger Risselada", "Richard L. C. Vink"]
    assert first.categories == ["cond-mat.soft", "physics.bio-ph"]
    assert first.primary_category == "cond-mat.soft"
    assert first.comment == "submitted to PCCP"
    assert first.abstract.startswith("In experiments on model membranes, a formation")
    assert second.primary_category == "astro-ph.SR"


def test_api_refuses_bad_ids_before_asking(settings: Settings) -> None:
    with pytest.raises(ArxivApiError, match="not an arXiv id"):
        fetch_papers(settings, ["2401.00001", "DROP TABLE papers"])


def test_a_broken_record_is_skipped_with_its_number_and_the_rest_kept(
    settings: Settings, engine: Engine, recorded_server: Start, tmp_path: Path
) -> None:
    # The recorded page with one closing tag cut out of its second record.
    title = b"Boolean Satisfiability Problem</title>"
    damaged = PAGE1.replace(title, b"Boolean Satisfiability Problem", 1)
    assert damaged != PAGE1

    def route(params: dict[str, str]) -> Reply:
        return Reply(body=PAGE2 if params.get("resumptionToken") == TOKEN else damaged)

    server = recorded_server(route)
    cfg = offline(settings, arxiv_oai_url=server.url)
    report = harvest(cfg, engine, set_spec="cs", metadata_prefix="arXivRaw", report_dir=tmp_path)
    assert report.complete and not report.ok
    assert report.skipped == 1 and report.skipped_examples[0].where == "page 1 record 2"
    assert "malformed XML" in report.skipped_examples[0].reason
    assert set(_papers(engine)) == {
        "0803.4354",
        "0910.4952",
        "1007.2706",
        "1008.4940",
        "1606.07946",
    }
    assert report.report_path is not None and "page 1 record 2" in report.report_path.read_text()


def test_requests_are_spaced_by_the_configured_delay(recorded_server: Start) -> None:
    server = recorded_server(lambda params: Reply(body=ATOM))
    slept: list[float] = []
    with PoliteClient(delay=3.0, sleep=slept.append) as client:
        for _ in range(3):
            client.get(server.url)
    assert len(server.requests) == 3
    assert len(slept) == 2 and all(0 < pause <= 3.0 for pause in slept)


def test_retry_after_may_be_an_http_date() -> None:
    import email.utils
    import time

    from papertide.ingest.http import MAX_RETRY_AFTER, _retry_after_seconds

    soon = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= _retry_after_seconds(soon, 1.0) <= 30
    assert _retry_after_seconds("7", 1.0) == 7
    assert _retry_after_seconds("86400", 1.0) == MAX_RETRY_AFTER
    assert _retry_after_seconds("soon-ish", 1.0) == 1.0
