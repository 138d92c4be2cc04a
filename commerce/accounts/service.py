"""Use cases of accounts: users, sign-in and bearer tokens."""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from commerce.accounts.errors import (
    CannotDisableSelf,
    EnterpriseRequired,
    InvalidCredentials,
    InvalidToken,
    SignInPaused,
    WrongPassword,
)
from commerce.accounts.models import ApiToken, PasswordChange, User, UserCreate, UserUpdate
from commerce.accounts.passwords import Passwords, check_strength
from commerce.accounts.recent_tokens import RecentTokens, TokenHolder
from commerce.actors import Actor, Role, require_role
from commerce.audit import service as audit
from commerce.clusters.models import FIRM_KINDS, Enterprise, EnterpriseKind
from commerce.db import row_for_update, utcnow, write_transaction
from commerce.errors import N_, AlreadyExists, NotFound, ValidationFailed
from commerce.jobs.models import RateAllowance
from commerce.sql import dialect_insert, dialect_of

ENTERPRISE_KINDS_BY_ROLE = {
    Role.SME: FIRM_KINDS,
    Role.BRAND_ADMIN: {EnterpriseKind.ASSOCIATION},
    Role.TRADE_OPERATOR: {EnterpriseKind.SERVICE_PLATFORM},
}


class EnterpriseKindMismatch(ValidationFailed):
    code = "enterprise_kind_mismatch"
    message = N_("Users with role {role} belong to an enterprise of kind {kinds}.")


class UnknownEnterprise(ValidationFailed):
    code = "unknown_enterprise"
    message = N_("Enterprise {id} does not exist.")


def token_digest(token: str) -> str:
    """How a token is stored and looked up: its SHA-256, never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


def _normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(session: Session, *, actor: Actor, data: UserCreate, passwords: Passwords) -> User:
    """Create a user; only admins may, and firm roles must name a firm of the right kind."""
    require_role(actor, Role.ADMIN)
    if data.role == Role.SME and data.enterprise_id is None:
        raise EnterpriseRequired(field="enterprise_id", role=data.role.value)
    check_strength(data.password, email=data.email)
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
    check_strength(password, email=email)
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
        # A reset password ends every session signed in with the old one.
        session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        audit.record(
            session,
            actor=Actor.system(),
            entity="user",
            entity_id=user.id,
            action="admin_created" if created else "admin_password_reset",
            changes={"email": email},
        )
    return user, created


@dataclass(frozen=True)
class SignInLimits:
    """Failed sign-ins taken at once per account and per client address, then one a pause."""

    account_failures: int
    address_failures: int
    pause_seconds: float


def _failure_keys(email: str, address: str, limits: SignInLimits) -> list[tuple[str, int]]:
    account = hashlib.sha256(email.encode()).hexdigest()[:32]
    return [
        (f"sign_in:account:{account}", limits.account_failures),
        (f"sign_in:address:{address[:40]}", limits.address_failures),
    ]


def _paused_for(session: Session, keys: list[tuple[str, int]], limits: SignInLimits, now: float) -> float:
    """How long sign-ins under these keys must wait (0: they may go): each failure moves a key's
    moment on by the pause, and a key may be that many failures ahead of now."""
    moments = dict(
        session.execute(
            select(RateAllowance.key, RateAllowance.next_slot).where(RateAllowance.key.in_([key for key, _ in keys]))
        ).all()
    )
    waits = [moments.get(key, 0.0) - now - (burst - 1) * limits.pause_seconds for key, burst in keys]
    return max([0.0, *waits])


def _note_failure(session: Session, keys: list[tuple[str, int]], limits: SignInLimits, now: float) -> None:
    table = RateAllowance.__table__
    with write_transaction(session):
        for key, _burst in keys:
            statement = dialect_insert(dialect_of(session), table).values(key=key, next_slot=now + limits.pause_seconds)
            session.execute(
                statement.on_conflict_do_update(
                    index_elements=["key"],
                    set_={
                        "next_slot": case((table.c.next_slot < now, now), else_=table.c.next_slot)
                        + limits.pause_seconds
                    },
                )
            )


def issue_token(
    session: Session,
    *,
    email: str,
    password: str,
    ttl: timedelta,
    passwords: Passwords,
    address: str = "unknown",
    limits: SignInLimits | None = None,
) -> tuple[str, ApiToken, User]:
    """Check the credentials and issue a bearer token; only its hash is stored. Failed attempts
    are counted per account and per address, and past their limit a sign-in waits (429) without
    its password being tried."""
    email = _normalise_email(email)
    keys = _failure_keys(email, address, limits) if limits else []
    now = time.time()
    if keys:
        wait = _paused_for(session, keys, limits, now)
        if wait > 0:
            raise SignInPaused(seconds=math.ceil(wait))
    user = session.scalars(select(User).where(User.email == email)).first()
    if user is None:
        passwords.burn_verification_time(password)
    if user is None or not passwords.verify(user.password_hash, password) or not user.is_active:
        if keys:
            _note_failure(session, keys, limits, now)
        raise InvalidCredentials()
    token = secrets.token_urlsafe(32)
    with write_transaction(session):
        record = ApiToken(user_id=user.id, token_hash=token_digest(token), expires_at=utcnow() + ttl)
        session.add(record)
        if keys:
            # The account's own count starts again; the address's stays.
            session.execute(update(RateAllowance).where(RateAllowance.key == keys[0][0]).values(next_slot=0.0))
    return token, record, user


# Built once: every authenticated request runs it.
_TOKEN_HOLDER = (
    select(User.id, User.role, User.enterprise_id, User.email, User.is_active, ApiToken.expires_at)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("digest"), ApiToken.revoked_at.is_(None))
)


def authenticate(
    session: Session, *, token: str, now: datetime | None = None, recent: RecentTokens | None = None
) -> Actor:
    """The actor a bearer token stands for, if the token is known, unexpired and not revoked (as
    read now, or as ``recent`` read it within its few seconds)."""
    now = now or utcnow()
    digest = token_digest(token)
    holder = recent.get(digest) if recent is not None else None
    if holder is None:
        row = session.connection().execute(_TOKEN_HOLDER, {"digest": digest}).first()
        if row is None or not row.is_active:
            raise InvalidToken()
        actor = Actor(user_id=row.id, role=Role(row.role), enterprise_id=row.enterprise_id, email=row.email)
        holder = TokenHolder(actor, row.expires_at)
        if recent is not None:
            recent.keep(digest, holder)
    if holder.expires_at <= now:
        raise InvalidToken()
    return holder.actor


def revoke_token(session: Session, *, token: str, recent: RecentTokens | None = None) -> None:
    """Revoke one bearer token (signing out); ``recent`` forgets it at once."""
    digest = token_digest(token)
    with write_transaction(session):
        session.execute(
            update(ApiToken)
            .where(ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
    if recent is not None:
        recent.forget(digest)


def get_user(session: Session, *, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise InvalidToken()
    return user


def _revoke_tokens(session: Session, user_id: int, *, keeping: str | None = None) -> None:
    condition = [ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None)]
    if keeping is not None:
        condition.append(ApiToken.token_hash != token_digest(keeping))
    session.execute(update(ApiToken).where(*condition).values(revoked_at=utcnow()))


def change_password(
    session: Session,
    *,
    actor: Actor,
    data: PasswordChange,
    passwords: Passwords,
    current_token: str,
    recent: RecentTokens | None = None,
) -> None:
    """A user changes their own password; every other session of theirs ends (and ``recent``
    forgets the user's tokens, this one to be read again)."""
    with write_transaction(session):
        user = row_for_update(session, User, actor.user_id)
        if user is None:
            raise InvalidToken()
        if not passwords.verify(user.password_hash, data.current_password):
            raise WrongPassword(field="current_password")
        check_strength(data.new_password, email=user.email, field="new_password")
        user.password_hash = passwords.hash(data.new_password)
        session.add(user)
        _revoke_tokens(session, user.id, keeping=current_token)
        audit.record(session, actor=actor, entity="user", entity_id=user.id, action="password_changed", changes={})
    if recent is not None:
        recent.forget_user(actor.user_id)


def update_user(
    session: Session, *, actor: Actor, user_id: int, data: UserUpdate, recent: RecentTokens | None = None
) -> User:
    """An admin disables or re-enables a user; disabling ends its sessions at once (``recent``
    forgets them)."""
    require_role(actor, Role.ADMIN)
    if user_id == actor.user_id and not data.is_active:
        raise CannotDisableSelf(field="is_active")
    with write_transaction(session):
        user = row_for_update(session, User, user_id)
        if user is None:
            raise NotFound()
        if user.is_active != data.is_active:
            user.is_active = data.is_active
            session.add(user)
            if not data.is_active:
                _revoke_tokens(session, user.id)
            audit.record(
                session,
                actor=actor,
                entity="user",
                entity_id=user.id,
                action="enabled" if data.is_active else "disabled",
                changes={"is_active": data.is_active},
            )
    if recent is not None and not data.is_active:
        recent.forget_user(user_id)
    return user
