"""Keeping up with new arXiv listings: the OAI-PMH set of each category, and one harvest per set
that resumes a run that was cut off."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from papertide.config import Settings
from papertide.ingest.arxiv_oai import HarvestReport, harvest, unfinished_from_date

# Archives that arXiv's OAI-PMH groups under the `physics` set.
PHYSICS_ARCHIVES = frozenset(
    [
        "astro-ph",
        "cond-mat",
        "gr-qc",
        "hep-ex",
        "hep-lat",
        "hep-ph",
        "hep-th",
        "math-ph",
        "nlin",
        "nucl-ex",
        "nucl-th",
        "physics",
        "quant-ph",
    ]
)
# New listings can carry a datestamp a day or two old; re-reading them is harmless (upserts).
LOOKBACK_DAYS = 3


def oai_set(category: str) -> str:
    """arXiv OAI-PMH set for a category: cs.LG -> cs:cs:LG, hep-th -> physics:hep-th."""
    archive, _, sub = category.partition(".")
    group = "physics" if archive in PHYSICS_ARCHIVES else archive
    if not sub:
        return f"physics:{archive}" if group == "physics" and archive != "physics" else archive
    return f"{group}:{archive}:{sub}"


def harvest_new_listings(
    settings: Settings, engine: Engine, today: dt.date
) -> dict[str, HarvestReport]:
    """Harvest each set of settings.categories from a few days before `today`, or resume."""
    default_from = (today - dt.timedelta(days=LOOKBACK_DAYS)).isoformat()
    reports: dict[str, HarvestReport] = {}
    for set_spec in dict.fromkeys(oai_set(c) for c in settings.categories):
        reports[set_spec] = harvest(
            settings,
            engine,
            set_spec=set_spec,
            from_date=unfinished_from_date(engine, set_spec) or default_from,
            report_dir=settings.data_dir / "reports",
        )
    return reports
