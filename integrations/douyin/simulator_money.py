"""The Douyin simulator's after-sales and settlement as the open platform shows them: the
after-sale list (``afterSale.List``: types, standard statuses, amounts in fen per SKU order) and
the settlement bills (``order.getSettleBillDetailV3``: one a SKU order settled or taken back, at the
moment of the payout that carried it). A part of ``DouyinSimulator``, over its ``store``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from integrations.market_store import MarketStore, StoredAfterSale
from integrations.marketplace import RemoteAfterSaleKind, RemoteAfterSaleStatus, RemoteOrderStatus

BEIJING = timezone(timedelta(hours=8))
# An after-sale's standard status, and the message that tells each step (returns and refunds apart).
AFTER_SALE_STATUS = {
    RemoteAfterSaleStatus.REQUESTED: 6,
    RemoteAfterSaleStatus.APPROVED: 7,
    RemoteAfterSaleStatus.RETURNED: 11,
    RemoteAfterSaleStatus.REFUNDED: 12,
    RemoteAfterSaleStatus.REFUSED: 27,
}
AFTER_SALE_TAG = {
    RemoteAfterSaleStatus.REQUESTED: "200",
    RemoteAfterSaleStatus.APPROVED: "202",
    RemoteAfterSaleStatus.RETURNED: "203",
    RemoteAfterSaleStatus.REFUNDED: "206",
    RemoteAfterSaleStatus.REFUSED: "204",
}
AFTER_SALE_PAGE_MAX = 100
SETTLE_BILLS_MAX = 100


class MoneyShapes:
    """Part of ``DouyinSimulator``: its after-sale list and settlement bills."""

    store: MarketStore

    def _after_sale(self, item: StoredAfterSale) -> dict:
        order = self.store.order(item.order_id)
        if item.kind == RemoteAfterSaleKind.RETURN_AND_REFUND:
            kind = 0
        else:
            shipped = order.status in (RemoteOrderStatus.SHIPPED, RemoteOrderStatus.COMPLETED)
            kind = 1 if shipped or item.kind == RemoteAfterSaleKind.PARTIAL_REFUND else 2
        status = AFTER_SALE_STATUS[item.status]
        refund_status = 3 if item.status == RemoteAfterSaleStatus.REFUNDED else 1
        if item.status == RemoteAfterSaleStatus.APPROVED and kind != 0:
            # A refund agreed is paid at once: the after-sale has succeeded, its money on the way.
            status, refund_status = 12, 2
        total = sum(int(amount * 100) for _sku, _quantity, amount in item.lines)
        return {
            "aftersale_info": {
                "aftersale_id": item.id,
                "aftersale_type": kind,
                "aftersale_status": status,
                "related_id": item.order_id,
                "apply_time": int(item.created_at.timestamp()),
                "update_time": int(item.updated_at.timestamp()),
                "refund_amount": total,
                "refund_post_amount": 0,
                "aftersale_num": sum(quantity for _sku, quantity, _amount in item.lines),
                "refund_status": refund_status,
            },
            "order_info": {
                "shop_order_id": item.order_id,
                "related_order_info": [
                    {
                        "sku_order_id": f"{item.order_id}{index}",
                        "shop_sku_code": seller_sku,
                        "aftersale_item_num": quantity,
                        "aftersale_pay_amount": int(amount * 100),
                    }
                    for index, (seller_sku, quantity, amount) in enumerate(item.lines, 1)
                ],
            },
            "text_part": {"reason_text": item.reason},
        }

    def _after_sale_list(self, params: dict) -> dict:
        size = int(params.get("size", 10))
        if not 1 <= size <= AFTER_SALE_PAGE_MAX:
            raise ValueError("size is at most 100")
        if params.get("order_id"):
            found = self.store.after_sales_of(str(params["order_id"]))
        else:
            found = self.store.after_sales_since(datetime.fromtimestamp(int(params.get("update_start_time", 0)), UTC))
        page = int(params.get("page", 0))
        return {
            "items": [self._after_sale(item) for item in found[page * size : (page + 1) * size]],
            "has_more": (page + 1) * size < len(found),
            "total": len(found),
            "page": page,
            "size": size,
        }

    def _settle_bills(self, params: dict) -> dict:
        """The bills settled between two moments (Beijing time), each SKU order's a bill; paged by
        ``start_index``, at most 100 a page."""
        size = int(params.get("size", 10))
        if not 1 <= size <= SETTLE_BILLS_MAX:
            raise ValueError("size is from 1 to 100")
        start = datetime.strptime(params["start_time"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
        end = datetime.strptime(params["end_time"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
        bills = [
            self._bill(payout, line)
            for payout in self.store.payouts_since(start)
            if payout.issued_at <= end
            for line in payout.transactions
        ]
        index = int(params.get("start_index") or 0)
        page = bills[index : index + size]
        done = index + size >= len(bills)
        return {
            "code": "100000",
            "code_msg": "success",
            "data": page,
            "size": size,
            "data_size": len(page),
            "is_end": 1 if done else 0,
            "next_start_index": "" if done else str(index + size),
            "next_start_time": params["start_time"],
        }

    @staticmethod
    def _bill(payout, line) -> dict:
        trade = {"sale": 0, "refund": 1}.get(line.kind, 2)
        outcome = int(-line.fee * 100)
        return {
            "settle_time": payout.issued_at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
            "request_no": f"S{payout.id}",
            "shop_order_id": line.order_id or "",
            "order_id": f"{line.order_id or line.id}1",
            "settle_amount": int(line.net * 100),
            "trade_type": trade,
            "total_income": int(line.amount * 100),
            "platform_service_fee": outcome,
            "total_outcome": outcome,
        }
