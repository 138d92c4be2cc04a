"""The durable job queue: one row per unit of background work."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, PrivateAttr
from sqlalchemy import JSON, CheckConstraint, Column, Float, Index, Text, text
from sqlmodel import Field, SQLModel

from commerce.db import UTCDateTime, utcnow


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"


class Job(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'done', 'dead')", name="job_status_known"),
        # One queued job per key: changes while a job waits fold into it; a change while it runs
        # queues one more, which waits until the running one is finished (see service.claim).
        Index(
            "job_key_queued",
            "key",
            unique=True,
            sqlite_where=text("status = 'queued'"),
            postgresql_where=text("status = 'queued'"),
        ),
        Index("job_key_status", "key", "status"),
        Index(
            "job_queued_order",
            "priority",
            "run_at",
            "id",
            sqlite_where=text("status = 'queued'"),
            postgresql_where=text("status = 'queued'"),
        ),
        Index(
            "job_running_lease",
            "locked_until",
            sqlite_where=text("status = 'running'"),
            postgresql_where=text("status = 'running'"),
        ),
        Index("job_finished", "finished_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=60)
    key: str = Field(max_length=200)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=JobStatus.QUEUED, max_length=10)
    priority: int = Field(default=100)
    # Jobs that call a rate-limited counterpart name its allowance; claims skip them while it is spent.
    rate_key: str | None = Field(default=None, max_length=60)
    attempts: int = Field(default=0)
    max_attempts: int = Field(default=8)
    run_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    locked_by: str | None = Field(default=None, max_length=120)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Not stored: the moment (Unix seconds) of the rate allowance slot the claim took for this
    # job's first request (see service.claim).
    _slot_at: float | None = PrivateAttr(default=None)

    @property
    def slot_at(self) -> float | None:
        return self._slot_at


class RateAllowance(SQLModel, table=True):
    """When the next request under a rate key may leave (GCRA's theoretical arrival time, Unix seconds)."""

    __tablename__ = "rate_allowance"

    key: str = Field(primary_key=True, max_length=60)
    next_slot: float = Field(sa_column=Column(Float, nullable=False))
    # Seconds between two requests (the inverse of the rate). Known, it lets a claim take slots
    # for the jobs it takes; unknown (None), jobs under the key take theirs when they send.
    slot_seconds: float | None = Field(default=None, sa_column=Column(Float, nullable=True))


class CostBucketState(SQLModel, table=True):
    """A counterpart's cost bucket as its latest answer described it, less what was taken since
    (Shopify's points: ``available`` at ``seen``, Unix seconds, coming back at ``restore_rate``)."""

    __tablename__ = "cost_bucket"

    key: str = Field(primary_key=True, max_length=60)
    available: float = Field(sa_column=Column(Float, nullable=False))
    restore_rate: float = Field(sa_column=Column(Float, nullable=False))
    maximum: float = Field(sa_column=Column(Float, nullable=False))
    seen: float = Field(sa_column=Column(Float, nullable=False))


class JobPublic(BaseModel):
    id: int
    kind: str
    key: str
    status: JobStatus
    attempts: int
    max_attempts: int
    run_at: datetime
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None
