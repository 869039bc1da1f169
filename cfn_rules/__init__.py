"""kvtable's safety invariants as cfn-lint rules (`cfn-lint --append-rules cfn_rules`)."""
