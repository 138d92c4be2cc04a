"""Gross and net of orders, as a stream's report and the cluster's sales report both count them.

Gross is what the order lines of orders not cancelled sold (quantity x unit price); refunds are
what their after-sales have paid back; net is gross less refunds; the refund rate is refunds over
gross. The sums are SQL expressions over ``order_line`` joined to its ``sales_order``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from commerce.orders.models import OrderLine, OrderStatus, SalesOrder
from commerce.sql import exact_sum

# The orders whose lines count.
COUNTED = SalesOrder.status != OrderStatus.CANCELLED.value


def gross():
    """What the lines sold, summed."""
    return exact_sum(OrderLine.quantity * OrderLine.unit_price)


def refunds():
    """What the lines' after-sales paid back, summed."""
    return exact_sum(OrderLine.refunded_amount)


def refund_rate(refunded: Decimal, sold: Decimal) -> str:
    """Refunds over gross as a fraction with 4 decimals, rounded half up; 0 without sales."""
    if not sold:
        return "0.0000"
    return format((refunded / sold).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP), "f")
