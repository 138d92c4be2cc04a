"""What the domain asks of a customs gateway, in its own words: send a message, collect the results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class GatewayReceipt:
    """One customs result: which of our documents (``cop_no``), what became of it, and customs' number for it."""

    receipt_id: str
    message_type: str
    cop_no: str
    status: str  # accepted, rejected or cleared
    return_status: str
    entry_id: str | None
    info: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ReceiptPage:
    receipts: list[GatewayReceipt]
    cursor: str | None


class CustomsGateway(Protocol):
    def submit(self, *, kind: str, guid: str, body: str) -> None:
        """Hand a message to customs; sending the same guid again is harmless."""

    def receipts(self, *, after: str | None, limit: int = 100) -> ReceiptPage:
        """The results that arrived after a cursor, oldest first, and the cursor to carry on from."""
