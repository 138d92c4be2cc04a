"""Errors of marketplace accounts, listings and webhooks, with stable codes."""

from __future__ import annotations

from commerce.errors import N_, Conflict, Unauthenticated, ValidationFailed


class CredentialsIncomplete(ValidationFailed):
    code = "credentials_incomplete"
    message = N_("The {platform} credentials need: {missing}.")


class AccountSettingsInvalid(ValidationFailed):
    code = "invalid_account_settings"
    message = N_("The {platform} account's settings cannot be used: {reason}")


class UnsupportedApiVersion(ValidationFailed):
    code = "unsupported_api_version"
    message = N_("{platform} no longer serves or does not yet have API version {version}; use one of: {supported}.")


class AccountNameTaken(Conflict):
    code = "channel_account_exists"
    message = N_("A {platform} account with this name already exists.")


class ProductNotApproved(Conflict):
    code = "product_not_approved"
    message = N_("Only approved products can be listed on marketplaces.")


class UnknownChannelAccount(ValidationFailed):
    code = "unknown_channel_account"
    message = N_("There is no marketplace account with this id.")


class InvalidSignature(Unauthenticated):
    code = "invalid_signature"
    message = N_("The webhook signature does not match; nothing was stored.")
