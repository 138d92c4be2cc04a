"""Errors of the accounts area."""

from commerce.errors import N_, Unauthenticated, ValidationFailed


class InvalidCredentials(Unauthenticated):
    code = "invalid_credentials"
    message = N_("The e-mail or password is wrong.")


class InvalidToken(Unauthenticated):
    code = "invalid_token"
    message = N_("The access token is missing, expired or revoked.")


class EnterpriseRequired(ValidationFailed):
    code = "enterprise_required"
    message = N_("Users with role {role} must belong to an enterprise.")
