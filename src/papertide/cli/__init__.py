"""The `papertide` command: one entry point, one sub-command module per area.

Heavy libraries are imported inside commands so that `papertide --help` stays instant.
"""

from __future__ import annotations

import typer

from papertide.cli import curate as curate_commands
from papertide.cli import db as db_commands
from papertide.cli import digest as digest_commands
from papertide.cli import dump as dump_commands
from papertide.cli import ingest as ingest_commands
from papertide.cli import search as search_commands
from papertide.cli import serve as serve_commands
from papertide.cli import thumbnails as thumbnail_commands
from papertide.cli import worker as worker_commands

app = typer.Typer(
    name="papertide",
    help="Self-hostable research-paper discovery: feed, trending, search, feeds and digests.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_commands.register(app)
dump_commands.register(app)
ingest_commands.register(app)
worker_commands.register(app)
serve_commands.register(app)
search_commands.register(app)
digest_commands.register(app)
curate_commands.register(app)
thumbnail_commands.register(app)


def main() -> None:
    app()
