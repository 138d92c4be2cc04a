"""Errors of the accounts area."""

from commerce.errors import N_, Conflict, Forbidden, TooManyRequests, Unauthenticated, ValidationFailed


class InvalidCredentials(Unauthenticated):
    code = "invalid_credentials"
    message = N_("The e-mail or password is wrong.")


class InvalidToken(Unauthenticated):
    code = "invalid_token"
    message = N_("The access token is missing, expired or revoked.")


class EnterpriseRequired(ValidationFailed):
    code = "enterprise_required"
    message = N_("Users with role {role} must belong to an enterprise.")


class WeakPassword(ValidationFailed):
    code = "weak_password"
    message = N_("Choose a stronger password: at least 10 characters, not a common or easily guessed one.")


class SignInPaused(TooManyRequests):
    code = "sign_in_paused"
    message = N_("Too many failed sign-ins; try again in {seconds} seconds.")


class WrongPassword(ValidationFailed):
    code = "wrong_password"
    message = N_("The current password is wrong.")


class CannotDisableSelf(Conflict):
    code = "cannot_disable_self"
    message = N_("You cannot disable your own account; another admin can.")


class CsrfFailed(Forbidden):
    code = "csrf_failed"
    message = N_("This page has expired; reload it and try again.")
