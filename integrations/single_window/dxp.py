"""The E-port's DXP envelope (终端节点报文), in which every message travels to the single window.

``DxpMsg`` (namespace ``http://www.chinaport.gov.cn/dxp``, ``ver="1.0"``) carries ``TransInfo``
(the message's id, the sender's and receivers' data-exchange ids, when it was made and its type)
and the message itself, base64, in ``Data``; ``AddInfo`` may name the file. The enterprise
data-exchange client and the operators' gateways take and give messages in it.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

DXP_NAMESPACE = "http://www.chinaport.gov.cn/dxp"
# The data-exchange id of the customs node that takes cross-border (CEB) messages.
CEB_RECEIVER = "DXPEDCCEB0000002"
_DXP = f"{{{DXP_NAMESPACE}}}"


class MalformedEnvelope(ValueError):
    """Not a DXP envelope, or one without what every envelope carries."""


@dataclass(frozen=True, slots=True)
class Envelope:
    message_id: str
    sender_id: str
    receiver_ids: tuple[str, ...]
    created: str
    message_type: str
    body: bytes
    file_name: str | None = None


def wrap(
    body: str | bytes,
    *,
    message_type: str,
    message_id: str,
    sender_id: str,
    receiver_id: str = CEB_RECEIVER,
    created: datetime,
) -> bytes:
    """A message in its envelope: ``message_type`` is the message's root element (``CEB303Message``)."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    root = etree.Element(f"{_DXP}DxpMsg", nsmap={"dxp": DXP_NAMESPACE}, attrib={"ver": "1.0"})
    info = etree.SubElement(root, f"{_DXP}TransInfo")
    etree.SubElement(info, f"{_DXP}CopMsgId").text = message_id
    etree.SubElement(info, f"{_DXP}SenderId").text = sender_id
    receivers = etree.SubElement(info, f"{_DXP}ReceiverIds")
    etree.SubElement(receivers, f"{_DXP}ReceiverId").text = receiver_id
    etree.SubElement(info, f"{_DXP}CreatTime").text = created.isoformat(timespec="seconds")
    etree.SubElement(info, f"{_DXP}MsgType").text = message_type
    etree.SubElement(root, f"{_DXP}Data").text = base64.b64encode(data).decode("ascii")
    extra = etree.SubElement(root, f"{_DXP}AddInfo")
    etree.SubElement(extra, f"{_DXP}FileName").text = f"{message_type}_{message_id}.xml"
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def unwrap(envelope: bytes) -> Envelope:
    """The envelope's transfer facts and the message it carries."""
    try:
        root = etree.fromstring(envelope)
    except etree.XMLSyntaxError as error:
        raise MalformedEnvelope(f"not well-formed XML: {error}") from None
    if root.tag != f"{_DXP}DxpMsg":
        raise MalformedEnvelope(f"not a DXP envelope: {root.tag}")
    info = root.find(f"{_DXP}TransInfo")
    facts = {name: (info.findtext(f"{_DXP}{name}") if info is not None else None) for name in _REQUIRED}
    missing = [name for name, value in facts.items() if not value]
    if missing:
        raise MalformedEnvelope("TransInfo lacks " + ", ".join(missing))
    try:
        body = base64.b64decode(root.findtext(f"{_DXP}Data") or "", validate=True)
    except ValueError:
        raise MalformedEnvelope("Data is not base64") from None
    if not body:
        raise MalformedEnvelope("Data is empty")
    return Envelope(
        message_id=facts["CopMsgId"],
        sender_id=facts["SenderId"],
        receiver_ids=tuple(element.text or "" for element in info.iterfind(f"{_DXP}ReceiverIds/{_DXP}ReceiverId")),
        created=facts["CreatTime"],
        message_type=facts["MsgType"],
        body=body,
        file_name=root.findtext(f"{_DXP}AddInfo/{_DXP}FileName"),
    )


_REQUIRED = ("CopMsgId", "SenderId", "CreatTime", "MsgType")
