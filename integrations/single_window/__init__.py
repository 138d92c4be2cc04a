"""The customs single window: submission of declaration messages and collection of receipts."""
