"""What a worker keeps of tokens it verified: for its few seconds, within its capacity, forgotten on demand."""

from datetime import UTC, datetime, timedelta

import pytest

from commerce.accounts.errors import InvalidToken
from commerce.accounts.recent_tokens import RecentTokens, TokenHolder
from commerce.accounts.service import authenticate, token_digest
from commerce.actors import Actor, Role
from tests.clock import ManualClock

EXPIRES = datetime(2027, 1, 1, tzinfo=UTC)


def holder(user_id: int) -> TokenHolder:
    return TokenHolder(Actor(user_id=user_id, role=Role.HOST, email=f"host{user_id}@example.com"), EXPIRES)


def test_a_token_is_kept_for_its_seconds_and_then_read_again():
    clock = ManualClock()
    recent = RecentTokens(5, clock=clock)
    recent.keep("a", holder(1))
    clock.advance(4.999)
    assert recent.get("a") == holder(1)
    clock.advance(0.001)
    assert recent.get("a") is None
    assert len(recent) == 0


def test_none_is_kept_when_the_seconds_are_zero():
    recent = RecentTokens(0, clock=ManualClock())
    recent.keep("a", holder(1))
    assert (recent.get("a"), len(recent)) == (None, 0)


def test_the_oldest_token_goes_first_when_full():
    recent = RecentTokens(5, capacity=2, clock=ManualClock())
    recent.keep("a", holder(1))
    recent.keep("b", holder(2))
    recent.keep("a", holder(1))
    recent.keep("c", holder(3))
    assert (recent.get("a"), recent.get("b"), recent.get("c")) == (holder(1), None, holder(3))


def test_forgetting_a_token_or_a_user_leaves_the_others():
    recent = RecentTokens(5, clock=ManualClock())
    for digest, user_id in (("a", 1), ("b", 1), ("c", 2), ("d", 3)):
        recent.keep(digest, holder(user_id))
    recent.forget("d")
    recent.forget_user(1)
    assert [recent.get(digest) for digest in "abcd"] == [None, None, holder(2), None]
    recent.clear()
    assert len(recent) == 0


def test_a_kept_token_is_refused_once_it_expires_and_no_database_is_read():
    recent = RecentTokens(60, clock=ManualClock())
    recent.keep(token_digest("kept"), holder(7))
    # No session is given: a kept token is answered without one.
    assert authenticate(None, token="kept", now=EXPIRES - timedelta(seconds=1), recent=recent) == holder(7).actor
    with pytest.raises(InvalidToken):
        authenticate(None, token="kept", now=EXPIRES, recent=recent)
