"""Use cases of accounts: users, sign-in and bearer tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from commerce.accounts.errors import EnterpriseRequired, InvalidCredentials, InvalidToken
from commerce.accounts.models import Actor, ApiToken, Role, User, UserCreate
from commerce.accounts.passwords import Passwords
from commerce.audit import service as audit
from commerce.clusters.models import Enterprise, EnterpriseKind
from commerce.db import utcnow, write_transaction
from commerce.errors import N_, AlreadyExists, ValidationFailed
from commerce.permissions import require_role

ENTERPRISE_KINDS_BY_ROLE = {
    Role.SME: {EnterpriseKind.MANUFACTURER, EnterpriseKind.TRADER},
    Role.BRAND_ADMIN: {EnterpriseKind.ASSOCIATION},
    Role.TRADE_OPERATOR: {EnterpriseKind.SERVICE_PLATFORM},
}


class EnterpriseKindMismatch(ValidationFailed):
    code = "enterprise_kind_mismatch"
    message = N_("Users with role {role} belong to an enterprise of kind {kinds}.")


class UnknownEnterprise(ValidationFailed):
    code = "unknown_enterprise"
    message = N_("Enterprise {id} does not exist.")


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(session: Session, *, actor: Actor, data: UserCreate, passwords: Passwords) -> User:
    """Create a user; only admins may, and firm roles must name a firm of the right kind."""
    require_role(actor, Role.ADMIN)
    if data.role == Role.SME and data.enterprise_id is None:
        raise EnterpriseRequired(field="enterprise_id", role=data.role.value)
    with write_transaction(session):
        if data.enterprise_id is not None:
            enterprise = session.get(Enterprise, data.enterprise_id)
            if enterprise is None:
                raise UnknownEnterprise(field="enterprise_id", id=data.enterprise_id)
            allowed = ENTERPRISE_KINDS_BY_ROLE.get(data.role)
            if allowed and enterprise.kind not in allowed:
                raise EnterpriseKindMismatch(
                    field="enterprise_id", role=data.role.value, kinds=", ".join(sorted(allowed))
                )
        user = User(
            email=_normalise_email(data.email),
            password_hash=passwords.hash(data.password),
            role=data.role.value,
            enterprise_id=data.enterprise_id,
            display_name=data.display_name,
        )
        try:
            with session.begin_nested():
                session.add(user)
        except IntegrityError:
            raise AlreadyExists(field="email", entity="user", field_name="e-mail") from None
        audit.record(
            session,
            actor=actor,
            entity="user",
            entity_id=user.id,
            action="created",
            changes={"email": user.email, "role": user.role, "enterprise_id": user.enterprise_id},
        )
    return user


def ensure_admin(session: Session, *, email: str, password: str, passwords: Passwords) -> tuple[User, bool]:
    """Create the admin with this e-mail, or reset its password; returns (user, created)."""
    email = _normalise_email(email)
    with write_transaction(session):
        user = session.scalars(select(User).where(User.email == email)).first()
        created = user is None
        if user is None:
            user = User(email=email, password_hash=passwords.hash(password), role=Role.ADMIN.value)
        else:
            user.password_hash = passwords.hash(password)
            user.role = Role.ADMIN.value
            user.enterprise_id = None
            user.is_active = True
        session.add(user)
        session.flush()
        audit.record(
            session,
            actor=Actor.system(),
            entity="user",
            entity_id=user.id,
            action="admin_created" if created else "admin_password_reset",
            changes={"email": email},
        )
    return user, created


def issue_token(
    session: Session, *, email: str, password: str, ttl: timedelta, passwords: Passwords
) -> tuple[str, ApiToken, User]:
    """Check the credentials and issue a bearer token; only its hash is stored."""
    user = session.scalars(select(User).where(User.email == _normalise_email(email))).first()
    if user is None:
        passwords.burn_verification_time(password)
        raise InvalidCredentials()
    if not passwords.verify(user.password_hash, password) or not user.is_active:
        raise InvalidCredentials()
    token = secrets.token_urlsafe(32)
    with write_transaction(session):
        record = ApiToken(user_id=user.id, token_hash=_token_digest(token), expires_at=utcnow() + ttl)
        session.add(record)
    return token, record, user


# Built once: every authenticated request runs it.
_TOKEN_HOLDER = (
    select(User.id, User.role, User.enterprise_id, User.email, User.is_active, ApiToken.expires_at)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("digest"), ApiToken.revoked_at.is_(None))
)


def authenticate(session: Session, *, token: str, now: datetime | None = None) -> Actor:
    """The actor a bearer token stands for, if the token is known, unexpired and not revoked."""
    now = now or utcnow()
    row = session.connection().execute(_TOKEN_HOLDER, {"digest": _token_digest(token)}).first()
    if row is None or not row.is_active or row.expires_at <= now:
        raise InvalidToken()
    return Actor(user_id=row.id, role=Role(row.role), enterprise_id=row.enterprise_id, email=row.email)


def revoke_token(session: Session, *, token: str) -> None:
    """Revoke one bearer token (signing out)."""
    with write_transaction(session):
        session.execute(
            update(ApiToken)
            .where(ApiToken.token_hash == _token_digest(token), ApiToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )


def get_user(session: Session, *, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise InvalidToken()
    return user
