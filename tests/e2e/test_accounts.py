from datetime import timedelta

from sqlalchemy import select, update

from commerce.accounts.models import ApiToken, User
from commerce.db import utcnow
from tests.factories import PASSWORD


def test_sign_in_gives_a_token_stored_only_as_its_hash(client, factory, session):
    user = factory.user("host", email="Host.One@Example.com")
    response = client.post("/api/v1/auth/tokens", json={"email": "host.one@example.com", "password": PASSWORD})
    assert response.status_code == 201
    token = response.json["token"]
    assert response.json["user"]["email"] == "host.one@example.com"
    assert response.json["user"]["role"] == "host"
    stored = session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).one()
    assert stored.token_hash != token and len(stored.token_hash) == 64
    assert session.get(User, user.id).password_hash.startswith("$argon2id$")
    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json["id"] == user.id


def test_wrong_password_and_unknown_email_answer_alike(client, factory):
    factory.user("host", email="someone@example.com")
    wrong = client.post("/api/v1/auth/tokens", json={"email": "someone@example.com", "password": "nope"})
    unknown = client.post("/api/v1/auth/tokens", json={"email": "nobody@example.com", "password": "nope"})
    assert (wrong.status_code, wrong.json["code"]) == (401, "invalid_credentials")
    assert (unknown.status_code, unknown.json["code"]) == (401, "invalid_credentials")
    assert wrong.headers["Content-Type"] == "application/problem+json"


def test_missing_malformed_expired_and_revoked_tokens_are_refused(client, factory, session):
    headers = factory.headers_for("host")
    assert client.get("/api/v1/users/me").json["code"] == "invalid_token"
    assert client.get("/api/v1/users/me", headers={"Authorization": "Basic abc"}).status_code == 401
    assert client.get("/api/v1/users/me", headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    assert client.get("/api/v1/users/me", headers=headers).status_code == 200

    assert client.delete("/api/v1/auth/tokens/current", headers=headers).status_code == 204
    revoked = client.get("/api/v1/users/me", headers=headers)
    assert (revoked.status_code, revoked.json["code"]) == (401, "invalid_token")

    headers = factory.headers_for("host")
    session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    assert client.get("/api/v1/users/me", headers=headers).status_code == 401


def test_admin_creates_users_of_every_role(client, factory):
    world = factory.world()
    created = client.post(
        "/api/v1/users",
        headers=world.headers["admin"],
        json={
            "email": "new.sme@example.com",
            "password": "a long password",
            "role": "sme",
            "enterprise_id": world.maker_b_id,
            "display_name": "B ops",
        },
    )
    assert created.status_code == 201
    assert created.json["enterprise_id"] == world.maker_b_id
    assert "password" not in created.json and "password_hash" not in created.json
    assert (
        client.post(
            "/api/v1/auth/tokens", json={"email": "new.sme@example.com", "password": "a long password"}
        ).status_code
        == 201
    )


def test_user_rules_give_stable_codes_and_create_nothing(client, factory, session):
    world = factory.world()
    before = session.scalar(select(User.id).order_by(User.id.desc()))
    admin = world.headers["admin"]
    no_firm = client.post(
        "/api/v1/users", headers=admin, json={"email": "x@example.com", "password": "a long password", "role": "sme"}
    )
    assert (no_firm.status_code, no_firm.json["code"]) == (422, "enterprise_required")
    wrong_kind = client.post(
        "/api/v1/users",
        headers=admin,
        json={
            "email": "x@example.com",
            "password": "a long password",
            "role": "brand_admin",
            "enterprise_id": world.maker_a_id,
        },
    )
    assert (wrong_kind.status_code, wrong_kind.json["code"]) == (422, "enterprise_kind_mismatch")
    duplicate = client.post(
        "/api/v1/users",
        headers=admin,
        json={"email": "HOST@example.com", "password": "a long password", "role": "host"},
    )
    assert (duplicate.status_code, duplicate.json["code"]) == (409, "already_exists")
    short = client.post(
        "/api/v1/users", headers=admin, json={"email": "x@example.com", "password": "short", "role": "host"}
    )
    assert short.status_code == 422
    assert short.json["errors"][0]["field"] == "password"
    not_admin = client.post(
        "/api/v1/users",
        headers=world.headers["sme_a"],
        json={"email": "x@example.com", "password": "a long password", "role": "host"},
    )
    assert (not_admin.status_code, not_admin.json["code"]) == (403, "forbidden")
    session.expire_all()
    assert session.scalar(select(User.id).order_by(User.id.desc())) == before
