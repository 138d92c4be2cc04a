"""Cancelling a 9610 inventory list before the goods leave (CEB605), answered by customs (CEB606)."""

from __future__ import annotations

from datetime import UTC, datetime

from lxml import etree
from sqlalchemy import func, select

from commerce.audit.models import AuditEvent
from commerce.customs import tasks
from commerce.customs.models import CustomsBatchOrder, ListCancellation
from commerce.jobs.models import Job
from integrations.customs import GatewayReceipt
from tests.e2e.test_customs import _cleared_last_month, _usd_rate, configure, shipped_export_order, two_parcels
from tests.factories import open_shop
from tests.marketplaces import drain

CEB = {"ceb": "http://www.chinaport.gov.cn/ceb"}
REASON = "买家取消订单，包裹未出境"


def _released(client, shop, deployment, prefix="C"):
    """Two parcels' lists (three lists) released through the single window; returns the batch."""
    configure(client, shop)
    operator = shop.world.headers["trade_operator"]
    orders = two_parcels(client, shop, prefix)
    batch = client.post("/api/v1/customs/batches", headers=operator, json={"customs_mode": "9610"}).json
    client.post(f"/api/v1/customs/batches/{batch['id']}/submit", headers=operator)
    drain(deployment)
    batch = client.get(f"/api/v1/customs/batches/{batch['id']}", headers=operator).json
    assert batch["status"] == "cleared"
    return batch, orders


def _written(database) -> tuple[int, int, int]:
    with database.session() as session:
        return (
            session.scalar(select(func.count()).select_from(ListCancellation)),
            session.scalar(select(func.count()).select_from(Job).where(Job.kind == "customs.cancel_list")),
            session.scalar(select(func.count()).select_from(AuditEvent)),
        )


def test_a_released_parcel_is_cancelled_by_customs_and_its_order_can_be_declared_again(
    client, factory, database, gateway, deployment, ceb_schema
):
    shop = open_shop(factory)
    batch, (first, second) = _released(client, shop, deployment)
    operator = shop.world.headers["trade_operator"]
    parcel = next(item for item in batch["declarations"] if item["order_id"] == second)

    asked = client.post(
        f"/api/v1/customs/declarations/{parcel['id']}/cancellations", headers=operator, json={"reason": REASON}
    )

    assert asked.status_code == 202, asked.json
    assert (asked.json["status"], asked.json["reason"], asked.json["sent_at"]) == ("requested", REASON, None)
    message = client.get(f"/api/v1/customs/declarations/{parcel['id']}/message?kind=CEB605", headers=operator)
    root = etree.fromstring(message.data)
    # The message customs' own schema takes, naming the list by our copNo and customs' number.
    assert ceb_schema.validate(root), ceb_schema.error_log
    cancel = root.find("ceb:InvtCancel", CEB)
    assert [etree.QName(child).localname for child in cancel] == [
        "guid", "appType", "appTime", "appStatus", "customsCode", "copNo", "invtNo", "reason",
        "agentCode", "agentName", "ebcCode", "ebcName",
    ]  # fmt: skip
    assert (cancel.findtext("ceb:copNo", namespaces=CEB), cancel.findtext("ceb:invtNo", namespaces=CEB)) == (
        parcel["cop_no"],
        parcel["entry_id"],
    )
    assert cancel.findtext("ceb:reason", namespaces=CEB) == REASON
    again = client.post(
        f"/api/v1/customs/declarations/{parcel['id']}/cancellations", headers=operator, json={"reason": REASON}
    )
    assert (again.status_code, again.json["code"]) == (409, "cancellation_pending")

    drain(deployment)

    assert (gateway.office.received["CEB605"], gateway.office.answered["CEB606"]) == (1, 1)
    [answer] = client.get(f"/api/v1/customs/declarations/{parcel['id']}/cancellations", headers=operator).json["items"]
    assert (answer["status"], answer["customs_note"]) == ("cancelled", "CEB606 399 撤销成功")
    assert answer["sent_at"] is not None and answer["decided_at"] is not None
    listed = client.get(f"/api/v1/customs/declarations/{parcel['id']}", headers=operator).json
    assert listed["status"] == "cancelled"
    assert [receipt["status"] for receipt in listed["receipts"]] == ["accepted", "cleared", "cancelled"]
    # The other parcel's lists still stand: the batch is still cleared.
    after = client.get(f"/api/v1/customs/batches/{batch['id']}", headers=operator).json
    assert after["status"] == "cleared"
    assert sorted(item["status"] for item in after["declarations"]) == ["cancelled", "cleared", "cleared"]
    assert client.get(f"/api/v1/orders/{second}", headers=operator).json["status"] == "shipped"
    assert client.get(f"/api/v1/orders/{first}", headers=operator).json["status"] == "cleared"
    with database.session() as session:
        assert session.get(CustomsBatchOrder, second) is None
        assert session.get(CustomsBatchOrder, first).batch_id == batch["id"]

    # A cancelled list is not asked again; its order is declared in a new batch.
    closed = client.post(
        f"/api/v1/customs/declarations/{parcel['id']}/cancellations", headers=operator, json={"reason": REASON}
    )
    assert (closed.status_code, closed.json["code"]) == (409, "cancellation_pending")
    anew = client.post("/api/v1/customs/batches", headers=operator, json={"customs_mode": "9610"})
    assert anew.status_code == 201, anew.json
    assert [item["order_id"] for item in anew.json["declarations"]] == [second]


def test_customs_answering_twice_or_late_changes_nothing(client, factory, database, gateway, deployment):
    shop = open_shop(factory)
    batch, (_first, second) = _released(client, shop, deployment, prefix="D")
    operator = shop.world.headers["trade_operator"]
    parcel = next(item for item in batch["declarations"] if item["order_id"] == second)
    client.post(f"/api/v1/customs/declarations/{parcel['id']}/cancellations", headers=operator, json={"reason": "x"})
    gateway.office.timing.duplicate_rate = 1.0
    drain(deployment)
    with database.session() as session:
        events = session.scalar(select(func.count()).select_from(AuditEvent))
        refused_late = GatewayReceipt(
            receipt_id="LATE-REFUSAL",
            message_type="CEB606",
            cop_no=parcel["cop_no"],
            status="refused",
            return_status="100",
            entry_id=parcel["entry_id"],
            info="late",
            at=datetime.now(UTC),
        )
        assert tasks.apply_gateway_receipts(session, [refused_late]) == (0, 0)
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == events
    [answer] = client.get(f"/api/v1/customs/declarations/{parcel['id']}/cancellations", headers=operator).json["items"]
    assert answer["status"] == "cancelled"
    listed = client.get(f"/api/v1/customs/declarations/{parcel['id']}", headers=operator).json
    assert [receipt["status"] for receipt in listed["receipts"]] == ["accepted", "cleared", "cancelled"]


def test_customs_refuses_a_parcel_whose_goods_have_left_and_the_list_stays_exported(
    client, factory, database, gateway, deployment
):
    shop = open_shop(factory)
    batch, (_first, second) = _released(client, shop, deployment, prefix="L")
    operator = shop.world.headers["trade_operator"]
    parcel = next(item for item in batch["declarations"] if item["order_id"] == second)
    # The carrier's departure manifest, which the platform does not see, shows the parcel gone.
    gateway.office.record_departure(parcel["entry_id"])
    client.post(f"/api/v1/customs/declarations/{parcel['id']}/cancellations", headers=operator, json={"reason": "x"})

    drain(deployment)

    [answer] = client.get(f"/api/v1/customs/declarations/{parcel['id']}/cancellations", headers=operator).json["items"]
    assert answer["status"] == "refused"
    assert answer["customs_note"] == (
        f"CEB606 100 the goods of inventory list {parcel['entry_id']} have left the country"
    )
    listed = client.get(f"/api/v1/customs/declarations/{parcel['id']}", headers=operator).json
    assert listed["status"] == "cleared"
    assert client.get(f"/api/v1/orders/{second}", headers=operator).json["status"] == "cleared"
    with database.session() as session:
        assert session.get(CustomsBatchOrder, second).batch_id == batch["id"]
    # Refused, it may be asked again (customs refuses again: the goods are still gone).
    again = client.post(
        f"/api/v1/customs/declarations/{parcel['id']}/cancellations", headers=operator, json={"reason": "y"}
    )
    assert (again.status_code, again.json["status"]) == (202, "requested")


def test_what_cannot_be_cancelled_is_refused_and_nothing_is_written(client, factory, database, gateway, deployment):
    shop = open_shop(factory)
    configure(client, shop)
    operator = shop.world.headers["trade_operator"]
    shipped_export_order(client, shop, "N-1", [{"sku_id": shop.sweater_skus[0], "quantity": 1}])
    drafted = client.post("/api/v1/customs/batches", headers=operator, json={"customs_mode": "9610"}).json
    draft_list = drafted["declarations"][0]["id"]
    shipped_export_order(client, shop, "N-2", [{"sku_id": shop.sweater_skus[0], "quantity": 1}], mode="9710")
    _usd_rate(client, operator)
    declared = client.post("/api/v1/customs/batches", headers=operator, json={"customs_mode": "9710"}).json
    full = declared["declarations"][0]["id"]
    before = _written(database)

    cases = [
        (draft_list, operator, {"reason": "x"}, 409, "list_not_cancellable"),
        (full, operator, {"reason": "x"}, 422, "not_an_inventory_list"),
        (draft_list, operator, {"reason": "   "}, 422, "validation_error"),
        (draft_list, operator, {"reason": "a\u0000b"}, 422, "control_character"),
        (draft_list, operator, {"reason": "x" * 1001}, 422, "validation_error"),
        (draft_list, operator, {"reason": "x", "extra": 1}, 422, "validation_error"),
        (draft_list, shop.world.headers["sme_a"], {"reason": "x"}, 403, "forbidden"),
        (999_999, operator, {"reason": "x"}, 404, "not_found"),
    ]
    for declaration_id, headers, body, status, code in cases:
        answer = client.post(f"/api/v1/customs/declarations/{declaration_id}/cancellations", headers=headers, json=body)
        assert (answer.status_code, answer.json["code"]) == (status, code), (body, answer.json)
    assert _written(database) == before
    listed = client.get(f"/api/v1/customs/declarations/{draft_list}", headers=operator).json
    assert listed["status"] == "draft"


def test_a_list_in_a_monthly_summary_stays_and_a_summary_waits_for_customs_answer(
    client, factory, database, gateway, deployment
):
    shop = open_shop(factory)
    configure(client, shop)
    operator = shop.world.headers["trade_operator"]
    two_parcels(client, shop, "S")
    lists, period = _cleared_last_month(client, operator)
    first, second, third = (item["id"] for item in lists["declarations"])
    asked = client.post(f"/api/v1/customs/declarations/{third}/cancellations", headers=operator, json={"reason": "x"})
    assert asked.status_code == 202, asked.json

    waiting = client.post("/api/v1/customs/batches", headers=operator, json={"customs_mode": "9610", "period": period})

    assert (waiting.status_code, waiting.json["code"]) == (409, "cancellation_awaited")
    cop_no = next(item["cop_no"] for item in lists["declarations"] if item["id"] == third)
    assert cop_no in waiting.json["detail"]
    with database.session() as session:
        tasks.apply_gateway_receipts(
            session,
            [
                GatewayReceipt(
                    receipt_id="ANSWER-1",
                    message_type="CEB606",
                    cop_no=cop_no,
                    status="cancelled",
                    return_status="399",
                    entry_id=None,
                    info="撤销成功",
                    at=datetime.now(UTC),
                )
            ],
        )
    summary = client.post("/api/v1/customs/batches", headers=operator, json={"customs_mode": "9610", "period": period})
    assert summary.status_code == 201, summary.json
    held = set()
    for item in summary.json["declarations"]:
        merged = client.get(f"/api/v1/customs/declarations/{item['id']}", headers=operator).json
        held |= set(merged["inventory_list_ids"])
    # The cancelled list is no export: the summary holds the two others.
    assert held == {first, second}
    before = _written(database)
    refused = client.post(f"/api/v1/customs/declarations/{first}/cancellations", headers=operator, json={"reason": "x"})
    assert (refused.status_code, refused.json["code"]) == (409, "list_in_summary")
    assert str(summary.json["id"]) in refused.json["detail"]
    assert _written(database) == before
