"""Domain errors: a stable machine code, an untranslated message and its parameters.

The web edge maps each kind to an HTTP status and translates the message; the domain
itself never translates.
"""

from __future__ import annotations

from typing import Any, ClassVar


def N_(message: str) -> str:
    """Mark a message for translation at the edge (Babel extracts it); returns it unchanged."""
    return message


class DomainError(Exception):
    """Base of every error a use case raises on purpose."""

    kind: ClassVar[str] = "invalid"
    code: ClassVar[str] = "invalid"
    message: ClassVar[str] = N_("The request could not be processed.")
    # Parameters whose values are words of the domain (a status), translated along with the message.
    terms: ClassVar[tuple[str, ...]] = ()
    # Parameters the answer also carries as members of its own, for a client to act on (an id).
    members: ClassVar[tuple[str, ...]] = ()

    def __init__(self, message: str | None = None, *, field: str | None = None, **params: Any):
        self.text = message or self.message
        self.field = field
        self.params = params
        super().__init__(self.text.format(**params) if params else self.text)


class ValidationFailed(DomainError):
    """Input that breaks a rule of the domain (422)."""

    kind = "invalid"
    code = "validation_error"
    message = N_("The request has invalid fields.")

    @classmethod
    def of_rule(cls, violation: Any, *, field: str) -> ValidationFailed:
        """The answer to a value that broke one of ``validation``'s rules (a ``RuleViolation``)."""
        from commerce.validation import MESSAGES

        error = cls(MESSAGES[violation.code], field=field, **violation.params)
        error.code = violation.code
        return error


class Unauthenticated(DomainError):
    """The caller could not be identified (401)."""

    kind = "unauthenticated"
    code = "unauthenticated"
    message = N_("Authentication is required.")


class NotFound(DomainError):
    """A resource that does not exist or that the caller may not see (404)."""

    kind = "not_found"
    code = "not_found"
    message = N_("The resource was not found.")


class Forbidden(DomainError):
    """The caller is known but not allowed to do this (403)."""

    kind = "forbidden"
    code = "forbidden"
    message = N_("You are not allowed to do this.")


class Conflict(DomainError):
    """The request conflicts with the current state (409)."""

    kind = "conflict"
    code = "conflict"
    message = N_("The request conflicts with the current state.")


class TooManyRequests(DomainError):
    """Slow down (429); ``retry_after`` seconds say for how long."""

    kind = "too_many_requests"
    code = "too_many_requests"
    message = N_("Too many requests; try again later.")

    @property
    def retry_after(self) -> int:
        return max(1, int(self.params.get("seconds", 1)))


class InvalidStatusTransition(Conflict):
    code = "invalid_status_transition"
    message = N_("Cannot go from status {current} to {target}.")


class AlreadyExists(Conflict):
    code = "already_exists"
    message = N_("A {entity} with this {field_name} already exists.")
