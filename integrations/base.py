"""What every integration shares: the two kinds of failure at the boundary, rate gates and the HTTP client."""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Callable
from datetime import UTC
from typing import Protocol

import httpx

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)


class IntegrationError(Exception):
    """A counterpart did not do what was asked."""


class RetryableError(IntegrationError):
    """Worth trying again later: network errors, 429 and 5xx answers, timeouts.

    ``throttled`` marks a rate-limit answer (ours or the counterpart's): waiting is the whole
    remedy, so it does not count as a failed attempt.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, throttled: bool = False):
        super().__init__(message)
        self.retry_after = retry_after
        self.throttled = throttled


class TerminalError(IntegrationError):
    """Trying again will not help: other 4xx answers, undecodable answers."""


class RateGate(Protocol):
    """Spaces one account's requests so that every process together stays under its limit."""

    def acquire(self) -> None:
        """Return when a request may be sent, or raise a throttled RetryableError to come back later."""

    def penalize(self, seconds: float) -> None:
        """The counterpart said to slow down: hold every request of the account back this long."""


class CostBucket(Protocol):
    """A counterpart's cost bucket (Shopify's: points that come back at a steady rate) as its
    answers describe it, shared by every worker of the account."""

    def take(self, cost: float, *, reserve: float) -> float:
        """Take ``cost`` points if the bucket holds them and ``reserve`` more, as last described:
        0.0 when taken, otherwise the seconds until it would hold them (nothing is taken)."""

    def observe(self, available: float, *, rate: float, most: float) -> None:
        """What the counterpart's latest answer said the bucket holds."""


class LocalBucket:
    """A cost bucket known to one client (fakes, tests, a single process)."""

    def __init__(self, *, clock: Callable[[], float] = time.time):
        self.clock = clock
        self.lock = threading.Lock()
        self.state: tuple[float, float, float, float] | None = None  # available, rate, most, when

    def take(self, cost: float, *, reserve: float) -> float:
        with self.lock:
            if self.state is None:
                return 0.0
            available, rate, most, seen = self.state
            now = self.clock()
            estimate = min(most, available + max(now - seen, 0.0) * rate)
            need = min(cost + reserve, most)
            if estimate >= need or rate <= 0:
                self.state = (estimate - cost, rate, most, now)
                return 0.0
            return (need - estimate) / rate

    def observe(self, available: float, *, rate: float, most: float) -> None:
        with self.lock:
            self.state = (available, rate, most, self.clock())


class OpenGate:
    """No limit: for fakes and for tests that do not measure pacing."""

    def acquire(self) -> None:
        return None

    def penalize(self, _seconds: float) -> None:
        return None


def retry_after_seconds(value: str | None, *, now: Callable[[], float] = time.time) -> float | None:
    """A ``Retry-After`` header in seconds: delta-seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(moment.timestamp() - now(), 0.0)


def http_client(
    base_url: str, *, transport: httpx.BaseTransport | None = None, timeout=DEFAULT_TIMEOUT
) -> httpx.Client:
    """One configured client per counterpart account; tests inject a transport."""
    return httpx.Client(
        base_url=base_url,
        timeout=timeout,
        transport=transport or httpx.HTTPTransport(retries=2),
        headers={"User-Agent": "cluster-commerce/0.1"},
    )


class CounterpartClient:
    """What every HTTP client of a counterpart's account holds: its http client, rate gate and clock."""

    def __init__(
        self,
        base_url: str,
        *,
        transport: httpx.BaseTransport | None = None,
        gate: RateGate | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self.http = http_client(base_url, transport=transport)
        self.gate = gate or OpenGate()
        self.clock = clock

    def close(self) -> None:
        self.http.close()


def send(
    client: httpx.Client,
    request: httpx.Request,
    *,
    gate: RateGate,
    counterpart: str,
    ready: Callable[[], None] | None = None,
) -> httpx.Response:
    """Send one request through the account's rate gate; network trouble, 429 and 5xx become
    RetryableError. ``ready`` runs once the gate lets the request go, just before it is sent (a
    client pacing itself on the counterpart's own allowance decides there, not while queued)."""
    gate.acquire()
    if ready is not None:
        ready()
    try:
        response = client.send(request)
    except httpx.TimeoutException as error:
        raise RetryableError(f"{counterpart}: timed out ({type(error).__name__})") from error
    except httpx.TransportError as error:
        raise RetryableError(f"{counterpart}: {type(error).__name__}: {error}") from error
    if response.status_code == 429:
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        gate.penalize(wait or 1.0)
        raise RetryableError(f"{counterpart}: 429 rate limited", retry_after=wait, throttled=True)
    if response.status_code >= 500:
        raise RetryableError(
            f"{counterpart}: {response.status_code} {response.text[:200]}",
            retry_after=retry_after_seconds(response.headers.get("Retry-After")),
        )
    return response


def json_of(response: httpx.Response, *, counterpart: str) -> dict:
    """The decoded JSON object of an answer, or a TerminalError saying what came instead."""
    try:
        body = response.json()
    except ValueError as error:
        raise TerminalError(f"{counterpart}: undecodable answer ({response.status_code})") from error
    if not isinstance(body, dict):
        raise TerminalError(f"{counterpart}: expected a JSON object, got {type(body).__name__}")
    return body
