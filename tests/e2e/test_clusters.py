from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from commerce.audit.models import AuditEvent
from commerce.clusters.models import Enterprise
from tests.factories import REAL_USCCS, TEXTBOOK_USCC


def _enterprise_body(cluster_id, uscc, **overrides):
    return {
        "name": "新羊绒厂",
        "uscc": uscc,
        "cluster_id": cluster_id,
        "kind": "manufacturer",
        "region_code": "13059",
        "is_general_taxpayer": True,
        **overrides,
    }


def test_admin_registers_cluster_and_enterprise(client, factory):
    admin = factory.headers_for("admin")
    cluster = client.post(
        "/api/v1/clusters",
        headers=admin,
        json={"name": "安平丝网产业集群", "industry": "wire mesh", "region_code": "13116"},
    )
    assert cluster.status_code == 201
    created = client.post(
        "/api/v1/enterprises", headers=admin, json=_enterprise_body(cluster.json["id"], REAL_USCCS[3].lower())
    )
    assert created.status_code == 201
    assert created.json["uscc"] == REAL_USCCS[3]
    assert client.get(f"/api/v1/enterprises/{created.json['id']}", headers=admin).json == created.json


def test_textbook_uscc_is_refused_in_the_callers_language(client, factory, session):
    admin = factory.headers_for("admin")
    cluster = factory.cluster()
    english = client.post(
        "/api/v1/enterprises",
        headers={**admin, "Accept-Language": "en-GB,en;q=0.8"},
        json=_enterprise_body(cluster.id, TEXTBOOK_USCC),
    )
    chinese = client.post(
        "/api/v1/enterprises",
        headers={**admin, "Accept-Language": "zh-Hans-CN"},
        json=_enterprise_body(cluster.id, TEXTBOOK_USCC),
    )
    assert english.status_code == chinese.status_code == 422
    assert english.json["code"] == chinese.json["code"] == "invalid_uscc"
    assert english.json["errors"] == [
        {
            "field": "uscc",
            "code": "invalid_uscc",
            "message": "Not a valid unified social credit code (GB 32100 check character).",
        }
    ]
    assert chinese.json["detail"] == "不是有效的统一社会信用代码（GB 32100 校验码不符）。"
    assert chinese.json["title"] == "请求无效"
    assert session.scalar(select(func.count()).select_from(Enterprise)) == 0


def test_second_enterprise_with_the_same_uscc_conflicts(client, factory, session):
    admin = factory.headers_for("admin")
    cluster = factory.cluster()
    assert (
        client.post("/api/v1/enterprises", headers=admin, json=_enterprise_body(cluster.id, REAL_USCCS[0])).status_code
        == 201
    )
    again = client.post(
        "/api/v1/enterprises", headers=admin, json=_enterprise_body(cluster.id, REAL_USCCS[0], name="Other")
    )
    assert (again.status_code, again.json["code"]) == (409, "duplicate_uscc")
    assert session.scalar(select(func.count()).select_from(Enterprise)) == 1


def test_unknown_cluster_is_a_validation_error(client, factory):
    response = client.post(
        "/api/v1/enterprises", headers=factory.headers_for("admin"), json=_enterprise_body(999, REAL_USCCS[0])
    )
    assert (response.status_code, response.json["code"]) == (422, "unknown_reference")
    assert response.json["errors"][0]["field"] == "cluster_id"


def test_firm_staff_see_and_change_only_their_own_firm(client, factory):
    world = factory.world()
    sme_a = world.headers["sme_a"]
    listed = client.get("/api/v1/enterprises", headers=sme_a).json
    assert [item["id"] for item in listed["items"]] == [world.maker_a_id]
    assert client.get(f"/api/v1/enterprises/{world.maker_b_id}", headers=sme_a).status_code == 404
    assert (
        client.patch(f"/api/v1/enterprises/{world.maker_b_id}", headers=sme_a, json={"name": "hijacked"}).status_code
        == 404
    )
    renamed = client.patch(
        f"/api/v1/enterprises/{world.maker_a_id}",
        headers=sme_a,
        json={"name": "Maker A Ltd", "is_general_taxpayer": False},
    )
    assert renamed.status_code == 200
    assert (renamed.json["name"], renamed.json["is_general_taxpayer"]) == ("Maker A Ltd", False)
    uscc_change = client.patch(f"/api/v1/enterprises/{world.maker_a_id}", headers=sme_a, json={"uscc": REAL_USCCS[3]})
    assert uscc_change.status_code == 403
    assert client.get(f"/api/v1/enterprises/{world.maker_a_id}", headers=sme_a).json["uscc"] == REAL_USCCS[0]
    nulled = client.patch(f"/api/v1/enterprises/{world.maker_a_id}", headers=sme_a, json={"name": None})
    assert nulled.status_code == 422


def test_enterprise_list_filters_and_pages(client, factory):
    world = factory.world()
    admin = world.headers["admin"]
    makers = client.get("/api/v1/enterprises?kind=manufacturer", headers=admin).json
    assert [item["id"] for item in makers["items"]] == [world.maker_a_id, world.maker_b_id]
    first = client.get("/api/v1/enterprises?limit=2", headers=admin).json
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = client.get(f"/api/v1/enterprises?limit=2&cursor={first['next_cursor']}", headers=admin).json
    third = client.get(f"/api/v1/enterprises?limit=2&cursor={second['next_cursor']}", headers=admin).json
    ids = [item["id"] for page in (first, second, third) for item in page["items"]]
    assert ids == [world.association_id, world.platform_id, world.maker_a_id, world.maker_b_id, world.trader_id]
    assert third["next_cursor"] is None
    bad = client.get("/api/v1/enterprises?cursor=garbage", headers=admin)
    assert (bad.status_code, bad.json["code"]) == (422, "invalid_cursor")
    by_uscc = client.get(f"/api/v1/enterprises?uscc={REAL_USCCS[1]}", headers=admin).json
    assert [item["id"] for item in by_uscc["items"]] == [world.maker_b_id]


def test_trademark_owner_must_be_an_association_of_the_cluster(client, factory):
    world = factory.world()
    admin = world.headers["admin"]
    body = {"name": "清河羊绒", "registration_no": "R-1", "cluster_id": world.cluster_id, "nice_classes": [25]}
    wrong_kind = client.post(
        "/api/v1/trademarks", headers=admin, json={**body, "owner_enterprise_id": world.maker_a_id}
    )
    assert (wrong_kind.status_code, wrong_kind.json["code"]) == (422, "wrong_enterprise_kind")
    bad_class = client.post(
        "/api/v1/trademarks",
        headers=admin,
        json={**body, "owner_enterprise_id": world.association_id, "nice_classes": [46]},
    )
    assert bad_class.status_code == 422
    created = client.post(
        "/api/v1/trademarks", headers=admin, json={**body, "owner_enterprise_id": world.association_id}
    )
    assert created.status_code == 201
    duplicate = client.post(
        "/api/v1/trademarks", headers=admin, json={**body, "owner_enterprise_id": world.association_id}
    )
    assert (duplicate.status_code, duplicate.json["code"]) == (409, "duplicate_trademark")
    assert client.get("/api/v1/trademarks", headers=world.headers["sme_b"]).status_code == 200


def test_brand_admin_admits_members_of_the_cluster(client, factory):
    world = factory.world()
    brand = world.headers["brand_admin"]
    url = f"/api/v1/trademarks/{world.trademark_id}/memberships"

    # Dates around today: a membership valid now, whatever day the suite runs on.
    today = date.today()
    this_year, next_year = (today - timedelta(days=30)).isoformat(), (today + timedelta(days=365)).isoformat()

    def admit(enterprise_id, licence_no, valid_from=this_year, valid_to=next_year):
        return client.post(
            url,
            headers=brand,
            json={
                "enterprise_id": enterprise_id,
                "licence_no": licence_no,
                "valid_from": valid_from,
                "valid_to": valid_to,
            },
        )

    admitted = admit(world.maker_b_id, "QH-B")
    assert admitted.status_code == 201
    assert (admitted.json["status"], admitted.json["usable_today"]) == ("active", True)
    again = admit(world.maker_b_id, "QH-B2")
    assert (again.status_code, again.json["code"]) == (409, "duplicate_membership")
    platform = admit(world.platform_id, "QH-P")
    assert (platform.status_code, platform.json["code"]) == (422, "wrong_enterprise_kind")
    backwards = admit(world.trader_id, "QH-T", valid_from=next_year, valid_to=this_year)
    assert backwards.status_code == 422
    outsider = factory.enterprise(factory.cluster().id)
    outside = admit(outsider.id, "QH-O")
    assert (outside.status_code, outside.json["code"]) == (422, "outside_cluster")
    listed = client.get(url, headers=brand).json["items"]
    assert [item["enterprise_id"] for item in listed] == [world.maker_a_id, world.maker_b_id]
    own = client.get(url, headers=world.headers["sme_b"]).json["items"]
    assert [item["enterprise_id"] for item in own] == [world.maker_b_id]


def test_other_associations_brand_admin_cannot_manage_the_mark(client, factory):
    world = factory.world()
    other_association = factory.enterprise(world.cluster_id, "association")
    other_brand = factory.headers_for("brand_admin", other_association.id)
    url = f"/api/v1/trademarks/{world.trademark_id}/memberships"
    assert client.get(url, headers=other_brand).status_code == 403
    assert (
        client.patch(f"{url}/{world.membership_a_id}", headers=other_brand, json={"status": "suspended"}).status_code
        == 403
    )


def test_suspending_a_member_takes_the_mark_off_its_products_at_once(client, factory, session):
    world = factory.world()
    product = factory.product(world.maker_a_id, status="approved", trademark_id=world.trademark_id)
    url = f"/api/v1/trademarks/{world.trademark_id}/memberships/{world.membership_a_id}"
    before = client.get(f"/api/v1/products/{product.id}", headers=world.headers["sme_a"]).json
    assert before["trademark_usable"] is True
    suspended = client.patch(
        url, headers=world.headers["brand_admin"], json={"status": "suspended", "reason": "pilling test failed"}
    )
    assert suspended.status_code == 200
    assert (suspended.json["status"], suspended.json["usable_today"]) == ("suspended", False)
    after = client.get(f"/api/v1/products/{product.id}", headers=world.headers["sme_a"]).json
    assert (after["status"], after["trademark_usable"]) == ("approved", False)
    withdrawn = session.scalars(
        select(AuditEvent).where(AuditEvent.entity == "product", AuditEvent.action == "trademark_withdrawn")
    ).all()
    assert [(event.entity_id, event.changes["membership_status"]) for event in withdrawn] == [(product.id, "suspended")]
    reinstated = client.patch(url, headers=world.headers["brand_admin"], json={"status": "active"})
    assert reinstated.json["usable_today"] is True
    assert client.get(f"/api/v1/products/{product.id}", headers=world.headers["sme_a"]).json["trademark_usable"]


def test_revoked_membership_is_final(client, factory):
    world = factory.world()
    url = f"/api/v1/trademarks/{world.trademark_id}/memberships/{world.membership_a_id}"
    brand = world.headers["brand_admin"]
    assert client.patch(url, headers=brand, json={"status": "revoked"}).status_code == 200
    again = client.patch(url, headers=brand, json={"status": "active"})
    assert (again.status_code, again.json["code"]) == (409, "membership_revoked")
    readmitted = client.post(
        f"/api/v1/trademarks/{world.trademark_id}/memberships",
        headers=brand,
        json={
            "enterprise_id": world.maker_a_id,
            "licence_no": "QH-NEW",
            "valid_from": "2026-01-01",
            "valid_to": "2030-01-01",
        },
    )
    assert readmitted.status_code == 201


def test_authorization_letter_in_both_languages_and_as_pdf(client, factory):
    world = factory.world()
    url = f"/api/v1/trademarks/{world.trademark_id}/memberships/{world.membership_a_id}/authorization-letter"
    chinese = client.get(url, headers={**world.headers["sme_a"], "Accept-Language": "zh-CN"})
    assert chinese.status_code == 200 and chinese.mimetype == "text/html"
    page = chinese.get_data(as_text=True)
    assert "集体商标使用授权书" in page and "清河县羊绒制品协会" in page and "Maker A" in page
    assert "91350200776049653A" in page
    english = client.get(f"{url}?lang=en", headers=world.headers["brand_admin"]).get_data(as_text=True)
    assert "Letter of authorisation to use a collective trademark" in english
    pdf = client.get(f"{url}?format=pdf", headers=world.headers["sme_a"])
    assert pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF-") and b"STSong-Light" in pdf.data
    assert client.get(url, headers=world.headers["sme_b"]).status_code == 404


@pytest.mark.shared_database
def test_membership_changes_sent_at_once_take_turns(app, factory, database):
    import threading

    from commerce.audit.models import AuditEvent

    world = factory.world()
    url = f"/api/v1/trademarks/{world.trademark_id}/memberships/{world.membership_a_id}"
    brand = world.headers["brand_admin"]
    start = threading.Barrier(6)
    answers: dict[str, list[int]] = {"suspended": [], "revoked": []}

    def change(status: str) -> None:
        client = app.test_client()
        start.wait()
        answers[status].append(client.patch(url, headers=brand, json={"status": status}).status_code)

    threads = [threading.Thread(target=change, args=("suspended",)) for _ in range(5)]
    threads.append(threading.Thread(target=change, args=("revoked",)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    with database.session() as session:
        changes = session.scalars(
            select(AuditEvent.changes)
            .where(
                AuditEvent.entity == "membership",
                AuditEvent.entity_id == world.membership_a_id,
                AuditEvent.action == "changed",
            )
            .order_by(AuditEvent.id)
        ).all()
    final = app.test_client().get(url, headers=brand).json["status"]
    # Whatever the order, the revocation stands, and each change that was made is one audit row:
    # the first suspension (if it came before the revocation), and the revocation.
    assert answers["revoked"] == [200] and final == "revoked"
    statuses = [change["status"]["to"] for change in changes]
    assert statuses in (["revoked"], ["suspended", "revoked"])
    if statuses == ["revoked"]:
        assert answers["suspended"] == [409] * 5  # each came after the revocation
    else:
        assert 200 in answers["suspended"] and set(answers["suspended"]) <= {200, 409}


def test_the_association_is_told_what_a_suspension_would_take_off_before_it_suspends(client, factory):
    from tests.e2e.test_streams import put_lineup, schedule
    from tests.factories import open_shop

    shop = open_shop(factory)
    world = shop.world
    host = world.headers["host"]
    upcoming = schedule(client, host)
    assert put_lineup(client, host, upcoming["id"], [{"product_id": shop.scarf_id}, {"product_id": shop.gloves_id}])
    url = f"/api/v1/trademarks/{world.trademark_id}/memberships/{world.membership_a_id}"
    effects = client.get(f"{url}/lapse-effects", headers=world.headers["brand_admin"])
    assert effects.status_code == 200
    # The scarf is maker A's one product under the mark; the sweater is not under it, the gloves are maker B's.
    assert effects.json == {"products": 1, "listings": 0, "lineup_items": 1, "streams": [upcoming["id"]]}
    assert client.get(f"{url}/lapse-effects", headers=world.headers["sme_a"]).json == effects.json

    assert client.patch(url, headers=world.headers["brand_admin"], json={"status": "suspended"}).status_code == 200
    after = client.get(f"{url}/lapse-effects", headers=world.headers["brand_admin"]).json
    assert after == {"products": 1, "listings": 0, "lineup_items": 0, "streams": []}


def test_the_letters_pdf_reads_its_chinese_names_in_both_languages(client, factory):
    import io

    from pypdf import PdfReader

    world = factory.world()
    url = f"/api/v1/trademarks/{world.trademark_id}/memberships/{world.membership_a_id}/authorization-letter"

    def text_of(language: str) -> str:
        pdf = client.get(f"{url}?format=pdf&lang={language}", headers=world.headers["sme_a"])
        assert pdf.mimetype == "application/pdf"
        return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf.data)).pages)

    english = text_of("en")
    assert english.startswith("Letter of authorisation to use a collective trademark")
    assert "清河县羊绒制品协会 (unified social credit code" in english
    assert "“清河羊绒”" in english
    assert english.count("清河县羊绒制品协会") == 2  # the owner, and the signature
    assert "■" not in english
    chinese = text_of("zh-CN")
    assert chinese.startswith("集体商标使用授权书")
    assert "兹授权其会员MakerA" in chinese.replace(" ", "")
