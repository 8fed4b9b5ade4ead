"""`papertide db …` and `papertide stats`."""

from __future__ import annotations

import json

import typer

from papertide.cli.common import err_console, handles_errors, open_database, settings

db_app = typer.Typer(help="Create, migrate and inspect the database.", no_args_is_help=True)


@db_app.command("upgrade")
@handles_errors
def upgrade() -> None:
    """Create the database or migrate it to the newest schema (PAPERTIDE_DATABASE_URL)."""
    from papertide.store.migrate import current_revision

    cfg = settings()
    engine = open_database(cfg)
    shown = engine.url.render_as_string(hide_password=True)
    err_console.print(f"database {shown} is at revision {current_revision(engine)}")


@handles_errors
def stats(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object, nothing else."),
) -> None:
    """Counts of papers, versions, feed entries, votes and users."""
    from papertide.store.stats import database_stats

    cfg = settings()
    engine = open_database(cfg)
    counts = database_stats(engine)
    if as_json:
        typer.echo(json.dumps(counts))
        return
    for key, value in counts.items():
        typer.echo(f"{key:>14}  {value:,}")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
    app.command("stats")(stats)
