"""Schemathesis over the JSON API and the operations endpoints of a real `papertide serve`.

A quick pass (a few examples per operation) so the suite stays fast; bench/fuzz_api.py runs the
whole schema with hundreds of examples per operation.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .cluster import Proc, cluster, wait_for

ST = str(Path(sys.executable).with_name("st"))


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proc]:
    from papertide.config import load_settings
    from papertide.ingest.sample import load_demo_data
    from papertide.store.db import make_engine
    from papertide.store.migrate import upgrade

    root = tmp_path_factory.mktemp("fuzz")
    url = f"sqlite:///{root / 'papertide.db'}"
    engine = make_engine(url)
    upgrade(engine)
    load_demo_data(load_settings(data_dir=root / "setup", database_url=url), engine)
    engine.dispose()
    with cluster(root, url, PAPERTIDE_INDEX_SYNC_SECONDS="2", PAPERTIDE_MAIL_BACKEND="null") as g:
        proc = g.serve("web")
        assert proc.url
        wait_for(lambda: httpx.get(f"{proc.url}/readyz").status_code == 200, "the node")
        yield proc


@pytest.mark.slow
def test_api_and_ops_routes_never_fail_and_match_their_schema(node: Proc, tmp_path: Path) -> None:
    assert node.url
    run = subprocess.run(
        [
            ST,
            "run",
            f"{node.url}/openapi.json",
            "--checks",
            "not_a_server_error,response_schema_conformance",
            "--include-path-regex",
            r"^/(api/|healthz|readyz|metrics|trending\.json|search\.json)",
            "--phases",
            "coverage,fuzzing",
            "-n",
            "5",
            "-w",
            "2",
            "--seed",
            "7",
            "--request-timeout",
            "30",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-6000:]
    assert "Traceback" not in node.output()
