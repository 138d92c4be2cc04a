"""Customs' receipts as they come back through the data-exchange client: CEB messages in a DXP envelope.

Every declared message is answered in the schema of the messages (export.xsd): CEB304
(``OrderReturn``), CEB404 (``ReceiptsReturn``), CEB506 (``LogisticsReturn``), CEB604
(``InventoryReturn``, with the list's customs number ``invtNo``), CEB702 (``SummaryReturn``, with
the summary application's number ``sumNo``) and CEB792 (``SummaryResult``: the declaration customs
formed from a summary, ``entryId``, named by ``sumNo`` alone) and CEB606 (``InvtCancelReturn``:
customs' answer to a list's cancellation, 399 cancelled or 100 refused). One message carries up to
100 returns. A full declaration is answered by a ``DecResult`` in the declaration namespace.

``returnStatus`` (export.xsd): 1 stored by the E-port, 2 being declared, 3 sent to customs,
4 not sent to customs, 100 sent back by customs, 120 entered, 300 manual review, 399 concluded,
500 inspection, 501-599 detained, 700 returned, 800 released, 899 closed; a negative number is
a processing error.
"""

from __future__ import annotations

import base64
from datetime import datetime
from zoneinfo import ZoneInfo

from lxml import etree

from integrations.customs import GatewayReceipt
from integrations.single_window.dxp import DXP_NAMESPACE

CEB_NAMESPACE = "http://www.chinaport.gov.cn/ceb"
DEC_NAMESPACE = "http://www.chinaport.gov.cn/dec"
CHINA = ZoneInfo("Asia/Shanghai")
_CEB = f"{{{CEB_NAMESPACE}}}"
_DEC = f"{{{DEC_NAMESPACE}}}"
_DXP = f"{{{DXP_NAMESPACE}}}"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)

# Return statuses that decide: the rest (1-3, 700) say where the message is, not what became of it.
_ACCEPTED = {"120", "300", "399", "500", "501", "502", "503", "599"}
_CLEARED = {"800", "899"}
_REJECTED = {"4", "100"}
# What customs' answer to a list's cancellation (CEB606) says: concluded, the list is cancelled.
_CANCELLATION_CONCLUDED = "399"
# A full declaration's channel: entered, released, closed, or sent back.
_DEC_STATUS = {"L": "accepted", "P": "cleared", "R": "cleared", "E": "rejected"}
# Customs' state of the declaration formed from a summary: released (9) and closed (10).
_SUMMARY_CLEARED = {"9", "10"}


class MalformedReceipt(ValueError):
    """A file in the receive folder that is not a receipt this service can read."""


def status_of(return_status: str) -> str | None:
    """What a CEB return status means for the declaration: accepted, rejected, cleared, or None."""
    code = return_status.strip()
    if code.startswith("-") or code in _REJECTED:
        return "rejected"
    if code in _CLEARED:
        return "cleared"
    if code in _ACCEPTED:
        return "accepted"
    return None


def _time(text: str) -> datetime:
    """yyyyMMddHHmmssfff in China time."""
    try:
        return datetime.strptime(text.strip()[:14], "%Y%m%d%H%M%S").replace(
            microsecond=int(text.strip()[14:17] or 0) * 1000, tzinfo=CHINA
        )
    except ValueError:
        raise MalformedReceipt(f"unreadable time {text!r}") from None


def unwrap(data: bytes) -> etree._Element:
    """The receipt message in a file: inside a DXP envelope, or the message itself."""
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as error:
        raise MalformedReceipt(f"not well-formed XML: {error}") from None
    if root.tag != f"{_DXP}DxpMsg":
        return root
    payload = root.findtext(f"{_DXP}Data")
    if not payload:
        raise MalformedReceipt("the envelope carries no Data")
    try:
        return etree.fromstring(base64.b64decode("".join(payload.split()), validate=True), _PARSER)
    except (ValueError, etree.XMLSyntaxError):
        raise MalformedReceipt("the envelope's Data is not a base64 XML message") from None


def read_receipts(data: bytes) -> list[GatewayReceipt]:
    """The results in one receipt file; a file this service cannot read raises MalformedReceipt."""
    message = unwrap(data)
    kind = etree.QName(message).localname
    reader = _READERS.get(kind)
    if reader is None:
        raise MalformedReceipt(f"{kind} is not a receipt")
    receipts = reader(message)
    if not receipts:
        raise MalformedReceipt(f"{kind} carries no result")
    return receipts


def _fields(element: etree._Element, namespace: str = _CEB) -> dict[str, str]:
    return {
        etree.QName(child).localname: (child.text or "").strip()
        for child in element
        if isinstance(child.tag, str) and child.tag.startswith(namespace)
    }


def _required(values: dict[str, str], *names: str) -> None:
    missing = [name for name in names if not values.get(name)]
    if missing:
        raise MalformedReceipt(f"a return without {', '.join(missing)}")


def _returns(message_type: str, element_name: str, key: str):
    def read(message: etree._Element) -> list[GatewayReceipt]:
        receipts = []
        for element in message.iter(f"{_CEB}{element_name}"):
            values = _fields(element)
            _required(values, "guid", key, "returnStatus", "returnTime")
            status = status_of(values["returnStatus"])
            # Customs' number counts once the list is entered; a list sent back has none to keep.
            number = (values.get("invtNo") or None) if status in {"accepted", "cleared"} else None
            receipts.append(
                GatewayReceipt(
                    receipt_id=values["guid"],
                    message_type=message_type,
                    cop_no=values[key],
                    status=status,
                    return_status=values["returnStatus"],
                    entry_id=number,
                    info=values.get("returnInfo", ""),
                    at=_time(values["returnTime"]),
                    summary_no=values.get("sumNo") or None,
                )
            )
        return receipts

    return read


def cancellation_outcome(return_status: str) -> str | None:
    """What a CEB606 return status means for the cancellation asked: cancelled, refused, or None
    while the E-port is still handling it."""
    code = return_status.strip()
    if code == _CANCELLATION_CONCLUDED:
        return "cancelled"
    if code.startswith("-") or code in _REJECTED:
        return "refused"
    return None


def _cancellation_returns(message: etree._Element) -> list[GatewayReceipt]:
    receipts = []
    for element in message.iter(f"{_CEB}InvtCancelReturn"):
        values = _fields(element)
        _required(values, "guid", "copNo", "returnStatus", "returnTime")
        receipts.append(
            GatewayReceipt(
                receipt_id=values["guid"],
                message_type="CEB606",
                cop_no=values["copNo"],
                status=cancellation_outcome(values["returnStatus"]),
                return_status=values["returnStatus"],
                entry_id=values.get("invtNo") or None,
                info=values.get("returnInfo", ""),
                at=_time(values["returnTime"]),
            )
        )
    return receipts


def _summary_results(message: etree._Element) -> list[GatewayReceipt]:
    receipts = []
    for head in message.iter(f"{_CEB}SummaryResultHead"):
        values = _fields(head)
        _required(values, "guid", "sumNo", "decState", "opDate")
        state = values["decState"]
        receipts.append(
            GatewayReceipt(
                receipt_id=values["guid"],
                message_type="CEB792",
                cop_no="",
                status="cleared" if state in _SUMMARY_CLEARED else "accepted",
                return_status=state,
                entry_id=values.get("entryId") or None,
                info=values.get("note", ""),
                at=_time(values["opDate"]),
                summary_no=values["sumNo"],
            )
        )
    return receipts


def _declaration_results(message: etree._Element) -> list[GatewayReceipt]:
    values = _fields(message, _DEC)
    _required(values, "ResultId", "SeqNo", "Channel", "NoticeDate")
    return [
        GatewayReceipt(
            receipt_id=values["ResultId"],
            message_type="DEC",
            cop_no=values["SeqNo"],
            status=_DEC_STATUS.get(values["Channel"]),
            return_status=values["Channel"],
            entry_id=values.get("EntryId") or None,
            info=values.get("Note", ""),
            at=_time(values["NoticeDate"]),
        )
    ]


_READERS = {
    "CEB304Message": _returns("CEB304", "OrderReturn", "orderNo"),
    "CEB404Message": _returns("CEB404", "ReceiptsReturn", "orderNo"),
    "CEB506Message": _returns("CEB506", "LogisticsReturn", "logisticsNo"),
    "CEB604Message": _returns("CEB604", "InventoryReturn", "copNo"),
    "CEB606Message": _cancellation_returns,
    "CEB702Message": _returns("CEB702", "SummaryReturn", "copNo"),
    "CEB792Message": _summary_results,
    "DecResult": _declaration_results,
}
# Receipts of a parcel's order, payment and waybill: the list's own receipt (CEB604) decides.
PARCEL_DOCUMENTS = frozenset({"CEB304", "CEB404", "CEB506"})
# Customs' answers to a list's cancellation: they decide the cancellation, not a declaration's result.
CANCELLATION_ANSWERS = frozenset({"CEB606"})
