"""Settings: environment variables (PAPERTIDE_*) and an optional papertide.toml.

Built only when asked for (`load_settings()`), never at import time, and validated at once so a
wrong database URL or an unusable data folder fails with one line that says what to fix.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

SUPPORTED_DATABASES = ("sqlite", "postgresql")


class ConfigError(Exception):
    """A setting is wrong; the message says which and what to do."""


def _toml_path() -> Path:
    return Path(os.environ.get("PAPERTIDE_CONFIG", "papertide.toml"))


class Settings(BaseSettings):
    """Every setting papertide reads. Environment: PAPERTIDE_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="PAPERTIDE_", extra="forbid")

    data_dir: Path = Field(Path("data"), description="Folder for the SQLite file, indexes, keys.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default: sqlite:///<data_dir>/papertide.db"
    )
    index_dir: Path | None = Field(None, description="Search index files; default <data_dir>/index")
    secret_key: str | None = Field(
        None,
        description="Signs cookies and tokens. Default: generated once into <data_dir>/secret_key. "
        "Set it explicitly (same value) on every node of a multi-node install.",
    )
    base_url: str = Field(
        "http://127.0.0.1:8000",
        description="Public URL, used in mails and feeds. Unset, `papertide serve`/`demo` use the "
        "address they listen on (http://HOST:PORT); it is never taken from a request.",
    )
    site_name: str = "papertide"
    categories: list[str] = Field(
        default_factory=lambda: ["cs.AI", "cs.CL", "cs.CV", "cs.LG"],
        description="arXiv categories followed by the feed and the harvester.",
    )
    feed_include_new_papers: bool = Field(
        False, description="Also list every new paper in the followed categories on the daily feed."
    )
    submission_max_age_days: int = Field(14, ge=0)
    trusted_author_domains: list[str] = Field(
        default_factory=list,
        description="Email domains whose people may claim authorship without an admin "
        "(subdomains count); everyone else's claims wait for an admin.",
    )
    demo_today: dt.date | None = Field(
        None,
        description="Treat this day (YYYY-MM-DD) as today wherever content is dated: the home "
        "feed, submission ages, trending, For you, digests and feeds. `papertide demo` sets it to "
        "its sample's latest day; unset, today is the calendar day (UTC).",
    )
    # arXiv politeness: arXiv asks for one request every 3 seconds.
    arxiv_oai_url: str = "https://oaipmh.arxiv.org/oai"
    arxiv_api_url: str = "https://export.arxiv.org/api/query"
    arxiv_delay_seconds: float = Field(3.0, ge=0)
    arxiv_pdf_url: str = Field(
        "https://export.arxiv.org/pdf",
        description="Where papers' PDFs are fetched for card thumbnails: <url>/<arxiv id>.",
    )
    thumbnails_per_run: int = Field(
        40,
        ge=0,
        description="PDFs the make_thumbnails job fetches per run (one every "
        "arxiv_delay_seconds); 0 = no thumbnails, the cards keep their placeholder.",
    )
    thumbnail_max_pdf_bytes: int = Field(
        25 * 1024 * 1024,
        gt=0,
        description="Larger PDFs are not downloaded; the card keeps its placeholder.",
    )
    embed_model: str = "minilm-int8"
    embed_threads: int = Field(0, ge=0, description="0 = all cores")
    mail_backend: Literal["smtp", "console", "null"] = "console"
    mail_from: str = "papertide <papertide@localhost>"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    mail_rate_per_second: float = Field(50.0, gt=0)
    redis_url: str | None = Field(None, description="Shared state for many nodes (rate limits).")
    index_sync_seconds: float = Field(
        10.0, ge=0, description="How often a web node brings its own index up to date; 0 = never."
    )
    index_follower_embeds: bool = Field(
        True,
        description=(
            "Web nodes also embed new papers while following the database (one machine, no "
            "worker). Set false where a worker runs the embed job: nodes then only index."
        ),
    )
    jobs_in_process: bool = Field(
        False, description="Run the job queue and scheduler inside `papertide serve` (one machine)."
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or networks (CIDR) of the reverse proxies whose X-Forwarded-For "
        "and X-Forwarded-Proto headers are believed. Empty (the default): no proxy header is "
        "trusted and the client address is the TCP peer's.",
    )
    max_body_bytes: int = Field(10 * 1024 * 1024, gt=0, description="Larger bodies get 413.")
    max_header_bytes: int = Field(32 * 1024, gt=0, description="Larger headers get 431.")
    queue_name: str = Field(
        "papertide",
        pattern=r"^[A-Za-z0-9_.:-]{1,64}$",
        description="Namespace of this installation's keys in a shared Redis (job queue, rate "
        "limits), so several installations or test runs can share one server.",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Precedence: explicit arguments, then environment, then the TOML file.
        toml = TomlConfigSettingsSource(settings_cls, toml_file=_toml_path())
        return (init_settings, env_settings, toml)

    @field_validator("trusted_author_domains")
    @classmethod
    def _check_domains(cls, value: list[str]) -> list[str]:
        domains = []
        for entry in value:
            domain = entry.strip().lstrip("@").rstrip(".").lower()
            if not domain or "." not in domain or any(c.isspace() or c in "@/" for c in domain):
                raise ValueError(f'not an email domain: {entry!r}; list domains like "example.edu"')
            domains.append(domain)
        return domains

    @field_validator("database_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        try:
            url = make_url(value)
        except (ArgumentError, ValueError):  # ValueError: e.g. a port that is not a number
            raise ValueError(
                f"not a database URL: {masked_url(value)!r}; use sqlite:///path/to/file.db or "
                "postgresql+psycopg://user@host:5432/dbname"
            ) from None
        backend = url.get_backend_name()
        if backend not in SUPPORTED_DATABASES:
            raise ValueError(
                f"unsupported database {backend!r} in "
                f"{url.render_as_string(hide_password=True)!r}; papertide runs on "
                "sqlite or postgresql"
            )
        if backend == "postgresql" and url.drivername != "postgresql+psycopg":
            # Only psycopg 3 is installed; a bare postgresql:// would ask for psycopg2.
            value = url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, value: list[str]) -> list[str]:
        normalised = []
        for entry in value:
            try:
                if "/" in entry:
                    normalised.append(str(ipaddress.ip_network(entry.strip(), strict=False)))
                else:
                    normalised.append(str(ipaddress.ip_address(entry.strip())))
            except ValueError:
                raise ValueError(
                    f"{entry[:60]!r} is not an IP address or network; list the reverse "
                    'proxies\' addresses, e.g. ["127.0.0.1"] or ["10.0.0.0/8"]'
                ) from None
        return normalised

    # The clock ----------------------------------------------------------------------------------

    def now(self) -> dt.datetime:
        """The time content is dated by: the UTC clock, or that time of day on `demo_today`.

        Every "today" that decides what a reader sees (the home feed, a submission's age, the
        trending window, For you, digests, feeds) comes from here, so a demo whose sample ended
        months ago behaves as if its last day were today. Security clocks (sign-in links,
        sessions, rate limits) keep the real time.
        """
        real = dt.datetime.now(dt.UTC)
        if self.demo_today is None:
            return real
        return dt.datetime.combine(self.demo_today, real.timetz())

    def today(self) -> dt.date:
        """The day content is dated by (see `now`)."""
        return self.now().date()

    # Derived locations -------------------------------------------------------------------------

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'papertide.db').resolve()}"

    @property
    def effective_index_dir(self) -> Path:
        return self.index_dir if self.index_dir is not None else self.data_dir / "index"

    @property
    def is_sqlite(self) -> bool:
        return make_url(self.effective_database_url).get_backend_name() == "sqlite"

    def ensure_data_dir(self) -> None:
        """Create the data folder or fail with a message saying why it is unusable."""
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"data folder {self.data_dir} cannot be created ({exc.strerror}); "
                "set PAPERTIDE_DATA_DIR to a writable folder"
            ) from None
        if not os.access(self.data_dir, os.R_OK | os.W_OK | os.X_OK):
            raise ConfigError(
                f"data folder {self.data_dir} is not readable and writable; "
                "set PAPERTIDE_DATA_DIR to a writable folder"
            )

    def effective_secret_key(self) -> str:
        """The configured key, or one generated once and kept in the data folder."""
        if self.secret_key:
            return self.secret_key
        self.ensure_data_dir()
        path = self.data_dir / "secret_key"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")


def masked_url(value: str) -> str:
    """`value` with any password in it replaced by ***, for messages and logs."""
    return _URL_PASSWORD.sub(r"\1***@", value)


def load_settings(**overrides: object) -> Settings:
    """Read and validate settings; raise ConfigError with a one-line reason when wrong."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "settings"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"setting {where}: {message}") from None
    except (OSError, ValueError) as exc:  # e.g. unreadable or malformed papertide.toml
        raise ConfigError(f"cannot read configuration {_toml_path()}: {exc}") from None
    settings.ensure_data_dir()
    return settings
