"""Request ids and structured (JSON) logs."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid

from flask import Flask, g, request

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")
_STANDARD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the extra fields a call passed."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and key != "request_id":
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


# Query parameters and fields that carry credentials in some counterpart's requests (Douyin puts
# its access token and signature in the query string).
_SECRETS = re.compile(
    r"(?i)\b(access_token|app_secret|client_secret|secret|sign|password|token|x-tts-access-token)"
    r"(=|\"?\s*:\s*\"?)([^&\s\"',}]+)"
)


class RedactingFilter(logging.Filter):
    """Takes credentials out of a record's message before it is written anywhere."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _SECRETS.sub(lambda match: f"{match.group(1)}{match.group(2)}[redacted]", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class RequestIdFilter(logging.Filter):
    """Stamps every record made while serving a request with that request's id."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            record.request_id = g.get("request_id")
        except RuntimeError:
            record.request_id = None
        return True


def configure_logging(level: str, as_json: bool) -> None:
    """Log to standard error, as JSON lines in production or as plain text for development."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactingFilter())
    if as_json:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"))
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "_commerce", False):
            root.removeHandler(existing)
    handler._commerce = True
    root.addHandler(handler)
    root.setLevel(level.upper())
    if root.level > logging.DEBUG:
        logging.getLogger("alembic").setLevel(logging.WARNING)
        # httpx logs every request's whole address at INFO, query string and all.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        logging.getLogger("httpcore").setLevel(logging.WARNING)


def init_app(app: Flask) -> None:
    access_log = logging.getLogger("commerce.access")

    @app.before_request
    def _start():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        elapsed_ms = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        actor = g.get("actor")
        access_log.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round(elapsed_ms, 2),
                "user_id": actor.user_id if actor else None,
            },
        )
        return response
