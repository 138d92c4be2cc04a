"""HTTP edge of accounts: sign-in tokens and users."""

from __future__ import annotations

from flask import Response
from pydantic import BaseModel

from commerce.accounts import service
from commerce.accounts.models import PasswordChange, TokenCreate, TokenPublic, UserCreate, UserPublic, UserUpdate
from commerce.validation import Identifier
from commerce.web.auth import current_actor, request_token, sign_in_with_password
from commerce.web.database import current_deployment, db_session
from commerce.web.openapi import api_blueprint
from commerce.web.responses import respond

DESCRIPTION = "Users, roles and bearer tokens"
public_bp = api_blueprint("auth", __name__, tag="Accounts", description=DESCRIPTION, public=True)
bp = api_blueprint("accounts", __name__, tag="Accounts", description=DESCRIPTION)


class UserPath(BaseModel):
    user_id: Identifier


def _user(user) -> UserPublic:
    return UserPublic.model_validate(user, from_attributes=True)


@public_bp.post("/auth/tokens", responses={201: TokenPublic})
def create_token(body: TokenCreate):
    """Sign in: exchange an e-mail and password for a bearer token."""
    token, record, user = sign_in_with_password(body.email, body.password)
    return respond(TokenPublic(token=token, expires_at=record.expires_at, user=_user(user)), 201)


@bp.delete("/auth/tokens/current", responses={204: None})
def revoke_current_token():
    """Sign out: revoke the token this request carries."""
    current_actor()
    token = request_token()
    service.revoke_token(db_session(), token=token, recent=current_deployment().recent_tokens)
    return Response(status=204)


@bp.post("/users", responses={201: UserPublic})
def create_user(body: UserCreate):
    """Create a user (admin); firm roles name their enterprise."""
    user = service.create_user(db_session(), actor=current_actor(), data=body, passwords=current_deployment().passwords)
    return respond(_user(user), 201)


@bp.get("/users/me", responses={200: UserPublic})
def me():
    """The calling user."""
    return respond(_user(service.get_user(db_session(), user_id=current_actor().user_id)))


@bp.put("/users/me/password", responses={204: None})
def change_password(body: PasswordChange):
    """Change your own password (the current one is asked); your other sessions end."""
    deployment = current_deployment()
    actor = current_actor()
    token = request_token()
    service.change_password(
        db_session(),
        actor=actor,
        data=body,
        passwords=deployment.passwords,
        current_token=token,
        recent=deployment.recent_tokens,
    )
    return Response(status=204)


@bp.patch("/users/<int:user_id>", responses={200: UserPublic})
def update_user(path: UserPath, body: UserUpdate):
    """Disable or re-enable a user (admin); a disabled user's sessions end at once."""
    user = service.update_user(
        db_session(),
        actor=current_actor(),
        user_id=path.user_id,
        data=body,
        recent=current_deployment().recent_tokens,
    )
    return respond(_user(user))
