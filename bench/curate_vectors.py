"""MiniLM vectors (papertide's shipped embedder) for the issue-12 candidates and picks.

    .venv/bin/python bench/curate_vectors.py --measure 1000 --threads 1   # rate only
    .venv/bin/python bench/curate_vectors.py --threads 1                  # embed (resumes)

Embeds what `bench/curate_probes.py`'s MiniLM probes read: every cs.AI/CL/CV/LG paper listed
from 2025-03-20 on (title + abstract, the text search embeds, 128 tokens), and every feed pick
from 2024-09-01 on that is not such a paper (its feed title + abstract). The validation split's
papers (listed up to 2026-02-28, picks before 2026-03-01) come first, so its probes can run
before the later months are done.

Cache (never in the repo), /work/cache/curate-vec/:
- `ids.txt`: one arXiv id a line, the row order of the vectors (written once, first);
- `chunks/NNNNN.npy`: float32 [<=2000, 384] per chunk of ids, written as each is done, so an
  interrupted run resumes at the first missing chunk;
- `vectors.npy`: float32 [len(ids), 384], unit rows, assembled once every chunk exists;
- `meta.json`: model name, token limit, counts, rate.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from curate_eval import inputs  # noqa: E402

from papertide.embed.base import paper_text  # noqa: E402
from papertide.embed.minilm_onnx import DEFAULT_MAX_TOKENS, MiniLMOnnxEmbedder  # noqa: E402
from papertide.rank.curate.protocol import FIRST_FULL_DAY  # noqa: E402
from papertide.rank.curate.records import DEFAULT_CATEGORIES, in_categories  # noqa: E402
from papertide.rank.curate.trend import in_sample  # noqa: E402

CACHE = Path("/work/cache/curate-vec")
CHUNK = 2000
PICKS_FROM = dt.date(2024, 9, 1)  # 180 days of picks before the first candidate day
VALIDATION_UNTIL = dt.date(2026, 2, 28)


def wanted_texts() -> tuple[list[str], list[str], int]:
    """(ids, texts, how many of them the validation split needs) in embedding order.

    The order lets a partial cache serve the validation probes with a shorter training window:
    first every pick up to 2026-02-28 (the trend features' 180 days of picks), then the
    listed papers that take part in the trend vote (one in eight), then the other listed
    papers newest day first, back to 2025-03-20; the months after 2026-02-28 come last.
    """
    candidates, picks = inputs()
    listed = {
        c.arxiv_id: c
        for c in candidates
        if c.day >= FIRST_FULL_DAY and in_categories(c, DEFAULT_CATEGORIES)
    }
    text: dict[str, str] = {i: paper_text(c.title, c.abstract) for i, c in listed.items()}
    pick_ids: list[str] = []
    seen: set[str] = set()
    for p in sorted(picks, key=lambda p: (p.day, p.arxiv_id)):
        if PICKS_FROM <= p.day <= VALIDATION_UNTIL and p.arxiv_id not in seen:
            text.setdefault(p.arxiv_id, paper_text(p.title, p.abstract))
            pick_ids.append(p.arxiv_id)
            seen.add(p.arxiv_id)
    early = [c for c in listed.values() if c.day <= VALIDATION_UNTIL and c.arxiv_id not in seen]
    sampled = sorted(c.arxiv_id for c in early if in_sample(c.arxiv_id))
    rest = [
        c.arxiv_id
        for c in sorted(early, key=lambda c: (-c.day.toordinal(), c.arxiv_id))
        if not in_sample(c.arxiv_id)
    ]
    first = pick_ids + sampled + rest
    seen.update(first)
    later = sorted(
        (c for c in listed.values() if c.arxiv_id not in seen),
        key=lambda c: (c.day, c.arxiv_id),
    )
    ids = first + [c.arxiv_id for c in later]
    seen.update(ids)
    for p in sorted(picks, key=lambda p: (p.day, p.arxiv_id)):
        if p.day > VALIDATION_UNTIL and p.arxiv_id not in seen:
            text.setdefault(p.arxiv_id, paper_text(p.title, p.abstract))
            ids.append(p.arxiv_id)
            seen.add(p.arxiv_id)
    return ids, [text[i] for i in ids], len(first)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=1, help="onnxruntime intra-op threads")
    parser.add_argument("--measure", type=int, default=0, help="embed this many, print the rate")
    args = parser.parse_args(argv)
    embedder = MiniLMOnnxEmbedder(threads=args.threads)
    ids, texts, n_validation = wanted_texts()
    if args.measure:
        t0 = time.perf_counter()
        embedder.embed(texts[: args.measure])
        seconds = time.perf_counter() - t0
        rate = args.measure / seconds
        print(
            f"{args.measure} papers in {seconds:.1f} s = {rate:.1f}/s at {args.threads} "
            f"thread(s); all {len(ids):,} would take {len(ids) / rate / 60:.0f} min "
            f"({n_validation:,} for the validation split: {n_validation / rate / 60:.0f} min)"
        )
        return 0
    chunks = CACHE / "chunks"
    chunks.mkdir(parents=True, exist_ok=True)
    id_file = CACHE / "ids.txt"
    if id_file.exists():
        if id_file.read_text().split() != ids:
            raise SystemExit(f"{id_file} lists other papers; delete {CACHE} to start again")
    else:
        id_file.write_text("\n".join(ids) + "\n")
    total = (len(ids) + CHUNK - 1) // CHUNK
    t0 = time.perf_counter()
    done_now = 0
    for k in range(total):
        path = chunks / f"{k:05d}.npy"
        if path.exists():
            continue
        part = embedder.embed(texts[k * CHUNK : (k + 1) * CHUNK])
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, part)
        tmp.rename(path)
        done_now += len(part)
        seconds = time.perf_counter() - t0
        print(
            f"chunk {k + 1}/{total}: {done_now:,} embedded in {seconds:.0f} s "
            f"({done_now / seconds:.1f}/s)",
            flush=True,
        )
    vectors = np.vstack([np.load(chunks / f"{k:05d}.npy") for k in range(total)])
    np.save(CACHE / "vectors.npy", vectors)
    seconds = time.perf_counter() - t0
    (CACHE / "meta.json").write_text(
        json.dumps(
            {
                "model": embedder.name,
                "max_tokens": DEFAULT_MAX_TOKENS,
                "papers": len(ids),
                "validation_papers_first": n_validation,
                "threads": args.threads,
                "embedded_this_run": done_now,
                "seconds_this_run": round(seconds, 1),
                "rate_per_s": round(done_now / max(seconds, 1e-9), 1),
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {CACHE / 'vectors.npy'} {vectors.shape}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
