"""Errors as RFC 9457 problem details, with a stable code and a message in the caller's language."""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Flask, Response, g, has_request_context, render_template, request
from flask.json.provider import DefaultJSONProvider
from markupsafe import escape
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from commerce.db import gave_way
from commerce.errors import N_, DomainError, ValidationFailed
from commerce.validation import MESSAGES
from commerce.web.database import current_settings
from commerce.web.i18n import translate

log = logging.getLogger(__name__)

# Addresses only programs call: their problems are always JSON. The API's are JSON too, but for a
# browser's navigation (a download link a person followed).
API_PATH = "/api/"
MACHINE_PATHS = ("/media/", "/healthz", "/readyz", "/static/")
PROBLEM_TYPE_BASE = "https://cluster-commerce.example/problems/"
STATUS_BY_KIND = {
    "invalid": 422,
    "unauthenticated": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "too_many_requests": 429,
}

TITLES = {
    400: N_("Bad request"),
    401: N_("Authentication required"),
    403: N_("Forbidden"),
    404: N_("Not found"),
    405: N_("Method not allowed"),
    409: N_("Conflict"),
    413: N_("Request too large"),
    415: N_("Unsupported media type"),
    422: N_("Invalid request"),
    429: N_("Too many requests"),
    500: N_("Internal error"),
    503: N_("Service unavailable"),
}

HTTP_DETAILS = {
    400: ("bad_request", N_("The request could not be understood.")),
    404: ("not_found", N_("The resource was not found.")),
    405: ("method_not_allowed", N_("This method is not allowed on this resource.")),
    413: ("payload_too_large", N_("The upload is larger than the {limit} MB allowed.")),
    415: ("unsupported_media_type", N_("This media type is not supported here.")),
}

FIELD_MESSAGES = {
    "missing": N_("This field is required."),
    "extra_forbidden": N_("This field is not allowed."),
    "string_type": N_("Must be a string."),
    "string_too_short": N_("Too short: at least {min_length} characters."),
    "string_too_long": N_("Too long: at most {max_length} characters."),
    "string_pattern_mismatch": N_("Has an invalid format."),
    "int_type": N_("Must be a whole number."),
    "int_parsing": N_("Must be a whole number."),
    "int_from_float": N_("Must be a whole number."),
    "bool_type": N_("Must be true or false."),
    "bool_parsing": N_("Must be true or false."),
    "greater_than_equal": N_("Must be at least {ge}."),
    "greater_than": N_("Must be greater than {gt}."),
    "less_than_equal": N_("Must be at most {le}."),
    "less_than": N_("Must be less than {lt}."),
    "too_short": N_("Needs at least {min_length} items."),
    "too_long": N_("Takes at most {max_length} items."),
    "enum": N_("Must be one of: {expected}."),
    "literal_error": N_("Must be one of: {expected}."),
    "date_type": N_("Must be a date (YYYY-MM-DD)."),
    "date_parsing": N_("Must be a date (YYYY-MM-DD)."),
    "date_from_datetime_parsing": N_("Must be a date (YYYY-MM-DD)."),
    "datetime_parsing": N_("Must be a date and time (ISO 8601)."),
    "dict_type": N_("Must be an object."),
    "model_type": N_("Must be a JSON object."),
    "model_attributes_type": N_("Must be a JSON object."),
    "list_type": N_("Must be a list."),
    "json_invalid": N_("The body is not valid JSON."),
    "value_error": N_("Invalid value: {error}"),
    "decimal_parsing": N_('Give an exact decimal number as a string, e.g. "12.50".'),
}


class ProblemField(BaseModel):
    field: str
    message: str
    code: str


class Problem(BaseModel):
    """An RFC 9457 problem, with a stable machine ``code``."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[ProblemField] = []
    request_id: str | None = None


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    members: dict[str, object] | None = None,
) -> Response:
    """A problem+json response in the caller's language; ``members`` extend it (RFC 9457). A person
    reading a page is shown the same problem as a page of its own."""
    if wants_page():
        return error_page(status, code, detail, headers=headers)
    body = {
        **(members or {}),
        "type": PROBLEM_TYPE_BASE + code,
        "title": translate(TITLES.get(status, TITLES[400])),
        "status": status,
        "detail": detail,
        "code": code,
        "errors": errors or [],
        "request_id": g.get("request_id"),
    }
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/problem+json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def wants_page() -> bool:
    """Whether the one asking is a person in a browser: a page's address with HTML accepted, or an API
    address the browser navigated to (a download link), which asks for HTML before anything else."""
    if not has_request_context():
        return False
    accepted = request.accept_mimetypes
    if request.path.startswith(API_PATH):
        return request.method == "GET" and accepted.best == "text/html"
    if request.path.startswith(MACHINE_PATHS):
        return False
    return accepted.accept_html and accepted["text/html"] >= accepted["application/json"]


def error_page(status: int, code: str, detail: str, *, headers: dict[str, str] | None = None) -> Response:
    """A problem as a page in the person's language, with the way home."""
    from commerce.pages.rendering import error_context

    try:
        body = render_template("error.html", status=status, code=code, detail=detail, **error_context(status))
    except Exception:
        log.exception("the error page could not be drawn")
        body = f"<!doctype html><title>{status}</title><p>{escape(detail)}</p>"
    response = Response(body, status=status, mimetype="text/html")
    for name, value in (headers or {}).items():
        if name != "WWW-Authenticate":
            response.headers[name] = value
    return response


def _location(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "body"


def _field_message(error: dict[str, Any]) -> tuple[str, str]:
    kind = error["type"]
    context = dict(error.get("ctx") or {})
    if kind in MESSAGES:
        return kind, translate(MESSAGES[kind], **context)
    template = FIELD_MESSAGES.get(kind)
    if template is None:
        return "invalid_value", translate(N_("Invalid value."))
    if kind == "value_error":
        context["error"] = translate(str(context.get("error", error.get("msg", ""))))
    return kind, translate(template, **{key: str(value) for key, value in context.items()})


def validation_problem(error: ValidationError, *, status: int = 422) -> Response:
    """The problem answer for input that failed its shape's validation."""
    fields = []
    for item in error.errors(include_url=False):
        kind, message = _field_message(item)
        fields.append({"field": _location(item["loc"]), "message": message, "code": kind})
    codes = {item["code"] for item in fields}
    code = codes.pop() if len(codes) == 1 and next(iter(codes), "") in MESSAGES else "validation_error"
    detail = fields[0]["message"] if len(fields) == 1 else translate(N_("The request has invalid fields."))
    return problem_response(status, code, detail, errors=fields)


def explain(error: DomainError) -> tuple[int, str]:
    """A domain error's HTTP status and its message in the caller's language."""
    params = {name: translate(value) if name in error.terms else value for name, value in error.params.items()}
    return STATUS_BY_KIND.get(error.kind, 422), translate(error.text, **params)


def domain_problem(error: DomainError) -> Response:
    status, detail = explain(error)
    fields = [{"field": error.field, "message": detail, "code": error.code}] if error.field else []
    headers = {"WWW-Authenticate": 'Bearer realm="api"'} if status == 401 else None
    if status == 429:
        headers = {"Retry-After": str(error.retry_after)}
    members = {name: error.params[name] for name in error.members if name in error.params}
    return problem_response(status, error.code, detail, errors=fields, headers=headers, members=members)


class JsonTooDeep(ValidationFailed):
    code = "json_too_deep"
    message = N_("The JSON body is nested too deeply.")


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, with a body nested deeper than the parser can follow refused (422), not a 500."""

    ensure_ascii = False
    sort_keys = False

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise JsonTooDeep() from None


def init_app(app: Flask) -> None:
    app.json = BoundedJSONProvider(app)

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        return domain_problem(error)

    @app.errorhandler(ValidationError)
    def _validation_error(error: ValidationError):
        return validation_problem(error)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if error.response is not None:
            return error.response
        status = error.code or 500
        if status == 413:
            limit = current_settings().max_upload_bytes // (1024 * 1024)
            return problem_response(413, "payload_too_large", translate(HTTP_DETAILS[413][1], limit=limit))
        code, message = HTTP_DETAILS.get(status, ("http_error", TITLES.get(status, N_("Bad request"))))
        response = problem_response(status, code, translate(message))
        if status == 405 and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(DBAPIError)
    def _database_error(error: DBAPIError):
        if not gave_way(error) and (isinstance(error, OperationalError) or error.connection_invalidated):
            # The database is out of reach (down, restarting, the connection cut): nothing was done.
            log.error("database unavailable: %s", error.orig)
            detail = translate(N_("The database is not reachable."))
            return problem_response(503, "database_unavailable", detail, headers={"Retry-After": "5"})
        if not gave_way(error):
            return _unexpected(error)
        # Nothing of the request's work was kept; sending it again is safe (orders are idempotent by key).
        log.warning("gave way to concurrent work: %s", error.orig)
        detail = translate(N_("The service is busy with the same data; please send the request again."))
        return problem_response(503, "database_busy", detail, headers={"Retry-After": "1"})

    @app.errorhandler(Exception)
    def _unexpected(_error: Exception):
        log.exception("unhandled error")
        return problem_response(500, "internal_error", translate(N_("Something went wrong on our side.")))
