"""What every integration shares: the two kinds of failure at the boundary."""

from __future__ import annotations


class IntegrationError(Exception):
    """A counterpart did not do what was asked."""


class RetryableError(IntegrationError):
    """Worth trying again later: network errors, 429 and 5xx answers, timeouts."""

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class TerminalError(IntegrationError):
    """Trying again will not help: other 4xx answers, undecodable answers."""
