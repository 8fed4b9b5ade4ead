"""Parse a big input file in a child process while this process writes to the database.

Decompressing, decoding and normalising records costs about as much CPU as writing them; on a
machine with two or more cores the two halves overlap. The child sends lists of records through
a bounded queue, so memory stays flat whatever the file size. Errors raised by the source in the
child (`TruncatedInput`, `SourceError`) are raised again here, after the records before them.
"""

from __future__ import annotations

import dataclasses
import multiprocessing as mp
import os
import queue
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from papertide.models import PaperRecord

# Records per message and messages in flight: ~4 x 2,000 records of a few KB each.
_CHUNK = 2000
_IN_FLIGHT = 8
# Files smaller than this are parsed in-process: starting a child costs more than it saves.
MIN_PREFETCH_BYTES = 16 * 1024 * 1024


class Source(Protocol):
    name: str

    @property
    def size(self) -> int: ...

    @property
    def bytes_read(self) -> int: ...

    def __iter__(self) -> Iterator[Any]: ...


_FIELDS = tuple(field.name for field in dataclasses.fields(PaperRecord))


def _pack(item: Any) -> Any:
    # Plain tuples pickle several times faster than slotted dataclass instances.
    if type(item) is PaperRecord:
        return tuple([getattr(item, name) for name in _FIELDS])
    return item


def _unpack(item: Any) -> Any:
    return PaperRecord(*item) if type(item) is tuple else item


def _produce(source: Iterable[Any], out: Any) -> None:
    """Child process: iterate the source, send (records, bytes_read) chunks, then the end."""
    chunk: list[Any] = []
    try:
        for item in source:
            chunk.append(_pack(item))
            if len(chunk) >= _CHUNK:
                out.put(("items", chunk, getattr(source, "bytes_read", 0)))
                chunk = []
        out.put(("items", chunk, getattr(source, "bytes_read", 0)))
        out.put(("end", None, 0))
    except BaseException as exc:  # handed to the parent, which decides what it means
        out.put(("items", chunk, getattr(source, "bytes_read", 0)))
        out.put(("error", exc, 0))


class Prefetched:
    """Iterate `source` through a child process; same items, same errors, same progress."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.name = source.name
        self.size = source.size
        self.kind = getattr(source, "kind", "papers")
        self.bytes_read = 0

    def __iter__(self) -> Iterator[Any]:
        ctx = mp.get_context("spawn")
        channel = ctx.Queue(maxsize=_IN_FLIGHT)
        child = ctx.Process(target=_produce, args=(self.source, channel), daemon=True)
        child.start()
        try:
            while True:
                try:
                    kind, payload, position = channel.get(timeout=5)
                except queue.Empty:
                    if not child.is_alive():
                        raise RuntimeError(
                            f"the reader process for {self.name} stopped unexpectedly "
                            f"(exit code {child.exitcode})"
                        ) from None
                    continue
                if kind == "items":
                    self.bytes_read = max(self.bytes_read, position)
                    for item in payload:
                        yield _unpack(item)
                elif kind == "error":
                    raise payload
                else:
                    self.bytes_read = self.size
                    return
        finally:
            if child.is_alive():
                child.terminate()
            child.join(timeout=5)
            channel.close()


def maybe_prefetched(source: Source) -> Source:
    """A `Prefetched` wrapper for big files when a second core is free, else `source` itself.

    Handing records to another process costs CPU (pickling); it only pays off when that
    process really runs beside this one. On a busy machine (load average at or above
    cores - 1) both would share the same core and the import gets slower, not faster.
    """
    cores = os.cpu_count() or 1
    if source.size < MIN_PREFETCH_BYTES or cores < 2:
        return source
    if os.getloadavg()[0] >= cores - 1:
        return source
    return Prefetched(source)
