"""Rendering in a child process, so that a hostile PDF costs one thumbnail, never the worker.

PDFium is C++ reading files from strangers: a PDF that crashes it, eats memory or takes minutes
must not take the job worker (and every other job) down with it, nor hold the job's lease. The
child renders one PDF at a time under an address-space limit; the parent waits at most
`timeout` seconds, kills a child that overruns or dies, and starts a fresh one for the next PDF.
The child is started on the first PDF (a run with nothing to do starts none) and lives for the
rest of the run, so its start-up (about half a second) is paid once per run, not per paper.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from types import TracebackType
from typing import Any

from papertide.store.schema import ThumbStatus
from papertide.thumbs.errors import ThumbnailError
from papertide.thumbs.render import RenderedThumbnail

RENDER_TIMEOUT = 20.0  # seconds for one page; a normal one takes well under one
MEMORY_LIMIT = 2 * 1024**3  # bytes of address space for the child


def _serve(conn: Connection, memory_limit: int) -> None:
    """The child: render each PDF that arrives, answer with the image or the failure."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    except (ImportError, ValueError, OSError):  # not on this platform: run without the limit
        pass
    from papertide.thumbs.render import render_first_page

    while True:
        try:
            pdf = conn.recv_bytes()
        except (EOFError, OSError):
            return  # the parent is done
        reply: tuple[Any, ...]
        try:
            image = render_first_page(pdf)
            reply = ("ok", image.webp, image.width, image.height)
        except ThumbnailError as exc:
            reply = ("failed", exc.status.value, exc.reason)
        except MemoryError:
            reply = ("failed", ThumbStatus.TOO_LARGE.value, "rendering page 1 ran out of memory")
        except Exception as exc:
            reply = ("failed", ThumbStatus.BROKEN.value, f"rendering failed: {exc!r}"[:500])
        conn.send(reply)


class IsolatedRenderer:
    """`render(pdf)` as `render.render_first_page` does it, but in a child process."""

    def __init__(
        self, *, timeout: float = RENDER_TIMEOUT, memory_limit: int = MEMORY_LIMIT
    ) -> None:
        self.timeout = timeout
        self.memory_limit = memory_limit
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None
        self._child_limit: int | None = None

    @property
    def pid(self) -> int | None:
        """The child's process id while one runs."""
        return self._process.pid if self._process is not None else None

    def _start(self) -> Connection:
        alive = self._conn is not None and self._process is not None and self._process.is_alive()
        if alive and self._child_limit == self.memory_limit and self._conn is not None:
            return self._conn
        self.close()
        # spawn, not fork: the worker has threads (huey, lease heartbeats), and a forked copy of
        # a threaded process may hold a lock nobody will ever release.
        context = multiprocessing.get_context("spawn")
        parent, child = context.Pipe()
        process = context.Process(
            target=_serve,
            args=(child, self.memory_limit),
            name="papertide-thumbnail-renderer",
            daemon=True,
        )
        process.start()
        child.close()
        self._process, self._conn = process, parent
        self._child_limit = self.memory_limit
        return parent

    def render(self, pdf: bytes) -> RenderedThumbnail:
        """Page one of `pdf` as WebP; ThumbnailError when it cannot be had (see ThumbStatus)."""
        conn = self._start()
        try:
            conn.send_bytes(pdf)
            answered = conn.poll(self.timeout)
            reply = conn.recv() if answered else None
        except (EOFError, OSError):
            code = self._exit_code()
            self.close()
            raise ThumbnailError(
                ThumbStatus.BROKEN, f"the renderer died on this PDF (exit code {code})"
            ) from None
        if reply is None:
            self.close()
            raise ThumbnailError(
                ThumbStatus.BROKEN, f"rendering page 1 took longer than {self.timeout:g} s"
            )
        if reply[0] == "ok":
            _, webp, width, height = reply
            return RenderedThumbnail(webp, width, height)
        _, status, reason = reply
        if status == ThumbStatus.TOO_LARGE.value:
            # A process that ran out of memory may be left in a bad state: the next PDF gets a
            # fresh one.
            self.close()
        raise ThumbnailError(ThumbStatus(status), reason)

    def _exit_code(self) -> int | None:
        if self._process is None:
            return None
        self._process.join(timeout=1)
        return self._process.exitcode

    def close(self) -> None:
        """Stop the child (at once: it holds nothing worth waiting for)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._process is not None:
            if self._process.is_alive():
                self._process.kill()
            self._process.join(timeout=5)
            self._process.close()
            self._process = None

    def __enter__(self) -> IsolatedRenderer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
