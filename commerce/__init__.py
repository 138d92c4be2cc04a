"""The shared commerce platform of a county industrial cluster."""

from __future__ import annotations

import threading
from datetime import timedelta

from flask import Flask

from commerce.config import Settings


def create_app(settings: Settings | None = None) -> Flask:
    """Build the application for one deployment; nothing is created at import time."""
    from commerce import cli, pages
    from commerce.accounts.views import bp as accounts_bp
    from commerce.accounts.views import public_bp as auth_bp
    from commerce.aftersales.views import bp as aftersales_bp
    from commerce.catalog.views import bp as catalog_bp
    from commerce.clusters.views import bp as clusters_bp
    from commerce.customs.views import bp as customs_bp
    from commerce.db import Database, upgrade_schema
    from commerce.deployment import Deployment
    from commerce.jobs.views import bp as jobs_bp
    from commerce.listings.views import bp as listings_bp
    from commerce.listings.views import webhooks_bp
    from commerce.live.views import bp as live_bp
    from commerce.media.views import bp as media_bp
    from commerce.media.views import files_bp as media_files_bp
    from commerce.orders.views import bp as orders_bp
    from commerce.rebates.views.claims import bp as rebate_claims_bp
    from commerce.rebates.views.rates import bp as rebate_rates_bp
    from commerce.rebates.views.records import bp as rebate_records_bp
    from commerce.reports.views import bp as reports_bp
    from commerce.settlement.views import bp as settlement_bp
    from commerce.settlement.views import payouts_bp
    from commerce.web import database, health, observability, problems
    from commerce.web.auth import SignedCookieSessions
    from commerce.web.openapi import init_docs, make_app

    settings = settings or Settings()

    app = make_app("commerce", instance_path=str(settings.instance_path))
    app.config["SECRET_KEY"] = settings.secret_key
    app.config["MAX_CONTENT_LENGTH"] = settings.max_upload_bytes
    app.session_interface = SignedCookieSessions()

    db = Database(
        settings.resolved_database_url,
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
        pool_size=settings.database_pool_size,
    )
    if settings.should_auto_migrate:
        upgrade_schema(settings.resolved_database_url)
    deployment = Deployment.build(settings, db)
    database.init_app(app, deployment)
    problems.init_app(app)
    observability.init_app(app)
    health.init_app(app)
    init_docs(app)

    blueprints = (
        auth_bp,
        accounts_bp,
        clusters_bp,
        catalog_bp,
        media_bp,
        live_bp,
        orders_bp,
        aftersales_bp,
        listings_bp,
        webhooks_bp,
        customs_bp,
        rebate_rates_bp,
        rebate_records_bp,
        rebate_claims_bp,
        reports_bp,
        settlement_bp,
        payouts_bp,
        jobs_bp,
    )
    for blueprint in blueprints:
        app.register_api(blueprint)
    pages.init_app(app, secure_cookies=settings.env == "production", lifetime=timedelta(hours=settings.token_ttl_hours))
    app.register_blueprint(media_files_bp)
    cli.init_app(app)

    if settings.runs_embedded_worker:
        _start_embedded_worker_on_first_request(app, deployment)
    return app


def _start_embedded_worker_on_first_request(app: Flask, deployment) -> None:
    """In development, run background jobs inside the web process once it serves requests."""
    from commerce.jobs.worker import Worker

    started = threading.Event()

    @app.before_request
    def _ensure_worker():
        if started.is_set():
            return
        started.set()
        stop = threading.Event()
        app.extensions["commerce.worker_stop"] = stop
        thread = threading.Thread(
            target=Worker(deployment).run_until, args=(stop,), daemon=True, name="embedded-worker"
        )
        thread.start()
