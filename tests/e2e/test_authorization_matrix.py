"""Every endpoint of the API, called by every kind of caller, answers the expected status.

``sme_own`` works for the firm that owns the resources in play; ``sme_other`` for another
firm of the same cluster, who must not even learn that they exist (404). The ``*_far`` callers
work in another cluster (and ``host_far`` is another host): where their counterpart of the
resources' cluster succeeds on one resource, they get 404; their lists and downloads carry
nothing of the resources' cluster. A refused call changes nothing in the database.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, update

from commerce.jobs import service as jobs
from commerce.jobs.models import Job
from integrations.stand_ins import simulator_credentials
from tests.factories import PASSWORD, REAL_USCCS, Factory, photo_bytes, product_payload
from tests.import_files import csv_bytes, sku_row
from tests.isolation import rolled_back

NEAR_ROLES = ("anonymous", "admin", "brand_admin", "trade_operator", "host", "sme_own", "sme_other")
# Each caller of the other cluster, and the caller of the resources' cluster it is held against.
FAR_ROLES = {
    "brand_admin_far": "brand_admin",
    "trade_operator_far": "trade_operator",
    "host_far": "host",
    "sme_far": "sme_other",
}
ROLES = (*NEAR_ROLES, *FAR_ROLES)


@dataclass
class Case:
    method: str
    rule: str
    path: str
    expected: dict[str, int]
    body: Any = None
    form: bool = False
    # Callers of the other cluster whose answer may name the scene cluster's firms (hosts work across clusters).
    open_to: tuple[str, ...] = ()

    def __post_init__(self):
        # One resource of the scene's cluster (its id in the path): hidden from the other cluster.
        # A collection or a cluster-free call: answered to the other cluster as to this one.
        one_resource = "{" in self.path
        for far, near in FAR_ROLES.items():
            if far not in self.expected:
                status = self.expected[near]
                self.expected[far] = 404 if one_resource and status not in (401, 403) else status


def everyone(status: int, **overrides: int) -> dict[str, int]:
    return {"anonymous": 401, **dict.fromkeys(NEAR_ROLES[1:], status), **overrides}


def only(status: int, *roles: str, **overrides: int) -> dict[str, int]:
    return {"anonymous": 401, **dict.fromkeys(NEAR_ROLES[1:], 403), **dict.fromkeys(roles, status), **overrides}


# Rows any authenticated call may write: its token's last use, the sign-in and request allowances.
UNTRACKED_TABLES = {"api_token", "rate_allowance"}

T = "/api/v1/trademarks/<int:trademark_id>"
M = f"{T}/memberships/<int:membership_id>"
S = "/api/v1/streams/<int:stream_id>"

CASES = [
    Case(
        "POST",
        "/api/v1/auth/tokens",
        "/api/v1/auth/tokens",
        dict.fromkeys(ROLES, 201),
        body=lambda w: {"email": "host@example.com", "password": PASSWORD},
    ),
    Case("DELETE", "/api/v1/auth/tokens/current", "/api/v1/auth/tokens/current", everyone(204)),
    Case(
        "POST",
        "/api/v1/users",
        "/api/v1/users",
        only(201, "admin"),
        body=lambda w: {"email": "new@example.com", "password": "a long password", "role": "host"},
    ),
    Case("GET", "/api/v1/users/me", "/api/v1/users/me", everyone(200)),
    Case(
        "PUT",
        "/api/v1/users/me/password",
        "/api/v1/users/me/password",
        everyone(204),
        body=lambda w: {"current_password": PASSWORD, "new_password": "wire mesh and cashmere"},
    ),
    Case(
        "PATCH",
        "/api/v1/users/<int:user_id>",
        "/api/v1/users/{host_user_id}",
        only(200, "admin"),
        body=lambda w: {"is_active": False},
    ),
    Case(
        "POST",
        "/api/v1/clusters",
        "/api/v1/clusters",
        only(201, "admin"),
        body=lambda w: {"name": "宁晋电线电缆产业集群", "industry": "cables", "region_code": "13055"},
    ),
    Case("GET", "/api/v1/clusters", "/api/v1/clusters", everyone(200)),
    # Hosts work across clusters: they see every cluster, firm and mark (not their records).
    Case("GET", "/api/v1/clusters/<int:cluster_id>", "/api/v1/clusters/{cluster_id}", everyone(200, host_far=200)),
    Case(
        "POST",
        "/api/v1/enterprises",
        "/api/v1/enterprises",
        only(201, "admin"),
        body=lambda w: {
            "name": "New firm",
            "uscc": REAL_USCCS[3],
            "cluster_id": w.cluster_id,
            "kind": "manufacturer",
            "region_code": "13059",
        },
    ),
    Case("GET", "/api/v1/enterprises", "/api/v1/enterprises", everyone(200), open_to=("host_far",)),
    Case(
        "GET",
        "/api/v1/enterprises/<int:enterprise_id>",
        "/api/v1/enterprises/{maker_a_id}",
        everyone(200, sme_other=404, host_far=200),
        open_to=("host_far",),
    ),
    Case(
        "PATCH",
        "/api/v1/enterprises/<int:enterprise_id>",
        "/api/v1/enterprises/{maker_a_id}",
        only(200, "admin", "sme_own", sme_other=404),
        body=lambda w: {"name": "Renamed"},
    ),
    Case(
        "POST",
        "/api/v1/trademarks",
        "/api/v1/trademarks",
        only(201, "admin"),
        body=lambda w: {
            "name": "清河羊绒 2",
            "registration_no": "NEW-1",
            "owner_enterprise_id": w.association_id,
            "cluster_id": w.cluster_id,
            "nice_classes": [25],
        },
    ),
    Case("GET", "/api/v1/trademarks", "/api/v1/trademarks", everyone(200)),
    Case("GET", T, "/api/v1/trademarks/{trademark_id}", everyone(200, host_far=200)),
    Case(
        "POST",
        f"{T}/memberships",
        "/api/v1/trademarks/{trademark_id}/memberships",
        only(201, "admin", "brand_admin"),
        body=lambda w: {
            "enterprise_id": w.maker_b_id,
            "licence_no": "QH-NEW",
            "valid_from": (date.today() - timedelta(days=30)).isoformat(),
            "valid_to": (date.today() + timedelta(days=365)).isoformat(),
        },
    ),
    Case(
        "GET",
        f"{T}/memberships",
        "/api/v1/trademarks/{trademark_id}/memberships",
        only(200, "admin", "brand_admin", "sme_own", "sme_other"),
    ),
    Case(
        "GET",
        M,
        "/api/v1/trademarks/{trademark_id}/memberships/{membership_a_id}",
        only(200, "admin", "brand_admin", "sme_own", sme_other=404),
    ),
    Case(
        "PATCH",
        M,
        "/api/v1/trademarks/{trademark_id}/memberships/{membership_a_id}",
        only(200, "admin", "brand_admin"),
        body=lambda w: {"status": "suspended", "reason": "audit"},
    ),
    Case(
        "GET",
        f"{M}/lapse-effects",
        "/api/v1/trademarks/{trademark_id}/memberships/{membership_a_id}/lapse-effects",
        only(200, "admin", "brand_admin", "sme_own", sme_other=404),
    ),
    Case(
        "GET",
        f"{M}/authorization-letter",
        "/api/v1/trademarks/{trademark_id}/memberships/{membership_a_id}/authorization-letter",
        only(200, "admin", "brand_admin", "sme_own", sme_other=404),
    ),
    Case(
        "POST",
        "/api/v1/products",
        "/api/v1/products",
        only(201, "admin", "sme_own", sme_other=404),
        body=lambda w: product_payload(
            enterprise_id=w.maker_a_id, skus=[{"sku_code": "MATRIX-1", "price": {"amount": "10.00", "currency": "CNY"}}]
        ),
    ),
    # Hosts choose from every cluster's approved products.
    Case("GET", "/api/v1/products", "/api/v1/products", everyone(200), open_to=("host_far",)),
    Case(
        "GET",
        "/api/v1/products/<int:product_id>",
        "/api/v1/products/{draft_id}",
        everyone(200, host=404, sme_other=404),
    ),
    Case(
        "PATCH",
        "/api/v1/products/<int:product_id>",
        "/api/v1/products/{draft_id}",
        only(200, "admin", "sme_own", sme_other=404),
        body=lambda w: {"legal_unit": "条"},
    ),
    Case(
        "POST",
        "/api/v1/products/<int:product_id>/submit",
        "/api/v1/products/{draft_id}/submit",
        only(200, "admin", "sme_own", sme_other=404),
    ),
    Case(
        "POST",
        "/api/v1/products/<int:product_id>/approve",
        "/api/v1/products/{pending_id}/approve",
        only(200, "admin", "brand_admin"),
    ),
    Case(
        "POST",
        "/api/v1/products/<int:product_id>/reject",
        "/api/v1/products/{pending_id}/reject",
        only(200, "admin", "brand_admin"),
        body=lambda w: {"reason": "label unclear"},
    ),
    Case(
        "POST",
        "/api/v1/products/<int:product_id>/retire",
        "/api/v1/products/{draft_id}/retire",
        only(200, "admin", "sme_own", sme_other=404),
    ),
    Case(
        "GET",
        "/api/v1/products/<int:product_id>/history",
        "/api/v1/products/{draft_id}/history",
        everyone(200, host=404, sme_other=404),
    ),
    Case(
        "POST",
        "/api/v1/products/<int:product_id>/images",
        "/api/v1/products/{draft_id}/images",
        only(201, "admin", "sme_own", sme_other=404),
        form=True,
        body=lambda w: {"file": (io.BytesIO(photo_bytes(color=(1, 100, 200))), "front.jpg")},
    ),
    Case(
        "GET",
        "/api/v1/products/<int:product_id>/images",
        "/api/v1/products/{draft_id}/images",
        everyone(200, host=404, sme_other=404),
    ),
    Case(
        "PATCH",
        "/api/v1/products/<int:product_id>/images/<int:image_id>",
        "/api/v1/products/{draft_id}/images/{image_id}",
        only(200, "admin", "sme_own", sme_other=404),
        body=lambda w: {"position": 3},
    ),
    Case(
        "DELETE",
        "/api/v1/products/<int:product_id>/images/<int:image_id>",
        "/api/v1/products/{draft_id}/images/{image_id}",
        only(204, "admin", "sme_own", sme_other=404),
    ),
    Case(
        "POST",
        "/api/v1/skus/<int:sku_id>/stock-adjustments",
        "/api/v1/skus/{sku_id}/stock-adjustments",
        only(200, "admin", "sme_own", sme_other=404),
        body=lambda w: {"delta": 5, "reason": "count"},
    ),
    Case(
        "GET",
        "/api/v1/skus/<int:sku_id>/stock-movements",
        "/api/v1/skus/{sku_id}/stock-movements",
        only(200, "admin", "brand_admin", "trade_operator", "sme_own", sme_other=404),
    ),
    Case(
        "POST",
        "/api/v1/products/imports",
        "/api/v1/products/imports",
        only(202, "admin", "sme_own", sme_other=404),
        form=True,
        body=lambda w: {
            "file": (io.BytesIO(csv_bytes([sku_row("MX-1", "MX-1-M")])), "p.csv"),
            "enterprise_id": str(w.maker_a_id),
        },
    ),
    Case(
        "GET",
        "/api/v1/products/imports/<int:import_id>",
        "/api/v1/products/imports/{import_id}",
        only(200, "admin", "sme_own", sme_other=404),
    ),
    Case("GET", "/api/v1/products/imports/template", "/api/v1/products/imports/template", everyone(200)),
    Case(
        "POST",
        "/api/v1/streams",
        "/api/v1/streams",
        only(201, "admin", "host"),
        body=lambda w: {
            "title": "专场",
            "category": "cashmere",
            "scheduled_start": "2026-12-01T20:00:00+08:00",
            "host_user_id": w.user_ids["host"],
        },
    ),
    Case("GET", "/api/v1/streams", "/api/v1/streams", only(200, "admin", "host")),
    Case("GET", f"{S}", "/api/v1/streams/{live_stream_id}", only(200, "admin", "host")),
    Case(
        "PUT",
        f"{S}/lineup",
        "/api/v1/streams/{scheduled_stream_id}/lineup",
        only(200, "admin", "host"),
        body=lambda w: {"items": [{"product_id": w.approved_id}]},
    ),
    Case("POST", f"{S}/start", "/api/v1/streams/{scheduled_stream_id}/start", only(200, "admin", "host")),
    Case("POST", f"{S}/end", "/api/v1/streams/{live_stream_id}/end", only(200, "admin", "host")),
    Case("POST", f"{S}/cancel", "/api/v1/streams/{scheduled_stream_id}/cancel", only(200, "admin", "host")),
    Case(
        "POST",
        f"{S}/pin",
        "/api/v1/streams/{live_stream_id}/pin",
        only(200, "admin", "host"),
        body=lambda w: {"item_id": w.item_id},
    ),
    Case("DELETE", f"{S}/pin", "/api/v1/streams/{live_stream_id}/pin", only(200, "admin", "host")),
    Case(
        "POST",
        f"{S}/flash-sales",
        "/api/v1/streams/{live_stream_id}/flash-sales",
        only(201, "admin", "host"),
        body=lambda w: {
            "item_id": w.item_id,
            "sku_id": w.approved_sku_id,
            "price": {"amount": "99.00", "currency": "CNY"},
            "quantity": 2,
            "per_buyer_limit": 1,
            "countdown_seconds": 10,
            "duration_seconds": 60,
        },
    ),
    Case("GET", f"{S}/stats", "/api/v1/streams/{live_stream_id}/stats", only(200, "admin", "host")),
    Case("GET", f"{S}/report", "/api/v1/streams/{live_stream_id}/report", only(200, "admin", "host")),
    Case(
        "POST",
        "/api/v1/orders",
        "/api/v1/orders",
        # A host orders only in one of their streams (stream_id), at the stream's price.
        # The other cluster's platform knows no such SKU.
        only(201, "admin", "trade_operator", "sme_own", sme_other=422, host=422, trade_operator_far=422),
        body=lambda w: {
            "channel": "direct",
            "external_id": "M-2",
            "buyer": {"name": "Alice"},
            "currency": "CNY",
            "lines": [{"sku_id": w.approved_sku_id, "quantity": 1}],
        },
    ),
    Case(
        "GET", "/api/v1/orders", "/api/v1/orders", only(200, "admin", "host", "trade_operator", "sme_own", "sme_other")
    ),
    Case(
        "GET",
        "/api/v1/orders/<int:order_id>",
        "/api/v1/orders/{order_id}",
        only(200, "admin", "host", "trade_operator", "sme_own", sme_other=404),
    ),
    Case(
        "POST",
        "/api/v1/orders/<int:order_id>/cancel",
        "/api/v1/orders/{order_id}/cancel",
        only(200, "admin", "host", "trade_operator", "sme_own", sme_other=404),
    ),
    Case(
        "POST",
        "/api/v1/orders/<int:order_id>/status",
        "/api/v1/orders/{order_id}/status",
        only(200, "admin", "host", "trade_operator", "sme_own", sme_other=404),
        body=lambda w: {"status": "paid"},
    ),
    Case(
        "POST",
        "/api/v1/after-sales",
        "/api/v1/after-sales",
        # The line is maker A's, of a direct order: no host's, and out of the other cluster's reach.
        only(
            201,
            "admin",
            "trade_operator",
            "sme_own",
            host=404,
            sme_other=404,
            trade_operator_far=404,
            sme_far=404,
            host_far=404,
        ),
        body=lambda w: {
            "order_id": w.after_sale_order_id,
            "order_line_id": w.after_sale_line_id,
            "kind": "partial_refund",
            "amount": "1.00",
            "reason": "scratched",
        },
    ),
    Case(
        "GET",
        "/api/v1/after-sales",
        "/api/v1/after-sales",
        only(200, "admin", "host", "trade_operator", "sme_own", "sme_other"),
    ),
    Case(
        "GET",
        "/api/v1/after-sales/<int:after_sale_id>",
        "/api/v1/after-sales/{after_sale_id}",
        only(200, "admin", "trade_operator", "sme_own", host=404, sme_other=404),
    ),
    *(
        Case(
            "POST",
            f"/api/v1/after-sales/<int:after_sale_id>/{step}",
            f"/api/v1/after-sales/{{{after_sale}}}/{step}",
            only(200, "admin", "trade_operator", "sme_own", sme_other=404),
            body=body,
        )
        for step, after_sale, body in (
            ("approve", "after_sale_id", None),
            ("refuse", "after_sale_id", lambda w: {"reason": "not as described"}),
            ("receive", "approved_return_id", None),
            ("inspect", "received_return_id", lambda w: {"restocked": 1, "written_off": 0}),
            ("refund", "approved_refund_id", None),
        )
    ),
    Case(
        "POST",
        "/api/v1/settlement/agreements",
        "/api/v1/settlement/agreements",
        only(201, "admin", "trade_operator", trade_operator_far=404),
        body=lambda w: {
            "kind": "platform_fee",
            "cluster_id": w.cluster_id,
            "enterprise_id": w.maker_b_id,
            "rate": "0.03",
            "valid_from": "2026-01-01",
        },
    ),
    Case("GET", "/api/v1/settlement/agreements", "/api/v1/settlement/agreements", only(200, "admin", "trade_operator")),
    Case(
        "POST",
        "/api/v1/settlement/agreements/<int:agreement_id>/end",
        "/api/v1/settlement/agreements/{agreement_id}/end",
        only(200, "admin", "trade_operator"),
        body=lambda w: {"valid_to": "2030-12-31"},
    ),
    Case(
        "POST",
        "/api/v1/settlement/statements",
        "/api/v1/settlement/statements",
        only(201, "admin", "trade_operator", trade_operator_far=404),
        body=lambda w: {"period": w.settlement_period, "enterprise_id": w.maker_a_id},
    ),
    Case(
        "GET",
        "/api/v1/settlement/statements",
        "/api/v1/settlement/statements",
        only(200, "admin", "trade_operator", "sme_own", "sme_other"),
    ),
    Case(
        "GET",
        "/api/v1/settlement/statements/<int:statement_id>",
        "/api/v1/settlement/statements/{draft_statement_id}",
        only(200, "admin", "trade_operator", "sme_own", sme_other=404),
    ),
    Case(
        "GET",
        "/api/v1/settlement/statements/<int:statement_id>/lines",
        "/api/v1/settlement/statements/{draft_statement_id}/lines",
        only(200, "admin", "trade_operator", "sme_own", sme_other=404),
    ),
    Case(
        "GET",
        "/api/v1/settlement/commissions",
        "/api/v1/settlement/commissions?period=2026-12",
        only(200, "admin", "trade_operator", "host"),
    ),
    Case(
        "GET",
        "/api/v1/settlement/account",
        "/api/v1/settlement/account?period=2026-12",
        only(200, "admin", "trade_operator"),
    ),
    Case(
        "POST",
        "/api/v1/settlement/payouts/import",
        "/api/v1/settlement/payouts/import",
        only(202, "admin"),
        body=lambda w: {"channel_account_id": w.channel_account_id},
    ),
    Case("GET", "/api/v1/settlement/payouts", "/api/v1/settlement/payouts", only(200, "admin")),
    Case(
        "GET",
        "/api/v1/settlement/payouts/<int:payout_id>",
        "/api/v1/settlement/payouts/{payout_id}",
        only(200, "admin"),
    ),
    Case(
        "GET",
        "/api/v1/settlement/payouts/<int:payout_id>/transactions",
        "/api/v1/settlement/payouts/{payout_id}/transactions",
        only(200, "admin"),
    ),
    Case(
        "GET",
        "/api/v1/settlement/payout-differences",
        "/api/v1/settlement/payout-differences",
        only(200, "admin"),
    ),
    Case(
        "GET",
        "/api/v1/settlement/statements/<int:statement_id>/file",
        "/api/v1/settlement/statements/{draft_statement_id}/file",
        only(200, "admin", "trade_operator", "sme_own", sme_other=404),
    ),
    Case(
        "POST",
        "/api/v1/settlement/statements/<int:statement_id>/approve",
        "/api/v1/settlement/statements/{draft_statement_id}/approve",
        # The month is not over yet.
        only(409, "admin", "trade_operator"),
    ),
    Case(
        "POST",
        "/api/v1/settlement/statements/<int:statement_id>/paid",
        "/api/v1/settlement/statements/{approved_statement_id}/paid",
        only(200, "admin", "trade_operator"),
        body=lambda w: {"paid_on": "2027-01-05", "reference": "BANK-1"},
    ),
    Case(
        "POST",
        "/api/v1/channel-accounts",
        "/api/v1/channel-accounts",
        only(201, "admin"),
        body=lambda w: {
            "platform": "tiktok_shop",
            "name": "TikTok US",
            "credentials": {"app_key": "k", "app_secret": "s", "access_token": "t", "shop_cipher": "c"},
        },
    ),
    Case("GET", "/api/v1/channel-accounts", "/api/v1/channel-accounts", only(200, "admin")),
    Case("GET", "/api/v1/channel-accounts/health", "/api/v1/channel-accounts/health", only(200, "admin")),
    Case(
        "POST",
        "/api/v1/products/<int:product_id>/listings",
        "/api/v1/products/{approved_id}/listings",
        only(202, "admin", "sme_own", sme_other=404),
        body=lambda w: {"channel_account_id": w.channel_account_id},
    ),
    Case("GET", "/api/v1/listings", "/api/v1/listings", only(200, "admin", "sme_own", "sme_other")),
    Case(
        "GET",
        "/api/v1/listings/<int:listing_id>",
        "/api/v1/listings/{listing_id}",
        only(200, "admin", "sme_own", sme_other=404),
    ),
    Case(
        "POST",
        "/api/v1/listings/<int:listing_id>/withdraw",
        "/api/v1/listings/{listing_id}/withdraw",
        only(202, "admin", "sme_own", sme_other=404),
    ),
    Case(
        "POST",
        "/api/v1/webhooks/<platform>/<int:channel_account_id>",
        "/api/v1/webhooks/shopify/{channel_account_id}",
        dict.fromkeys(ROLES, 401),
        body=lambda w: {"id": 1},
    ),
    Case(
        "PUT",
        "/api/v1/customs/platforms/<int:cluster_id>",
        "/api/v1/customs/platforms/{cluster_id}",
        only(200, "admin"),
        body=lambda w: customs_platform_body(w.platform_id),
    ),
    Case("GET", "/api/v1/customs/platforms", "/api/v1/customs/platforms", only(200, "admin", "trade_operator")),
    Case(
        "PUT",
        "/api/v1/customs/exchange-rates",
        "/api/v1/customs/exchange-rates",
        only(200, "admin", "trade_operator"),
        body=lambda w: {"rates": [{"currency": "USD", "valid_from": "2026-11-01", "cny_per_unit": "7.1"}]},
    ),
    Case(
        "GET", "/api/v1/customs/exchange-rates", "/api/v1/customs/exchange-rates", only(200, "admin", "trade_operator")
    ),
    Case(
        "POST",
        "/api/v1/customs/batches",
        "/api/v1/customs/batches",
        # The other cluster's platform forms from its own orders, and has not been configured.
        only(201, "admin", "trade_operator", trade_operator_far=409),
        body=lambda w: {"customs_mode": "9610"},
    ),
    Case(
        "GET",
        "/api/v1/customs/batches",
        "/api/v1/customs/batches",
        only(200, "admin", "trade_operator", "sme_own", "sme_other"),
    ),
    Case(
        "GET",
        "/api/v1/customs/batches/<int:batch_id>",
        "/api/v1/customs/batches/{draft_batch_id}",
        only(200, "admin", "trade_operator", "sme_own", sme_other=404),
    ),
    Case(
        "DELETE",
        "/api/v1/customs/batches/<int:batch_id>",
        "/api/v1/customs/batches/{draft_batch_id}",
        only(204, "admin", "trade_operator"),
    ),
    Case(
        "POST",
        "/api/v1/customs/batches/<int:batch_id>/submit",
        "/api/v1/customs/batches/{draft_batch_id}/submit",
        only(200, "admin", "trade_operator"),
    ),
    Case(
        "POST",
        "/api/v1/customs/batches/<int:batch_id>/revise",
        "/api/v1/customs/batches/{submitted_batch_id}/revise",
        only(409, "admin", "trade_operator"),
    ),
    Case(
        "POST",
        "/api/v1/customs/batches/<int:batch_id>/receipts",
        "/api/v1/customs/batches/{submitted_batch_id}/receipts",
        only(200, "admin", "trade_operator"),
        body=lambda w: {
            "declaration_id": w.submitted_declaration_id,
            "status": "accepted",
            "entry_id": "04012026E000000001",
        },
    ),
    Case(
        "GET",
        "/api/v1/customs/declarations/<int:declaration_id>",
        "/api/v1/customs/declarations/{declaration_id}",
        only(200, "admin", "trade_operator", "sme_own", sme_other=404),
    ),
    Case(
        "POST",
        "/api/v1/customs/declarations/<int:declaration_id>/returns",
        "/api/v1/customs/declarations/{declaration_id}/returns",
        # A 9610 list's goods come back on the month's summary declaration.
        only(422, "admin", "trade_operator"),
        body=lambda w: {
            "line_no": 1,
            "quantity": "1",
            "returned_on": "2026-11-20",
            "reference": "040120261000000001",
            "reason": "returned",
            "original_state": True,
        },
    ),
    Case(
        "GET",
        "/api/v1/customs/declarations/<int:declaration_id>/returns",
        "/api/v1/customs/declarations/{declaration_id}/returns",
        only(200, "admin", "trade_operator", "sme_own", sme_other=404),
    ),
    Case(
        "POST",
        "/api/v1/customs/declarations/<int:declaration_id>/cancellations",
        "/api/v1/customs/declarations/{declaration_id}/cancellations",
        # The list is still a draft: customs has nothing to cancel yet.
        only(409, "admin", "trade_operator"),
        body=lambda w: {"reason": "the parcel stays"},
    ),
    Case(
        "GET",
        "/api/v1/customs/declarations/<int:declaration_id>/cancellations",
        "/api/v1/customs/declarations/{declaration_id}/cancellations",
        only(200, "admin", "trade_operator", "sme_own", sme_other=404),
    ),
    Case(
        "GET",
        "/api/v1/customs/declarations/<int:declaration_id>/message",
        "/api/v1/customs/declarations/{declaration_id}/message",
        only(200, "admin", "trade_operator"),
    ),
    Case(
        "PUT",
        "/api/v1/rebate-rates",
        "/api/v1/rebate-rates",
        only(200, "admin"),
        body=lambda w: {"rates": [{"hs_code": "6110120000", "rate": "0.13", "valid_from": "2026-01-01"}]},
    ),
    Case("GET", "/api/v1/rebate-rates", "/api/v1/rebate-rates", only(200, "admin", "trade_operator")),
    Case(
        "POST",
        "/api/v1/rebate-rates/imports",
        "/api/v1/rebate-rates/imports",
        only(200, "admin"),
        body=lambda w: {"file": (io.BytesIO(b"hs_code,rate,valid_from\n6110120000,13%,2026-01-01\n"), "r.csv")},
        form=True,
    ),
    Case(
        "PUT",
        "/api/v1/fx/central-parity",
        "/api/v1/fx/central-parity",
        only(200, "admin", "trade_operator"),
        body=lambda w: {"rates": [{"currency": "USD", "day": "2026-10-21", "cny_per_unit": "7.1268"}]},
    ),
    Case(
        "POST",
        "/api/v1/fx/central-parity/imports",
        "/api/v1/fx/central-parity/imports",
        only(200, "admin", "trade_operator"),
        body=lambda w: {"file": (io.BytesIO(b"currency,day,cny_per_unit\nUSD,2026-10-21,7.1268\n"), "p.csv")},
        form=True,
    ),
    Case(
        "GET",
        "/api/v1/fx/central-parity",
        "/api/v1/fx/central-parity",
        only(200, "admin", "trade_operator", "brand_admin"),
    ),
    Case(
        "POST",
        "/api/v1/fx/central-parity/fetch",
        "/api/v1/fx/central-parity/fetch",
        only(202, "admin", "trade_operator"),
        body=lambda w: {"from": "2026-10-01", "to": "2026-10-31", "currencies": ["USD"]},
    ),
    Case(
        "POST",
        "/api/v1/fx/customs-rates",
        "/api/v1/fx/customs-rates",
        only(409, "admin", "trade_operator"),
        body=lambda w: {"period": "2026-11", "currencies": ["USD"]},
    ),
    Case(
        "PUT",
        "/api/v1/rebates/profiles/<int:enterprise_id>",
        "/api/v1/rebates/profiles/{maker_a_id}",
        only(200, "admin", "trade_operator", "sme_own", sme_other=404),
        body=lambda w: {"method": "exempt_credit_refund", "fx_basis": "month_start"},
    ),
    Case(
        "GET",
        "/api/v1/rebates/profiles/<int:enterprise_id>",
        "/api/v1/rebates/profiles/{maker_a_id}",
        only(200, "admin", "trade_operator", "sme_own", sme_other=404),
    ),
    Case(
        "POST",
        "/api/v1/invoices",
        "/api/v1/invoices",
        only(201, "admin", "trade_operator", "sme_own", sme_other=404, trade_operator_far=404),
        body=lambda w: invoice_body(w.maker_a_id, "26132000000000000099"),
    ),
    Case("GET", "/api/v1/invoices", "/api/v1/invoices", only(200, "admin", "trade_operator", "sme_own", "sme_other")),
    Case(
        "GET",
        "/api/v1/invoices/<int:invoice_id>",
        "/api/v1/invoices/{invoice_id}",
        only(200, "admin", "trade_operator", "sme_own", sme_other=404),
    ),
    Case(
        "POST",
        "/api/v1/rebates/proceeds",
        "/api/v1/rebates/proceeds",
        only(201, "admin", "trade_operator", "sme_own", sme_other=404, trade_operator_far=404),
        body=lambda w: {
            "order_id": w.export_order_id,
            "amount": {"amount": "50.00", "currency": "USD"},
            "received_on": "2026-11-02",
            "reference": "BANK-1",
        },
    ),
    Case(
        "GET",
        "/api/v1/orders/<int:order_id>/proceeds",
        "/api/v1/orders/{export_order_id}/proceeds",
        only(200, "admin", "trade_operator", "sme_own", sme_other=404),
    ),
    Case(
        "PUT",
        "/api/v1/rebates/vat-returns",
        "/api/v1/rebates/vat-returns",
        only(200, "admin", "trade_operator", "sme_own", sme_other=404, trade_operator_far=404),
        body=lambda w: {
            "enterprise_id": w.maker_a_id,
            "period": "2026-10",
            "output_vat": {"amount": "26000.00", "currency": "CNY"},
            "input_vat": {"amount": "120000.00", "currency": "CNY"},
        },
    ),
    Case(
        "POST",
        "/api/v1/rebates/claims",
        "/api/v1/rebates/claims",
        only(201, "admin", "trade_operator"),
        body=lambda w: {"period": "2026-10"},
    ),
    Case(
        "GET",
        "/api/v1/rebates/claims",
        "/api/v1/rebates/claims",
        only(200, "admin", "trade_operator", "sme_own", "sme_other"),
    ),
    Case(
        "GET",
        "/api/v1/rebates/claims/<int:claim_id>",
        "/api/v1/rebates/claims/{claim_id}",
        only(200, "admin", "trade_operator", "sme_own", sme_other=404),
    ),
    Case(
        "POST",
        "/api/v1/rebates/claims/<int:claim_id>/file",
        "/api/v1/rebates/claims/{claim_id}/file",
        only(409, "admin", "trade_operator"),
    ),
    Case(
        "POST",
        "/api/v1/rebates/claims/<int:claim_id>/refunds",
        "/api/v1/rebates/claims/{claim_id}/refunds",
        only(409, "admin", "trade_operator"),
        body=lambda w: {"amount": {"amount": "1.00", "currency": "CNY"}, "received_on": "2026-11-02", "reference": "T"},
    ),
    Case(
        "GET",
        "/api/v1/rebates/ledger/<int:enterprise_id>",
        "/api/v1/rebates/ledger/{maker_a_id}",
        only(200, "admin", "trade_operator", "sme_own", sme_other=404),
    ),
    Case(
        "GET",
        "/api/v1/reports/exports",
        "/api/v1/reports/exports?group_by=month,country&from=2026-09&to=2026-10",
        only(200, "admin", "trade_operator", "brand_admin", "sme_own", "sme_other"),
    ),
    Case(
        "GET",
        "/api/v1/reports/dashboard",
        "/api/v1/reports/dashboard?from=2026-09&to=2026-10",
        only(200, "admin", "trade_operator", "brand_admin", "sme_own", "sme_other"),
    ),
    Case(
        "GET",
        "/api/v1/reports/sales",
        "/api/v1/reports/sales?from=2026-09&to=2026-12",
        only(200, "admin", "trade_operator", "brand_admin", "sme_own", "sme_other"),
    ),
    Case(
        "POST",
        "/api/v1/reports/exports/refresh",
        "/api/v1/reports/exports/refresh",
        only(200, "admin", "trade_operator"),
        body=lambda w: {"from": "2026-09", "to": "2026-10"},
    ),
    Case(
        "POST",
        "/api/v1/reports/outside-exports",
        "/api/v1/reports/outside-exports",
        only(
            201,
            "admin",
            "trade_operator",
            "brand_admin",
            "sme_own",
            sme_other=404,
            trade_operator_far=404,
            brand_admin_far=404,
        ),
        body=lambda w: {
            "enterprise_id": w.maker_a_id,
            "period": "2026-09",
            "fob": {"amount": "100.00", "currency": "CNY"},
            "agent_name": "Ningbo agent",
        },
    ),
    Case(
        "DELETE",
        "/api/v1/reports/outside-exports/<int:outside_export_id>",
        "/api/v1/reports/outside-exports/{outside_export_id}",
        only(204, "admin", "trade_operator", "brand_admin", "sme_own", sme_other=404),
    ),
    Case(
        "GET",
        "/api/v1/reports/outside-exports",
        "/api/v1/reports/outside-exports",
        only(200, "admin", "trade_operator", "brand_admin", "sme_own", "sme_other"),
    ),
    Case("GET", "/api/v1/jobs", "/api/v1/jobs", only(200, "admin")),
    Case("POST", "/api/v1/jobs/<int:job_id>/retry", "/api/v1/jobs/{dead_job_id}/retry", only(200, "admin")),
]


def customs_platform_body(platform_id: int) -> dict[str, Any]:
    return {
        "enterprise_id": platform_id,
        "customs_registration": "1305960001",
        "declaring_customs": "0401",
        "exit_ports": ["0401"],
        "transport_modes": ["5"],
        "dxp_id": "DXPENT0000000001",
        "payment_name": "清河县跨境支付结算服务有限公司",
        "destination_port": "LAX",
    }


def invoice_body(enterprise_id: int, number: str) -> dict[str, Any]:
    return {
        "enterprise_id": enterprise_id,
        "number": number,
        "issued_on": "2026-10-08",
        "amount_excl_vat": {"amount": "100.00", "currency": "CNY"},
        "vat_amount": {"amount": "13.00", "currency": "CNY"},
        "lines": [{"hs_code": "6110120000", "quantity": 2, "amount": {"amount": "100.00", "currency": "CNY"}}],
    }


def _rebate_records(client, world, session) -> dict[str, int]:
    """An invoice and a draft claim of maker A, for the rebate endpoints to read."""
    from commerce.rebates.models import RebateClaim

    created = client.post(
        "/api/v1/invoices", headers=world.headers["sme_a"], json=invoice_body(world.maker_a_id, "26132000000000000001")
    )
    claim = RebateClaim(
        enterprise_id=world.maker_a_id,
        period="2026-09",
        method="agency",
        filed_by_enterprise_id=world.platform_id,
        due_date=date(2027, 4, 15),
    )
    session.add(claim)
    session.commit()
    outside = client.post(
        "/api/v1/reports/outside-exports",
        headers=world.headers["sme_a"],
        json={
            "enterprise_id": world.maker_a_id,
            "period": "2026-09",
            "fob": {"amount": "500.00", "currency": "USD"},
            "agent_name": "Ningbo agent",
        },
    )
    return {"invoice_id": created.json["id"], "claim_id": claim.id, "outside_export_id": outside.json["id"]}


def _shipped_export_order(client, world, external_id: str) -> int:
    operator = world.headers["trade_operator"]
    order = client.post(
        "/api/v1/orders",
        headers=operator,
        json={
            "channel": "direct",
            "external_id": external_id,
            "buyer": {"name": "清河买家乙", "country": "US"},
            "currency": "USD",
            "lines": [{"sku_id": world.approved_sku_id, "quantity": 1, "unit_price": "50.00"}],
            "export": {"customs_mode": "9610", "destination_country": "US", "waybill_no": f"W{external_id}"},
        },
    ).json
    for status in ("paid", "shipped"):
        client.post(f"/api/v1/orders/{order['id']}/status", headers=operator, json={"status": status})
    return order["id"]


def _customs_batches(client, world) -> dict[str, int]:
    """A submitted 9610 batch, a draft one, and a shipped export order no batch holds yet."""
    operator = world.headers["trade_operator"]
    client.put(
        f"/api/v1/customs/platforms/{world.cluster_id}",
        headers=world.headers["admin"],
        json=customs_platform_body(world.platform_id),
    )
    client.put(
        "/api/v1/customs/exchange-rates",
        headers=operator,
        json={"rates": [{"currency": "USD", "valid_from": "2026-09-01", "cny_per_unit": "7.1"}]},
    )
    _shipped_export_order(client, world, "X-1")
    submitted = client.post("/api/v1/customs/batches", headers=operator, json={"customs_mode": "9610"}).json
    client.post(f"/api/v1/customs/batches/{submitted['id']}/submit", headers=operator)
    _shipped_export_order(client, world, "X-2")
    draft = client.post("/api/v1/customs/batches", headers=operator, json={"customs_mode": "9610"}).json
    world.export_order_id = _shipped_export_order(client, world, "X-3")
    world.submitted_declaration_id = submitted["declarations"][0]["id"]
    return {
        "submitted_batch_id": submitted["id"],
        "draft_batch_id": draft["id"],
        "declaration_id": draft["declarations"][0]["id"],
    }


def _after_sales(client, world) -> dict[str, int]:
    """A shipped direct order of maker A with an after-sale in each status a step starts from."""
    operator, maker = world.headers["trade_operator"], world.headers["sme_a"]
    order = client.post(
        "/api/v1/orders",
        headers=operator,
        json={
            "channel": "direct",
            "external_id": "M-AS",
            "buyer": {"name": "清河买家甲"},
            "currency": "CNY",
            "lines": [{"sku_id": world.approved_sku_id, "quantity": 2}],
        },
    ).json
    for status in ("paid", "shipped"):
        client.post(f"/api/v1/orders/{order['id']}/status", headers=operator, json={"status": status})
    world.after_sale_order_id, world.after_sale_line_id = order["id"], order["lines"][0]["id"]

    def asked(kind, **fields):
        body = {"order_id": order["id"], "order_line_id": order["lines"][0]["id"], "kind": kind, "reason": "r"}
        return client.post("/api/v1/after-sales", headers=operator, json={**body, **fields}).json["id"]

    def step(after_sale_id, *steps):
        for name in steps:
            client.post(f"/api/v1/after-sales/{after_sale_id}/{name}", headers=maker)
        return after_sale_id

    return {
        "after_sale_id": asked("partial_refund", amount="1.00"),
        "approved_refund_id": step(asked("partial_refund", amount="1.00"), "approve"),
        "approved_return_id": step(asked("return_and_refund", quantity=1, amount="10.00"), "approve"),
        "received_return_id": step(asked("return_and_refund", quantity=1, amount="10.00"), "approve", "receive"),
    }


def _settlement(client, world, session) -> dict[str, int]:
    """Maker A's statements of this month (its shipped orders are in CNY and USD): one approved as
    if the month were over, the other a draft; and an agreement."""
    from commerce.actors import Actor, Role
    from commerce.customs.calendar import period_bounds, period_of
    from commerce.db import utcnow
    from commerce.settlement import statements
    from commerce.settlement.payout_models import MarketplacePayout

    operator = world.headers["trade_operator"]
    agreement = client.post(
        "/api/v1/settlement/agreements",
        headers=operator,
        json={
            "kind": "platform_fee",
            "cluster_id": world.cluster_id,
            "enterprise_id": world.maker_a_id,
            "rate": "0.05",
            "valid_from": "2026-01-01",
        },
    ).json
    world.settlement_period = period_of(utcnow())
    computed = client.post(
        "/api/v1/settlement/statements",
        headers=operator,
        json={"period": world.settlement_period, "enterprise_id": world.maker_a_id},
    ).json["items"]
    draft, approved = computed[0]["id"], computed[1]["id"]
    actor = Actor(user_id=world.user_ids["trade_operator"], role=Role.TRADE_OPERATOR, enterprise_id=world.platform_id)
    statements.approve_statement(
        session, actor=actor, statement_id=approved, now=period_bounds(world.settlement_period)[1]
    )
    payout = MarketplacePayout(
        channel_account_id=world.channel_account_id,
        external_id="P-1",
        status="PAID",
        paid=True,
        issued_at=utcnow(),
        currency="USD",
        net=Decimal("100.00"),
    )
    session.add(payout)
    session.commit()
    return {
        "agreement_id": agreement["id"],
        "draft_statement_id": draft,
        "approved_statement_id": approved,
        "payout_id": payout.id,
    }


@pytest.fixture(scope="module")
def scene(app, database, deployment):
    """Built once for the module, in a transaction every case rolls back to (see ``tests/conftest.py``)."""
    with rolled_back(database):
        client = app.test_client()
        with database.session() as session:
            built = _build_scene(Factory(deployment, client), client, session)
        yield built


def _markers(client, world) -> set[str]:
    """What identifies the scene cluster's firms and their records: none of it may reach the other cluster."""
    admin = world.headers["admin"]
    firms = client.get(f"/api/v1/enterprises?cluster_id={world.cluster_id}", headers=admin).json["items"]
    markers = {firm["uscc"] for firm in firms} | {firm["name"] for firm in firms}
    markers |= {"26132000000000000001", "Ningbo agent", "WX-1", "WX-2", "WX-3", "清河买家甲", "清河买家乙"}
    products = client.get("/api/v1/products", headers=world.headers["sme_a"]).json["items"]
    markers |= {f'"{sku["sku_code"]}"' for product in products for sku in product["skus"]}
    return markers


def fingerprint(session) -> dict[str, str]:
    """A digest of every table's rows, but those any authenticated call touches (tokens, allowances)."""
    from commerce.models import metadata

    digests = {}
    for table in metadata.sorted_tables:
        if table.name in UNTRACKED_TABLES:
            continue
        rows = session.execute(select(table).order_by(*table.primary_key.columns)).all()
        digests[table.name] = hashlib.sha256(repr([tuple(row) for row in rows]).encode()).hexdigest()
    return digests


def _build_scene(factory, client, session):
    world = factory.world()
    factory.far_cluster(world)
    draft = factory.product(world.maker_a_id)
    pending = factory.product(world.maker_a_id, status="pending_review")
    sku_id = client.get(f"/api/v1/products/{draft.id}", headers=world.headers["sme_a"]).json["skus"][0]["id"]
    image_id = client.post(
        f"/api/v1/products/{draft.id}/images",
        headers=world.headers["sme_a"],
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(photo_bytes()), "photo.jpg")},
    ).json["id"]
    imported = client.post(
        "/api/v1/products/imports",
        headers=world.headers["sme_a"],
        content_type="multipart/form-data",
        data={
            "file": (io.BytesIO(csv_bytes([sku_row("IM-1", "IM-1-M")])), "p.csv"),
            "enterprise_id": str(world.maker_a_id),
        },
    )
    approved = factory.product(world.maker_a_id, status="approved")
    world.approved_id = approved.id
    world.approved_sku_id = client.get(f"/api/v1/products/{approved.id}", headers=world.headers["sme_a"]).json["skus"][
        0
    ]["id"]
    host = world.headers["host"]
    stream_body = {"title": "专场", "category": "cashmere", "scheduled_start": "2026-12-01T20:00:00+08:00"}
    scheduled = client.post("/api/v1/streams", headers=host, json=stream_body).json
    live = client.post("/api/v1/streams", headers=host, json=stream_body).json
    lineup = {"items": [{"product_id": approved.id, "sku_allocations": {str(world.approved_sku_id): 3}}]}
    world.item_id = client.put(f"/api/v1/streams/{live['id']}/lineup", headers=host, json=lineup).json["lineup"][0][
        "id"
    ]
    client.post(f"/api/v1/streams/{live['id']}/start", headers=host)
    order = client.post(
        "/api/v1/orders",
        headers=host,
        json={
            "channel": "direct",
            "external_id": "M-1",
            "stream_id": live["id"],
            "buyer": {"name": "清河买家甲"},
            "currency": "CNY",
            "lines": [{"sku_id": world.approved_sku_id, "quantity": 1}],
        },
    ).json
    account = client.post(
        "/api/v1/channel-accounts",
        headers=world.headers["admin"],
        json={"platform": "shopify", "name": "Shop", "credentials": simulator_credentials("shopify")},
    ).json
    world.channel_account_id = account["id"]
    listing = client.post(
        f"/api/v1/products/{approved.id}/listings",
        headers=world.headers["sme_a"],
        json={"channel_account_id": account["id"]},
    ).json
    job_id = jobs.enqueue(session, kind="catalog.import", key="dead-one", payload={"import_id": 0})
    session.commit()
    session.execute(update(Job).where(Job.id == job_id).values(status="dead"))
    session.commit()
    ids = {
        "host_user_id": world.user_ids["host"],
        "cluster_id": world.cluster_id,
        "maker_a_id": world.maker_a_id,
        "trademark_id": world.trademark_id,
        "membership_a_id": world.membership_a_id,
        "draft_id": draft.id,
        "pending_id": pending.id,
        "sku_id": sku_id,
        "image_id": image_id,
        "import_id": imported.json["id"],
        "dead_job_id": job_id,
        "approved_id": approved.id,
        "channel_account_id": account["id"],
        "listing_id": listing["id"],
        "scheduled_stream_id": scheduled["id"],
        "live_stream_id": live["id"],
        "order_id": order["id"],
        **_customs_batches(client, world),
        **_rebate_records(client, world, session),
        **_after_sales(client, world),
        **_settlement(client, world, session),
        "export_order_id": world.export_order_id,
    }
    headers = {
        "anonymous": {},
        "sme_own": world.headers["sme_a"],
        "sme_other": world.headers["sme_b"],
        **{role: world.headers[role] for role in ("admin", "brand_admin", "trade_operator", "host", *FAR_ROLES)},
    }
    return world, ids, headers, _markers(client, world), fingerprint(session)


@pytest.mark.parametrize(
    ("case", "role"),
    [(case, role) for case in CASES for role in ROLES],
    ids=[f"{case.method} {case.path} as {role}" for case in CASES for role in ROLES],
)
def test_endpoint_answers_each_role(client, session, scene, case, role):
    world, ids, headers, markers, before = scene
    options: dict[str, Any] = {"headers": headers[role]}
    if case.body is not None:
        body = case.body(world)
        if case.form:
            options.update(data=body, content_type="multipart/form-data")
        else:
            options["json"] = body
    response = client.open(case.path.format(**ids), method=case.method, **options)
    assert response.status_code == case.expected[role], response.get_data(as_text=True)[:500]
    if response.status_code >= 400:
        assert response.mimetype == "application/problem+json"
        session.expire_all()
        assert fingerprint(session) == before
    if role in FAR_ROLES and role not in case.open_to and response.status_code < 300:
        text = response.get_data(as_text=True)
        assert sorted(marker for marker in markers if marker in text) == []


def test_the_matrix_covers_every_endpoint(app):
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and rule.endpoint.split(".")[0] not in {"openapi", "swagger"}
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes == {(case.method, case.rule) for case in CASES}
