"""Reading a shop's orders and their refunds and returns through the Admin GraphQL API: a part of
``ShopifyClient``, over its paced ``graphql`` call."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from integrations.base import TerminalError
from integrations.marketplace import (
    AfterSalesPage,
    OrdersPage,
    RemoteAfterSale,
    RemoteOrder,
    RemoteOrderLine,
    RemoteOrderStatus,
)
from integrations.shopify.after_sales import after_sales_of
from integrations.shopify.queries import (
    ORDER_AFTER_SALES,
    ORDER_LINES,
    ORDER_QUERY,
    ORDERS,
    ORDERS_AFTER_SALES,
    ORDERS_AFTER_SALES_FIRST,
    ORDERS_FIRST,
    REQUESTED_COST,
)


def order_status_of(order: Mapping[str, Any]) -> RemoteOrderStatus:
    if order.get("cancelledAt"):
        return RemoteOrderStatus.CANCELLED
    if order.get("displayFulfillmentStatus") == "FULFILLED":
        return RemoteOrderStatus.SHIPPED
    if order.get("displayFinancialStatus") in ("PAID", "PARTIALLY_REFUNDED"):
        return RemoteOrderStatus.PAID
    return RemoteOrderStatus.UNPAID


class OrderReading:
    """Part of ``ShopifyClient``: orders, their line items a page at a time, refunds and returns."""

    graphql: Callable[..., dict[str, Any]]

    def fetch_orders(self, *, updated_since: datetime, cursor: str | None) -> OrdersPage:
        connection = self.graphql(
            ORDERS,
            {"first": ORDERS_FIRST, "after": cursor, "query": f"updated_at:>='{updated_since.isoformat()}'"},
            cost=REQUESTED_COST["orders"],
        )["orders"]
        info = connection["pageInfo"]
        return OrdersPage(
            tuple(self._order(node) for node in connection["nodes"]),
            info["endCursor"] if info["hasNextPage"] else None,
        )

    def fetch_order(self, external_id: str) -> RemoteOrder:
        order = self.graphql(
            ORDER_QUERY, {"id": f"gid://shopify/Order/{external_id}"}, cost=REQUESTED_COST["order"]
        ).get("order")
        if order is None:
            raise TerminalError(f"shopify: no order {external_id}")
        return self._order(order)

    def fetch_after_sales(self, order_external_id: str) -> list[RemoteAfterSale]:
        order = self.graphql(
            ORDER_AFTER_SALES,
            {"id": f"gid://shopify/Order/{order_external_id}"},
            cost=REQUESTED_COST["orderAfterSales"],
        ).get("order")
        if order is None:
            raise TerminalError(f"shopify: no order {order_external_id}")
        return after_sales_of(order)

    def fetch_changed_after_sales(self, *, updated_since: datetime, cursor: str | None) -> AfterSalesPage:
        """The refunds and returns of orders changed since a moment (a refund or a return dates its
        order anew)."""
        connection = self.graphql(
            ORDERS_AFTER_SALES,
            {
                "first": ORDERS_AFTER_SALES_FIRST,
                "after": cursor,
                "query": f"updated_at:>='{updated_since.isoformat()}'",
            },
            cost=REQUESTED_COST["ordersAfterSales"],
        )["orders"]
        info = connection["pageInfo"]
        return AfterSalesPage(
            tuple(after_sale for node in connection["nodes"] for after_sale in after_sales_of(node)),
            info["endCursor"] if info["hasNextPage"] else None,
        )

    def _line_items(self, node: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        """An order's line items: those read with it, and the rest a page at a time."""
        connection = node["lineItems"]
        items = list(connection["nodes"])
        while connection["pageInfo"]["hasNextPage"]:
            connection = self.graphql(
                ORDER_LINES,
                {"id": node["id"], "after": connection["pageInfo"]["endCursor"]},
                cost=REQUESTED_COST["orderLines"],
            )["order"]["lineItems"]
            items += connection["nodes"]
        return items

    def _order(self, node: Mapping[str, Any]) -> RemoteOrder:
        lines = []
        currency = node["currencyCode"]
        for item in self._line_items(node):
            money = item["originalUnitPriceSet"]["shopMoney"]
            lines.append(RemoteOrderLine(item["sku"] or "", int(item["quantity"]), Decimal(money["amount"])))
        return RemoteOrder(
            external_id=str(node["legacyResourceId"]),
            status=order_status_of(node),
            currency=currency,
            buyer_name=(node.get("customer") or {}).get("displayName") or "Shopify buyer",
            buyer_country=(node.get("shippingAddress") or {}).get("countryCodeV2"),
            lines=tuple(lines),
            updated_at=datetime.fromisoformat(node["updatedAt"].replace("Z", "+00:00")),
        )
