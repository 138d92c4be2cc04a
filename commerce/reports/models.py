"""Export statistics: a materialised summary by month and every dimension the cluster asks about, and the
exports firms report as made through an outside agent (they count in the local share's denominator)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints
from pydantic import Field as PydanticField
from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from commerce.customs.calendar import PERIOD_PATTERN
from commerce.db import ExactDecimal, UTCDateTime, utcnow
from commerce.orders.models import CustomsMode
from commerce.validation import CountryCode, HsCode, Identifier, Input, Money


class ExportStatistic(SQLModel, table=True):
    """One cell of the summary: a month's exports of one firm to one country in one HS chapter, one customs
    mode and one stream (or none), declared locally or through an outside agent, with the rebates on them."""

    __tablename__ = "export_statistic"
    __table_args__ = (Index("export_statistic_by_period", "period", "local"),)

    id: int | None = Field(default=None, primary_key=True)
    period: str = Field(max_length=7)
    cluster_id: int = Field(foreign_key="cluster.id")
    region_code: str = Field(max_length=5)
    enterprise_id: int = Field(foreign_key="enterprise.id")
    destination_country: str | None = Field(default=None, max_length=2)
    hs_chapter: str | None = Field(default=None, max_length=2)
    customs_mode: str | None = Field(default=None, max_length=4)
    stream_id: int | None = Field(default=None, foreign_key="stream.id")
    local: bool = Field(default=True)
    declarations: int = Field(default=0)
    quantity: Decimal = Field(default=Decimal("0"), sa_type=ExactDecimal(5), nullable=False)
    fob_cny: Decimal = Field(default=Decimal("0"), sa_type=ExactDecimal(2), nullable=False)
    fob_usd: Decimal = Field(default=Decimal("0"), sa_type=ExactDecimal(2), nullable=False)
    rebate_claimed: Decimal = Field(default=Decimal("0"), sa_type=ExactDecimal(2), nullable=False)
    rebate_received: Decimal = Field(default=Decimal("0"), sa_type=ExactDecimal(2), nullable=False)


class ExportStatisticPeriod(SQLModel, table=True):
    """When a month of the summary was last rebuilt from the declarations, claims and reports."""

    __tablename__ = "export_statistic_period"

    period: str = Field(primary_key=True, max_length=7)
    refreshed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    cells: int = Field(default=0)


class OutsideExport(SQLModel, table=True):
    """Exports a firm reports as declared by an outside agent (another consignor, usually in a port city)."""

    __tablename__ = "outside_export"
    __table_args__ = (
        CheckConstraint("fob_amount > 0", name="outside_export_positive"),
        Index("outside_export_by_period", "period", "enterprise_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    enterprise_id: int = Field(foreign_key="enterprise.id")
    period: str = Field(max_length=7)
    destination_country: str | None = Field(default=None, max_length=2)
    hs_code: str | None = Field(default=None, max_length=10)
    customs_mode: str | None = Field(default=None, max_length=4)
    quantity: int = Field(default=0)
    fob_amount: Decimal = Field(sa_type=ExactDecimal(2), nullable=False)
    currency: str = Field(max_length=3)
    agent_name: str = Field(max_length=200)
    reported_by: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


# API shapes ---------------------------------------------------------------------------------------

Period = Annotated[str, StringConstraints(pattern=PERIOD_PATTERN)]


class Dimension(StrEnum):
    CLUSTER = "cluster"
    REGION = "region"
    ENTERPRISE = "enterprise"
    COUNTRY = "country"
    HS_CHAPTER = "hs_chapter"
    CUSTOMS_MODE = "customs_mode"
    STREAM = "stream"
    MONTH = "month"


class OutsideExportInput(Input):
    enterprise_id: Identifier
    period: Period
    fob: Money = PydanticField(description="FOB value as the outside declaration states it")
    agent_name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    destination_country: CountryCode | None = None
    hs_code: HsCode | None = None
    customs_mode: CustomsMode | None = None
    quantity: int = PydanticField(default=0, ge=0, le=1_000_000_000)


class OutsideExportPublic(BaseModel):
    id: int
    enterprise_id: int
    period: str
    fob: Money
    agent_name: str
    destination_country: str | None
    hs_code: str | None
    customs_mode: str | None
    quantity: int


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    start: Period = PydanticField(alias="from")
    end: Period = PydanticField(alias="to")


class RefreshedPeriod(BaseModel):
    period: str
    cells: int
    refreshed_at: datetime


class Refreshed(BaseModel):
    items: list[RefreshedPeriod]


ReportFormatName = Literal["json", "csv", "xlsx"]
