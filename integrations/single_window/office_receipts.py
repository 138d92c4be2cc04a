"""The receipts the customs office writes: CEB receipt messages of up to 100 returns each, and a
full declaration's ``DecResult``, their elements in the order of customs' schema (export.xsd)."""

from __future__ import annotations

from lxml import etree

from integrations.single_window.office import (
    ACCEPTED,
    CEB_NAMESPACE,
    CLEARED,
    DEC_NAMESPACE,
    REJECTED,
    Return,
    new_guid,
)
from integrations.single_window.office_rules import words

# What each receipt message holds, in the order of customs' schema (export.xsd).
_RETURNS = {
    "CEB304": ("OrderReturn", words("guid ebpCode ebcCode orderNo returnStatus returnTime returnInfo")),
    "CEB404": ("ReceiptsReturn", words("guid ebcCode orderNo payNo returnStatus returnTime returnInfo")),
    "CEB506": ("LogisticsReturn", words("guid logisticsCode logisticsNo returnStatus returnTime returnInfo")),
    "CEB604": (
        "InventoryReturn",
        words(
            "guid agentCode copNo preNo invtNo ebcCode ebpCode orderNo statisticsFlag returnStatus returnTime "
            "returnInfo"
        ),
    ),
    "CEB606": ("InvtCancelReturn", words("guid agentCode copNo preNo invtNo returnStatus returnTime returnInfo")),
    "CEB702": (
        "SummaryReturn",
        words("guid agentCode ebcCode copNo preNo sumNo msgSeqNo returnStatus returnTime returnInfo"),
    ),
}
_SUMMARY_RESULT_HEAD = words(
    "guid customsCode sumNo opDate declSeqNo entryId decState agentCode agentName ebcCode ebcName declAgentCode "
    "declAgentName grossWeight netWeight msgCount msgSeqNo note"
)
# A full declaration's channel: L entered, P released, E sent back.
_DEC_CHANNEL = {ACCEPTED: "L", CLEARED: "P", REJECTED: "E"}


def receipt_message(kind: str, answers: list[Return]) -> bytes:
    """One receipt message of a kind holding up to 100 returns (a full declaration's: one)."""
    if kind == "DEC":
        (answer,) = answers
        values = answer.values
        root = etree.Element(f"{{{DEC_NAMESPACE}}}DecResult", nsmap={None: DEC_NAMESPACE})
        fields = {
            "ResultId": values["guid"],
            "SeqNo": values["SeqNo"],
            "EntryId": values["EntryId"] if values["status"] != REJECTED else "",
            "Channel": _DEC_CHANNEL[values["status"]],
            "NoticeDate": values["time"],
            "Note": values["info"],
        }
        for name, text in fields.items():
            etree.SubElement(root, f"{{{DEC_NAMESPACE}}}{name}").text = text
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    root = etree.Element(
        f"{{{CEB_NAMESPACE}}}{kind}Message", nsmap={"ceb": CEB_NAMESPACE}, attrib={"guid": new_guid(), "version": "1.0"}
    )
    for answer in answers[:100]:
        values = {**answer.values, "returnStatus": answer.values["status"], "returnInfo": answer.values["info"]}
        values["returnTime"] = values["opDate"] = values["time"]
        values["note"] = values["info"]
        if kind == "CEB792":
            result = etree.SubElement(root, f"{{{CEB_NAMESPACE}}}SummaryResult")
            _put(etree.SubElement(result, f"{{{CEB_NAMESPACE}}}SummaryResultHead"), _SUMMARY_RESULT_HEAD, values)
            continue
        element, names = _RETURNS[kind]
        _put(etree.SubElement(root, f"{{{CEB_NAMESPACE}}}{element}"), names, values)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


_OPTIONAL_RETURN_FIELDS = {"payNo", "sumNo", "entryId", "note"}


def _put(parent: etree._Element, names: tuple[str, ...], values: dict[str, str]) -> None:
    for name in names:
        text = values.get(name, "")
        if not text and name in _OPTIONAL_RETURN_FIELDS:
            continue
        etree.SubElement(parent, f"{{{CEB_NAMESPACE}}}{name}").text = text
