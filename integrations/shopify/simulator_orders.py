"""The simulated shop's orders as the Admin GraphQL API reads them: ``orders`` by update time and
``order`` by id, their line items paged as the query's selection asks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from graphql import FieldNode, value_from_ast_untyped

from integrations.market_store import MarketStore, StoreRefusal
from integrations.marketplace import RemoteOrderStatus
from integrations.shopify.simulator_ids import local_id


class OrderFields:
    """Part of ``ShopifySimulator``: the root fields of orders, over its ``store``."""

    store: MarketStore
    _selection: FieldNode

    def _line_window(self, variables: dict) -> tuple[int, int]:
        """The ``first`` and ``after`` of the lineItems the current root field selects (Shopify
        requires ``first`` or ``last`` on a connection)."""
        found = None
        stack = [self._selection]
        while stack and found is None:
            node = stack.pop()
            for child in node.selection_set.selections if node.selection_set else []:
                if isinstance(child, FieldNode) and child.name.value == "lineItems":
                    found = child
                    break
                if isinstance(child, FieldNode):
                    stack.append(child)
        arguments = {
            argument.name.value: value_from_ast_untyped(argument.value, variables)
            for argument in (found.arguments if found is not None else [])
        }
        if "first" not in arguments:
            raise StoreRefusal("invalid", "you must provide one of first or last on lineItems")
        return int(arguments["first"]), int(arguments.get("after") or 0)

    def _lines(self, order, variables: dict) -> dict[str, Any]:
        first, start = self._line_window(variables)
        page = order.lines[start : start + first]
        more = start + first < len(order.lines)
        return {
            "nodes": [
                {
                    "sku": sku,
                    "quantity": quantity,
                    "originalUnitPriceSet": {
                        "shopMoney": {"amount": str(price), "currencyCode": order.currency or "USD"}
                    },
                }
                for sku, quantity, price in page
            ],
            "pageInfo": {"hasNextPage": more, "endCursor": str(start + first) if more else None},
        }

    def _order(self, order, variables: dict) -> dict[str, Any]:
        return {
            "id": f"gid://shopify/Order/{order.id}",
            "legacyResourceId": order.id,
            "name": f"#{order.id}",
            "displayFinancialStatus": "PENDING" if order.status == RemoteOrderStatus.UNPAID else "PAID",
            "displayFulfillmentStatus": "FULFILLED"
            if order.status in (RemoteOrderStatus.SHIPPED, RemoteOrderStatus.COMPLETED)
            else "UNFULFILLED",
            "cancelledAt": order.updated_at.isoformat() if order.status == RemoteOrderStatus.CANCELLED else None,
            "updatedAt": order.updated_at.isoformat(),
            "currencyCode": order.currency or "USD",
            "customer": {"displayName": order.buyer_name},
            "shippingAddress": {"countryCodeV2": order.buyer_country},
            "lineItems": self._lines(order, variables),
        }

    def _field_orders(self, variables: dict) -> dict:
        query = variables.get("query") or ""
        since = datetime.min.replace(tzinfo=UTC)
        if query.startswith("updated_at:>="):
            since = datetime.fromisoformat(query.removeprefix("updated_at:>=").strip("'\""))
        orders = self.store.orders_since(since)
        start = int(variables.get("after") or 0)
        first = int(variables.get("first") or 50)
        page = orders[start : start + first]
        more = start + first < len(orders)
        return {
            "nodes": [self._order(order, variables) for order in page],
            "pageInfo": {"hasNextPage": more, "endCursor": str(start + first) if more else None},
        }

    def _field_order(self, variables: dict) -> dict | None:
        return self._order(self.store.order(local_id(variables["id"], "Order")), variables)
