import re


def test_openapi_document_describes_every_route(client, app):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"] == "3.1.0"
    documented = {(method.upper(), path) for path, operations in document["paths"].items() for method in operations}
    routes = {
        (method, re.sub(r"<(?:int:)?(\w+)>", r"{\1}", rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and rule.endpoint.split(".")[0] not in {"openapi", "swagger", "static"}
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes - documented == set()
    assert document["components"]["securitySchemes"] == {"bearer": {"type": "http", "scheme": "bearer"}}


def test_errors_are_documented_as_problem_details(client):
    document = client.get("/api/v1/openapi.json").json
    create_product = document["paths"]["/api/v1/products"]["post"]["responses"]
    for status in ("401", "403", "404", "409", "422"):
        assert create_product[status]["content"] == {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        }
    assert "ValidationErrorModel" not in document["components"]["schemas"]


def test_browsable_docs_load_nothing_from_the_internet(client):
    page = client.get("/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/api/v1/openapi.json" in html
    assert re.findall(r'(?:src|href)="(https?:)?//', html) == []
    for asset in re.findall(r'(?:src|href)="(/api/v1/swagger/[^"]+)"', html):
        assert client.get(asset).status_code == 200


def test_probes(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz").json
    assert ready["status"] == "ready"


def test_unknown_paths_and_methods_are_problems(client):
    missing = client.get("/api/v1/nothing-here")
    assert (missing.status_code, missing.mimetype, missing.json["code"]) == (
        404,
        "application/problem+json",
        "not_found",
    )
    wrong = client.put("/api/v1/clusters")
    assert (wrong.status_code, wrong.json["code"]) == (405, "method_not_allowed")


def test_request_id_is_echoed_or_made(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    assert len(client.get("/healthz", headers={"X-Request-ID": "bad id; drop"}).headers["X-Request-ID"]) == 32


def test_readiness_fails_when_the_database_is_unreachable(tmp_path):
    from commerce import create_app
    from commerce.config import Settings

    app = create_app(
        Settings(
            env="test",
            database_url="postgresql+psycopg://nobody@127.0.0.1:1/none",
            instance_path=tmp_path,
            embedded_worker=False,
            log_level="CRITICAL",
        )
    )
    response = app.test_client().get("/readyz", headers={"Accept-Language": "zh-CN"})
    assert (response.status_code, response.json["code"]) == (503, "database_unavailable")
    assert response.json["detail"] == "数据库无法连接。"
    assert app.test_client().get("/healthz").status_code == 200
