"""The one HTTP client papertide uses for arXiv: polite spacing, Retry-After, backoff.

arXiv asks machines for one request every 3 seconds (settings.arxiv_delay_seconds). A 503 with
`Retry-After` is waited out as asked; network errors and other 5xx answers are retried with
exponential backoff. Anything else comes back to the caller as `FetchError` with a message a
person can act on (and the HTTP status, when there was an answer). `download` reads a body as it
streams in and stops at a size limit (`ResponseTooLarge`): a PDF is not held whole to find out
that it is too large.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

USER_AGENT = "papertide (self-hosted paper feed; polite arXiv harvester, 1 request / 3 s)"
# Never sleep longer than this on one Retry-After, whatever the server says.
MAX_RETRY_AFTER = 600.0


class FetchError(Exception):
    """A request failed for good (after retries); the message says what to do.

    `status` is the HTTP status of the last answer, None when no answer came at all.
    `unreachable` is True when no answer came at all (name not resolved, connection refused or
    timed out): the network or the host is down, as opposed to a server answering an error.
    """

    def __init__(
        self, message: str, *, status: int | None = None, unreachable: bool = False
    ) -> None:
        super().__init__(message)
        self.status = status
        self.unreachable = unreachable


class ResponseTooLarge(FetchError):
    """The body is larger than the caller accepts; reading stopped at the limit."""


def _retry_after_seconds(value: str | None, default: float) -> float:
    if not value:
        return default
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(0.0, min(when.timestamp() - time.time(), MAX_RETRY_AFTER))


def _read_at_most(response: httpx.Response, url: str, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise ResponseTooLarge(
            f"{url} is {int(declared):,} bytes, more than the {max_bytes:,} allowed",
            status=response.status_code,
        )
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise ResponseTooLarge(
                f"{url} sent more than the {max_bytes:,} bytes allowed",
                status=response.status_code,
            )
        chunks.append(chunk)
    return b"".join(chunks)


class PoliteClient:
    """GET with at least `delay` seconds between requests, retries and backoff built in."""

    def __init__(
        self,
        *,
        delay: float = 3.0,
        retries: int = 5,
        backoff: float = 2.0,
        timeout: float = 60.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        retry_unreachable: bool = True,
    ) -> None:
        self.delay = delay
        self.retries = retries
        # A harvest rides out a network blip; a person waiting for a page wants the answer now.
        self.retry_unreachable = retry_unreachable
        self.backoff = backoff
        self.sleep = sleep
        self._last_request = 0.0
        self._client = httpx.Client(
            timeout=timeout,
            headers={"User-Agent": USER_AGENT},
            follow_redirects=True,
            transport=transport,
        )

    @classmethod
    def for_settings(cls, settings: Any, **kwargs: Any) -> PoliteClient:
        """A client spaced as the settings ask (`arxiv_delay_seconds`; tests set 0)."""
        delay = float(settings.arxiv_delay_seconds)
        kwargs.setdefault("backoff", max(delay, 0.05) if delay < 2.0 else 2.0)
        return cls(delay=delay, **kwargs)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _wait_turn(self) -> None:
        wait = self._last_request + self.delay - time.monotonic()
        if wait > 0:
            self.sleep(wait)
        self._last_request = time.monotonic()

    def get(self, url: str, params: Mapping[str, str] | None = None) -> httpx.Response:
        """The response to a GET (status 2xx), after waits and retries; FetchError otherwise."""
        return self._with_retries(url, lambda: self._client.get(url, params=params))

    def download(self, url: str, *, max_bytes: int) -> bytes:
        """The body of a GET, read as it streams in and never more than `max_bytes` of it.

        ResponseTooLarge when the server announces or sends more; otherwise as `get`.
        """
        body = b""

        def send() -> httpx.Response:
            nonlocal body
            with self._client.stream("GET", url) as response:
                if response.status_code < 400:
                    body = _read_at_most(response, url, max_bytes)
            return response

        self._with_retries(url, send)
        return body

    def _with_retries(self, url: str, send: Callable[[], httpx.Response]) -> httpx.Response:
        attempt = 0
        while True:
            self._wait_turn()
            try:
                response = send()
            except httpx.TransportError as exc:
                reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                unreachable = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                if attempt >= self.retries or (unreachable and not self.retry_unreachable):
                    raise FetchError(
                        f"cannot reach {url} ({reason}) after {attempt + 1} "
                        f"tr{'y' if attempt == 0 else 'ies'}; check the network or try again later",
                        unreachable=unreachable,
                    ) from None
                self.sleep(self.backoff * 2**attempt)
                attempt += 1
                continue
            if response.status_code < 400:
                return response
            retryable = response.status_code in (429, 500, 502, 503, 504)
            if not retryable or attempt >= self.retries:
                raise FetchError(
                    f"{url} answered HTTP {response.status_code}"
                    + (f" after {attempt + 1} tries" if retryable else "")
                    + "; try again later" * retryable,
                    status=response.status_code,
                )
            if response.status_code in (429, 503) and "retry-after" in response.headers:
                pause = _retry_after_seconds(response.headers["retry-after"], self.backoff)
            else:
                pause = self.backoff * 2**attempt
            self.sleep(pause)
            attempt += 1
