"""Requests no client of ours sends (nested past reason, cursors we never gave) and a database out of
reach: each gets a 4xx or a 503 with a stable code, never a 500, and nothing is stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from commerce import create_app
from commerce.catalog.models import Product
from tests.factories import product_payload


def _products(database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(Product))


def test_a_body_nested_deeper_than_json_can_follow_is_refused(client, factory, database):
    world = factory.world()
    deep = '{"enterprise_id": ' + "[" * 5000 + "]" * 5000 + "}"

    answer = client.post(
        "/api/v1/products",
        headers={**world.headers["sme_a"], "Content-Type": "application/json", "Accept-Language": "zh-CN"},
        data=deep,
    )

    assert (answer.status_code, answer.json["code"]) == (422, "json_too_deep")
    assert answer.json["detail"] == "JSON 请求体嵌套层级过深。"
    assert _products(database) == 0


@pytest.mark.parametrize("after", [10**26, 2**31, -1])
def test_a_cursor_past_any_id_is_refused(client, factory, after):
    import base64
    import json

    world = factory.world()
    cursor = base64.urlsafe_b64encode(json.dumps({"after": after}).encode()).decode().rstrip("=")

    answer = client.get(f"/api/v1/products?cursor={cursor}", headers=world.headers["sme_a"])

    assert answer.status_code == 422
    assert [error["code"] for error in answer.json["errors"]] == ["invalid_cursor"]


def test_every_endpoint_answers_503_while_the_database_is_out_of_reach(settings, tmp_path):
    unreachable = settings.model_copy(
        update={
            "database_url": "postgresql+psycopg://postgres@127.0.0.1:9/none?connect_timeout=1",
            "auto_migrate": False,
        }
    )
    app = create_app(unreachable)
    client = app.test_client()
    headers = {"Authorization": "Bearer not-checked-before-the-database", "Accept-Language": "en"}

    answers = [
        client.post("/api/v1/auth/tokens", json={"email": "sme1@demo.example.com", "password": "x" * 12}),
        client.get("/api/v1/products", headers=headers),
        client.post("/api/v1/products", headers=headers, json=product_payload()),
        client.get("/api/v1/customs/batches", headers=headers),
        client.get("/readyz"),
    ]
    app.extensions["commerce.deployment"].database.dispose()

    assert [(answer.status_code, answer.json["code"]) for answer in answers] == [(503, "database_unavailable")] * 5
    assert [answer.headers.get("Retry-After") for answer in answers[:4]] == ["5"] * 4
    assert client.get("/healthz").status_code == 200
