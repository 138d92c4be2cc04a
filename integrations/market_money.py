"""The money side of the marketplace behind the fakes and simulators: buyers' refunds and returns,
and what the marketplace pays the seller out. A part of ``MarketStore``."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from integrations.marketplace import RemoteAfterSaleKind, RemoteAfterSaleStatus, RemoteOrderStatus


class StoreRefusal(Exception):
    """The marketplace refuses a request (an answer in its own error dialect follows)."""

    def __init__(self, reason: str, message: str, **detail: Any):
        super().__init__(message)
        self.reason = reason  # not_found | stale_stock | invalid
        self.detail = detail


@dataclass
class StoredAfterSale:
    """A buyer's refund or return on an order: its lines are (seller SKU, units, amount)."""

    id: str
    order_id: str
    kind: RemoteAfterSaleKind
    status: RemoteAfterSaleStatus
    lines: list[tuple[str, int, Decimal]]
    reason: str
    created_at: datetime
    updated_at: datetime


# Where an after-sale may go from each status: the buyer's request is answered, a return comes
# back, the money goes back; a refusal or a refund ends it.
AFTER_SALE_MOVES = {
    RemoteAfterSaleStatus.REQUESTED: {RemoteAfterSaleStatus.APPROVED, RemoteAfterSaleStatus.REFUSED},
    RemoteAfterSaleStatus.APPROVED: {
        RemoteAfterSaleStatus.RETURNED,
        RemoteAfterSaleStatus.REFUNDED,
        RemoteAfterSaleStatus.REFUSED,
    },
    RemoteAfterSaleStatus.RETURNED: {RemoteAfterSaleStatus.REFUNDED},
}


@dataclass
class StoredTransaction:
    """A line of a payout: a sale, a refund, a fee or an adjustment; the fee is negative."""

    id: str
    kind: str  # sale | refund | fee | adjustment
    order_id: str | None
    amount: Decimal
    fee: Decimal
    at: datetime

    @property
    def net(self) -> Decimal:
        return self.amount + self.fee


@dataclass
class StoredPayout:
    """Money paid to the seller for the transactions since the last payout."""

    id: str
    issued_at: datetime
    currency: str
    paid: bool
    net: Decimal
    transactions: list[StoredTransaction]


class MoneyStore:
    """Part of ``MarketStore``: after-sales and payouts, over its orders, lock, ids and events."""

    lock: threading.RLock
    now: Callable[[], datetime]
    orders: dict
    after_sales: dict[str, StoredAfterSale]
    payouts: dict[str, StoredPayout]
    paid_out: set[str]
    pending_transactions: list[StoredTransaction]
    next_id: Callable[[], str]
    order: Callable[[str], Any]
    _emit: Callable[..., None]
    _touch: Callable[..., None]

    # After-sales

    def request_after_sale(
        self,
        order_id: str,
        kind: RemoteAfterSaleKind,
        lines: list[tuple[str, int, Decimal]],
        *,
        reason: str = "",
    ) -> StoredAfterSale:
        """A buyer asks for a refund or a return on some of an order's units (or, for a partial
        refund, an amount of a line's money)."""
        with self.lock:
            order = self.order(order_id)
            bought: Counter[str] = Counter()
            for sku, quantity, _price in order.lines:
                bought[sku] += quantity
            for sku, quantity, amount in lines:
                if sku not in bought or quantity > bought[sku] or amount <= 0:
                    raise StoreRefusal("invalid", f"order {order_id} cannot refund {quantity} of {sku}")
            now = self.now()
            after_sale = StoredAfterSale(
                id=self.next_id(),
                order_id=order_id,
                kind=kind,
                status=RemoteAfterSaleStatus.REQUESTED,
                lines=list(lines),
                reason=reason,
                created_at=now,
                updated_at=now,
            )
            self.after_sales[after_sale.id] = after_sale
            self._touch(order)
            self._emit("after_sale", order_id, {"after_sale_id": after_sale.id, "status": after_sale.status.value})
            return after_sale

    def move_after_sale(self, after_sale_id: str, status: RemoteAfterSaleStatus) -> StoredAfterSale:
        """The seller, the buyer or the platform moves an after-sale on (refused where it cannot go)."""
        with self.lock:
            after_sale = self.after_sales.get(after_sale_id)
            if after_sale is None:
                raise StoreRefusal("not_found", f"after-sale {after_sale_id} does not exist")
            if status not in AFTER_SALE_MOVES.get(after_sale.status, set()):
                raise StoreRefusal("invalid", f"after-sale {after_sale_id} is {after_sale.status.value}")
            if status == RemoteAfterSaleStatus.RETURNED and after_sale.kind != RemoteAfterSaleKind.RETURN_AND_REFUND:
                raise StoreRefusal("invalid", f"after-sale {after_sale_id} returns nothing")
            after_sale.status = status
            after_sale.updated_at = max(self.now(), after_sale.updated_at)
            self._touch(self.order(after_sale.order_id))
            self._emit("after_sale", after_sale.order_id, {"after_sale_id": after_sale.id, "status": status.value})
            return after_sale

    def after_sales_of(self, order_id: str) -> list[StoredAfterSale]:
        with self.lock:
            return [after_sale for after_sale in self.after_sales.values() if after_sale.order_id == order_id]

    def after_sales_since(self, since: datetime) -> list[StoredAfterSale]:
        """After-sales changed at or after a moment, oldest change first."""
        with self.lock:
            return sorted(
                (after_sale for after_sale in self.after_sales.values() if after_sale.updated_at >= since),
                key=lambda after_sale: (after_sale.updated_at, int(after_sale.id)),
            )

    # Payouts

    def add_transaction(self, kind: str, order_id: str | None, amount: Decimal, fee: Decimal = Decimal(0)) -> None:
        """A line the next payout carries besides the sales and refunds (a fee, an adjustment, or
        a refund the seller's own records may not know)."""
        with self.lock:
            self.pending_transactions.append(StoredTransaction(self.next_id(), kind, order_id, amount, fee, self.now()))

    def pay_out(
        self, *, fee_rate: Decimal = Decimal("0.05"), short_by: Decimal = Decimal(0), paid: bool = True
    ) -> StoredPayout:
        """Pay the seller for what is due: every paid order's sale less the marketplace's fee
        (``fee_rate`` of it, to the cent), less every refund paid back, not yet carried by a
        payout; ``short_by`` pays that much less than the transactions add up to."""
        with self.lock:
            now = self.now()
            lines = []
            currency = ""
            for order in sorted(self.orders.values(), key=lambda order: int(order.id)):
                if order.id in self.paid_out or order.status in (RemoteOrderStatus.UNPAID, RemoteOrderStatus.CANCELLED):
                    continue
                total = sum((quantity * price for _sku, quantity, price in order.lines), Decimal(0))
                fee = -(total * fee_rate).quantize(Decimal("0.01"))
                lines.append(StoredTransaction(self.next_id(), "sale", order.id, total, fee, now))
                self.paid_out.add(order.id)
                currency = currency or order.currency
            for item in sorted(self.after_sales.values(), key=lambda item: int(item.id)):
                key = f"after_sale:{item.id}"
                if key in self.paid_out or item.status != RemoteAfterSaleStatus.REFUNDED:
                    continue
                refunded = sum((amount for _sku, _quantity, amount in item.lines), Decimal(0))
                lines.append(StoredTransaction(self.next_id(), "refund", item.order_id, -refunded, Decimal(0), now))
                self.paid_out.add(key)
            lines += self.pending_transactions
            self.pending_transactions = []
            payout = StoredPayout(
                id=self.next_id(),
                issued_at=now,
                currency=currency or "USD",
                paid=paid,
                net=sum((line.net for line in lines), Decimal(0)) - short_by,
                transactions=lines,
            )
            self.payouts[payout.id] = payout
            return payout

    def payouts_since(self, since: datetime) -> list[StoredPayout]:
        with self.lock:
            return sorted(
                (payout for payout in self.payouts.values() if payout.issued_at >= since),
                key=lambda payout: (payout.issued_at, int(payout.id)),
            )

    def payout(self, payout_id: str) -> StoredPayout:
        with self.lock:
            payout = self.payouts.get(payout_id)
            if payout is None:
                raise StoreRefusal("not_found", f"payout {payout_id} does not exist")
            return payout
