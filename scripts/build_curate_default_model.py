"""Build the suggestion model shipped with papertide from the shared data.

    python scripts/build_curate_default_model.py [--papers PATH] [--feed PATH] [--until DAY]

Trained on every listed paper in cs.AI/cs.CL/cs.CV/cs.LG and every daily-papers pick of the
shared data up to 2026-07-12, the day before the bundled sample's feed month begins, so every
day the demo shows (2026-07-13 ... 08-21) is unseen: a model never suggests a day whose picks
it learnt from (service.TrainedOnDay).
It keeps author names, text weights and counts only: the feed's user handles are never read
into the model (a `Pick` has no such field). Authors with a single paper and no pick are left
out of the shipped history to keep the package small (they count as new authors).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from papertide.cli.curate import load_candidates, load_picks
from papertide.rank.curate.model import Config
from papertide.rank.curate.reasons import SHIPPED_PLACE
from papertide.rank.curate.suggest import DEFAULT_MODEL, save, train

# ../shared beside the checkout, as in CI.
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--papers", default=str(DATA / "arxiv" / "arxiv_papers.jsonl.gz"))
    parser.add_argument("--feed", default=str(DATA / "hf_daily_papers" / "daily_papers.jsonl.gz"))
    parser.add_argument("--max-features", type=int, default=60_000)
    parser.add_argument("--projection-terms", type=int, default=15_000)
    parser.add_argument("--until", default="2026-07-12")
    parser.add_argument("--out", default=str(DEFAULT_MODEL))
    args = parser.parse_args()
    candidates, _ = load_candidates([Path(args.papers)])
    picks, _ = load_picks([Path(args.feed)])
    until = dt.date.fromisoformat(args.until)
    # A smaller vocabulary and projection than the evaluated design keep the package small.
    config = Config(max_features=args.max_features, projection_terms=args.projection_terms)
    model = train(candidates, picks, until=until, config=config)
    for key in [k for k, s in model.history.authors.items() if s.picks == 0 and s.papers < 2]:
        del model.history.authors[key]
    model.place = SHIPPED_PLACE  # its picks are the public feed's, so reasons must not say "here"
    model.stats["source"] = "shared data: arXiv metadata + HF daily papers (no user handles)"
    model.stats["built"] = dt.date.today().isoformat()
    folder = save(model, Path(args.out))
    size = sum(f.stat().st_size for f in folder.iterdir())
    print(json.dumps({"folder": str(folder), "bytes": size, **model.stats}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
