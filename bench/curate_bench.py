"""Timing of the suggestion model: retrain on 100,000 papers (≤ 5 min, ≤ 2 GB RSS on 2 cores)
and score a day of 1,000 papers (≤ 1 s), on the shared data.

    python bench/curate_bench.py [--papers 100000] [--day-size 1000]

The parent writes what an instance would hold (the latest 100,000 listed papers and the picks
up to their last day) to one file; the retrain runs in a child process that reads only that file,
so its peak RSS is the retrain's own, not the whole 158,898-paper snapshot's. CPU time is given
next to wall time (the machine is shared). The day to score is the 1,000
papers listed after the training period, moved onto one day; the four weeks before it are the
28,000 papers before them, 1,000 a day, so the trend window is that of a 1,000-a-day instance.
Writes bench/results/curate_bench.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pickle
import resource
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent
CACHE = Path("/tmp/curate-model-cache")
RESULTS = ROOT / "results"


def _inputs():  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(ROOT))
    from curate_eval import inputs

    return inputs()


def prepare_inputs(papers_n: int, out: Path) -> None:
    """Write what an instance would hold: the latest `papers_n` listed papers before the held
    day, the picks up to their last day, and (for scoring) the held day and its window."""
    from papertide.rank.curate.records import DEFAULT_CATEGORIES, in_categories

    candidates, picks = _inputs()
    pool = sorted(
        (c for c in candidates if in_categories(c, DEFAULT_CATEGORIES)),
        key=lambda c: (c.day, c.arxiv_id),
    )
    held = pool[-1000:]
    train_pool = pool[:-1000][-papers_n:]
    window = pool[:-1000][-28_000:]
    picks = [p for p in picks if p.day <= train_pool[-1].day]
    with (out / "train_inputs.pkl").open("wb") as handle:
        pickle.dump((train_pool, picks), handle, protocol=5)
    with (out / "day.pkl").open("wb") as handle:
        pickle.dump((held, window, picks), handle, protocol=5)


def child(out: Path) -> None:
    """Train on the prepared inputs only (the child's peak RSS is the retrain's own)."""
    from papertide.rank.curate.suggest import save, train

    with (out / "train_inputs.pkl").open("rb") as handle:
        train_pool, picks = pickle.load(handle)
    rss_inputs = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    until = train_pool[-1].day
    started = time.perf_counter()
    cpu = time.process_time()
    model = train(train_pool, picks, until=until)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    save(model, out / "model")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    (out / "train.json").write_text(
        json.dumps(
            {
                "papers": len(train_pool),
                "picked": model.stats["picked"],
                "until": until.isoformat(),
                "train_seconds": round(seconds, 1),
                "train_cpu_seconds": round(cpu, 1),
                "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
                "rss_after_loading_inputs_mb": round(rss_inputs, 1),
                "cpu_seconds_incl_loading": round(usage.ru_utime + usage.ru_stime, 1),
                "calibration": model.stats.get("calibration", {}),
                "threshold": model.threshold,
            }
        )
    )


def score(out: Path, repeats: int) -> dict[str, float]:
    from papertide.rank.curate.suggest import load, suggest

    model = load(out / "model")
    with (out / "day.pkl").open("rb") as handle:
        held, earlier, picks = pickle.load(handle)
    day = model.trained_until + dt.timedelta(days=29)
    todays = [replace(p, day=day) for p in held]
    window = [
        replace(p, day=day - dt.timedelta(days=28 - i // 1000)) for i, p in enumerate(earlier)
    ]
    started = time.perf_counter()
    suggest(model, day, todays, earlier_papers=window, picks=picks)
    cold = time.perf_counter() - started
    times = []
    cpus = []
    for _ in range(repeats):
        # A new day's papers each time; the window's vectors are known from earlier days.
        fresh = [replace(p, arxiv_id=f"{p.arxiv_id}-{_}") for p in todays]
        started = time.perf_counter()
        cpu = time.process_time()
        ranked = suggest(model, day, fresh, earlier_papers=window, picks=picks)
        cpus.append(time.process_time() - cpu)
        times.append(time.perf_counter() - started)
    assert len(ranked) == len(todays)
    times.sort()
    cpus.sort()
    return {
        "day_papers": len(todays),
        "window_papers": len(window),
        "picks_given": len(picks),
        "score_seconds_cold_window": round(cold, 3),
        "score_seconds_median": round(times[len(times) // 2], 3),
        "score_seconds_min": round(times[0], 3),
        "score_cpu_seconds_median": round(cpus[len(cpus) // 2], 3),
        "above_line": sum(1 for s in ranked if s.above_line),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--score-only", action="store_true", help="reuse the trained model")
    args = parser.parse_args()
    if args.child:
        child(Path(args.child))
        return 0
    out = CACHE / f"bench-{args.papers}"
    out.mkdir(parents=True, exist_ok=True)
    if not (out / "train_inputs.pkl").exists():
        prepare_inputs(args.papers, out)
    load_before = os.getloadavg()
    started = time.perf_counter()
    if not args.score_only:
        subprocess.run([sys.executable, __file__, "--child", str(out)], check=True)
    wall = time.perf_counter() - started
    trained = json.loads((out / "train.json").read_text())
    scored = score(out, args.repeats)
    size = sum(f.stat().st_size for f in (out / "model").iterdir())
    result = {
        **trained,
        **scored,
        "child_wall_seconds_incl_loading": None if args.score_only else round(wall, 1),
        "model_bytes": size,
        "cores": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "limits": {"train_seconds": 300, "peak_rss_mb": 2048, "score_seconds": 1.0},
    }
    print(
        f"{'retrain':<10} {trained['papers']:>8,} papers  {trained['train_seconds']:>7.1f} s  "
        f"({trained['train_cpu_seconds']:.1f} s CPU)  peak RSS {trained['peak_rss_mb']:,.0f} MB"
        "  (limit 300 s, 2,048 MB)"
    )
    print(
        f"{'score':<10} {scored['day_papers']:>8,} papers  "
        f"{scored['score_seconds_median']:>7.3f} s ({scored['score_cpu_seconds_median']:.3f} s "
        f"CPU) median of {args.repeats} (window {scored['window_papers']:,}; limit 1 s)"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "curate_bench.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
