"""The web edge: auth, problem+json errors, i18n, pagination, OpenAPI."""
