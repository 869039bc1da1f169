"""awacs policy documents for the kvtable table."""
