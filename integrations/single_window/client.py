"""The single-window gateway over HTTP: messages are put with the platform's key, receipts are read by cursor.

Messages go in their DXP envelope (``dxp.wrap``: the platform's data-exchange id as sender) as
``application/xml`` to ``POST /ceb/messages`` (the guid in ``X-Message-Guid``);
receipts come from ``GET /ceb/receipts?after=&limit=`` as the CEB return fields. Network
trouble, 429 and 5xx are retryable; a refused key or a malformed message is not.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx

from integrations.base import CounterpartClient, TerminalError, json_of, send
from integrations.customs import GatewayReceipt, ReceiptPage
from integrations.single_window import dxp

COUNTERPART = "single window"
CHINA = ZoneInfo("Asia/Shanghai")


def _now() -> datetime:
    """The envelope's making time, in China time as the E-port writes it."""
    return datetime.now(CHINA).replace(microsecond=0)


class SingleWindowClient(CounterpartClient):
    def __init__(
        self,
        base_url: str,
        *,
        key: str,
        sender_id: str,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], datetime] = _now,
        **options,
    ):
        super().__init__(base_url, transport=transport, **options)
        self.key = key
        self.sender_id = sender_id
        self.clock = clock

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def submit(self, *, kind: str, guid: str, body: str) -> None:
        envelope = dxp.wrap(
            body, message_type=dxp.message_type(kind), message_id=guid, sender_id=self.sender_id, created=self.clock()
        )
        request = self.http.build_request(
            "POST",
            "/ceb/messages",
            content=envelope,
            headers={
                **self._headers(),
                "Content-Type": "application/xml",
                "X-Message-Guid": guid,
                "X-Message-Type": kind,
            },
        )
        response = send(self.http, request, gate=self.gate, counterpart=COUNTERPART)
        answer = json_of(response, counterpart=COUNTERPART)
        if response.status_code != 200 or answer.get("code") != "0":
            raise TerminalError(f"{COUNTERPART}: {response.status_code} {answer.get('code')} {answer.get('message')}")

    def receipts(self, *, after: str | None, limit: int = 100) -> ReceiptPage:
        params = {"limit": str(limit)}
        if after:
            params["after"] = after
        request = self.http.build_request("GET", "/ceb/receipts", params=params, headers=self._headers())
        response = send(self.http, request, gate=self.gate, counterpart=COUNTERPART)
        answer = json_of(response, counterpart=COUNTERPART)
        if response.status_code != 200 or answer.get("code") != "0":
            raise TerminalError(f"{COUNTERPART}: {response.status_code} {answer.get('code')} {answer.get('message')}")
        try:
            receipts = [
                GatewayReceipt(
                    receipt_id=item["receiptId"],
                    message_type=item["messageType"],
                    cop_no=item["copNo"],
                    status=item["status"],
                    return_status=item["returnStatus"],
                    entry_id=item.get("entryId") or None,
                    info=item.get("returnInfo") or "",
                    at=datetime.fromisoformat(item["returnTime"]),
                )
                for item in answer["receipts"]
            ]
        except (KeyError, TypeError, ValueError) as error:
            raise TerminalError(f"{COUNTERPART}: unreadable receipts ({error})") from error
        return ReceiptPage(receipts=receipts, cursor=answer.get("next"))
