"""E-invoices: one EN 16931 model of a finalized invoice and its two syntaxes, CII and UBL."""
