"""TikTok Shop: the Open API 202309 products, inventory and orders, and its webhooks."""
