"""`papertide export PATH` and `papertide import-dump PATH`: a full logical backup."""

from __future__ import annotations

from pathlib import Path

import typer

from papertide.cli.common import CommandError, err_console, handles_errors, open_database, settings


@handles_errors
def export(
    path: Path = typer.Argument(..., help="Dump file to write; gzip-compressed if it ends in .gz."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
) -> None:
    """Write every table of the database to one file (consistent snapshot, streamed)."""
    from papertide.store.dump import DumpError, export_dump

    if path.exists() and not force:
        raise CommandError(f"{path} exists; pass --force to overwrite it")
    engine = open_database(settings())
    try:
        with err_console.status("exporting…") as status:
            summary = export_dump(
                engine, path, progress=lambda t, n: status.update(f"exporting {t}: {n:,} rows")
            )
    except DumpError as exc:
        raise CommandError(str(exc)) from None
    finally:
        engine.dispose()
    err_console.print(
        f"wrote {summary.total_rows:,} rows from {len(summary.tables)} tables to {path} "
        f"(schema {summary.revision})"
    )


@handles_errors
def import_dump(
    path: Path = typer.Argument(..., help="A file written by `papertide export`."),
) -> None:
    """Restore a dump into an empty database (PAPERTIDE_DATABASE_URL), all or nothing."""
    from papertide.store.dump import DumpError
    from papertide.store.dump import import_dump as run_import

    engine = open_database(settings())
    try:
        with err_console.status("importing…") as status:
            summary = run_import(
                engine, path, progress=lambda t, n: status.update(f"importing {t}: {n:,} rows")
            )
    except DumpError as exc:
        raise CommandError(f"{exc}; nothing was imported") from None
    finally:
        engine.dispose()
    err_console.print(
        f"restored {summary.total_rows:,} rows into {len(summary.tables)} tables from {path}"
    )


def register(app: typer.Typer) -> None:
    app.command("export")(export)
    app.command("import-dump")(import_dump)
