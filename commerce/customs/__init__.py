"""Export customs: the service platform as consignor, batches per customs mode, declarations, receipts."""
