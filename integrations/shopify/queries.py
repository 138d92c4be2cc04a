"""The Admin GraphQL documents the Shopify client sends, what each asks for and costs, and the API
versions it speaks (Shopify supports a version for twelve months after its release).
"""

from __future__ import annotations

from datetime import date

# Shopify releases an Admin API version each quarter and supports each for twelve months; a
# request to a retired version is served, silently, by the oldest supported one. These are the
# versions whose official schemas the suite checks every document of this client against.
CHECKED_VERSIONS = ("2025-01", "2025-07", "2025-10", "2026-01", "2026-04", "2026-07", "2026-10")


LATEST_API_VERSION = CHECKED_VERSIONS[-1]


SUPPORT_MONTHS = 12


# What one query may cost (requested points) and what the bucket must hold before the next call:
# the costliest document here, so a paced client is never answered THROTTLED.
MAX_QUERY_COST = 1000


# Line items read with an order, and a page of the rest.
ORDER_LINES_FIRST = 20


ORDER_LINES_PAGE = 100


ORDERS_FIRST = 10


# Product answers ask for as many variants and media as the product has where that is known (a
# publish), so the requested cost is close to the actual one; a read asks for the most there may be.
MAX_VARIANTS = 250


MAX_MEDIA = 20


def product_fields(variants: str, media: str) -> str:
    return f"""
  id handle status title descriptionHtml vendor
  variants(first: {variants}) {{ nodes {{ id sku price inventoryQuantity inventoryItem {{ id }} }} }}
  media(first: {media}) {{ nodes {{ id }} }}
"""


LINE_FIELDS = (
    "nodes { sku quantity originalUnitPriceSet { shopMoney { amount currencyCode } } }"
    " pageInfo { hasNextPage endCursor }"
)


ORDER_FIELDS = f"""
  id legacyResourceId name displayFinancialStatus displayFulfillmentStatus cancelledAt updatedAt
  currencyCode customer {{ displayName }} shippingAddress {{ countryCodeV2 }}
  lineItems(first: {ORDER_LINES_FIRST}) {{ {LINE_FIELDS} }}
"""


PRODUCT_SET = (
    "mutation productSet($input: ProductSetInput!, $identifier: ProductSetIdentifiers, $variants: Int!, $media: Int!) {"
    " productSet(synchronous: true, input: $input, identifier: $identifier) {"
    f" product {{ {product_fields('$variants', '$media')} }} userErrors {{ field message code }} }} }}"
)


STAGED_UPLOADS = (
    "mutation stagedUploadsCreate($input: [StagedUploadInput!]!) { stagedUploadsCreate(input: $input) {"
    " stagedTargets { url resourceUrl parameters { name value } } userErrors { field message } } }"
)


PRODUCT_QUERY = f"query product($id: ID!) {{ product(id: $id) {{ {product_fields(MAX_VARIANTS, MAX_MEDIA)} }} }}"


PRODUCT_UPDATE = (
    "mutation productUpdate($product: ProductUpdateInput!) {"
    " productUpdate(product: $product) { product { id status } userErrors { field message } } }"
)


INVENTORY_SET = (
    "mutation inventorySetQuantities($input: InventorySetQuantitiesInput!, $key: String!) {"
    " inventorySetQuantities(input: $input) @idempotent(key: $key) {"
    " inventoryAdjustmentGroup { id } userErrors { field message code } } }"
)


LOCATIONS = "query locations { locations(first: 1) { nodes { id name } } }"


ORDERS = (
    "query orders($first: Int!, $after: String, $query: String) {"
    " orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {"
    f" nodes {{ {ORDER_FIELDS} }} pageInfo {{ hasNextPage endCursor }} }} }}"
)


ORDER_QUERY = f"query order($id: ID!) {{ order(id: $id) {{ {ORDER_FIELDS} }} }}"


ORDER_LINES = (
    "query orderLines($id: ID!, $after: String) { order(id: $id) {"
    f" lineItems(first: {ORDER_LINES_PAGE}, after: $after) {{ {LINE_FIELDS} }} }} }}"
)


# An order's refunds and returns: as many as one read takes (a refund or a return of more lines
# than these is rare enough to be read again with the order).
REFUNDS_FIRST = 5


REFUND_LINES_FIRST = 10


RETURNS_FIRST = 5


RETURN_LINES_FIRST = 10


MONEY = "shopMoney { amount currencyCode }"


AFTER_SALE_FIELDS = f"""
  legacyResourceId currencyCode updatedAt
  refunds(first: {REFUNDS_FIRST}) {{
    id legacyResourceId createdAt updatedAt note return {{ id }} totalRefundedSet {{ {MONEY} }}
    refundLineItems(first: {REFUND_LINES_FIRST}) {{
      nodes {{ quantity restockType lineItem {{ sku }} subtotalSet {{ {MONEY} }} }}
    }}
  }}
  returns(first: {RETURNS_FIRST}) {{
    nodes {{
      id name status createdAt requestApprovedAt closedAt
      returnLineItems(first: {RETURN_LINES_FIRST}) {{
        nodes {{
          quantity returnReasonNote
          ... on ReturnLineItem {{
            fulfillmentLineItem {{ lineItem {{ sku }} }} withCodeDiscountedTotalPriceSet {{ {MONEY} }}
          }}
        }}
      }}
    }}
  }}
"""


ORDER_AFTER_SALES = f"query orderAfterSales($id: ID!) {{ order(id: $id) {{ {AFTER_SALE_FIELDS} }} }}"


# Orders whose refunds or returns changed: a refund or a return dates its order anew.
ORDERS_AFTER_SALES_FIRST = 3


ORDERS_AFTER_SALES = (
    "query ordersAfterSales($first: Int!, $after: String, $query: String) {"
    " orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {"
    f" nodes {{ {AFTER_SALE_FIELDS} }} pageInfo {{ hasNextPage endCursor }} }} }}"
)


# Shopify Payments: the account's payouts (filtered by the day they were issued) and the balance
# transactions a payout carried (filtered by its id, ``payments_transfer_id``).
PAYOUTS_FIRST = 50


PAYOUT_TRANSACTIONS_FIRST = 190


PAYOUTS = (
    "query payouts($first: Int!, $after: String, $query: String) { shopifyPaymentsAccount {"
    " payouts(first: $first, after: $after, query: $query, sortKey: ISSUED_AT) {"
    " nodes { id legacyResourceId issuedAt status net { amount currencyCode } }"
    " pageInfo { hasNextPage endCursor } } } }"
)


PAYOUT_TRANSACTIONS = (
    "query payoutTransactions($first: Int!, $after: String, $query: String) { shopifyPaymentsAccount {"
    " balanceTransactions(first: $first, after: $after, query: $query) {"
    " nodes { id type amount { amount currencyCode } fee { amount } net { amount } associatedOrder { id }"
    " transactionDate } pageInfo { hasNextPage endCursor } } } }"
)


# The topics the platform listens to, and the subscriptions an account's shop holds for an address.
WEBHOOK_TOPICS = (
    "ORDERS_CREATE",
    "ORDERS_UPDATED",
    "ORDERS_PAID",
    "ORDERS_CANCELLED",
    "ORDERS_FULFILLED",
    "REFUNDS_CREATE",
    "RETURNS_REQUEST",
    "RETURNS_APPROVE",
    "RETURNS_DECLINE",
    "RETURNS_CANCEL",
    "RETURNS_CLOSE",
    "PRODUCTS_UPDATE",
    "PRODUCTS_DELETE",
)


WEBHOOKS = "query webhooks($uri: String!) { webhookSubscriptions(first: 50, uri: $uri) { nodes { id topic uri } } }"


WEBHOOK_CREATE = (
    "mutation webhookSubscriptionCreate($topic: WebhookSubscriptionTopic!, $subscription: WebhookSubscriptionInput!) {"
    " webhookSubscriptionCreate(topic: $topic, webhookSubscription: $subscription) {"
    " webhookSubscription { id topic } userErrors { field message } } }"
)


# Each document's requested cost by Shopify's published rules (an object 1 point, a scalar or enum
# nothing, a connection 2 points plus its page size times what each of its nodes costs, a mutation
# 10 points plus what its answer selects); the suite computes them again from the official schema.
REQUESTED_COST = {
    "product": 525,
    "stagedUploadsCreate": 13,
    "productUpdate": 12,
    "inventorySetQuantities": 12,
    "locations": 3,
    "orders": 652,
    "order": 65,
    "orderLines": 303,
    "orderAfterSales": 314,
    "ordersAfterSales": 944,
    "payouts": 103,
    "payoutTransactions": 953,
    "webhookSubscriptions": 52,
    "webhookSubscriptionCreate": 12,
}


def product_set_cost(variants: int, media: int) -> int:
    """A productSet's requested cost: 10, the product 1, its variants 2 + 2 each (the variant and
    its inventory item), its media 2 + 1 each, its user errors 1."""
    return 10 + 1 + (2 + 2 * variants) + (2 + media) + 1


def supported_versions(today: date) -> list[str]:
    """The checked versions Shopify still supports on a day (released, and less than a year ago)."""
    supported = []
    for version in CHECKED_VERSIONS:
        year, month = (int(part) for part in version.split("-"))
        released = date(year, month, 1)
        retired = date(year + (month + SUPPORT_MONTHS - 1) // 12, (month + SUPPORT_MONTHS - 1) % 12 + 1, 1)
        if released <= today < retired:
            supported.append(version)
    return supported
