"""The E-port's DXP envelope (终端节点报文), in which every message travels to the single window.

``DxpMsg`` (namespace ``http://www.chinaport.gov.cn/dxp``, ``ver="1.0"``) carries ``TransInfo``
(the message's id, the sender's and receivers' data-exchange ids, when it was made and its type)
and the message itself, base64, in ``Data``; ``AddInfo`` may name the file. The enterprise
data-exchange client and the operators' gateways take and give messages in it.
"""

from __future__ import annotations

import base64
from datetime import datetime

from lxml import etree

DXP_NAMESPACE = "http://www.chinaport.gov.cn/dxp"
# The data-exchange id of the customs node that takes cross-border (CEB) messages.
CEB_RECEIVER = "DXPEDCCEB0000002"
_DXP = f"{{{DXP_NAMESPACE}}}"


def message_type(kind: str) -> str:
    """The envelope's MsgType of a message of a kind: its root element (CEB303 -> CEB303Message; a
    full declaration, DEC, is a DecMessage)."""
    return "DecMessage" if kind == "DEC" else f"{kind}Message"


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
