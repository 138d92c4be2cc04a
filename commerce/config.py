"""Settings: one validated object, read once from the COMMERCE_* environment variables."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, StringConstraints, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "development-only-secret-change-me"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Where the official schema of customs' cross-border messages lies beside a checkout.
SHARED_CEB_SCHEMAS = PROJECT_ROOT.parent / "shared" / "reference" / "ceb"


def _shared_ceb_schemas() -> Path | None:
    return SHARED_CEB_SCHEMAS if (SHARED_CEB_SCHEMAS / "export.xsd").is_file() else None


class Settings(BaseSettings):
    """Everything the service can be configured with; see docs/configuration.md."""

    model_config = SettingsConfigDict(env_prefix="COMMERCE_", extra="ignore", frozen=True)

    env: Literal["development", "production", "test"] = "development"
    database_url: str = ""
    secret_key: str = DEVELOPMENT_SECRET
    instance_path: Path = PROJECT_ROOT / "instance"

    password_hash_time_cost: int = Field(default=3, ge=1)
    password_hash_memory_kib: int = Field(default=65_536, ge=64)
    token_ttl_hours: int = Field(default=12, ge=1, le=24 * 90)
    # How long a worker trusts what it read of a token (accounts/recent_tokens.py); 0: read it every time.
    token_cache_seconds: float = Field(default=5.0, ge=0, le=60)
    # Failed sign-ins taken at once, per account and per client address, before each further one
    # waits sign_in_pause_seconds (429 with Retry-After meanwhile).
    sign_in_account_failures: int = Field(default=5, ge=1)
    sign_in_address_failures: int = Field(default=20, ge=1)
    sign_in_pause_seconds: float = Field(default=60.0, gt=0)
    default_locale: Literal["zh_CN", "en"] = "zh_CN"

    log_level: str = "INFO"
    log_json: bool = True

    sqlite_busy_timeout_ms: int = Field(default=30_000, ge=0)
    database_pool_size: int = Field(default=10, ge=1)
    auto_migrate: bool | None = None

    max_upload_bytes: int = Field(default=50 * 1024 * 1024, ge=1024)
    import_inline_max_bytes: int = Field(default=512 * 1024, ge=0)
    import_chunk_rows: int = Field(default=1000, ge=1)
    import_max_reported_errors: int = Field(default=1000, ge=1)
    # How large an uploaded sheet may be, checked while it is read (a workbook unpacked, its rows,
    # columns, filled cells and distinct texts).
    import_max_unpacked_bytes: int = Field(default=100_000_000, ge=1024)
    import_max_rows: int = Field(default=100_000, ge=1)
    import_max_columns: int = Field(default=64, ge=20)
    import_max_cells: int = Field(default=2_000_000, ge=1)
    import_max_shared_strings: int = Field(default=500_000, ge=1)

    embedded_worker: bool | None = None
    worker_poll_seconds: float = Field(default=1.0, gt=0)
    job_lease_seconds: int = Field(default=30, ge=3)
    job_vacuum_seconds: float = Field(default=60.0, ge=0)
    worker_threads: int = Field(default=8, ge=1, le=64)
    # How much lower than the web service's a worker process's scheduling priority is (nice).
    worker_nice: int = Field(default=10, ge=0, le=19)

    marketplace_max_wait_seconds: float = Field(default=1.0, gt=0, le=30)
    review_check_seconds: float = Field(default=60.0, gt=0)
    order_poll_lookback_hours: int = Field(default=24, ge=1, le=24 * 30)
    # How long a marketplace's refund or return news waits before it is read: the news of one
    # order within that time folds into one read (a stream's burst of refunds is read after it).
    after_sale_fold_seconds: float = Field(default=30.0, ge=0, le=3600)

    fx_url: str = "https://www.chinamoney.com.cn"
    # The folder of customs' official message schema (export.xsd and the XML signature schema it
    # imports): the single-window simulator checks every message against it.
    ceb_schema_dir: Path | None = Field(default_factory=_shared_ceb_schemas)
    # The platform's key and certificate for signing customs' messages (PEM files, or one PKCS#12
    # bundle as the key); by default instance/customs-signing/key.pem and certificate.pem.
    customs_signing_key: Path | None = None
    customs_signing_certificate: Path | None = None
    customs_signing_password: SecretStr | None = None
    customs_signing_key_name: str | None = None
    # Or an external signing agent holding the E-port card (POST {url}/rpc/eport/signature).
    customs_signing_agent_url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")] | None = None
    customs_signing_agent_token: SecretStr | None = None
    # Where each platform's data-exchange client folders are: {dir}/{dxp_id}/send and receive;
    # by default instance/single-window.
    customs_exchange_dir: Path | None = None
    # The service's address as marketplaces reach it (https://...); webhooks are subscribed to it.
    public_url: Annotated[str, StringConstraints(pattern=r"^https://[^\s/]+(/\S*)?$")] | None = None
    # Product photos: where they are kept (by default instance/media), and what an upload may be.
    media_dir: Path | None = None
    media_max_bytes: int = Field(default=15_000_000, ge=100_000, le=100_000_000)
    media_max_pixels: int = Field(default=40_000_000, ge=1_000_000, le=178_000_000)
    fx_currencies: str = "USD,EUR,JPY,GBP,HKD"

    lineup_max_items: int = Field(default=100, ge=1, le=1000)
    flash_sale_countdown_min_seconds: int = Field(default=10, ge=0)
    flash_sale_countdown_max_seconds: int = Field(default=300, ge=0)
    flash_sale_duration_min_seconds: int = Field(default=60, ge=1)
    flash_sale_duration_max_seconds: int = Field(default=1200, ge=1)
    # A deal price may be at most this share of the item's live price (its list price without one).
    flash_sale_max_price_ratio: Decimal = Field(default=Decimal("1"), gt=0, le=10)

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.env == "production" and (self.secret_key == DEVELOPMENT_SECRET or len(self.secret_key) < 32):
            raise ValueError(
                "COMMERCE_SECRET_KEY must be set to a random value of at least 32 characters in production"
            )
        return self

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file under the instance folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.instance_path / 'commerce.sqlite3'}"

    @property
    def fx_currency_list(self) -> list[str]:
        """The currencies whose central parity is fetched on schedule."""
        return [code.strip().upper() for code in self.fx_currencies.split(",") if code.strip()]

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def signing_folder(self) -> Path:
        """Where the signing key and certificate lie when no other is configured (key.pem, certificate.pem)."""
        return self.instance_path / "customs-signing"

    @property
    def media_folder(self) -> Path:
        return self.media_dir or self.instance_path / "media"

    @property
    def exchange_folder(self) -> Path:
        """The root of the platforms' data-exchange folders."""
        return self.customs_exchange_dir or self.instance_path / "single-window"

    @property
    def signing_files(self) -> tuple[Path, Path | None] | None:
        """The signing key (and certificate) to use: the configured ones, or the instance folder's."""
        if self.customs_signing_key is not None:
            return self.customs_signing_key, self.customs_signing_certificate
        folder = self.signing_folder
        if (folder / "key.pem").is_file() and (folder / "certificate.pem").is_file():
            return folder / "key.pem", folder / "certificate.pem"
        return None

    @property
    def should_auto_migrate(self) -> bool:
        """Create or upgrade the schema at start-up: on by default for the embedded SQLite database."""
        if self.auto_migrate is not None:
            return self.auto_migrate
        return self.is_sqlite and self.env != "test"

    @property
    def runs_embedded_worker(self) -> bool:
        """Run a background job worker inside the web process (development convenience)."""
        if self.embedded_worker is not None:
            return self.embedded_worker
        return self.env == "development"
