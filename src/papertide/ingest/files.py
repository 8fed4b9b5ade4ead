"""Opening import files: plain or gzip, with clear messages for missing, empty or wrong files.

Every source reads through `TextLines`, which yields (line number, text) and knows how far into
the file it is (for progress bars). A gzip stream that stops early raises `TruncatedInput`
after the complete lines before the break have been yielded.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

# Magic bytes of formats people feed us by mistake, with a name for the message.
_SIGNATURES = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ", "an xz archive"),
    (b"SQLite format 3", "an SQLite database"),
)


def _gzip_reader(raw: IO[bytes]) -> IO[bytes]:
    """A gzip reader: ISA-L's (about 3x faster to decompress) when installed, else the stdlib's."""
    try:
        from isal import igzip
    except ImportError:
        return cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb"))
    return cast(IO[bytes], igzip.GzipFile(fileobj=raw, mode="rb"))


def _decompress_errors() -> tuple[type[BaseException], ...]:
    """What a gzip stream raises when it is cut off or corrupt (stdlib and ISA-L)."""
    errors: list[type[BaseException]] = [EOFError, zlib.error, OSError]
    try:
        from isal.isal_zlib import error as isal_error
    except ImportError:
        pass
    else:
        errors.append(cast(type[BaseException], isal_error))
    return tuple(errors)


class SourceError(Exception):
    """The input cannot be read at all; the message says what is wrong and what to do."""


class TruncatedInput(Exception):
    """The input ended early; rows before `where` were read and should be kept."""

    def __init__(self, where: str) -> None:
        super().__init__(where)
        self.where = where


@dataclass(slots=True)
class Skipped:
    """A record that could not be used: where it was, why, and the start of its text."""

    where: str
    reason: str
    text: str = ""


def _describe_binary(head: bytes) -> str | None:
    for magic, name in _SIGNATURES:
        if head.startswith(magic):
            return name
    return None


class TextLines:
    """The lines of a UTF-8 text file, plain or gzip-compressed, numbered from 1."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.size = 0
        self._raw: IO[bytes] | None = None
        self.compressed = False
        self._check()

    def _check(self) -> None:
        path = self.path
        if not path.exists():
            raise SourceError(f"file not found: {path}")
        if path.is_dir():
            raise SourceError(f"{path} is a folder; give the path of a file")
        try:
            with path.open("rb") as handle:
                head = handle.read(16)
        except OSError as exc:
            raise SourceError(f"cannot read {path}: {exc.strerror}") from None
        self.size = path.stat().st_size
        if not head:
            raise SourceError(f"{path} is empty; nothing to import")
        self.compressed = head.startswith(b"\x1f\x8b")
        kind = None if self.compressed else _describe_binary(head)
        if kind:
            raise SourceError(f"{path} is {kind}, not JSON; expected a .jsonl or .jsonl.gz file")

    @property
    def bytes_read(self) -> int:
        """How far into the file (compressed bytes) reading has got."""
        if self._raw is None or self._raw.closed:
            return self.size if self._raw is not None else 0
        try:
            return self._raw.tell()
        except (OSError, ValueError):
            return 0

    def open_binary(self) -> IO[bytes]:
        self._raw = self.path.open("rb")
        if self.compressed:
            return cast(IO[bytes], _gzip_reader(self._raw))
        return self._raw

    def __iter__(self) -> Iterator[tuple[int, bytes]]:
        """(line number, raw bytes); the parser decodes, so one bad line is skipped alone."""
        stream = self.open_binary()
        number = 0
        try:
            while True:
                try:
                    line = stream.readline()
                except _decompress_errors() as exc:
                    raise TruncatedInput(
                        f"the gzip data of {self.path.name} breaks after line {number:,} "
                        f"({exc}); the lines before the break were kept"
                    ) from None
                if not line:
                    return
                number += 1
                yield number, line
        finally:
            stream.close()
            if self._raw is not None:
                self._raw.close()
