"""Password hashing with Argon2id, at the cost one deployment sets."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from commerce.accounts.errors import WeakPassword

# zxcvbn's score (0-4) a password needs: 3 is "safely unguessable" against an online attack with
# throttling, by its common-password lists, dictionaries, keyboard patterns and repeats.
MINIMUM_STRENGTH = 3


def check_strength(password: str, *, email: str, field: str = "password") -> None:
    """Refuse a password that is short, common or guessable (its owner's e-mail counts as known)."""
    known = [part for part in email.lower().replace("@", ".").split(".") if part]
    if len(password) < 10 or zxcvbn(password[:100], user_inputs=known)["score"] < MINIMUM_STRENGTH:
        raise WeakPassword(field=field)


class Passwords:
    """Hashes and checks passwords; each application builds its own from its settings."""

    def __init__(self, *, time_cost: int, memory_kib: int):
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
        self._dummy_hash: str | None = None

    def hash(self, password: str) -> str:
        """An Argon2id hash of the password, with its own salt and parameters."""
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        """Whether the password matches the stored hash (made at any cost)."""
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def burn_verification_time(self, password: str) -> None:
        """Spend the time of one verification, so unknown e-mails answer as slowly as wrong passwords."""
        if self._dummy_hash is None:
            self._dummy_hash = self.hash("not-a-real-password")
        self.verify(self._dummy_hash, password)
