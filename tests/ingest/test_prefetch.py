"""The prefetching reader (a child process) yields what the source yields, errors included."""

from __future__ import annotations

from pathlib import Path

import pytest

from papertide.ingest.files import SourceError, TruncatedInput
from papertide.ingest.jsonl_snapshot import JsonlSnapshot
from papertide.ingest.prefetch import Prefetched
from papertide.ingest.sample import sample_path

SAMPLE = sample_path("arxiv_papers.jsonl.gz")


def test_prefetched_records_equal_the_direct_ones() -> None:
    direct = list(JsonlSnapshot(SAMPLE))
    through_child = list(Prefetched(JsonlSnapshot(SAMPLE)))
    assert through_child == direct and len(direct) == 3885


def test_a_break_in_the_child_arrives_after_the_rows_before_it(tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(SAMPLE.read_bytes()[:150_000])
    direct: list[object] = []
    with pytest.raises(TruncatedInput):
        direct.extend(JsonlSnapshot(path))
    received: list[object] = []
    with pytest.raises(TruncatedInput, match="breaks after line"):
        for item in Prefetched(JsonlSnapshot(path)):
            received.append(item)
    assert direct and received == direct


def test_a_wrong_file_fails_the_same_way_through_the_child(tmp_path: Path) -> None:
    path = tmp_path / "table.jsonl"
    path.write_text("id,title\n1,x\n")
    with pytest.raises(SourceError, match="not a JSON Lines file"):
        list(Prefetched(JsonlSnapshot(path)))
