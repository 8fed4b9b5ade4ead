"""Read a BEIR-format folder: corpus.jsonl[.gz], queries.jsonl[.gz], qrels/<split>.tsv."""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO


class BeirError(ValueError):
    """The folder is not a readable BEIR dataset; the message says what is missing."""


@dataclass(frozen=True)
class BeirDoc:
    doc_id: str
    title: str
    text: str


@dataclass
class BeirDataset:
    docs: list[BeirDoc]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]  # query id -> doc id -> grade (> 0 relevant)


def _open(folder: Path, name: str) -> IO[str]:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.exists():
            if candidate.suffix == ".gz":
                return gzip.open(candidate, "rt", encoding="utf-8")
            return candidate.open(encoding="utf-8")
    raise BeirError(f"{folder} has no {name} or {name}.gz; is it a BEIR folder?")


def _jsonl(handle: IO[str], what: str) -> Iterator[dict[str, object]]:
    with handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise BeirError(f"{what} line {number}: not JSON ({exc.msg})") from None
            if not isinstance(row, dict) or "_id" not in row:
                raise BeirError(f"{what} line {number}: an object with an _id is expected")
            yield row


def read_qrels(folder: Path, split: str) -> dict[str, dict[str, int]]:
    path = folder / "qrels" / f"{split}.tsv"
    if not path.exists():
        raise BeirError(f"{path} not found")
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8") as handle:
        for row in csv.reader(handle, delimiter="\t"):
            if len(row) < 3 or not row[2].strip().lstrip("-").isdigit():
                continue  # header or blank
            qrels.setdefault(row[0], {})[row[1]] = int(row[2])
    return qrels


def load_beir(folder: Path, split: str = "test") -> BeirDataset:
    """The corpus, the queries that have judgements in `split`, and those judgements."""
    if not folder.is_dir():
        raise BeirError(f"{folder} is not a folder")
    docs = [
        BeirDoc(str(r["_id"]), str(r.get("title") or ""), str(r.get("text") or ""))
        for r in _jsonl(_open(folder, "corpus.jsonl"), "corpus.jsonl")
    ]
    qrels = read_qrels(folder, split)
    queries = {
        str(r["_id"]): str(r.get("text") or "")
        for r in _jsonl(_open(folder, "queries.jsonl"), "queries.jsonl")
    }
    missing = [q for q in qrels if q not in queries]
    if missing:
        raise BeirError(f"qrels/{split}.tsv names {len(missing)} queries not in queries.jsonl")
    return BeirDataset(docs=docs, queries={q: queries[q] for q in qrels}, qrels=qrels)
