"""The WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`.

The process's logging is set up here, where the process starts, not in ``create_app``: a
second application in the same process (a test, a command run inside a worker) leaves it alone.
"""

from commerce import create_app
from commerce.config import Settings
from commerce.web.observability import configure_logging

settings = Settings()
configure_logging(settings.log_level, settings.log_json)
app = create_app(settings)
