"""Flask commands: schema, users, demo data, imports, the worker and the scheduler."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from commerce.actors import Actor
from commerce.web.database import current_deployment, current_settings, database


@click.group("db", cls=AppGroup, help="Database schema.")
def db_group():
    pass


@db_group.command("upgrade", help="Bring the schema to the newest revision (Alembic).")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str):
    from commerce.db import upgrade_schema

    upgrade_schema(current_settings().resolved_database_url, revision)
    click.echo(f"schema upgraded to {revision}")


@db_group.command("revision", help="Write a new migration from the difference between models and database.")
@click.option("--message", "-m", required=True)
def db_revision(message: str):
    from alembic import command

    from commerce.db import alembic_config

    script = command.revision(
        alembic_config(current_settings().resolved_database_url), message=message, autogenerate=True
    )
    click.echo(f"wrote {script.path}")


@click.group("users", cls=AppGroup, help="User accounts.")
def users_group():
    pass


@users_group.command("create-admin", help="Create the admin with this e-mail, or reset its password.")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_admin(email: str, password: str):
    from commerce.accounts import service
    from commerce.accounts.errors import WeakPassword
    from commerce.web.i18n import translate

    with database().session() as session:
        try:
            user, created = service.ensure_admin(
                session, email=email, password=password, passwords=current_deployment().passwords
            )
        except WeakPassword as error:
            raise click.BadParameter(translate(error.text, "en"), param_hint="--password") from None
    click.echo(f"admin {user.email} {'created' if created else 'updated'} (id {user.id}); its other sessions ended")


@click.group("demo", cls=AppGroup, help="Demo data.")
def demo_group():
    pass


@demo_group.command("load", help="Load the demo cashmere cluster (safe to run again).")
def demo_load():
    from commerce import demo

    settings = current_settings()
    with database().session() as session:
        summary = demo.load(session, passwords=current_deployment().passwords)
    for name, value in summary.items():
        click.echo(f"{name}: {value}")
    if settings.signing_files is None:
        from commerce.customs.signing import write_self_signed

        key, _certificate = write_self_signed(
            settings.signing_folder,
            common_name="Demo service platform (self-signed, not the E-port's)",
        )
        click.echo(f"customs messages are signed with a self-signed demo key: {key}")


@demo_group.command(
    "serve",
    help="Serve the demo: the API and pages, a worker, the scheduler and customs' single-window simulator, in one "
    "process (Ctrl-C stops them all).",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=5000, show_default=True)
@click.option("--review-seconds", type=float, default=20.0, show_default=True, help="How long customs takes to accept.")
def demo_serve(host: str, port: int, review_seconds: float):
    from flask import current_app
    from werkzeug.serving import run_simple

    from commerce import scheduler
    from commerce.jobs.worker import Worker

    app = current_app._get_current_object()
    deployment = current_deployment()
    stop = threading.Event()
    helpers = [
        threading.Thread(target=scheduler.run, args=(database(),), kwargs={"stop": stop}, name="scheduler"),
        threading.Thread(target=_single_window(review_seconds).run, args=(stop,), name="single-window"),
    ]
    if not deployment.settings.runs_embedded_worker:
        helpers.append(threading.Thread(target=Worker(deployment).run_until, args=(stop,), name="worker"))
    for helper in helpers:
        helper.daemon = True
        helper.start()
    click.echo(f"the demo on http://{host}:{port}/ (a worker, the scheduler and the single-window simulator run)")
    try:
        run_simple(host, port, app, threaded=True)
    finally:
        stop.set()


@click.group("catalog", cls=AppGroup, help="Product catalogue.")
def catalog_group():
    pass


@catalog_group.command(
    "import", help="Import products from a CSV or XLSX file (or a ZIP of one and its photos), with a progress bar."
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--enterprise-id", type=int, required=True)
@click.option(
    "--error-policy", type=click.Choice(["reject_all", "reject_failed_rows"]), default="reject_all", show_default=True
)
def catalog_import(file: Path, enterprise_id: int, error_policy: str):
    from commerce.catalog import imports
    from commerce.catalog.import_files import file_format, iter_records
    from commerce.catalog.import_photos import opened_sheet
    from commerce.catalog.import_workbooks import SheetLimits
    from commerce.catalog.models import ErrorPolicy
    from commerce.errors import DomainError
    from commerce.web.i18n import translate

    db, settings = database(), current_settings()
    with file.open("rb") as stream:
        try:
            with db.session() as session:
                record, _queued = imports.start_import(
                    session,
                    actor=Actor.system(),
                    enterprise_id=enterprise_id,
                    filename=file.name,
                    stream=stream,
                    error_policy=ErrorPolicy(error_policy),
                    in_background=False,
                    settings=settings,
                    keep_file=False,
                )
            with opened_sheet(stream, file_format(file.name), settings) as (sheet, fmt, _archive):
                total = sum(1 for _ in iter_records(sheet, fmt, SheetLimits.of(settings)))
        except DomainError as error:
            raise click.ClickException(translate(error.text, "en", **error.params)) from None
        stream.seek(0)
        with click.progressbar(length=total * 2, label=f"importing {total} rows") as bar:
            position = {"check": 0, "write": 0}

            def progress(phase: str, rows: int) -> None:
                bar.update(rows - position[phase])
                position[phase] = rows

            record = imports.run_import(
                db,
                settings,
                import_id=record.id,
                media=current_deployment().media_store,
                source=stream,
                progress=progress,
                actor=Actor.system(),
            )
    click.echo(
        f"import {record.id}: {record.status}; {record.ok_rows} rows imported, {record.failed_rows} failed; "
        f"{record.created_products} products and {record.created_skus} SKUs created, "
        f"{record.updated_products} products and {record.updated_skus} SKUs updated"
    )
    for error in record.errors[:20]:
        click.echo(f"  row {error['row']} {error['field']}: {error['code']} {error.get('params') or ''}", err=True)
    if record.status == "failed":
        sys.exit(1)


@click.group("worker", cls=AppGroup, help="Background job workers.")
def worker_group():
    pass


@worker_group.command("run", help="Run queued jobs until stopped (start any number, on any machine).")
@click.option("--once", is_flag=True, help="Run the jobs due now, then exit.")
@click.option("--threads", type=click.IntRange(1, 64), default=None, help="Job loops in this process.")
def worker_run(once: bool, threads: int | None):
    from commerce.jobs.worker import Worker

    worker = Worker(current_deployment())
    if once:
        worker.requeue_expired()
        total = 0
        while ran := worker.run_once(limit=10):
            total += ran
        click.echo(f"ran {total} jobs")
        return
    stop = threading.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda *_: stop.set())
    threads = threads or current_settings().worker_threads
    # Background work yields the processor to the web service's requests on a shared machine.
    os.nice(current_settings().worker_nice)
    click.echo(f"worker {worker.worker_id} started with {threads} threads")
    worker.run_threads(stop, threads=threads)


@click.group("scheduler", cls=AppGroup, help="The periodic job scheduler (exactly one per deployment).")
def scheduler_group():
    pass


@scheduler_group.command("run", help="Run the scheduler; a second copy waits for the first to stop.")
def scheduler_run():
    from commerce import scheduler

    scheduler.run(database())


@click.group("simulator", cls=AppGroup, help="Marketplace and single-window simulators for demos and local testing.")
def simulator_group():
    pass


@simulator_group.command(
    "run",
    help="Serve a simulator: a marketplace (Shopify, TikTok Shop, Douyin), customs' single window, or the "
    "interbank market's central parity history (cfets).",
)
@click.argument("platform", type=click.Choice(["shopify", "tiktok_shop", "douyin", "single_window", "cfets"]))
@click.option("--port", type=int, default=9100, show_default=True)
@click.option("--rate-limit", type=float, default=None, help="Requests a second before answering 429.")
@click.option("--review-seconds", type=float, default=5.0, show_default=True)
@click.option("--webhook-url", default=None, help="Where to send webhooks (our /api/v1/webhooks/... URL).")
def simulator_run(platform: str, port: int, rate_limit: float | None, review_seconds: float, webhook_url: str | None):
    from werkzeug.serving import make_server

    if platform == "single_window":
        _serve_single_window(review_seconds)
        return
    if platform == "cfets":
        from integrations.fx.simulator import CfetsSimulator

        click.echo(f"central parity simulator on http://127.0.0.1:{port} (set COMMERCE_FX_URL to it)")
        server = make_server("127.0.0.1", port, CfetsSimulator(rate_limit=rate_limit).app, threaded=True)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
        return

    from integrations.stand_ins import SIMULATORS, simulator_credentials

    simulator = SIMULATORS[platform](rate_limit=rate_limit, webhook_url=webhook_url)
    if platform != "shopify":
        simulator.store.behaviour.review_seconds = review_seconds
    stop = threading.Event()
    if webhook_url:
        threading.Thread(target=simulator.deliver_forever, args=(stop,), daemon=True).start()
    click.echo(f"{platform} simulator on http://127.0.0.1:{port}; credentials {simulator_credentials(platform)}")
    server = make_server("127.0.0.1", port, simulator.app, threaded=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()


def _single_window(review_seconds: float):
    """Customs behind the platforms' data-exchange folders: it takes each message, accepts after
    review_seconds and releases after twice that."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509 import load_pem_x509_certificate

    from integrations.single_window.office import Timing, load_schema
    from integrations.single_window.simulator import SingleWindowSimulator

    settings = current_settings()
    schema_folder = settings.ceb_schema_dir
    # The simulated customs knows the platform's certificate, as the E-port knows the card's.
    files = settings.signing_files
    trusted = None
    if files is not None and files[1] is not None:
        certificate = load_pem_x509_certificate(files[1].read_bytes())
        trusted = [certificate.public_bytes(serialization.Encoding.DER)]
    simulator = SingleWindowSimulator(
        settings.exchange_folder,
        timing=Timing(accept_after=review_seconds, clear_after=review_seconds * 2),
        schema=load_schema(schema_folder) if schema_folder else None,
        trusted_certificates=trusted,
    )
    checked = (
        f"messages checked against {schema_folder / 'export.xsd'}"
        if schema_folder
        else "no schema (COMMERCE_CEB_SCHEMA_DIR)"
    )
    click.echo(f"single window simulator on the folders under {settings.exchange_folder}; {checked}")
    return simulator


def _serve_single_window(review_seconds: float) -> None:
    stop = threading.Event()
    with contextlib.suppress(KeyboardInterrupt):
        _single_window(review_seconds).run(stop)


def init_app(app: Flask) -> None:
    groups = (db_group, users_group, demo_group, catalog_group, worker_group, scheduler_group, simulator_group)
    for group in groups:
        app.cli.add_command(group)
