"""The single-window gateway as a small Flask app: a customs office behind the same HTTP dialect the client speaks.

It refuses a wrong key (401), answers 429 with Retry-After over its rate limit, fails or
slows down on request, and answers receipts late and sometimes twice, as the real one does.
"""

from __future__ import annotations

import base64
import hmac

from flask import Flask, jsonify, request
from lxml import etree

from integrations.simulation import Admission, Faults, TokenBucket, Traffic
from integrations.single_window.office import CEB_NAMESPACE, CustomsOffice, MalformedMessage, Timing

SIMULATOR_KEY = "single-window-demo-key"


_DXP = "{http://www.chinaport.gov.cn/dxp}"
_CEB = f"{{{CEB_NAMESPACE}}}"


def open_envelope(data: bytes) -> bytes:
    """The message inside a DXP envelope, after the checks the data-exchange node makes: a DxpMsg with
    its transfer facts, base64 data, a message type naming the message, and as sender the data-exchange
    id the message's BaseTransfer gives."""
    try:
        envelope = etree.fromstring(data)
    except etree.XMLSyntaxError as error:
        raise MalformedMessage(f"not well-formed XML: {error}") from None
    if envelope.tag != f"{_DXP}DxpMsg" or envelope.get("ver") != "1.0":
        raise MalformedMessage("not a DXP envelope (DxpMsg ver 1.0)")
    info = envelope.find(f"{_DXP}TransInfo")
    facts = {
        name: (info.findtext(f"{_DXP}{name}") or "").strip() if info is not None else ""
        for name in ("CopMsgId", "SenderId", "CreatTime", "MsgType")
    }
    receivers = [] if info is None else info.findall(f"{_DXP}ReceiverIds/{_DXP}ReceiverId")
    if not all(facts.values()) or not receivers:
        raise MalformedMessage("the envelope's TransInfo is incomplete")
    try:
        message = base64.b64decode("".join((envelope.findtext(f"{_DXP}Data") or "").split()), validate=True)
        root = etree.fromstring(message)
    except (ValueError, etree.XMLSyntaxError):
        raise MalformedMessage("the envelope's Data is not a base64 XML message") from None
    if etree.QName(root).localname != facts["MsgType"]:
        raise MalformedMessage(f"MsgType {facts['MsgType']} does not name the {etree.QName(root).localname} it carries")
    sender = root.findtext(f"{_CEB}BaseTransfer/{_CEB}dxpId")
    if sender is not None and sender != facts["SenderId"]:
        raise MalformedMessage(f"SenderId {facts['SenderId']} is not the message's dxpId {sender}")
    return message


class SingleWindowSimulator(Admission):
    def __init__(
        self,
        *,
        key: str = SIMULATOR_KEY,
        timing: Timing | None = None,
        rate_limit: float | None = None,
        faults: Faults | None = None,
        schema=None,
        trusted_certificates=None,
    ):
        self.key = key
        self.office = CustomsOffice(timing, schema=schema, trusted_certificates=trusted_certificates)
        self.bucket = TokenBucket(rate_limit) if rate_limit else None
        self.faults = faults or Faults()
        self.traffic = Traffic()
        self.app = self._build_app()

    def _refusal(self):
        """The answer that stops a request before it is served (key, rate, faults), or None."""
        given = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if not hmac.compare_digest(given, self.key):
            return jsonify(code="401", message="invalid key"), 401
        wait = self.admit()
        if wait is not None:
            return jsonify(code="429", message="too many requests"), 429, {"Retry-After": f"{max(wait, 0.05):.2f}"}
        if self.should_fail():
            return jsonify(code="503", message="gateway busy"), 503
        return None

    def _build_app(self) -> Flask:
        app = Flask("single_window_simulator")

        @app.post("/ceb/messages")
        def put_message():
            refused = self._refusal()
            if refused is not None:
                return refused
            try:
                guid = self.office.receive(open_envelope(request.get_data()))
            except MalformedMessage as error:
                return jsonify(code="400", message=str(error)), 400
            return jsonify(code="0", guid=guid)

        @app.get("/ceb/receipts")
        def get_receipts():
            refused = self._refusal()
            if refused is not None:
                return refused
            limit = min(max(request.args.get("limit", 100, type=int), 1), 500)
            page = self.office.receipts(after=request.args.get("after"), limit=limit)
            receipts = [
                {
                    "receiptId": receipt.receipt_id,
                    "messageType": receipt.message_type,
                    "copNo": receipt.cop_no,
                    "status": receipt.status,
                    "returnStatus": receipt.return_status,
                    "entryId": receipt.entry_id or "",
                    "returnInfo": receipt.info,
                    "returnTime": receipt.at.isoformat(),
                }
                for receipt in page.receipts
            ]
            return jsonify(code="0", receipts=receipts, next=page.cursor)

        @app.get("/_simulator/stats")
        def stats():
            return jsonify(received=dict(self.office.received), **self.traffic.snapshot())

        return app
