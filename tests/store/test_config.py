"""Settings are validated at start-up with one-line messages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from papertide.config import ConfigError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("PAPERTIDE_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def test_default_database_is_a_sqlite_file_in_the_data_dir(tmp_path: Path) -> None:
    cfg = load_settings()
    assert cfg.effective_database_url == f"sqlite:///{tmp_path / 'data' / 'papertide.db'}"
    assert (tmp_path / "data").is_dir()


@pytest.mark.parametrize(
    ("url", "words"),
    [("mysql://x@y/z", "unsupported database"), ("not a url", "not a database URL")],
)
def test_bad_database_url_fails_with_one_line(
    monkeypatch: pytest.MonkeyPatch, url: str, words: str
) -> None:
    monkeypatch.setenv("PAPERTIDE_DATABASE_URL", url)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert words in str(info.value)
    assert "\n" not in str(info.value)


def test_postgres_url_gets_the_installed_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERTIDE_DATABASE_URL", "postgresql://u@h:5432/db")
    assert load_settings().effective_database_url.startswith("postgresql+psycopg://")


def test_unusable_data_dir_says_what_to_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("PAPERTIDE_DATA_DIR", str(blocker / "sub"))
    with pytest.raises(ConfigError, match="PAPERTIDE_DATA_DIR"):
        load_settings()


def test_toml_file_is_read_and_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "papertide.toml").write_text(
        'site_name = "lab papers"\nsubmission_max_age_days = 7\n'
    )
    monkeypatch.setenv("PAPERTIDE_SUBMISSION_MAX_AGE_DAYS", "3")
    cfg = load_settings()
    assert cfg.site_name == "lab papers"
    assert cfg.submission_max_age_days == 3


def test_malformed_toml_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "papertide.toml").write_text("site_name = \n")
    with pytest.raises(ConfigError, match=r"papertide\.toml"):
        load_settings()


def test_clock_is_the_calendar_unless_a_demo_day_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    real = load_settings()
    assert abs((real.now() - dt.datetime.now(dt.UTC)).total_seconds()) < 5
    monkeypatch.setenv("PAPERTIDE_DEMO_TODAY", "2026-08-21")
    demo = load_settings()
    assert demo.today() == dt.date(2026, 8, 21)
    same_time = dt.datetime.combine(dt.date(2026, 8, 21), dt.datetime.now(dt.UTC).timetz())
    assert abs((demo.now() - same_time).total_seconds()) < 5


def test_bad_demo_day_fails_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERTIDE_DEMO_TODAY", "August")
    with pytest.raises(ConfigError, match="demo_today"):
        load_settings()
