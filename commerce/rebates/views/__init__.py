"""HTTP edge of rebates, a blueprint per sub-area: rates, the firms' records, claims."""
