"""What every command shares: settings, the database, one-line errors, the console."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console

from papertide.config import ConfigError, Settings, load_settings

P = ParamSpec("P")
R = TypeVar("R")

# Progress and messages go to stderr so that `--json` output on stdout stays clean.
err_console = Console(stderr=True)


class CommandError(Exception):
    """A failure the user can act on: printed as one line, exit status 1."""


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def handles_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn expected failures into one line on stderr and a non-zero exit, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except ConfigError as exc:
            raise fail(str(exc), 2) from None
        except CommandError as exc:
            raise fail(str(exc), 1) from None
        except KeyboardInterrupt:
            raise fail("interrupted", 130) from None

    return wrapper


def settings() -> Settings:
    return load_settings()


def open_database(cfg: Settings, *, upgrade: bool = True):  # type: ignore[no-untyped-def]
    """An engine for the configured database, checked reachable and (by default) migrated."""
    from papertide.store.db import check_connection, make_engine
    from papertide.store.migrate import upgrade as run_upgrade

    engine = make_engine(cfg.effective_database_url)
    check_connection(engine)
    if upgrade:
        run_upgrade(engine)
    return engine
