"""Test fixtures: one schema per run (built by the migrations), and each test's work rolled back.

Every session of the application joins one connection's transaction for the length of a test
(each commit a savepoint), and the transaction is rolled back when the test ends. A test whose
work must be seen by other connections (threads, processes, a server in a thread) is marked
``shared_database``: it commits for real, and the tables are emptied after it. A scene built
once for a module (``scene_within``) is kept in the module's transaction; each of its tests
runs in a savepoint rolled back after it.

The suite runs on a SQLite file by default and on PostgreSQL when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import inspect, make_url, text

from commerce import create_app
from commerce.config import Settings
from commerce.customs.signing import write_self_signed
from commerce.db import Database, upgrade_schema
from commerce.deployment import Deployment
from integrations.single_window.folders import ExchangeFolders
from integrations.single_window.office import load_schema
from integrations.single_window.receipts import unwrap
from integrations.single_window.simulator import SingleWindowSimulator
from tests.factories import Factory
from tests.isolation import empty_all_tables, rolled_back
from tests.marketplaces import served


def _reset_database(url: str) -> None:
    """Drop everything in the test database, so the migrations build it from nothing."""
    database = Database(url)
    with database.engine.begin() as connection:
        if database.is_sqlite:
            tables = inspect(connection).get_table_names()
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            for table in tables:
                connection.exec_driver_sql(f'DROP TABLE IF EXISTS "{table}"')
        else:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    database.dispose()


def _worker_database(url: str, worker_id: str) -> str:
    """With pytest-xdist, each worker gets its own PostgreSQL database beside the one named."""
    if worker_id == "master":
        return url
    parsed = make_url(url)
    name = f"{parsed.database}_{worker_id}"
    admin = Database(url)
    with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}).first()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory, worker_id) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        url = _worker_database(url, worker_id)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    _reset_database(url)
    upgrade_schema(url)
    return url


@pytest.fixture(scope="session")
def signing_files(tmp_path_factory) -> tuple:
    """A key and a self-signed certificate the platform signs customs' messages with (made for the run)."""
    return write_self_signed(tmp_path_factory.mktemp("signing"), common_name="Test service platform")


@pytest.fixture(scope="session")
def settings(database_url, tmp_path_factory, signing_files) -> Settings:
    return Settings(
        env="test",
        database_url=database_url,
        instance_path=tmp_path_factory.mktemp("instance"),
        secret_key="test-secret-key-that-is-long-enough-0123456789",
        password_hash_time_cost=1,
        password_hash_memory_kib=64,
        log_json=False,
        log_level="WARNING",
        embedded_worker=False,
        import_inline_max_bytes=64 * 1024,
        import_chunk_rows=50,
        max_upload_bytes=2 * 1024 * 1024,
        media_max_bytes=1_000_000,
        customs_signing_key=signing_files[0],
        customs_signing_certificate=signing_files[1],
        # Refund and return news is read at once here (the wait is tested on its own).
        after_sale_fold_seconds=0,
    )


@pytest.fixture(scope="session")
def app(settings):
    application = create_app(settings)
    application.config["TESTING"] = True
    yield application
    application.extensions["commerce.deployment"].database.dispose()


@pytest.fixture(scope="session")
def deployment(app) -> Deployment:
    return app.extensions["commerce.deployment"]


@pytest.fixture(scope="session")
def database(deployment) -> Database:
    return deployment.database


DATABASE_FIXTURES = {"database", "deployment", "app", "client", "factory", "session"}


def shares_database(request) -> bool:
    """Whether the test's work must be seen by other connections (marked, or served to a browser)."""
    return request.node.get_closest_marker("shared_database") is not None or "live_server" in request.fixturenames


@pytest.fixture(autouse=True)
def _isolated_database(request) -> Iterator[None]:
    if not DATABASE_FIXTURES & set(request.fixturenames):
        yield
        return
    database = request.getfixturevalue("database")
    # What a worker keeps of tokens and accounts mirrors the database: each test starts with neither changed.
    deployment = request.getfixturevalue("deployment")
    deployment.recent_tokens.clear()
    deployment.marketplace_clients.webhook_accounts.clear()
    if shares_database(request):
        assert database.within is None, "a test that shares the database cannot run inside a module's scene"
        try:
            yield
        finally:
            empty_all_tables(database)
        return
    if database.within is not None:
        savepoint = database.within.begin_nested()
        try:
            yield
        finally:
            savepoint.rollback()
        return
    with rolled_back(database):
        yield


@pytest.fixture
def session(database):
    with database.session() as db_session:
        yield db_session


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def factory(deployment, client) -> Factory:
    return Factory(deployment, client)


@pytest.fixture
def media(deployment, tmp_path):
    """The photos of this test kept in a folder of its own; the folder is returned."""
    from commerce.media.storage import FolderStore

    folder = tmp_path / "media"
    kept = deployment.media_store
    deployment.media_store = FolderStore(folder)
    yield folder
    deployment.media_store = kept


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """The test application served over HTTP on a free loopback port."""
    with served(app) as url:
        yield url


@pytest.fixture
def browser_page():
    """A page in Debian's headless Chromium, driven by Playwright (install it with `bash .ci/browser.sh`)."""
    from playwright.sync_api import sync_playwright

    from tests.browsing import CHROMIUM, CHROMIUM_FLAGS

    assert os.path.exists(CHROMIUM), "Debian's chromium is needed for browser tests: run `bash .ci/browser.sh`"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield browser.new_page()
        finally:
            browser.close()


@pytest.fixture(scope="session")
def ceb_schema(settings):
    """Customs' official schema of the cross-border messages (COMMERCE_CEB_SCHEMA_DIR, by default
    ../shared/reference/ceb beside the checkout): every message the simulator takes is checked against it."""
    assert settings.ceb_schema_dir is not None, "customs' schema is needed: set COMMERCE_CEB_SCHEMA_DIR"
    return load_schema(settings.ceb_schema_dir)


@pytest.fixture(scope="session")
def known_certificates(signing_files) -> list[bytes]:
    """The certificates the single window knows enterprises by: the platform's (DER)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509 import load_pem_x509_certificate

    certificate = load_pem_x509_certificate(signing_files[1].read_bytes())
    return [certificate.public_bytes(serialization.Encoding.DER)]


class CustomsAtTheOtherEnd(ExchangeFolders):
    """A platform's exchange folders with the single-window simulator behind them: customs takes what
    was handed over and answers whenever the service looks at its receive folder. Every receipt
    customs writes is held against customs' schema before the service reads it."""

    def __init__(self, root, simulator: SingleWindowSimulator, schema, **options):
        super().__init__(root, settle_seconds=0, **options)
        self.simulator = simulator
        self.schema = schema

    def receipts(self, *, limit: int = 100):
        self.simulator.step()
        for path in self.receive_dir.iterdir():
            message = unwrap(path.read_bytes())
            if message.tag.startswith("{http://www.chinaport.gov.cn/ceb}"):
                assert self.schema.validate(message), (path.name, self.schema.error_log)
        return super().receipts(limit=limit)


@pytest.fixture
def gateway(deployment, ceb_schema, known_certificates, tmp_path):
    """The customs jobs exchange files with a single-window simulator through folders under tmp_path;
    the simulator is returned."""
    root = tmp_path / "single-window"
    simulator = SingleWindowSimulator(root, schema=ceb_schema, trusted_certificates=known_certificates)
    deployment.customs_gateway = lambda platform, settings: CustomsAtTheOtherEnd(
        root / platform.dxp_id, simulator, ceb_schema, sender_id=platform.dxp_id
    )
    yield simulator
    deployment.customs_gateway = None


def pytest_terminal_summary(terminalreporter) -> None:
    """How many cases of the authorization matrix ran (every operation x every caller), and with what result."""
    outcomes = {
        outcome: sum(
            "test_endpoint_answers_each_role[" in report.nodeid for report in terminalreporter.stats.get(outcome, [])
        )
        for outcome in ("passed", "failed")
    }
    if any(outcomes.values()):
        terminalreporter.write_line(
            f"authorization matrix: {outcomes['passed']} cases passed, {outcomes['failed']} failed"
        )
