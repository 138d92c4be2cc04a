"""Export VAT rebates: rate table, exchange rates, invoices, proceeds, claims, refunds and ledgers."""
