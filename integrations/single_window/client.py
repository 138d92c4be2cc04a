"""The single-window gateway over HTTP: messages are put with the platform's key, receipts are read by cursor.

Messages go as ``application/xml`` to ``POST /ceb/messages`` (the guid in ``X-Message-Guid``);
receipts come from ``GET /ceb/receipts?after=&limit=`` as the CEB return fields. Network
trouble, 429 and 5xx are retryable; a refused key or a malformed message is not.
"""

from __future__ import annotations

from datetime import datetime

import httpx

from integrations.base import CounterpartClient, TerminalError, json_of, send
from integrations.customs import GatewayReceipt, ReceiptPage

COUNTERPART = "single window"


class SingleWindowClient(CounterpartClient):
    def __init__(self, base_url: str, *, key: str, transport: httpx.BaseTransport | None = None, **options):
        super().__init__(base_url, transport=transport, **options)
        self.key = key

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def submit(self, *, kind: str, guid: str, body: str) -> None:
        request = self.http.build_request(
            "POST",
            "/ceb/messages",
            content=body.encode("utf-8"),
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
