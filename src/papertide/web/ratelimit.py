"""Rate limits (the `limits` library): memory on one node, Redis when `settings.redis_url` is set.

Each action counts per client address (`ip`), per account (`account`: a signed-in user, or the
address a mail would go to) and per address and account together (`ip_account`), each only where
a limit is configured. `hit` raises a 429 WebError carrying Retry-After, which both the HTML and
the JSON error responses pass on; `check` only says how long to wait, for limits that must not
lock anyone out (how many sign-in mails one address receives: see routes/accounts.py).
"""

from __future__ import annotations

import math
import time
from typing import Literal

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from papertide.web.errors import WebError

Scope = Literal["ip", "account", "ip_account"]

# Generous for people, tight enough to stop floods. Mail to an address someone typed is limited
# per (address, account) and throttled per account: limiting a sign-in per account alone would
# let anyone lock a known address out by asking from a handful of machines (OWASP ASVS 2.2.1).
DEFAULT_LIMITS: dict[str, dict[Scope, str]] = {
    "signin": {"ip": "20/hour", "ip_account": "5/hour"},
    "signin_mail": {"account": "10/hour"},
    "subscribe": {"ip": "20/hour", "ip_account": "5/hour"},
    "subscribe_mail": {"account": "5/hour"},
    "search": {"ip": "60/minute"},
    "vote": {"ip": "120/minute", "account": "30/minute"},
    "comment": {"ip": "30/minute", "account": "5/minute"},
    "submit": {"ip": "30/hour", "account": "10/hour"},
    "collection": {"ip": "120/minute", "account": "60/minute"},
    "claim": {"ip": "30/hour", "account": "10/hour"},
}


class RateLimits:
    def __init__(
        self,
        redis_url: str | None = None,
        limits: dict[str, dict[Scope, str]] | None = None,
        namespace: str = "papertide",
    ) -> None:
        storage = storage_from_string(redis_url) if redis_url else MemoryStorage()
        # Installations sharing one Redis must not share counters (nor test runs an hour apart).
        self._namespace = namespace
        self._limiter = MovingWindowRateLimiter(storage)
        self._items: dict[str, dict[Scope, RateLimitItem]] = {
            action: {scope: parse(limit) for scope, limit in scopes.items()}
            for action, scopes in (limits or DEFAULT_LIMITS).items()
        }

    def check(self, action: str, *, ip: str | None = None, account: str | None = None) -> int:
        """Count one `action`; 0 when every limit allows it, else the seconds until one does."""
        keys: dict[Scope, str | None] = {
            "ip": ip,
            "account": account,
            "ip_account": f"{ip}|{account}" if ip and account else None,
        }
        for scope, item in self._items[action].items():
            key = keys[scope]
            if not key:
                continue
            if not self._limiter.hit(item, self._namespace, action, scope, key):
                stats = self._limiter.get_window_stats(item, self._namespace, action, scope, key)
                return max(1, math.ceil(stats.reset_time - time.time()))
        return 0

    def hit(self, action: str, *, ip: str, account: str | None = None) -> None:
        """Count one `action`; raise a 429 WebError when a limit is exceeded."""
        retry = self.check(action, ip=ip, account=account)
        if retry:
            raise WebError(
                429,
                f"too many {action} requests; try again in {retry} seconds",
                headers={"Retry-After": str(retry)},
            )
