import io

import pytest
from sqlalchemy import func, select

from commerce.catalog.models import Product, ProductTranslation, Sku
from commerce.inventory.models import StockLevel
from commerce.jobs.models import Job
from commerce.jobs.worker import Worker
from tests.import_files import crafted_xlsx, csv_bytes, sku_row, xlsx_bytes


def _upload(client, headers, data: bytes, enterprise_id: int, *, filename="products.csv", policy=None, language="en"):
    url = "/api/v1/products/imports" + (f"?error_policy={policy}" if policy else "")
    return client.post(
        url,
        headers={**headers, "Accept-Language": language},
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(data), filename), "enterprise_id": str(enterprise_id)},
    )


def _counts(session):
    session.rollback()
    return tuple(
        session.scalar(select(func.count()).select_from(model))
        for model in (Product, ProductTranslation, Sku, StockLevel)
    )


def test_import_groups_sku_rows_into_products(client, factory, session):
    world = factory.world()
    rows = [
        sku_row("QH-1", "QH-1-M"),
        sku_row("QH-1", "QH-1-L", attributes="color=camel;size=L", stock="4"),
        sku_row("QH-2", "QH-2-F", title_en="", description_en="", trademark_registration_no=""),
    ]
    response = _upload(client, world.headers["sme_a"], csv_bytes(rows), world.maker_a_id)
    assert response.status_code == 202
    body = response.json
    assert body["status"] == "succeeded"
    assert (body["total_rows"], body["ok_rows"], body["failed_rows"]) == (3, 3, 0)
    assert (body["created_products"], body["created_skus"]) == (2, 3)
    assert response.headers["Location"] == f"/api/v1/products/imports/{body['id']}"
    assert _counts(session) == (2, 3, 3, 3)
    products = client.get("/api/v1/products", headers=world.headers["sme_a"]).json["items"]
    assert [(p["product_code"], p["status"], [s["sku_code"] for s in p["skus"]]) for p in products] == [
        ("QH-1", "draft", ["QH-1-M", "QH-1-L"]),
        ("QH-2", "draft", ["QH-2-F"]),
    ]
    assert products[0]["skus"][1]["stock"]["on_hand"] == 4
    assert set(products[1]["translations"]) == {"zh-CN"}


def test_reimport_updates_by_sku_code_without_duplicates(client, factory, session):
    world = factory.world()
    headers = world.headers["sme_a"]
    rows = [sku_row("QH-1", "QH-1-M"), sku_row("QH-1", "QH-1-L")]
    assert _upload(client, headers, csv_bytes(rows), world.maker_a_id).json["status"] == "succeeded"
    rows[1] = sku_row("QH-1", "QH-1-L", price="419.00", stock="25")
    again = _upload(client, headers, csv_bytes(rows), world.maker_a_id).json
    assert again["status"] == "succeeded"
    assert (again["created_products"], again["created_skus"], again["updated_skus"]) == (0, 0, 1)
    assert _counts(session) == (1, 2, 2, 2)
    skus = client.get("/api/v1/products", headers=headers).json["items"][0]["skus"]
    assert [(s["sku_code"], s["price"]["amount"], s["stock"]["on_hand"]) for s in skus] == [
        ("QH-1-M", "399.00", 10),
        ("QH-1-L", "419.00", 25),
    ]
    product_id = client.get("/api/v1/products", headers=headers).json["items"][0]["id"]
    history = client.get(f"/api/v1/products/{product_id}/history", headers=headers).json["items"]
    assert history[0]["action"] == "sku_updated"
    assert history[0]["changes"]["price"] == {"from": "399.00 CNY", "to": "419.00 CNY"}


def test_reject_all_writes_nothing_when_one_row_fails(client, factory, session):
    world = factory.world()
    rows = [sku_row("QH-1", "QH-1-M"), sku_row("QH-2", "QH-2-M", hs_code="61101200"), sku_row("QH-3", "QH-3-M")]
    response = _upload(client, world.headers["sme_a"], csv_bytes(rows), world.maker_a_id, language="zh-CN")
    body = response.json
    assert (body["status"], body["ok_rows"], body["failed_rows"]) == ("failed", 0, 1)
    assert body["errors"] == [
        {"row": 3, "field": "hs_code", "code": "invalid_hs_code", "message": "HS 编码应为 10 位数字。"}
    ]
    assert _counts(session) == (0, 0, 0, 0)


def test_reject_failed_rows_imports_the_rest_and_explains_each_failure(client, factory, session):
    world = factory.world()
    rows = [
        sku_row("QH-1", "QH-1-M"),
        sku_row("QH-1", "QH-1-L", hs_code="6110110000"),
        sku_row("QH-2", "QH-1-M"),
        sku_row("QH-3", "QH-3-M", trademark_registration_no="NOPE"),
        sku_row("QH-4", "QH-4-M", price="abc"),
        sku_row("QH-5", "QH-5-M"),
    ]
    body = _upload(client, world.headers["sme_a"], csv_bytes(rows), world.maker_a_id, policy="reject_failed_rows").json
    assert (body["status"], body["total_rows"], body["ok_rows"], body["failed_rows"]) == (
        "completed_with_errors",
        6,
        2,
        4,
    )
    assert [(error["row"], error["field"], error["code"]) for error in body["errors"]] == [
        (3, "hs_code", "conflicting_product_fields"),
        (4, "sku_code", "duplicate_sku_in_file"),
        (5, "trademark_registration_no", "unknown_trademark"),
        (6, "price", "invalid_decimal"),
    ]
    assert body["errors"][1]["message"] == "SKU code QH-1-M appears again (first on row 2)."
    assert _counts(session) == (2, 4, 2, 2)


def test_the_error_policy_may_come_as_a_form_field_with_the_file(client, factory, session):
    world = factory.world()
    rows = [sku_row("QH-1", "QH-1-M"), sku_row("QH-2", "QH-2-M", price="abc")]

    def upload(policy: str):
        return client.post(
            "/api/v1/products/imports",
            headers=world.headers["sme_a"],
            content_type="multipart/form-data",
            data={
                "file": (io.BytesIO(csv_bytes(rows)), "products.csv"),
                "enterprise_id": str(world.maker_a_id),
                "error_policy": policy,
            },
        )

    answer = upload("reject_failed_rows")
    assert answer.status_code == 202, answer.json
    assert (answer.json["status"], answer.json["ok_rows"], answer.json["failed_rows"]) == (
        "completed_with_errors",
        1,
        1,
    )
    assert _counts(session) == (1, 2, 1, 1)
    assert upload("whatever").status_code == 422
    assert _counts(session) == (1, 2, 1, 1)


def test_sku_code_of_another_product_is_a_row_error(client, factory):
    world = factory.world()
    headers = world.headers["sme_a"]
    _upload(client, headers, csv_bytes([sku_row("QH-1", "QH-1-M")]), world.maker_a_id)
    body = _upload(client, headers, csv_bytes([sku_row("QH-9", "QH-1-M")]), world.maker_a_id).json
    assert body["status"] == "failed"
    assert body["errors"][0]["code"] == "sku_of_other_product"


def test_trademark_by_registration_number(client, factory):
    world = factory.world()
    registration_no = client.get(f"/api/v1/trademarks/{world.trademark_id}", headers=world.headers["sme_a"]).json[
        "registration_no"
    ]
    body = _upload(
        client,
        world.headers["sme_a"],
        csv_bytes([sku_row("QH-1", "QH-1-M", trademark_registration_no=registration_no)]),
        world.maker_a_id,
    ).json
    assert body["status"] == "succeeded"
    product = client.get("/api/v1/products", headers=world.headers["sme_a"]).json["items"][0]
    assert product["trademark_id"] == world.trademark_id


def test_xlsx_import(client, factory, session):
    world = factory.world()
    data = xlsx_bytes([sku_row("QH-1", "QH-1-M"), sku_row("QH-1", "QH-1-L")])
    body = _upload(client, world.headers["sme_a"], data, world.maker_a_id, filename="products.xlsx").json
    assert (body["status"], body["created_skus"]) == ("succeeded", 2)


def test_bad_files_get_a_clear_4xx_and_nothing_is_recorded(client, factory, session, app):
    world = factory.world()
    headers = world.headers["sme_a"]
    header_only = csv_bytes([sku_row("QH-1", "QH-1-M")], columns=["product_code", "sku_code", "colour"])
    wrong_header = _upload(client, headers, header_only, world.maker_a_id)
    assert (wrong_header.status_code, wrong_header.json["code"]) == (422, "invalid_header")
    assert "price" in wrong_header.json["detail"] and "colour" in wrong_header.json["detail"]
    formula = _upload(
        client, headers, xlsx_bytes([sku_row("QH-1", "QH-1-M")], formula_cell="S2"), world.maker_a_id, filename="p.xlsx"
    )
    assert (formula.status_code, formula.json["code"]) == (422, "formula_not_allowed")
    unreadable = _upload(client, headers, b"\x00\x01garbage", world.maker_a_id, filename="p.xlsx")
    assert (unreadable.status_code, unreadable.json["code"]) == (422, "unreadable_file")
    wrong_type = _upload(client, headers, b"a,b", world.maker_a_id, filename="p.xls")
    assert (wrong_type.status_code, wrong_type.json["code"]) == (422, "unsupported_format")
    limit = app.extensions["commerce.deployment"].settings.max_upload_bytes
    too_big = _upload(client, headers, b"x" * (limit + 1), world.maker_a_id)
    assert (too_big.status_code, too_big.json["code"]) == (413, "payload_too_large")
    no_file = client.post(
        "/api/v1/products/imports",
        headers=headers,
        content_type="multipart/form-data",
        data={"enterprise_id": str(world.maker_a_id)},
    )
    assert no_file.status_code == 422
    other_firm = _upload(client, headers, csv_bytes([sku_row("QH-1", "QH-1-M")]), world.maker_b_id)
    assert other_firm.status_code == 404
    from commerce.catalog.models import ProductImport

    assert session.scalar(select(func.count()).select_from(ProductImport)) == 0
    assert _counts(session) == (0, 0, 0, 0)


def test_large_files_are_processed_in_the_background(client, factory, session, settings, deployment):
    world = factory.world()
    rows = [sku_row(f"QH-{number // 3}", f"QH-{number}") for number in range(600)]
    data = csv_bytes(rows)
    assert len(data) > settings.import_inline_max_bytes
    accepted = _upload(client, world.headers["sme_a"], data, world.maker_a_id)
    assert (accepted.status_code, accepted.json["status"]) == (202, "queued")
    import_id = accepted.json["id"]
    assert _counts(session) == (0, 0, 0, 0)
    assert session.scalars(select(Job.kind)).all() == ["catalog.import"]
    assert Worker(deployment).run_once() == 1
    done = client.get(f"/api/v1/products/imports/{import_id}", headers=world.headers["sme_a"]).json
    assert (done["status"], done["ok_rows"], done["created_products"], done["created_skus"]) == (
        "succeeded",
        600,
        200,
        600,
    )
    session.rollback()
    assert session.scalars(select(Job.status)).all() == ["done"]
    assert client.get(f"/api/v1/products/imports/{import_id}", headers=world.headers["sme_b"]).status_code == 404
    assert Worker(deployment).run_once() == 0


def test_template_download(client, factory):
    headers = factory.headers_for("host")
    csv_template = client.get("/api/v1/products/imports/template", headers=headers)
    assert csv_template.mimetype == "text/csv"
    assert csv_template.data.decode("utf-8-sig").splitlines()[0].startswith("product_code,sku_code,title_zh")
    xlsx_template = client.get("/api/v1/products/imports/template?format=xlsx", headers=headers)
    assert xlsx_template.data[:2] == b"PK"
    assert client.get("/api/v1/products/imports/template").status_code == 401


def test_cli_import_with_progress(app, factory, session, tmp_path):
    world = factory.world()
    path = tmp_path / "products.csv"
    path.write_bytes(csv_bytes([sku_row("QH-1", "QH-1-M"), sku_row("QH-2", "QH-2-M")]))
    result = app.test_cli_runner().invoke(
        args=["catalog", "import", str(path), "--enterprise-id", str(world.maker_a_id)]
    )
    assert result.exit_code == 0, result.output
    assert "succeeded; 2 rows imported, 0 failed" in result.output
    assert _counts(session) == (2, 4, 2, 2)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([sku_row("QH-3", "QH-3-M", currency="RMB")]))
    failed = app.test_cli_runner().invoke(
        args=["catalog", "import", str(bad), "--enterprise-id", str(world.maker_a_id)]
    )
    assert failed.exit_code == 1
    assert "row 2 currency: invalid_currency" in failed.output


def test_a_clash_with_a_concurrent_import_fails_cleanly(client, factory, session, monkeypatch):
    """Another import writes the same SKU code after this one checked the file: no 500, nothing half-written."""
    from commerce.catalog import imports

    world = factory.world()
    checked = imports.check_all

    def check_then_clash(*args, **kwargs):
        result = checked(*args, **kwargs)
        factory.product(world.maker_a_id, skus=[{"sku_code": "QH-2-M", "price": {"amount": "1.00", "currency": "CNY"}}])
        return result

    monkeypatch.setattr(imports, "check_all", check_then_clash)
    rows = [sku_row("QH-1", "QH-1-M"), sku_row("QH-2", "QH-2-M")]
    response = _upload(client, world.headers["sme_a"], csv_bytes(rows), world.maker_a_id, language="zh-CN")
    assert response.status_code == 202
    assert (response.json["status"], response.json["ok_rows"]) == ("failed", 0)
    assert response.json["errors"][0] == {
        "row": 0,
        "field": "file",
        "code": "concurrent_change",
        "message": "另一批导入同时修改了本企业的产品，请重新导入该文件。",
    }
    assert _counts(session) == (1, 2, 1, 1)


@pytest.mark.shared_database
def test_a_bulk_import_leaves_the_catalogue_vacuumed_and_analysed(client, factory, session, database, monkeypatch):
    from sqlalchemy import text

    from commerce.catalog import imports

    def maintained() -> tuple[int, int]:
        if database.is_sqlite:
            return (0, 0)
        statistics = "SELECT vacuum_count, analyze_count FROM pg_stat_user_tables WHERE relid = 'product'::regclass"
        return tuple(session.execute(text(statistics)).one())

    world = factory.world()
    monkeypatch.setattr(imports, "ANALYZE_AFTER_ROWS", 3)
    small = _upload(client, world.headers["sme_a"], csv_bytes([sku_row("V-1", "V-1-M")]), world.maker_a_id)
    assert small.json["status"] == "succeeded"
    before = maintained()
    rows = [sku_row(f"V-{number}", f"V-{number}-M") for number in range(2, 5)]
    bulk = _upload(client, world.headers["sme_a"], csv_bytes(rows), world.maker_a_id)
    assert (bulk.json["status"], bulk.json["created_skus"]) == ("succeeded", 3)
    # On PostgreSQL the bulk import, and not the small one before it, vacuums and analyses the catalogue.
    assert maintained() == ((before[0] + 1, before[1] + 1) if not database.is_sqlite else (0, 0))
    assert _counts(session) == (4, 8, 4, 4)


def test_a_hostile_workbook_is_left_to_the_worker_and_refused_there(client, factory, session, deployment):
    from commerce.catalog.models import ProductImport

    world = factory.world()
    headers = world.headers["sme_a"]
    # 129 KB that unpack to 36 MB of three million texts: the request reads none of them.
    texts = crafted_xlsx(shared_strings=[b"x"] * 3_000_000)
    accepted = _upload(client, headers, texts, world.maker_a_id, filename="p.xlsx")
    assert (accepted.status_code, accepted.json["status"]) == (202, "queued")
    assert Worker(deployment).run_once() == 1
    done = client.get(
        f"/api/v1/products/imports/{accepted.json['id']}", headers={**headers, "Accept-Language": "en"}
    ).json
    assert (done["status"], done["ok_rows"], done["errors"]) == (
        "failed",
        0,
        [
            {
                "row": 0,
                "field": "file",
                "code": "too_many_shared_strings",
                "message": "The workbook holds more than 500000 distinct texts; split it into several files.",
            }
        ],
    )
    assert _counts(session) == (0, 0, 0, 0)
    # Its file is let go with the import.
    session.rollback()
    assert session.scalar(select(func.count()).select_from(ProductImport)) == 1


def test_a_workbook_unpacking_past_the_limit_is_refused_at_once(client, factory, session, deployment, monkeypatch):
    from commerce.catalog.models import ProductImport

    monkeypatch.setattr(
        deployment, "settings", deployment.settings.model_copy(update={"import_max_unpacked_bytes": 2_000_000})
    )
    world = factory.world()
    padded = crafted_xlsx(sheet_rows=b" " * 2_100_000)
    assert len(padded) < 20_000
    refused = _upload(client, world.headers["sme_a"], padded, world.maker_a_id, filename="p.xlsx", language="zh-CN")
    assert (refused.status_code, refused.json["code"]) == (422, "file_too_large_unpacked")
    assert refused.json["detail"] == "文件解压后超过 2 MB，请拆分为多个文件。"
    session.rollback()
    assert session.scalar(select(func.count()).select_from(ProductImport)) == 0
    assert session.scalar(select(func.count()).select_from(Job)) == 0


def test_an_import_run_by_a_worker_tells_how_many_rows_it_has_checked(client, factory, session, database, deployment):
    from commerce.catalog import imports
    from tests.clock import ManualClock

    world = factory.world()
    data = csv_bytes([sku_row(f"QH-{number // 3}", f"QH-{number}") for number in range(600)])
    accepted = _upload(client, world.headers["sme_a"], data, world.maker_a_id)
    assert (accepted.status_code, accepted.json["status"], accepted.json["checked_rows"]) == (202, "queued", 0)
    import_id = accepted.json["id"]

    def checked() -> int:
        return client.get(f"/api/v1/products/imports/{import_id}", headers=world.headers["sme_a"]).json["checked_rows"]

    clock = ManualClock()
    record = imports.progress_recorder(database, import_id, every_seconds=1.0, clock=clock)
    record("check", 500)
    assert checked() == 500
    record("check", 1000)  # within the second: not written again
    assert checked() == 500
    clock.advance(1.0)
    record("write", 1200)  # the second pass holds its write transaction: not recorded
    assert checked() == 500
    record("check", 1000)
    assert checked() == 1000

    assert Worker(deployment).run_once() == 1
    done = client.get(f"/api/v1/products/imports/{import_id}", headers=world.headers["sme_a"]).json
    assert (done["status"], done["total_rows"], done["checked_rows"], done["ok_rows"]) == ("succeeded", 600, 600, 600)
