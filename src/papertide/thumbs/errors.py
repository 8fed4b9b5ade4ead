"""The one error every thumbnail step raises; its `status` is what the thumbnail row records."""

from __future__ import annotations

from papertide.store.schema import ThumbStatus


class ThumbnailError(Exception):
    """No thumbnail from this PDF: `status` says which kind of failure, `reason` why."""

    def __init__(self, status: ThumbStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class SourceUnreachable(ThumbnailError):
    """No answer from arXiv at all (network down, DNS, timeouts), so nothing is known about the
    PDF: the run stops, and the paper waits for a later run without losing one of its tries."""

    def __init__(self, reason: str) -> None:
        super().__init__(ThumbStatus.UNREACHABLE, reason)
