"""Clusters, their enterprises, collective trademarks and memberships."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, model_validator
from pydantic import Field as PydanticField
from sqlalchemy import JSON, CheckConstraint, Column, Index, String, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from commerce.db import UTCDateTime, utcnow
from commerce.errors import N_
from commerce.validation import CustomsCode, Identifier, Input, RegionCode, Uscc


class EnterpriseKind(StrEnum):
    MANUFACTURER = "manufacturer"
    TRADER = "trader"
    SERVICE_PLATFORM = "service_platform"
    ASSOCIATION = "association"


# The cluster's firms, those that make or trade goods: they hold products, stock and orders, and
# may be admitted to the collective mark.
FIRM_KINDS = frozenset({EnterpriseKind.MANUFACTURER, EnterpriseKind.TRADER})


class MembershipStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    EXPIRED = "expired"
    REVOKED = "revoked"


class Cluster(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(120), nullable=False, unique=True))
    industry: str = Field(max_length=120)
    region_code: str = Field(max_length=5)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Enterprise(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint(
            "kind IN ('manufacturer', 'trader', 'service_platform', 'association')", name="enterprise_kind_known"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    uscc: str = Field(sa_column=Column(String(18), nullable=False, unique=True))
    customs_code: str | None = Field(default=None, max_length=18)
    cluster_id: int = Field(foreign_key="cluster.id", index=True)
    kind: str = Field(max_length=20)
    region_code: str = Field(max_length=5)
    is_general_taxpayer: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Trademark(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    registration_no: str = Field(sa_column=Column(String(40), nullable=False, unique=True))
    owner_enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    cluster_id: int = Field(foreign_key="cluster.id", index=True)
    nice_classes: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    usage_rules: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Membership(SQLModel, table=True):
    __table_args__ = (
        Index(
            "membership_one_current_per_firm",
            "trademark_id",
            "enterprise_id",
            unique=True,
            sqlite_where=text("status <> 'revoked'"),
            postgresql_where=text("status <> 'revoked'"),
        ),
        UniqueConstraint("trademark_id", "licence_no", name="membership_licence_unique"),
        CheckConstraint("status IN ('active', 'suspended', 'expired', 'revoked')", name="membership_status_known"),
        CheckConstraint("valid_from <= valid_to", name="membership_period_ordered"),
    )

    id: int | None = Field(default=None, primary_key=True)
    trademark_id: int = Field(foreign_key="trademark.id", index=True)
    enterprise_id: int = Field(foreign_key="enterprise.id", index=True)
    licence_no: str = Field(max_length=60)
    valid_from: date
    valid_to: date
    status: str = Field(default=MembershipStatus.ACTIVE, max_length=20)
    status_reason: str | None = Field(default=None, max_length=500)
    status_changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)

    def is_usable_on(self, day: date) -> bool:
        """Whether the mark may be used under this membership on a given day."""
        return self.status == MembershipStatus.ACTIVE and self.valid_from <= day <= self.valid_to


class ClusterCreate(Input):
    name: str = PydanticField(min_length=1, max_length=120)
    industry: str = PydanticField(min_length=1, max_length=120)
    region_code: RegionCode


class ClusterPublic(BaseModel):
    id: int
    name: str
    industry: str
    region_code: str
    created_at: datetime


class EnterpriseCreate(Input):
    name: str = PydanticField(min_length=1, max_length=200)
    uscc: Uscc
    customs_code: CustomsCode | None = None
    cluster_id: Identifier
    kind: EnterpriseKind
    region_code: RegionCode
    is_general_taxpayer: bool = True


class EnterpriseUpdate(Input):
    """Changes to an enterprise; omitted fields stay as they are, and only nullable fields take null."""

    name: str = PydanticField(default=None, min_length=1, max_length=200)
    uscc: Uscc = PydanticField(default=None)
    customs_code: CustomsCode | None = None
    region_code: RegionCode = PydanticField(default=None)
    is_general_taxpayer: bool = PydanticField(default=None)


class EnterprisePublic(BaseModel):
    id: int
    name: str
    uscc: str
    customs_code: str | None
    cluster_id: int
    kind: EnterpriseKind
    region_code: str
    is_general_taxpayer: bool
    created_at: datetime


class TrademarkCreate(Input):
    name: str = PydanticField(min_length=1, max_length=120)
    registration_no: str = PydanticField(min_length=1, max_length=40)
    owner_enterprise_id: Identifier
    cluster_id: Identifier
    nice_classes: list[int] = PydanticField(min_length=1, max_length=45)
    usage_rules: str | None = PydanticField(default=None, max_length=20_000)

    @model_validator(mode="after")
    def _classes_in_range(self) -> TrademarkCreate:
        if any(not 1 <= number <= 45 for number in self.nice_classes):
            raise ValueError(N_("Nice classes are numbered 1 to 45."))
        return self


class TrademarkPublic(BaseModel):
    id: int
    name: str
    registration_no: str
    owner_enterprise_id: int
    cluster_id: int
    nice_classes: list[int]
    usage_rules: str | None
    created_at: datetime


class MembershipCreate(Input):
    enterprise_id: Identifier
    licence_no: str = PydanticField(min_length=1, max_length=60)
    valid_from: date
    valid_to: date

    @model_validator(mode="after")
    def _period_ordered(self) -> MembershipCreate:
        if self.valid_from > self.valid_to:
            raise ValueError(N_("valid_from must not be after valid_to."))
        return self


class LapseEffects(BaseModel):
    """What a membership's lapse takes off the firm's products under the mark."""

    products: int = PydanticField(description="The firm's products shown under the mark")
    listings: int = PydanticField(description="Their listings, withdrawn or re-published unmarked per account")
    lineup_items: int = PydanticField(description="Their places in lineups of streams not yet live")
    streams: list[int] = PydanticField(description="The streams those lineups belong to")


class MembershipUpdate(Input):
    """A new status (with its reason) and/or a new end of validity."""

    status: MembershipStatus = PydanticField(default=None)
    reason: str | None = PydanticField(default=None, max_length=500)
    valid_to: date = PydanticField(default=None)


class MembershipPublic(BaseModel):
    id: int
    trademark_id: int
    enterprise_id: int
    licence_no: str
    valid_from: date
    valid_to: date
    status: MembershipStatus
    status_reason: str | None
    status_changed_at: datetime
    usable_today: bool
