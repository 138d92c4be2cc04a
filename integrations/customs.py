"""What the domain asks of a customs gateway, in its own words: send a message, collect the results."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class GatewayReceipt:
    """One customs result: which of our documents it answers, what became of it, and customs' numbers.

    A result names our document by ``cop_no`` (a list's or a summary application's copNo, a full
    declaration's SeqNo, or for a parcel's order, payment or waybill its order or waybill number);
    a summary result (CEB792) names only the summary application's number, ``summary_no``, which
    the summary's first receipt (CEB702) gave.
    """

    receipt_id: str
    message_type: str
    cop_no: str
    # accepted, rejected or cleared (a cancellation's answer: cancelled or refused); None while the
    # E-port is still handling it
    status: str | None
    return_status: str
    entry_id: str | None
    info: str
    at: datetime
    summary_no: str | None = None


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A message to hand to customs: its kind (CEB303 ... or DEC), its guid and the signed XML."""

    kind: str
    guid: str
    body: str


@dataclass(frozen=True, slots=True)
class ReceiptPage:
    """Results read in one go, and what the gateway should forget once they are recorded."""

    receipts: list[GatewayReceipt]
    more: bool = False
    sources: tuple[str, ...] = field(default=())


class CustomsGateway(Protocol):
    def submit(self, messages: Sequence[OutgoingMessage]) -> None:
        """Hand messages to customs in their order, each exactly once: handing a guid again does nothing."""

    def receipts(self, *, limit: int = 100) -> ReceiptPage:
        """Results that arrived and are not confirmed yet, oldest first."""

    def confirm(self, page: ReceiptPage) -> None:
        """The page's results are recorded: the gateway need not give them again."""

    def forget_handed(self) -> int:
        """Drop what the gateway keeps of messages handed over long ago; returns how many."""
