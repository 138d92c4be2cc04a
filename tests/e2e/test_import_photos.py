"""A product import that brings its photos: in a ZIP with the sheet, or named from earlier uploads."""

from __future__ import annotations

import io
import zipfile

from sqlalchemy import func, select

from commerce.catalog.models import Product, ProductImport
from commerce.media.models import ProductImage
from tests.factories import photo_bytes, upload_photo
from tests.import_files import csv_bytes, sku_row, xlsx_bytes, zip_bytes


def _upload(client, headers, data: bytes, enterprise_id: int, *, filename="products.zip", language="en", policy=None):
    return client.post(
        "/api/v1/products/imports",
        headers={**headers, "Accept-Language": language},
        content_type="multipart/form-data",
        data={
            "file": (io.BytesIO(data), filename),
            "enterprise_id": str(enterprise_id),
            **({"error_policy": policy} if policy else {}),
        },
    )


def _photos(client, headers, product_id: int) -> list[dict]:
    return client.get(f"/api/v1/products/{product_id}/images", headers=headers).json["items"]


def _product_id(session, code: str) -> int:
    session.rollback()
    return session.scalar(select(Product.id).where(Product.product_code == code))


def test_a_zip_brings_the_sheet_and_its_photos_in_order(client, factory, session, media):
    world = factory.world()
    headers = world.headers["sme_a"]
    front, back = photo_bytes(color=(200, 0, 0)), photo_bytes("PNG", color=(0, 0, 200))
    rows = [
        sku_row("QH-1", "QH-1-M", images="photos/front.jpg|back.png"),
        sku_row("QH-1", "QH-1-L", images="back.png"),
        sku_row("QH-2", "QH-2-F"),
    ]
    archive = zip_bytes(("products.xlsx", xlsx_bytes(rows)), {"photos/front.jpg": front, "photos/back.png": back})

    answer = _upload(client, headers, archive, world.maker_a_id)

    assert (answer.status_code, answer.json["status"], answer.json["ok_rows"]) == (202, "succeeded", 3)
    photos = _photos(client, headers, _product_id(session, "QH-1"))
    assert [(photo["position"], photo["content_type"]) for photo in photos] == [(0, "image/jpeg"), (1, "image/png")]
    assert client.get(photos[0]["url"]).status_code == 200
    assert _photos(client, headers, _product_id(session, "QH-2")) == []
    # The same ZIP again changes nothing: each photo is already the product's.
    again = _upload(client, headers, archive, world.maker_a_id)
    assert again.json["status"] == "succeeded"
    assert session.scalar(select(func.count()).select_from(ProductImage)) == 2


def test_a_sheet_may_name_photos_the_firm_uploaded_before(client, factory, session, media):
    world = factory.world()
    headers = world.headers["sme_a"]
    earlier = factory.product(world.maker_a_id)
    uploaded = upload_photo(client, headers, earlier.id, photo_bytes(color=(9, 99, 9)), name="camel-front.jpg").json
    csv = csv_bytes([sku_row("QH-9", "QH-9-M", images="camel-front.jpg")])

    answer = _upload(client, headers, csv, world.maker_a_id, filename="products.csv")

    assert answer.json["status"] == "succeeded"
    (photo,) = _photos(client, headers, _product_id(session, "QH-9"))
    assert client.get(photo["url"]).data == client.get(uploaded["url"]).data
    # Another firm's photo of that name is not this firm's to use.
    other = _upload(
        client,
        world.headers["sme_b"],
        csv_bytes([sku_row("QB-1", "QB-1-M", images="camel-front.jpg")]),
        world.maker_b_id,
        filename="products.csv",
    )
    assert (other.json["status"], other.json["errors"][0]["code"]) == ("failed", "image_not_found")


def test_photos_that_cannot_be_taken_are_row_errors_in_the_callers_language(client, factory, session, media):
    world = factory.world()
    headers = world.headers["sme_a"]
    rows = [
        sku_row("QH-1", "QH-1-M", images="missing.jpg"),
        sku_row("QH-2", "QH-2-M", images="notes.jpg"),
        sku_row("QH-3", "QH-3-M", images="tiny.png"),
        sku_row("QH-4", "QH-4-M", images="good.jpg"),
    ]
    archive = zip_bytes(
        ("p.csv", csv_bytes(rows)),
        {"notes.jpg": b"not a photo", "tiny.png": photo_bytes("PNG", size=(20, 20)), "good.jpg": photo_bytes()},
    )

    answer = _upload(client, headers, archive, world.maker_a_id, language="zh-CN", policy="reject_failed_rows")

    assert answer.json["status"] == "completed_with_errors"
    assert [(error["row"], error["field"], error["code"]) for error in answer.json["errors"]] == [
        (2, "images", "image_not_found"),
        (3, "images", "image_type_not_allowed"),
        (4, "images", "image_too_small"),
    ]
    assert answer.json["errors"][0]["message"] == "ZIP 文件和本企业已上传的图片中都没有名为 missing.jpg 的图片。"
    session.rollback()
    assert session.scalars(select(Product.product_code)).all() == ["QH-4"]
    assert session.scalar(select(func.count()).select_from(ProductImage)) == 1


def test_a_hostile_zip_is_refused_before_anything_is_recorded(client, factory, session, media, settings):
    world = factory.world()
    headers = world.headers["sme_a"]
    sheet = ("p.csv", csv_bytes([sku_row("QH-1", "QH-1-M")]))
    two_sheets = zip_bytes(sheet, {"more.csv": csv_bytes([])})
    no_zip = b"PK\x03\x04 not really"
    encrypted = bytearray(zip_bytes(sheet))
    # Set the "encrypted" flag on the member, as a password-protected archive has it.
    for marker in (b"PK\x03\x04", b"PK\x01\x02"):
        at = encrypted.index(marker)
        flags = at + (6 if marker == b"PK\x03\x04" else 8)
        encrypted[flags] |= 0x1
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("p.csv", b"product_code," + b" " * (settings.max_upload_bytes + 10))

    answers = [
        _upload(client, headers, data, world.maker_a_id)
        for data in (two_sheets, no_zip, bytes(encrypted), bomb.getvalue())
    ]

    assert [(answer.status_code, answer.json["code"]) for answer in answers] == [(422, "unreadable_file")] * 4
    assert "exactly one CSV or XLSX sheet" in answers[0].json["detail"]
    assert "encrypted" in answers[2].json["detail"]
    assert "unpacks to more than" in answers[3].json["detail"]
    session.rollback()
    assert session.scalar(select(func.count()).select_from(ProductImport)) == 0
    assert session.scalar(select(func.count()).select_from(Product)) == 0


def test_photos_past_the_memory_budget_are_read_again_when_written(client, factory, session, media, monkeypatch):
    from commerce.catalog.import_photos import ImportPhotos

    monkeypatch.setattr(ImportPhotos, "KEEP_BYTES", 0)
    world = factory.world()
    rows = [sku_row("QH-1", "QH-1-M", images="a.jpg|b.jpg")]
    archive = zip_bytes(("p.csv", csv_bytes(rows)), {"a.jpg": photo_bytes(), "b.jpg": photo_bytes(color=(1, 2, 3))})

    answer = _upload(client, world.headers["sme_a"], archive, world.maker_a_id)

    assert answer.json["status"] == "succeeded"
    assert len(_photos(client, world.headers["sme_a"], _product_id(session, "QH-1"))) == 2
