"""Users, roles and bearer tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, StringConstraints
from pydantic import Field as PydanticField
from sqlalchemy import CheckConstraint, Column, String
from sqlmodel import Field, SQLModel

from commerce.actors import Role
from commerce.db import UTCDateTime, utcnow
from commerce.validation import Identifier, Input


class User(SQLModel, table=True):
    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'brand_admin', 'sme', 'host', 'trade_operator')", name="user_role_known"),
        CheckConstraint("role <> 'sme' OR enterprise_id IS NOT NULL", name="user_sme_has_enterprise"),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_column=Column(String(254), nullable=False, unique=True))
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=20)
    enterprise_id: int | None = Field(default=None, foreign_key="enterprise.id", index=True)
    display_name: str | None = Field(default=None, max_length=120)
    is_active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# A password is kept as it was typed, spaces and all.
Password = Annotated[str, StringConstraints(strip_whitespace=False, min_length=10, max_length=200)]


class UserCreate(Input):
    email: EmailStr
    password: Password
    role: Role
    enterprise_id: Identifier | None = None
    display_name: str | None = PydanticField(default=None, max_length=120)


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = PydanticField(min_length=1, max_length=200)
    new_password: Password


class UserUpdate(Input):
    """What an admin changes of a user: whether it may sign in (disabling ends its sessions)."""

    is_active: bool


class UserPublic(BaseModel):
    id: int
    email: str
    role: Role
    enterprise_id: int | None
    display_name: str | None
    is_active: bool
    created_at: datetime


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = PydanticField(min_length=3, max_length=254)
    password: str = PydanticField(min_length=1, max_length=200)


class TokenPublic(BaseModel):
    token: str
    expires_at: datetime
    user: UserPublic
