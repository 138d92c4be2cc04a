"""Reading a Douyin shop's settlement bills (结算账单, ``order.getSettleBillDetailV3``): a part of
``DouyinClient``, over its signed ``call``.

Douyin settles each SKU order into the shop's balance on its own; there is no payout document to
read. A day's bills (Beijing time) are read as one payout, ``settle:<day>``, worth the day's
``settle_amount`` (商家实收). A bill of ``trade_type`` 0 settles a sale, 1 and 3 take a refund after
settlement back, 2 returns a deposit; ``total_income`` is what it earned and ``total_outcome``
what Douyin and the shop's partners took (服务费, 佣金, 分成). Bills are read a week at a time, as
the platform asks, paged by ``start_index``; amounts are fen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

from integrations.marketplace import (
    PayoutsPage,
    RemotePayout,
    RemoteTransaction,
    TransactionKind,
    TransactionsPage,
)

BEIJING = timezone(timedelta(hours=8))
BILLS_PAGE = 100
WINDOW_DAYS = 7
PAYOUT_PREFIX = "settle:"
TRADE_KINDS = {0: TransactionKind.SALE, 1: TransactionKind.REFUND, 3: TransactionKind.REFUND}
FEN = Decimal(100)


def _text(moment: datetime) -> str:
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def _settled_at(bill: Mapping[str, Any]) -> datetime:
    return datetime.strptime(bill["settle_time"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, BEIJING)


class SettlementReading:
    """Part of ``DouyinClient``: settlement bills read as a payout a day."""

    call: Callable[[str, Mapping[str, Any]], dict[str, Any]]
    clock: Callable[[], float]

    def _bills(self, start: datetime, end: datetime) -> Iterator[Mapping[str, Any]]:
        params: dict[str, Any] = {"start_time": _text(start), "end_time": _text(end), "size": BILLS_PAGE}
        while True:
            data = self.call("order.getSettleBillDetailV3", params)
            yield from data.get("data") or []
            if int(data.get("is_end", 1)) == 1 or not data.get("next_start_index"):
                return
            params = {**params, "start_index": data["next_start_index"]}
            if data.get("next_start_time"):
                params["start_time"] = data["next_start_time"]

    def fetch_payouts(self, *, issued_since: datetime, cursor: str | None) -> PayoutsPage:
        """A week of days (whole days, Beijing time) a page: each day with bills is a payout."""
        first = date.fromisoformat(cursor) if cursor else issued_since.astimezone(BEIJING).date()
        today = datetime.fromtimestamp(self.clock(), BEIJING).date()
        last = min(first + timedelta(days=WINDOW_DAYS - 1), today)
        days: dict[date, Decimal] = {}
        for bill in self._bills(_day_start(first), _day_start(last + timedelta(days=1)) - timedelta(seconds=1)):
            day = _settled_at(bill).date()
            days[day] = days.get(day, Decimal(0)) + Decimal(int(bill.get("settle_amount") or 0)) / FEN
        payouts = tuple(
            RemotePayout(
                external_id=f"{PAYOUT_PREFIX}{day.isoformat()}",
                status="SETTLED",
                paid=True,
                issued_at=_day_start(day).astimezone(UTC),
                currency="CNY",
                net=days[day],
            )
            for day in sorted(days)
        )
        return PayoutsPage(payouts, (last + timedelta(days=1)).isoformat() if last < today else None)

    def fetch_payout_transactions(self, payout_external_id: str, *, cursor: str | None) -> TransactionsPage:  # noqa: ARG002 (a day's bills are read whole)
        day = date.fromisoformat(payout_external_id.removeprefix(PAYOUT_PREFIX))
        bills = self._bills(_day_start(day), _day_start(day + timedelta(days=1)) - timedelta(seconds=1))
        return TransactionsPage(tuple(self._transaction(bill) for bill in bills), None)

    @staticmethod
    def _transaction(bill: Mapping[str, Any]) -> RemoteTransaction:
        trade = int(bill.get("trade_type") or 0)
        net = Decimal(int(bill.get("settle_amount") or 0)) / FEN
        fee = -Decimal(int(bill.get("total_outcome") or 0)) / FEN
        settled = _settled_at(bill)
        return RemoteTransaction(
            external_id=f"{bill.get('request_no')}:{bill.get('order_id')}:{trade}"[:64],
            kind=TRADE_KINDS.get(trade, TransactionKind.ADJUSTMENT),
            order_external_id=str(bill["shop_order_id"]) if bill.get("shop_order_id") else None,
            amount=net - fee,
            fee=fee,
            net=net,
            occurred_at=settled.astimezone(UTC),
        )
