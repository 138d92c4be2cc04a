"""The XML messages customs receives, built with lxml in the element order of the specification.

Cross-border messages (CEB303 order, CEB403 payment, CEB505 waybill, CEB603 inventory list,
CEB605 list cancellation, CEB701 summary application) live in the ``http://www.chinaport.gov.cn/ceb``
namespace, carry a ``guid`` and ``version="1.0"`` and end with a ``BaseTransfer`` block. Full declarations
(9710, 9810, 0110, 1039) are a ``DecMessage`` of the declaration format. Our data keeps ISO
codes; the customs codes are put in here, through the tables of ``codes``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from lxml import etree

from commerce.customs.calendar import CHINA
from commerce.customs.codes import customs_code, n19_5, unit_price

CEB_NAMESPACE = "http://www.chinaport.gov.cn/ceb"
DEC_NAMESPACE = "http://www.chinaport.gov.cn/dec"


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# The elements of each message in the order of customs' schema (reference/ceb/export.xsd); optional
# ones without a value are left out, never sent empty.
INVENTORY_HEAD_FIELDS = _names(
    "guid appType appTime appStatus customsCode ebpCode ebpName orderNo logisticsCode logisticsName "
    "logisticsNo copNo preNo invtNo ieFlag portCode ieDate statisticsFlag agentCode agentName ebcCode ebcName "
    "ownerCode ownerName iacCode iacName emsNo tradeMode trafMode trafName voyageNo billNo totalPackageNo loctNo "
    "licenseNo country POD freight fCurrency fFlag insuredFee iCurrency iFlag wrapType packNo grossWeight "
    "netWeight note"
)
INVENTORY_LINE_FIELDS = _names(
    "gnum itemNo itemRecordNo itemName gcode gname gmodel barCode country currency qty qty1 qty2 unit unit1 "
    "unit2 price totalPrice note"
)
ORDER_HEAD_FIELDS = _names(
    "guid appType appTime appStatus orderType orderNo ebpCode ebpName ebcCode ebcName goodsValue freight currency note"
)
ORDER_LINE_FIELDS = _names("gnum itemNo itemName itemDescribe barCode unit currency qty price totalPrice note")
RECEIPT_FIELDS = _names(
    "guid appType appTime appStatus ebpCode ebpName ebcCode ebcName orderNo payCode payName payNo charge "
    "currency accountingDate note"
)
WAYBILL_FIELDS = _names(
    "guid appType appTime appStatus logisticsCode logisticsName logisticsNo freight insuredFee currency "
    "grossWeight packNo goodsInfo ebcCode ebcName ebcTelephone note"
)
SUMMARY_HEAD_FIELDS = _names(
    "guid appType appTime appStatus customsCode copNo preNo sumNo agentCode agentName ebcCode ebcName "
    "declAgentCode declAgentName startTime endTime loctNo summaryFlag itemNameFlag msgCount msgSeqNo note"
)
SUMMARY_LINE_FIELDS = ("invtNo",)
CANCELLATION_FIELDS = _names(
    "guid appType appTime appStatus customsCode copNo preNo invtNo reason agentCode agentName ebcCode ebcName note"
)
# A summary merges the lists of one consignor and one producing firm (2), and their lines by the
# goods' classification, not by the names on the lists (0).
SUMMARY_BY_CONSIGNOR_AND_OWNER = "2"
SUMMARY_NOT_BY_ITEM_NAME = "0"
# What a list line says when the goods have no barcode.
NO_BARCODE = "无"
# Customs' goodsInfo of a waybill holds at most this many characters.
GOODS_INFO_LENGTH = 200
BASE_TRANSFER_FIELDS = ("copCode", "copName", "dxpMode", "dxpId", "note")
DEC_HEAD_FIELDS = _names(
    "SeqNo IEFlag Type AgentCode AgentName BillNo ContrNo CustomMaster DistinatePort FeeCurr FeeMark FeeRate "
    "GrossWet IEDate IEPort InsurCurr InsurMark InsurRate LicenseNo NetWt NoteS OwnerCode OwnerName PackNo "
    "TradeCode TradeCountry TradeMode TradeName TrafMode TransMode WrapType EntryId CopCode CopName"
)
DEC_LINE_FIELDS = _names(
    "ClassMark CodeTS ContrItem DeclPrice DutyMode Factor GModel GName GNo OriginCountry TradeCurr DeclTotal "
    "GQty FirstQty SecondQty GUnit FirstUnit SecondUnit DestinationCountry DistrictCode"
)
# Terms of delivery as the declaration's TransMode codes them.
TERMS_CODES = {"CIF": "1", "CFR": "2", "FOB": "3", "EXW": "7"}


# The most characters customs' schema takes in the fields filled from the platform's and its users' data.
FIELD_LIMITS = {
    "orderNo": 60,
    "payNo": 60,
    "copNo": 30,
    "ebpName": 100,
    "ebcName": 100,
    "ownerName": 100,
    "agentName": 100,
    "declAgentName": 100,
    "copName": 100,
    "payName": 100,
    "logisticsCode": 18,
    "logisticsName": 100,
    "logisticsNo": 80,
    "itemName": 250,
    "gname": 250,
    "gmodel": 250,
    "reason": 1000,
}


class FieldTooLong(ValueError):
    """A value longer than customs' schema takes in its field: the message is not built."""

    def __init__(self, field: str, limit: int):
        super().__init__(f"{field} holds at most {limit} characters")
        self.field = field
        self.limit = limit


@dataclass(frozen=True, slots=True)
class Sender:
    """Who sends: the platform's registration, name and data-exchange id, and what it declares for
    its parcels (the payment firm, the port of destination, the packing)."""

    code: str
    name: str
    dxp_id: str
    ebp_code: str
    ebp_name: str
    payment_code: str | None = None
    payment_name: str | None = None
    destination_port: str | None = None
    wrap_type: str = "2"


@dataclass(frozen=True, slots=True)
class Built:
    kind: str
    guid: str
    body: str


def new_guid() -> str:
    return str(uuid.uuid4()).upper()


def _stamp(moment: datetime) -> str:
    return moment.astimezone(CHINA).strftime("%Y%m%d%H%M%S")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return n19_5(value)
    return str(value)


def _fill(
    parent: etree._Element,
    namespace: str,
    names: Sequence[str],
    values: Mapping[str, Any],
    *,
    keep_empty: bool = False,
) -> None:
    """Child elements in the given order; a field without a value is left out (``keep_empty``: sent
    empty, as the full declaration's format has every element)."""
    for name in names:
        text = _text(values.get(name))
        if not text and not keep_empty:
            continue
        limit = FIELD_LIMITS.get(name)
        if limit is not None and len(text) > limit:
            raise FieldTooLong(name, limit)
        etree.SubElement(parent, f"{{{namespace}}}{name}").text = text


def _ceb_root(kind: str, guid: str) -> etree._Element:
    return etree.Element(
        f"{{{CEB_NAMESPACE}}}{kind}Message", nsmap={"ceb": CEB_NAMESPACE}, attrib={"guid": guid, "version": "1.0"}
    )


def _finish(root: etree._Element, sender: Sender | None) -> str:
    if sender is not None:
        transfer = etree.SubElement(root, f"{{{CEB_NAMESPACE}}}BaseTransfer")
        _fill(
            transfer,
            CEB_NAMESPACE,
            BASE_TRANSFER_FIELDS,
            {"copCode": sender.code, "copName": sender.name, "dxpMode": "DXP", "dxpId": sender.dxp_id},
        )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")


def _common(guid: str, now: datetime) -> dict[str, Any]:
    return {"guid": guid, "appType": "1", "appTime": _stamp(now), "appStatus": "2"}


def inventory_list(declaration: Any, lines: Sequence[Any], sender: Sender, *, now: datetime) -> Built:
    """CEB603: one parcel's inventory list, its head fields and lines in the specification's order."""
    guid = new_guid()
    root = _ceb_root("CEB603", guid)
    inventory = etree.SubElement(root, f"{{{CEB_NAMESPACE}}}Inventory")
    weight = declaration.gross_weight_kg
    head = {
        **_common(guid, now),
        "customsCode": declaration.declaring_customs,
        "ebpCode": sender.ebp_code,
        "ebpName": sender.ebp_name,
        "orderNo": declaration.order_no,
        "logisticsCode": declaration.logistics_code,
        "logisticsName": declaration.logistics_code,
        "logisticsNo": declaration.logistics_no,
        "copNo": declaration.cop_no,
        "ieFlag": "E",
        "portCode": declaration.exit_port,
        "ieDate": now.astimezone(CHINA).strftime("%Y%m%d"),
        "statisticsFlag": "B",
        "agentCode": sender.code,
        "agentName": sender.name,
        "ebcCode": declaration.consignor_code,
        "ebcName": declaration.consignor_name,
        "ownerCode": declaration.owner_code,
        "ownerName": declaration.owner_name,
        "tradeMode": declaration.customs_mode,
        "trafMode": declaration.traf_mode,
        "country": customs_code("country", declaration.arrival_country),
        "POD": sender.destination_port,
        "freight": Decimal("0"),
        "fCurrency": "142",
        "fFlag": "3",
        "insuredFee": Decimal("0"),
        "iCurrency": "142",
        "iFlag": "3",
        "wrapType": sender.wrap_type,
        "packNo": 1,
        "grossWeight": weight,
        "netWeight": weight,
    }
    _fill(etree.SubElement(inventory, f"{{{CEB_NAMESPACE}}}InventoryHead"), CEB_NAMESPACE, INVENTORY_HEAD_FIELDS, head)
    for line in lines:
        values = {
            "gnum": line.line_no,
            "itemNo": line.item_no,
            "itemName": line.goods_name,
            "gcode": line.hs_code,
            "gname": line.goods_name,
            "gmodel": line.goods_model,
            "barCode": line.bar_code or NO_BARCODE,
            "country": customs_code("country", line.destination_country),
            "currency": customs_code("currency", line.currency),
            "qty": line.quantity,
            "qty1": line.legal_quantity,
            "qty2": line.second_legal_quantity,
            "unit": customs_code("unit", line.unit),
            "unit1": customs_code("unit", line.legal_unit),
            "unit2": customs_code("unit", line.second_legal_unit) if line.second_legal_unit else None,
            "price": unit_price(line.total_price, line.quantity),
            "totalPrice": line.total_price,
        }
        _fill(
            etree.SubElement(inventory, f"{{{CEB_NAMESPACE}}}InventoryList"),
            CEB_NAMESPACE,
            INVENTORY_LINE_FIELDS,
            values,
        )
    return Built("CEB603", guid, _finish(root, sender))


def _goods_value(lines: Sequence[Any]) -> Decimal:
    return sum((line.total_price for line in lines), Decimal("0"))


def order(declaration: Any, lines: Sequence[Any], sender: Sender, *, now: datetime) -> Built:
    """CEB303: the export order behind an inventory list."""
    guid = new_guid()
    root = _ceb_root("CEB303", guid)
    body = etree.SubElement(root, f"{{{CEB_NAMESPACE}}}Order")
    currency = customs_code("currency", lines[0].currency)
    head = {
        **_common(guid, now),
        "orderType": "E",
        "orderNo": declaration.order_no,
        "ebpCode": sender.ebp_code,
        "ebpName": sender.ebp_name,
        "ebcCode": declaration.consignor_code,
        "ebcName": declaration.consignor_name,
        "goodsValue": _goods_value(lines),
        "freight": Decimal("0"),
        "currency": currency,
    }
    _fill(etree.SubElement(body, f"{{{CEB_NAMESPACE}}}OrderHead"), CEB_NAMESPACE, ORDER_HEAD_FIELDS, head)
    for line in lines:
        values = {
            "gnum": line.line_no,
            "itemNo": line.item_no,
            "itemName": line.goods_name,
            "itemDescribe": line.goods_model,
            "barCode": line.bar_code,
            "unit": customs_code("unit", line.unit),
            "currency": customs_code("currency", line.currency),
            "qty": line.quantity,
            "price": unit_price(line.total_price, line.quantity),
            "totalPrice": line.total_price,
        }
        _fill(etree.SubElement(body, f"{{{CEB_NAMESPACE}}}OrderList"), CEB_NAMESPACE, ORDER_LINE_FIELDS, values)
    return Built("CEB303", guid, _finish(root, sender))


def payment(declaration: Any, lines: Sequence[Any], sender: Sender, *, now: datetime) -> Built:
    """CEB403: the receipt of the order's payment."""
    guid = new_guid()
    root = _ceb_root("CEB403", guid)
    values = {
        **_common(guid, now),
        "ebpCode": sender.ebp_code,
        "ebpName": sender.ebp_name,
        "ebcCode": declaration.consignor_code,
        "ebcName": declaration.consignor_name,
        "orderNo": declaration.order_no,
        "payCode": sender.payment_code,
        "payName": sender.payment_name,
        "payNo": declaration.order_no,
        "charge": _goods_value(lines),
        "currency": customs_code("currency", lines[0].currency),
        "accountingDate": now.astimezone(CHINA).strftime("%Y%m%d%H%M%S"),
    }
    _fill(etree.SubElement(root, f"{{{CEB_NAMESPACE}}}Receipts"), CEB_NAMESPACE, RECEIPT_FIELDS, values)
    return Built("CEB403", guid, _finish(root, sender))


def waybill(declaration: Any, lines: Sequence[Any], sender: Sender, *, now: datetime) -> Built:
    """CEB505: the logistics waybill of the parcel."""
    guid = new_guid()
    root = _ceb_root("CEB505", guid)
    values = {
        **_common(guid, now),
        "logisticsCode": declaration.logistics_code,
        "logisticsName": declaration.logistics_code,
        "logisticsNo": declaration.logistics_no,
        "freight": Decimal("0"),
        "insuredFee": Decimal("0"),
        "currency": "142",
        "grossWeight": declaration.gross_weight_kg,
        "packNo": 1,
        "goodsInfo": "; ".join(line.goods_name for line in lines)[:GOODS_INFO_LENGTH],
        "ebcCode": declaration.consignor_code,
        "ebcName": declaration.consignor_name,
    }
    _fill(etree.SubElement(root, f"{{{CEB_NAMESPACE}}}Logistics"), CEB_NAMESPACE, WAYBILL_FIELDS, values)
    return Built("CEB505", guid, _finish(root, sender))


def summary_application(
    declaration: Any, inventory_numbers: Sequence[str], sender: Sender, *, now: datetime, part: tuple[int, int]
) -> Built:
    """CEB701: the application to merge the listed inventory lists into one declaration."""
    guid = new_guid()
    root = _ceb_root("CEB701", guid)
    body = etree.SubElement(root, f"{{{CEB_NAMESPACE}}}SummaryApply")
    head = {
        **_common(guid, now),
        "customsCode": declaration.declaring_customs,
        "copNo": declaration.cop_no,
        "agentCode": sender.code,
        "agentName": sender.name,
        "ebcCode": declaration.consignor_code,
        "ebcName": declaration.consignor_name,
        "declAgentCode": sender.code,
        "declAgentName": sender.name,
        "summaryFlag": SUMMARY_BY_CONSIGNOR_AND_OWNER,
        "itemNameFlag": SUMMARY_NOT_BY_ITEM_NAME,
        "msgCount": part[1],
        "msgSeqNo": part[0],
    }
    _fill(etree.SubElement(body, f"{{{CEB_NAMESPACE}}}SummaryApplyHead"), CEB_NAMESPACE, SUMMARY_HEAD_FIELDS, head)
    for inventory_no in inventory_numbers:
        _fill(
            etree.SubElement(body, f"{{{CEB_NAMESPACE}}}SummaryApplyList"),
            CEB_NAMESPACE,
            SUMMARY_LINE_FIELDS,
            {"invtNo": inventory_no},
        )
    return Built("CEB701", guid, _finish(root, sender))


def list_cancellation(declaration: Any, reason: str, sender: Sender, *, now: datetime) -> Built:
    """CEB605: the request that customs cancel a released or entered inventory list (named by its
    copNo and customs' number invtNo) before the goods leave, with the reason."""
    guid = new_guid()
    root = _ceb_root("CEB605", guid)
    values = {
        **_common(guid, now),
        "customsCode": declaration.declaring_customs,
        "copNo": declaration.cop_no,
        "invtNo": declaration.entry_id,
        "reason": reason,
        "agentCode": sender.code,
        "agentName": sender.name,
        "ebcCode": declaration.consignor_code,
        "ebcName": declaration.consignor_name,
    }
    _fill(etree.SubElement(root, f"{{{CEB_NAMESPACE}}}InvtCancel"), CEB_NAMESPACE, CANCELLATION_FIELDS, values)
    return Built("CEB605", guid, _finish(root, sender))


def full_declaration(declaration: Any, lines: Sequence[Any], sender: Sender, *, now: datetime) -> Built:
    """DecMessage: a full export declaration (9710, 9810, 0110, 1039) with its goods lines."""
    guid = new_guid()
    root = etree.Element(
        f"{{{DEC_NAMESPACE}}}DecMessage", nsmap={None: DEC_NAMESPACE}, attrib={"guid": guid, "version": "1.0"}
    )
    head = {
        "SeqNo": declaration.cop_no,
        "IEFlag": "E",
        "Type": "",
        "AgentCode": sender.code,
        "AgentName": sender.name,
        "CustomMaster": declaration.declaring_customs,
        "GrossWet": declaration.gross_weight_kg,
        "IEDate": now.astimezone(CHINA).strftime("%Y%m%d"),
        "IEPort": declaration.exit_port,
        "NetWt": declaration.gross_weight_kg,
        "OwnerCode": declaration.owner_code,
        "OwnerName": declaration.owner_name,
        "PackNo": 1,
        "TradeCode": declaration.consignor_code,
        "TradeCountry": customs_code("country", declaration.arrival_country),
        "TradeMode": declaration.customs_mode,
        "TradeName": declaration.consignor_name,
        "TrafMode": declaration.traf_mode,
        "TransMode": TERMS_CODES.get(declaration.trade_terms, "3"),
        "CopCode": sender.code,
        "CopName": sender.name,
    }
    _fill(etree.SubElement(root, f"{{{DEC_NAMESPACE}}}DecHead"), DEC_NAMESPACE, DEC_HEAD_FIELDS, head, keep_empty=True)
    declared_lines = etree.SubElement(root, f"{{{DEC_NAMESPACE}}}DecLists")
    for line in lines:
        values = {
            "CodeTS": line.hs_code,
            "DeclPrice": unit_price(line.total_price, line.quantity),
            "GModel": line.goods_model,
            "GName": line.goods_name,
            "GNo": line.line_no,
            "OriginCountry": "142",
            "TradeCurr": customs_code("currency", line.currency),
            "DeclTotal": line.total_price,
            "GQty": line.quantity,
            "FirstQty": line.legal_quantity,
            "SecondQty": line.second_legal_quantity,
            "GUnit": customs_code("unit", line.unit),
            "FirstUnit": customs_code("unit", line.legal_unit),
            "SecondUnit": customs_code("unit", line.second_legal_unit) if line.second_legal_unit else None,
            "DestinationCountry": customs_code("country", line.destination_country),
            "DistrictCode": declaration.source_region,
        }
        declared_line = etree.SubElement(declared_lines, f"{{{DEC_NAMESPACE}}}DecList")
        _fill(declared_line, DEC_NAMESPACE, DEC_LINE_FIELDS, values, keep_empty=True)
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")
    return Built("DEC", guid, body)
