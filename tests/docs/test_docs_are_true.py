"""The docs name what the code has: every setting in the README table, every package in the
architecture page (datasette keeps its docs true the same way)."""

from __future__ import annotations

import re
from pathlib import Path

import papertide
from papertide.config import Settings

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = Path(papertide.__file__).parent


def _readme_settings() -> set[str]:
    readme = (ROOT / "README.md").read_text()
    return set(re.findall(r"^\| `PAPERTIDE_([A-Z_]+)`", readme, flags=re.MULTILINE))


def test_every_setting_is_in_the_readme_table() -> None:
    documented = _readme_settings()
    fields = {name.upper() for name in Settings.model_fields}
    assert fields - documented == set(), "settings missing from the README table"
    assert documented - fields - {"LOG_LEVEL"} == set(), "README lists settings that do not exist"


def test_every_package_and_top_module_is_on_the_architecture_page() -> None:
    page = (ROOT / "docs" / "architecture.md").read_text()
    parts = {p.name + "/" for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    parts |= {p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"}
    missing = {part for part in parts if f"`{part}`" not in page}
    assert missing == set(), "docs/architecture.md does not describe these"
