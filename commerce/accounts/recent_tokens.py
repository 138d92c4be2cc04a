"""Tokens a worker verified a moment ago, so that a client's every request does not read its token again.

A buyer's order or a host's click in a live stream is one request, and reading the token behind it
was a round trip to the database on each of them. As OAuth's token introspection allows its
resource servers (RFC 7662, section 4), a worker trusts what it read of a token for a few seconds
(``COMMERCE_TOKEN_CACHE_SECONDS``; 0 turns this off). Expiry is still checked on every request.
Signing out, changing a password or disabling a user forgets at once what this worker holds of
that user; the deployment's other workers see it when their entry lapses, within those seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from commerce.actors import Actor
from commerce.recent import Recent


@dataclass(frozen=True, slots=True)
class TokenHolder:
    """Who a known, unrevoked token of an active user stands for, and until when it is valid."""

    actor: Actor
    expires_at: datetime


class RecentTokens(Recent[str, TokenHolder]):
    """Token digests verified within the last ``seconds``, at most ``capacity`` of them (the oldest go first)."""

    def forget_user(self, user_id: int) -> None:
        """Forget every token of a user (their sessions ended, or the user was disabled)."""
        self.forget_where(lambda holder: holder.actor.user_id == user_id)
