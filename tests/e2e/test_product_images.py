"""Product photos through the API: uploaded by the firm, checked, stripped, ordered, shown, removed."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from commerce.audit.models import AuditEvent
from commerce.media.models import ProductImage
from tests.factories import photo_bytes, upload_photo

photo = photo_bytes


def camera_photo() -> bytes:
    """A JPEG as a phone takes it: turned on its side (orientation 6), with the GPS position and the camera."""
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 CW to show
    exif[0x010F] = "PhoneMaker"
    exif[0x0110] = "Phone X"
    exif[0x8825] = {1: "N", 2: (37.0, 3.0, 30.0), 3: "E", 4: (115.0, 39.0, 0.0)}
    return photo(size=(400, 300), exif=exif)


upload = upload_photo


def stored(folder) -> list[str]:
    return (
        sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file()) if folder.exists() else []
    )


def test_a_firm_adds_photos_that_show_in_the_catalogue_without_their_metadata(client, factory, media, database):
    world = factory.world()
    product = factory.product(world.maker_a_id)
    headers = world.headers["sme_a"]

    first = upload(client, headers, product.id, camera_photo(), alt_zh="红色毛衣", alt_en="A red sweater")
    second = upload(client, headers, product.id, photo("PNG", (300, 300)), name="detail.png")

    assert (first.status_code, second.status_code) == (201, 201), (first.json, second.json)
    image = first.json
    # Turned upright as the camera said, and stored without a byte of its EXIF.
    assert (image["width"], image["height"], image["content_type"], image["position"]) == (300, 400, "image/jpeg", 0)
    assert image["alt"] == {"zh-CN": "红色毛衣", "en": "A red sweater"}
    served = client.get(image["url"])
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    kept = Image.open(io.BytesIO(served.data))
    assert kept.size == (300, 400)
    assert len(kept.getexif()) == 0 and "exif" not in kept.info
    assert b"PhoneMaker" not in served.data and b"Phone X" not in served.data
    thumbnail = Image.open(io.BytesIO(client.get(image["thumbnail_url"]).data))
    assert (thumbnail.format, max(thumbnail.size)) == ("WEBP", 320)
    assert second.json["position"] == 1 and second.json["content_type"] == "image/png"

    document = client.get(f"/api/v1/products/{product.id}", headers=headers).json
    assert [(item["id"], item["position"], item["url"]) for item in document["images"]] == [
        (image["id"], 0, image["url"]),
        (second.json["id"], 1, second.json["url"]),
    ]
    assert document["images"][0]["alt"] == {"zh-CN": "红色毛衣", "en": "A red sweater"}
    listed = client.get(f"/api/v1/products?enterprise_id={world.maker_a_id}", headers=headers).json["items"]
    assert [len(item["images"]) for item in listed if item["id"] == product.id] == [2]
    assert len(stored(media)) == 4  # two photos, two thumbnails
    with database.session() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.entity == "product", AuditEvent.entity_id == product.id)
        ).all()
    assert actions.count("image_added") == 2


def test_the_same_photo_sent_again_is_the_photo_already_there(client, factory, media, database):
    world = factory.world()
    product = factory.product(world.maker_a_id)
    data = photo()

    first = upload(client, world.headers["sme_a"], product.id, data)
    again = upload(client, world.headers["sme_a"], product.id, data, name="retry.jpg")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json == first.json
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(ProductImage)) == 1


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"GIF89a" + b"\x00" * 200, "photo.gif", "image_type_not_allowed"),
        (b"%PDF-1.7 not a photo at all", "photo.jpg", "image_type_not_allowed"),
        (photo()[:400], "cut.jpg", "image_unreadable"),
        (photo(size=(60, 60)), "tiny.jpg", "image_too_small"),
        (photo("PNG", (8000, 6000)), "huge.png", "image_too_many_pixels"),
    ],
    ids=["gif", "not-an-image", "truncated", "too-small", "too-many-pixels"],
)
def test_a_file_that_is_no_photo_gets_a_stable_code_and_nothing_is_stored(
    client, factory, media, database, data, name, code
):
    world = factory.world()
    product = factory.product(world.maker_a_id)

    answer = upload(client, {**world.headers["sme_a"], "Accept-Language": "en"}, product.id, data, name=name)

    assert (answer.status_code, answer.json["code"]) == (422, code), answer.json
    assert answer.json["detail"]
    assert stored(media) == []
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(ProductImage)) == 0


def test_a_decompression_bomb_and_an_animation_are_refused_unread(client, factory, media):
    world = factory.world()
    product = factory.product(world.maker_a_id)
    bomb = io.BytesIO()
    # 400 million pixels in a few hundred kilobytes: refused from its header, never decoded.
    Image.new("1", (20000, 20000)).save(bomb, "PNG")
    frames = io.BytesIO()
    first, second = Image.new("RGB", (200, 200), "red"), Image.new("RGB", (200, 200), "blue")
    first.save(frames, "WEBP", save_all=True, append_images=[second])

    bombed = upload(client, world.headers["sme_a"], product.id, bomb.getvalue(), name="bomb.png")
    animated = upload(client, world.headers["sme_a"], product.id, frames.getvalue(), name="moving.webp")

    assert (bombed.status_code, bombed.json["code"]) == (422, "image_too_many_pixels")
    assert (animated.status_code, animated.json["code"]) == (422, "image_animated")
    assert stored(media) == []


def test_a_file_over_the_size_limit_is_refused_in_the_callers_language(client, factory, media, deployment):
    world = factory.world()
    product = factory.product(world.maker_a_id)
    limit = deployment.settings.media_max_bytes

    answer = upload(client, {**world.headers["sme_a"], "Accept-Language": "zh-CN"}, product.id, b"\xff" * (limit + 1))

    assert (answer.status_code, answer.json["code"]) == (422, "image_too_large")
    assert answer.json["detail"] == "图片超过 1 MB。"
    assert stored(media) == []


def test_photos_are_ordered_given_to_a_sku_described_and_removed(client, factory, media):
    world = factory.world()
    product = factory.product(world.maker_a_id)
    headers = world.headers["sme_a"]
    document = client.get(f"/api/v1/products/{product.id}", headers=headers).json
    sku_id = document["skus"][0]["id"]
    front = upload(client, headers, product.id, photo(color=(10, 10, 10))).json
    back = upload(client, headers, product.id, photo(color=(250, 250, 250)), sku_id=sku_id).json
    assert back["sku_id"] == sku_id

    moved = client.patch(
        f"/api/v1/products/{product.id}/images/{back['id']}",
        headers=headers,
        json={"position": 0, "sku_id": None, "alt": {"en": "The back"}},
    )
    client.patch(f"/api/v1/products/{product.id}/images/{front['id']}", headers=headers, json={"position": 1})

    assert moved.status_code == 200, moved.json
    assert (moved.json["sku_id"], moved.json["alt"]) == (None, {"en": "The back"})
    listed = client.get(f"/api/v1/products/{product.id}/images", headers=headers).json["items"]
    assert [item["id"] for item in listed] == [back["id"], front["id"]]

    removed = client.delete(f"/api/v1/products/{product.id}/images/{front['id']}", headers=headers)

    assert removed.status_code == 204
    assert [item["id"] for item in client.get(f"/api/v1/products/{product.id}", headers=headers).json["images"]] == [
        back["id"]
    ]
    assert client.get(front["url"]).status_code == 404
    assert len(stored(media)) == 2


def test_another_firms_product_or_sku_is_not_reachable_and_nothing_changes(client, factory, media, database):
    world = factory.world()
    mine = factory.product(world.maker_a_id)
    theirs = factory.product(world.maker_b_id, product_code="B-1")
    their_sku = client.get(f"/api/v1/products/{theirs.id}", headers=world.headers["sme_b"]).json["skus"][0]["id"]
    image = upload(client, world.headers["sme_b"], theirs.id, photo()).json

    upload_theirs = upload(client, world.headers["sme_a"], theirs.id, photo(color=(1, 2, 3)))
    sku_of_theirs = upload(client, world.headers["sme_a"], mine.id, photo(color=(4, 5, 6)), sku_id=their_sku)
    change_theirs = client.patch(
        f"/api/v1/products/{theirs.id}/images/{image['id']}", headers=world.headers["sme_a"], json={"position": 5}
    )
    through_mine = client.delete(f"/api/v1/products/{mine.id}/images/{image['id']}", headers=world.headers["sme_a"])
    as_host = upload(client, world.headers["host"], mine.id, photo(color=(7, 8, 9)))

    assert upload_theirs.status_code == 404
    assert (sku_of_theirs.status_code, sku_of_theirs.json["code"]) == (422, "sku_not_of_product")
    assert change_theirs.status_code == 404
    assert through_mine.status_code == 404
    assert as_host.status_code == 403
    with database.session() as session:
        rows = session.execute(select(ProductImage.product_id, ProductImage.position)).all()
    assert rows == [(theirs.id, 0)]
    assert len(stored(media)) == 2


@pytest.mark.parametrize("path", ["../../etc/passwd", "images/1/../../secret.jpg", "images/1/abc.jpg", "x.png"])
def test_only_stored_photos_are_served(client, path):
    assert client.get(f"/media/{path}").status_code == 404


def test_a_listing_carries_the_photos_at_the_services_public_address(client, factory, media, database, deployment):
    from datetime import date

    from commerce.catalog.models import Product
    from commerce.listings.content import digest, listing_content
    from commerce.listings.models import ChannelAccount

    world = factory.world()
    product = factory.product(world.maker_a_id, status="approved")
    first = upload(client, world.headers["sme_a"], product.id, photo(color=(9, 9, 9))).json
    second = upload(client, world.headers["sme_a"], product.id, photo(color=(99, 99, 99))).json
    account = ChannelAccount(
        platform="shopify", name="Shop", credentials_sealed="-", settings={"exchange_rates": {"CNY": "0.14"}}
    )

    with database.session() as session:
        row = session.get(Product, product.id)
        addressed, _ = listing_content(
            session, row, account, today=date(2026, 12, 3), public_url="https://commerce.example.com/"
        )
        unaddressed, _ = listing_content(session, row, account, today=date(2026, 12, 3))
        with_files, _ = listing_content(session, row, account, today=date(2026, 12, 3), media=deployment.media_store)

    assert addressed.images == (
        f"https://commerce.example.com{first['url']}",
        f"https://commerce.example.com{second['url']}",
    )
    assert unaddressed.images == ()
    # For marketplaces that take uploads, the same photos as files read from the store.
    assert [image.name for image in with_files.image_files] == [
        first["url"].rsplit("/", 1)[1],
        second["url"].rsplit("/", 1)[1],
    ]
    assert with_files.image_files[0].read() == client.get(first["url"]).data
    # A photo added, moved or removed is content to publish again.
    assert digest(addressed) != digest(unaddressed)
