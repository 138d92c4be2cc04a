"""The audit trail: who changed what, and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from commerce.db import UTCDateTime, utcnow


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (Index("audit_event_entity", "entity", "entity_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    actor_user_id: int | None = Field(default=None, foreign_key="user_account.id")
    actor_email: str = Field(max_length=254)
    entity: str = Field(max_length=40)
    entity_id: int
    action: str = Field(max_length=60)
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class AuditEventPublic(BaseModel):
    id: int
    at: datetime
    actor_user_id: int | None
    actor_email: str
    entity: str
    entity_id: int
    action: str
    changes: dict[str, Any]
