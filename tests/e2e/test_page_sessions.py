"""Signing in to the pages: the session cookie, its CSRF token, sign-out, the language kept, error pages."""

from __future__ import annotations

import re

from sqlmodel import func, select

from commerce.accounts.models import ApiToken
from commerce.catalog.models import Product
from tests.factories import PASSWORD, product_payload

HTML = {"Accept": "text/html,application/xhtml+xml"}


def csrf_of(page: bytes) -> str:
    return re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()


def sign_in(client, email: str, *, next_page: str = "", password: str = PASSWORD):
    form = client.get("/login", headers=HTML)
    return client.post(
        "/login",
        headers=HTML,
        data={"email": email, "password": password, "next": next_page, "csrf_token": csrf_of(form.data)},
    )


def tokens(database) -> int:
    with database.session() as session:
        return session.exec(select(func.count()).select_from(ApiToken)).one()


def page_csrf(client, path: str = "/") -> str:
    page = client.get(path, headers=HTML).data
    return re.search(rb'<meta name="csrf-token" content="([^"]+)"', page).group(1).decode()


def test_the_front_page_leads_to_sign_in_and_a_page_asks_for_it_then_returns(client, factory):
    factory.world()
    front = client.get("/", headers={**HTML, "Accept-Language": "en"})
    assert front.status_code == 200
    assert b'href="/login"' in front.data
    assert b"Sign in" in front.data

    away = client.get("/console/customs?lang=en", headers=HTML)
    assert away.status_code == 302
    assert away.headers["Location"] == "/login?next=/console/customs?lang%3Den"

    signed = sign_in(client, "trade_operator@example.com", next_page="/console/customs")
    assert signed.status_code == 302
    assert signed.headers["Location"] == "/console/customs"
    page = client.get("/console/customs", headers=HTML)
    assert page.status_code == 200
    assert b"Customs declarations" in page.data
    assert b"trade_operator@example.com" in page.data


def test_a_wrong_password_is_said_on_the_form_in_the_persons_language_and_signs_no_one_in(client, factory, database):
    factory.world()
    before = tokens(database)
    client.get("/login?lang=zh-CN", headers=HTML)
    answer = sign_in(client, "host@example.com", password="not-the-password")
    assert answer.status_code == 401
    assert "邮箱或密码错误。".encode() in answer.data
    assert b'value="host@example.com"' in answer.data
    assert tokens(database) == before
    assert client.get("/home", headers=HTML).status_code == 302


def test_a_sign_in_without_the_forms_token_is_refused_and_signs_no_one_in(client, factory, database):
    factory.world()
    before = tokens(database)
    answer = client.post(
        "/login", headers={**HTML, "Accept-Language": "en"}, data={"email": "host@example.com", "password": PASSWORD}
    )
    assert answer.status_code == 400
    assert b"This page has expired; reload it and try again." in answer.data
    assert tokens(database) == before


def test_only_a_path_of_this_site_is_returned_to(client, factory):
    factory.world()
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "/api/v1/users/me", "home"):
        assert sign_in(client, "host@example.com", next_page=target).headers["Location"] == "/home", target
        client.post("/logout", data={"csrf_token": page_csrf(client)})


def test_the_api_answers_a_session_and_a_change_needs_the_pages_csrf_token(client, factory, database):
    world = factory.world()
    sign_in(client, "sme_a@example.com")
    me = client.get("/api/v1/users/me")
    assert me.status_code == 200
    assert me.json["email"] == "sme_a@example.com"

    payload = product_payload(enterprise_id=world.maker_a_id)
    refused = client.post("/api/v1/products", json=payload, headers={"Accept-Language": "en"})
    assert refused.status_code == 403
    assert refused.json["code"] == "csrf_failed"
    assert refused.json["detail"] == "This page has expired; reload it and try again."
    forged = client.post("/api/v1/products", json=payload, headers={"X-CSRFToken": "forged"})
    assert forged.status_code == 403
    with database.session() as session:
        assert session.exec(select(func.count()).select_from(Product)).one() == 0

    made = client.post("/api/v1/products", json=payload, headers={"X-CSRFToken": page_csrf(client)})
    assert made.status_code == 201, made.json


def test_signing_out_revokes_the_sessions_token(client, factory, database):
    factory.world()
    sign_in(client, "host@example.com")
    before = tokens(database)
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    assert client.get("/api/v1/users/me").status_code == 200
    out = client.post("/logout", data={"csrf_token": page_csrf(client)})
    assert out.status_code == 302
    assert out.headers["Location"] == "/login"
    assert tokens(database) == before  # revoked, kept as a record
    assert client.get("/api/v1/users/me").status_code == 401
    assert client.get("/home", headers=HTML).status_code == 302


def test_the_chosen_language_is_remembered_and_problems_are_pages_for_people(client, factory):
    factory.world()
    chosen = client.get("/login?lang=zh-CN", headers={**HTML, "Accept-Language": "en"})
    assert "lang=zh_CN" in chosen.headers["Set-Cookie"]
    later = client.get("/login", headers={**HTML, "Accept-Language": "en"})
    assert "登录".encode() in later.data
    assert b'<html lang="zh-CN">' in later.data

    missing = client.get("/no-such-page", headers=HTML)
    assert missing.status_code == 404
    assert missing.content_type == "text/html; charset=utf-8"
    assert "未找到".encode() in missing.data
    assert b'data-code="not_found"' in missing.data
    api = client.get("/api/v1/no-such-thing", headers={"Accept": "application/json"})
    assert api.status_code == 404
    assert api.content_type == "application/problem+json"


def test_a_page_of_another_role_is_a_forbidden_page(client, factory):
    factory.world()
    sign_in(client, "sme_a@example.com")
    refused = client.get("/console/customs?lang=en", headers=HTML)
    assert refused.status_code == 403
    assert b"You are not allowed to do this." in refused.data
    assert b'data-code="forbidden"' in refused.data


def test_a_download_link_a_person_follows_answers_a_page_and_programs_still_get_json(client, factory):
    world = factory.world()
    sign_in(client, "sme_b@example.com")
    letter = f"/api/v1/trademarks/{world.trademark_id}/memberships/{world.membership_a_id}/authorization-letter"
    navigation = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "Accept-Language": "en"}
    followed = client.get(f"{letter}?format=pdf", headers=navigation)
    assert (followed.status_code, followed.content_type) == (404, "text/html; charset=utf-8")
    assert b'data-code="not_found"' in followed.data
    for accept in ("application/json", "*/*", "application/problem+json, text/html;q=0.5"):
        answer = client.get(f"{letter}?format=pdf", headers={"Accept": accept})
        assert (answer.status_code, answer.content_type) == (404, "application/problem+json"), accept
    assert client.get(f"{letter}?format=pdf").content_type == "application/problem+json"
    # A change is never answered with a page.
    refused = client.post("/api/v1/products", json={}, headers=navigation)
    assert refused.content_type == "application/problem+json"
