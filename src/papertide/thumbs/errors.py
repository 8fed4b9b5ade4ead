"""The one error every thumbnail step raises; its `status` is what the thumbnail row records."""

from __future__ import annotations

from papertide.store.schema import ThumbStatus


class ThumbnailError(Exception):
    """No thumbnail from this PDF: `status` says which kind of failure, `reason` why."""

    def __init__(self, status: ThumbStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class SourceUnreachable(Exception):
    """arXiv gave no answer at all (network down, DNS, timeouts): nothing to say about a paper,
    so the run stops and records nothing; the next run tries again."""
