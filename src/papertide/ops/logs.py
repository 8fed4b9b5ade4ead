"""Structured logs: one JSON object per line on stderr, ready for journald, Loki or jq."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys
from typing import Any

# Attributes every LogRecord has; anything else was passed in `extra=` and belongs in the line.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            "pid": record.process,
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(level: str | None = None, *, as_json: bool | None = None) -> None:
    """Route papertide's (and huey's, uvicorn's) logs to stderr, as JSON unless asked not to.

    PAPERTIDE_LOG_LEVEL and PAPERTIDE_LOG_FORMAT (json | text) override the defaults; these are
    read here, not in Settings, because logging starts before settings are validated.
    """
    level = (level or os.environ.get("PAPERTIDE_LOG_LEVEL") or "INFO").upper()
    if as_json is None:
        as_json = os.environ.get("PAPERTIDE_LOG_FORMAT", "json").lower() != "text"
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter()
        if as_json
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_papertide", False):
            root.removeHandler(old)
    handler._papertide = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
