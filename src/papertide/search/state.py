"""What an index folder's `state.json` says, and how far the index is behind the database.

`state.json` records the format, the model whose vectors the folder holds, and the cursors
already reflected in the files: `(papers.updated_at, id)`, `(embeddings.updated_at, paper_id)`
and `feed_entries.updated_at`. A sync rewrites it (atomically) after every change; readers
notice a sync by its modification time.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import Engine, and_, func, or_, select

from papertide.config import Settings
from papertide.store.schema import Paper, utcnow

STATE_FILE = "state.json"
STATE_FORMAT = 1


def aware(value: dt.datetime) -> dt.datetime:
    """`value` with UTC as its zone when it has none (the database stores UTC)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


class Cursor(NamedTuple):
    """A keyset position: rows with a greater (updated_at, id) are not in the index yet."""

    updated_at: dt.datetime  # aware
    id: int

    def to_json(self) -> list[Any]:
        return [aware(self.updated_at).isoformat(), self.id]


EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
EPOCH_CURSOR = Cursor(EPOCH, 0)


@dataclass(frozen=True)
class IndexState:
    """The contents of a readable `state.json` of the current format."""

    model: str  # the embedder name of the vectors in the folder
    papers_cursor: Cursor
    embeddings_cursor: Cursor
    feed_cursor: dt.datetime  # aware
    papers: int  # keyword documents in the folder
    vectors: int  # live vectors in the folder
    synced_at: dt.datetime  # aware; when the files were last changed

    @classmethod
    def empty(cls, model: str) -> IndexState:
        """The state a rebuild starts from: nothing indexed."""
        return cls(model, EPOCH_CURSOR, EPOCH_CURSOR, EPOCH, 0, 0, EPOCH)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": STATE_FORMAT,
            "model": self.model,
            "papers_cursor": self.papers_cursor.to_json(),
            "embeddings_cursor": self.embeddings_cursor.to_json(),
            "feed_cursor": aware(self.feed_cursor).isoformat(),
            "papers": self.papers,
            "vectors": self.vectors,
            "synced_at": aware(self.synced_at).isoformat(),
        }

    @classmethod
    def from_json(cls, data: Any) -> IndexState:
        """Raises ValueError (naming the field) for anything but a state of the current format."""
        if not isinstance(data, dict):
            raise ValueError(f"expected a JSON object, found {type(data).__name__}")
        return cls(
            model=_str(data, "model"),
            papers_cursor=_cursor(data, "papers_cursor"),
            embeddings_cursor=_cursor(data, "embeddings_cursor"),
            feed_cursor=_time("feed_cursor", _str(data, "feed_cursor")),
            papers=_int(data, "papers"),
            vectors=_int(data, "vectors"),
            synced_at=_time("synced_at", _str(data, "synced_at")),
        )


def _str(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise ValueError(f"{key} is missing or not a string")
    return value


def _int(data: dict[str, Any], key: str) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{key} is missing or not an integer")
    return value


def _time(key: str, value: str) -> dt.datetime:
    try:
        return aware(dt.datetime.fromisoformat(value))
    except ValueError:
        raise ValueError(f"{key} is not an ISO time: {value!r}") from None


def _cursor(data: dict[str, Any], key: str) -> Cursor:
    value = data.get(key)
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not isinstance(value[0], str)
        or not isinstance(value[1], int)
        or isinstance(value[1], bool)
    ):
        raise ValueError(f"{key} is missing or not [time, id]")
    return Cursor(_time(key, value[0]), value[1])


class StateProblem(StrEnum):
    """Why a folder has no usable index state."""

    MISSING = "missing"  # no state.json: no index was built in this folder
    OTHER_FORMAT = "other_format"  # written by another version of papertide
    UNREADABLE = "unreadable"  # state.json cannot be read or is not a valid state


@dataclass(frozen=True)
class StateUnavailable:
    problem: StateProblem
    detail: str = ""  # what was wrong with the file, for UNREADABLE


def read_state(index_dir: Path) -> IndexState | StateUnavailable:
    """The folder's index state, or why there is none; never raises."""
    path = index_dir / STATE_FILE
    try:
        raw = path.read_text()
    except FileNotFoundError:
        return StateUnavailable(StateProblem.MISSING)
    except (OSError, ValueError) as exc:  # ValueError: UnicodeDecodeError
        return StateUnavailable(StateProblem.UNREADABLE, str(exc))
    try:
        data = json.loads(raw)
    except ValueError as exc:
        return StateUnavailable(StateProblem.UNREADABLE, str(exc))
    if isinstance(data, dict) and data.get("format") != STATE_FORMAT:
        return StateUnavailable(StateProblem.OTHER_FORMAT, f"format {data.get('format')!r}")
    try:
        return IndexState.from_json(data)
    except ValueError as exc:
        return StateUnavailable(StateProblem.UNREADABLE, str(exc))


def write_state(index_dir: Path, state: IndexState) -> None:
    tmp = index_dir / (STATE_FILE + ".tmp")
    tmp.write_text(json.dumps(state.to_json(), indent=1))
    tmp.replace(index_dir / STATE_FILE)


@dataclass(frozen=True)
class IndexHealth:
    """This node's index as readiness and metrics see it."""

    index_dir: Path
    state: IndexState | StateUnavailable
    # Papers changed in the database past the papers cursor, and the age of the oldest such
    # change (0 when current). None when not built, or when the database did not answer.
    papers_behind: int | None = None
    lag_seconds: float | None = None

    @property
    def built(self) -> bool:
        """The index is built and its state readable (search can open it)."""
        return isinstance(self.state, IndexState)

    @property
    def error(self) -> str | None:
        """Why the index is not usable; None when it is built."""
        if not isinstance(self.state, StateUnavailable):
            return None
        if self.state.problem is StateProblem.UNREADABLE:
            return f"index at {self.index_dir} unreadable: {self.state.detail}"
        return f"no index built yet at {self.index_dir}"


def index_health(settings: Settings, engine: Engine) -> IndexHealth:
    """Is this node's index built and readable, and how far behind the database is it?

    Lag is the age of the oldest database change the index has not seen yet (0 when current);
    `papers_behind` counts those papers. Never raises.
    """
    index_dir = settings.effective_index_dir
    state = read_state(index_dir)
    if not isinstance(state, IndexState):
        return IndexHealth(index_dir, state)
    since, last_id = state.papers_cursor
    after = or_(Paper.updated_at > since, and_(Paper.updated_at == since, Paper.id > last_id))
    try:
        with engine.connect() as conn:
            behind, oldest = conn.execute(
                select(func.count(), func.min(Paper.updated_at)).where(after)
            ).one()
    except Exception:  # database unavailable: the index itself is fine, its lag unknown
        return IndexHealth(index_dir, state)
    lag = 0.0
    if behind and isinstance(oldest, dt.datetime):
        lag = max(0.0, (utcnow() - aware(oldest)).total_seconds())
    return IndexHealth(index_dir, state, papers_behind=int(behind), lag_seconds=lag)
