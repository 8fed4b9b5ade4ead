"""Where the community-interest model errs on the validation split (issue 12): the shipped
features and ranker (booster seed 3), each validation day ranked, its top 15 and the picks
below it described by what the morning's history knew.

    .venv/bin/python bench/curate_eval.py --split val --no-baselines   # once: caches the rows
    .venv/bin/python bench/curate_errors.py

- `followed`: the share of the top 15's hits, of its wrong papers, and of the picks ranked
  16-60 that have an author with an earlier pick that morning (the papers among which the
  ranking is decided).
- `siblings`: the share of hits and of wrong papers of the top 15 with a same-day sibling (a
  paper of the same day sharing an author) that was picked too: picks come in group bursts.
- `diversity`: is a top-15 paper sharing an author with a higher-ranked top-15 paper picked
  less often than the first of its group? (If so, the list should be diversified by group.)

Validation only; no test split is read. Results: bench/results/curate_errors.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from curate_eval import SPLITS, cached_prepare, inputs  # noqa: E402

from papertide.rank.curate.history import author_keys  # noqa: E402
from papertide.rank.curate.model import ALL_FEATURES, Config, fit_ranker  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "curate_errors.json"
TOP = 15
DEEP = 60


def share(hits: int, total: int) -> dict[str, float]:
    return {"of": total, "with": hits, "share": round(hits / total, 4) if total else 0.0}


def main() -> int:
    candidates, picks = inputs()
    config = Config()
    prepared = cached_prepare("val", SPLITS["val"], config, candidates, picks)
    columns = config.columns()
    x, gain, days = prepared.train_matrix()
    ranker = fit_ranker(x[:, columns], gain, days, Config(calibration_days=0, seed=3))
    followed_column = ALL_FEATURES.index("auth_picks_max")
    counts = {
        key: [0, 0]
        for key in (
            "hit followed",
            "wrong followed",
            "deep pick followed",
            "hit sibling picked",
            "wrong sibling picked",
            "first of group picked",
            "later of group picked",
        )
    }
    for rows in prepared.test_rows():
        scores = ranker.predict(rows.features[:, columns], num_threads=1)
        order = [int(j) for j in np.argsort(-scores, kind="stable")]
        papers = [prepared.corpus.papers[rows.rows.start + j] for j in range(len(order))]
        keys = [set(author_keys(p.authors)) for p in papers]
        picked = [p.arxiv_id in prepared.test_gain for p in papers]
        followed = rows.features[:, followed_column] > 0
        seen: set[str] = set()
        for rank, j in enumerate(order[:DEEP]):
            if rank >= TOP:
                if picked[j]:
                    counts["deep pick followed"][0] += bool(followed[j])
                    counts["deep pick followed"][1] += 1
                continue
            kind = "hit" if picked[j] else "wrong"
            counts[f"{kind} followed"][0] += bool(followed[j])
            counts[f"{kind} followed"][1] += 1
            sibling = any(picked[o] for o in range(len(papers)) if o != j and keys[o] & keys[j])
            counts[f"{kind} sibling picked"][0] += sibling
            counts[f"{kind} sibling picked"][1] += 1
            group = "later" if keys[j] & seen else "first"
            counts[f"{group} of group picked"][0] += picked[j]
            counts[f"{group} of group picked"][1] += 1
            seen |= keys[j]
    found = {name: share(*pair) for name, pair in counts.items()}
    print(f"{len(prepared.test_rows())} validation days")
    for name, row in found.items():
        print(f"{name:<24} {row['with']:>5} of {row['of']:>5}  {row['share']:.3f}")
    report = {"days": len(prepared.test_rows()), "seed": 3, **found}
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
