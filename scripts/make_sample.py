"""Build the small real sample shipped in src/papertide/sample/ from ../shared/data.

arXiv metadata is CC0. Hugging Face daily-papers entries carry public user handles, names and
avatar URLs: every person-identifying field of a submitter or linked author account is replaced by
a pseudonym from a salted hash whose salt is thrown away, so the mapping cannot be reversed.

Versions: the shared arXiv records carry no version history (the bots that collected them kept
none). Every sample paper was first seen in the month its id was given out, or the month after
(all 3,885 of them), that is, in arXiv's listing of new submissions: so each carries `v1`. Its
date is the feed's `publishedAt` where that can be v1's date (in the id's month, not after the
paper was first seen: for 18 of 598 feed papers Hugging Face gives a later date, a later version's),
and none otherwise. Nothing else about versions is invented.

Run: python scripts/make_sample.py [--days 30] [--papers-only] [--shared DIR]
     [--extra 2500 (about; every len/2500-th paper)]
(--papers-only rewrites arxiv_papers.jsonl.gz and keeps the shipped feed file, whose pseudonyms
cannot be made again; its papers are then read from that file.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import hashlib
import json
import secrets
from pathlib import Path
from typing import Any

from papertide.models import could_be_v1_date

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
OUT = Path(__file__).resolve().parents[1] / "src" / "papertide" / "sample"
SALT = secrets.token_bytes(16)


def pseudonym(handle: str) -> str:
    return "reader-" + hashlib.sha256(SALT + handle.encode()).hexdigest()[:8]


def scrub_user(user: dict[str, Any]) -> dict[str, Any]:
    handle = str(user.get("user") or user.get("name") or user.get("_id") or "anon")
    alias = pseudonym(handle)
    return {
        "_id": hashlib.sha256(SALT + b"id" + handle.encode()).hexdigest()[:24],
        "avatarUrl": None,
        "isPro": False,
        "fullname": alias,
        "user": alias,
        "name": alias,
        "type": "user",
    }


def scrub_entry(entry: dict[str, Any]) -> dict[str, Any]:
    paper = dict(entry["paper"])
    paper["authors"] = [
        {"_id": a.get("_id"), "name": a.get("name"), "hidden": a.get("hidden", False)}
        for a in paper.get("authors", [])
    ]
    for key in ("submittedOnDailyBy",):
        if isinstance(paper.get(key), dict):
            paper[key] = scrub_user(paper[key])
    out = dict(entry)
    out["paper"] = paper
    if isinstance(out.get("submittedBy"), dict):
        out["submittedBy"] = scrub_user(out["submittedBy"])
    out.pop("thumbnail", None)  # a hub URL; not needed
    out.pop("organization", None)
    paper.pop("organization", None)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=30, help="latest feed days of HF data to keep")
    ap.add_argument("--extra", type=int, default=2500, help="other arXiv papers to add")
    ap.add_argument(
        "--papers-only", action="store_true", help="keep the shipped feed file; rewrite papers"
    )
    ap.add_argument(
        "--shared", type=Path, default=SHARED, help=f"the shared data folder (default {SHARED})"
    )
    args = ap.parse_args()
    shared = args.shared

    if args.papers_only:
        with gzip.open(OUT / "hf_daily_papers.jsonl.gz", "rt") as fh:
            hf = [json.loads(line) for line in fh]
        days = sorted({r["feed_date"] for r in hf})
    else:
        with gzip.open(shared / "hf_daily_papers" / "daily_papers_snapshots.jsonl.gz", "rt") as fh:
            rows = [json.loads(line) for line in fh]
        days = sorted({r["feed_date"] for r in rows})[-args.days :]
        keep_days = set(days)
        hf = [
            {
                "feed_date": r["feed_date"],
                "snapshot_time": r["snapshot_time"],
                "entry": scrub_entry(r["entry"]),
            }
            for r in rows
            if r["feed_date"] in keep_days
        ]
    hf_ids = {r["entry"]["paper"]["id"] for r in hf}
    published = {
        r["entry"]["paper"]["id"]: r["entry"]["paper"].get("publishedAt")
        or r["entry"].get("publishedAt")
        for r in hf
    }

    def v1_date(rec: dict[str, Any]) -> str | None:
        when = published.get(rec["id"])
        if not when or when[:10] > rec["first_seen"]:
            return None
        return when if could_be_v1_date(rec["id"], dt.date.fromisoformat(when[:10])) else None

    first_day = days[0]
    chosen: list[dict[str, Any]] = []
    extra: list[dict[str, Any]] = []
    with gzip.open(shared / "arxiv" / "arxiv_papers.jsonl.gz", "rt") as fh:
        for line in fh:
            rec = json.loads(line)
            if rec["id"] in hf_ids:
                chosen.append(rec)
            elif rec["first_seen"] >= first_day:
                extra.append(rec)
    # Every step-th paper of the period, so every day has papers (the latest days too: cutting
    # the list at --extra papers once left the last ten days with feed papers only, and the demo
    # with nothing new to suggest on its "today"); deterministic.
    step = max(1, len(extra) // args.extra)
    chosen.extend(extra[::step])
    chosen.sort(key=lambda r: (r["first_seen"], r["id"]))
    for rec in chosen:
        rec["sources"] = rec.get("sources", [])[:1]
        rec["versions"] = [{"version": "v1", "created": v1_date(rec)}]

    OUT.mkdir(parents=True, exist_ok=True)
    with gzip.open(OUT / "arxiv_papers.jsonl.gz", "wt", compresslevel=9) as fh:
        for rec in chosen:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    if not args.papers_only:
        with gzip.open(OUT / "hf_daily_papers.jsonl.gz", "wt", compresslevel=9) as fh:
            for rec in hf:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    print(
        f"{len(chosen)} papers ({len(hf_ids & {r['id'] for r in chosen})} on the feed), "
        f"{len(hf)} feed entries over {len(days)} days {days[0]}..{days[-1]}"
    )


if __name__ == "__main__":
    main()
