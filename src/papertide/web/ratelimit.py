"""Rate limits (the `limits` library): memory on one node, Redis when `settings.redis_url` is set.

Each action has a per-IP and a per-account limit; going over raises a 429 WebError carrying
Retry-After, which both the HTML and the JSON error responses pass on.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from papertide.web.errors import WebError

# action -> (per IP, per account). Generous for people, tight enough to stop floods.
DEFAULT_LIMITS: dict[str, tuple[str, str]] = {
    "signin": ("20/hour", "5/hour"),
    "vote": ("120/minute", "30/minute"),
    "comment": ("30/minute", "5/minute"),
    "submit": ("30/hour", "10/hour"),
    "collection": ("120/minute", "60/minute"),
    "claim": ("30/hour", "10/hour"),
}


class RateLimits:
    def __init__(
        self,
        redis_url: str | None = None,
        limits: dict[str, tuple[str, str]] | None = None,
        namespace: str = "papertide",
    ) -> None:
        storage = storage_from_string(redis_url) if redis_url else MemoryStorage()
        # Installations sharing one Redis must not share counters (nor test runs an hour apart).
        self._namespace = namespace
        self._limiter = MovingWindowRateLimiter(storage)
        self._items: dict[str, tuple[RateLimitItem, RateLimitItem]] = {
            action: (parse(per_ip), parse(per_account))
            for action, (per_ip, per_account) in (limits or DEFAULT_LIMITS).items()
        }

    def hit(self, action: str, *, ip: str, account: str | None = None) -> None:
        """Count one `action`; raise a 429 WebError when the IP or the account is over its limit."""
        per_ip, per_account = self._items[action]
        checks = [(per_ip, "ip", ip)]
        if account:
            checks.append((per_account, "account", account))
        for item, kind, key in checks:
            if not self._limiter.hit(item, self._namespace, action, kind, key):
                reset = self._limiter.get_window_stats(item, self._namespace, action, kind, key)
                retry = max(1, math.ceil(reset.reset_time - time.time()))
                raise WebError(
                    429,
                    f"too many {action} requests; try again in {retry} seconds",
                    headers={"Retry-After": str(retry)},
                )
