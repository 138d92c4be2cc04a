"""Shopify: the Admin GraphQL API (productSet, inventorySetQuantities, orders) and its webhooks."""
