from datetime import timedelta

from sqlalchemy import select, update

from commerce.accounts.models import ApiToken, User
from commerce.accounts.recent_tokens import RecentTokens
from commerce.db import utcnow
from tests.clock import ManualClock
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


def test_a_worker_trusts_a_token_it_read_for_its_few_seconds_only(client, factory, deployment, session, monkeypatch):
    clock = ManualClock()
    monkeypatch.setattr(deployment, "recent_tokens", RecentTokens(5, clock=clock))
    headers = factory.headers_for("host")
    assert client.get("/api/v1/users/me", headers=headers).status_code == 200
    # Another worker signs the token out: this one learns of it when its entry lapses.
    session.execute(update(ApiToken).values(revoked_at=utcnow()))
    session.commit()
    clock.advance(4.9)
    assert client.get("/api/v1/users/me", headers=headers).status_code == 200
    clock.advance(0.1)
    lapsed = client.get("/api/v1/users/me", headers=headers)
    assert (lapsed.status_code, lapsed.json["code"]) == (401, "invalid_token")


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


def test_a_short_common_or_guessable_password_is_refused_and_one_with_spaces_kept_as_typed(client, factory, session):
    admin = factory.headers_for("admin")

    def create(email: str, password: str):
        return client.post(
            "/api/v1/users",
            headers={**admin, "Accept-Language": "zh-CN"},
            json={"email": email, "password": password, "role": "host"},
        )

    refused = [
        create(f"weak{n}@example.com", password)
        for n, password in enumerate(["aaaaaaaaaa", "password12", "1234567890", "weak0example"])
    ]
    spaced = create("spaced@example.com", "  cashmere and wire mesh  ")

    assert [(answer.status_code, answer.json["code"]) for answer in refused] == [(422, "weak_password")] * 4
    assert refused[0].json["detail"] == "请设置更强的密码：至少 10 个字符，且不是常见或容易猜到的密码。"
    assert session.scalars(select(User.email).where(User.email.like("weak%"))).all() == []
    assert spaced.status_code == 201
    typed = client.post(
        "/api/v1/auth/tokens", json={"email": "spaced@example.com", "password": "  cashmere and wire mesh  "}
    )
    trimmed = client.post(
        "/api/v1/auth/tokens", json={"email": "spaced@example.com", "password": "cashmere and wire mesh"}
    )
    assert (typed.status_code, trimmed.status_code) == (201, 401)


def test_failed_sign_ins_pause_the_account_and_the_address(app, client, factory, monkeypatch):
    from commerce.accounts import service

    deployment = app.extensions["commerce.deployment"]
    limits = {"sign_in_account_failures": 3, "sign_in_address_failures": 5}
    monkeypatch.setattr(deployment, "settings", deployment.settings.model_copy(update=limits))
    clock = [1_800_000_000.0]
    monkeypatch.setattr(service.time, "time", lambda: clock[0])
    factory.user("host", email="target@example.com")
    factory.user("host", email="other@example.com")
    factory.user("host", email="third@example.com")

    def sign_in(email: str, password: str, address: str = "203.0.113.7"):
        return client.post(
            "/api/v1/auth/tokens",
            json={"email": email, "password": password},
            environ_base={"REMOTE_ADDR": address},
        )

    wrong = [sign_in("target@example.com", "wrong password").status_code for _ in range(3)]
    paused = sign_in("target@example.com", PASSWORD)  # the right password, tried too soon
    elsewhere = sign_in("target@example.com", PASSWORD, address="198.51.100.9")
    clock[0] += 61
    after_the_pause = sign_in("target@example.com", PASSWORD)
    # The address keeps its count (one failure's worth came back with the minute): three more, on
    # two other accounts, put it past its five.
    more = [
        sign_in(email, "wrong password").status_code for email in ("other@example.com",) * 2 + ("third@example.com",)
    ]
    from_the_address = sign_in("third@example.com", PASSWORD)

    assert wrong == [401, 401, 401]
    assert (paused.status_code, paused.json["code"], paused.headers["Retry-After"]) == (429, "sign_in_paused", "60")
    assert elsewhere.status_code == 429  # the account is paused wherever it is tried from
    assert after_the_pause.status_code == 201
    assert more == [401, 401, 401]
    assert (from_the_address.status_code, from_the_address.json["code"]) == (429, "sign_in_paused")
    assert from_the_address.headers["Retry-After"] == "59"


def test_the_cli_refuses_a_weak_admin_password_and_a_reset_ends_the_old_sessions(app, client, session):
    runner = app.test_cli_runner()
    weak = runner.invoke(args=["users", "create-admin", "root@example.com", "--password", "password12"])
    created = runner.invoke(args=["users", "create-admin", "root@example.com", "--password", "cashmere-root-2026"])
    token = client.post(
        "/api/v1/auth/tokens", json={"email": "root@example.com", "password": "cashmere-root-2026"}
    ).json["token"]
    reset = runner.invoke(args=["users", "create-admin", "root@example.com", "--password", "wire-mesh-root-2026"])

    assert weak.exit_code == 2 and "Choose a stronger password" in weak.output
    assert created.exit_code == 0 and reset.exit_code == 0, reset.output
    assert client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_user_changes_their_password_and_their_other_sessions_end(client, factory):
    factory.user("host", email="changer@example.com")
    here = factory.login("changer@example.com")
    elsewhere = factory.login("changer@example.com")
    url = "/api/v1/users/me/password"

    assert client.get("/api/v1/users/me", headers=elsewhere).status_code == 200
    wrong = client.put(url, headers=here, json={"current_password": "not it", "new_password": "wire mesh and cashmere"})
    weak = client.put(url, headers=here, json={"current_password": PASSWORD, "new_password": "password12"})
    changed = client.put(
        url, headers=here, json={"current_password": PASSWORD, "new_password": "wire mesh and cashmere"}
    )

    assert (wrong.status_code, wrong.json["code"]) == (422, "wrong_password")
    assert (weak.status_code, weak.json["code"]) == (422, "weak_password")
    assert changed.status_code == 204
    assert client.get("/api/v1/users/me", headers=here).status_code == 200
    assert client.get("/api/v1/users/me", headers=elsewhere).status_code == 401
    old = client.post("/api/v1/auth/tokens", json={"email": "changer@example.com", "password": PASSWORD})
    new = client.post(
        "/api/v1/auth/tokens", json={"email": "changer@example.com", "password": "wire mesh and cashmere"}
    )
    assert (old.status_code, new.status_code) == (401, 201)


def test_an_admin_disables_a_user_at_once_and_enables_them_again(client, factory):
    admin = factory.headers_for("admin")
    user = factory.user("host", email="leaver@example.com")
    session_of_theirs = factory.login("leaver@example.com")
    url = f"/api/v1/users/{user.id}"
    assert client.get("/api/v1/users/me", headers=session_of_theirs).status_code == 200

    disabled = client.patch(url, headers=admin, json={"is_active": False})
    refused = client.post("/api/v1/auth/tokens", json={"email": "leaver@example.com", "password": PASSWORD})
    by_themselves = client.patch(url, headers=session_of_theirs, json={"is_active": True})
    enabled = client.patch(url, headers=admin, json={"is_active": True})
    back = client.post("/api/v1/auth/tokens", json={"email": "leaver@example.com", "password": PASSWORD})

    assert (disabled.status_code, disabled.json["is_active"]) == (200, False)
    assert client.get("/api/v1/users/me", headers=session_of_theirs).status_code == 401
    assert refused.status_code == 401
    assert by_themselves.status_code == 401
    assert (enabled.json["is_active"], back.status_code) == (True, 201)
    # The session that ended stays ended.
    assert client.get("/api/v1/users/me", headers=session_of_theirs).status_code == 401
    assert client.patch("/api/v1/users/999999", headers=admin, json={"is_active": False}).status_code == 404
    me = client.get("/api/v1/users/me", headers=admin).json["id"]
    itself = client.patch(f"/api/v1/users/{me}", headers=admin, json={"is_active": False})
    assert (itself.status_code, itself.json["code"]) == (409, "cannot_disable_self")
    assert client.get("/api/v1/users/me", headers=admin).status_code == 200
