"""The data contract's parts: shared request building and one module per kind of item."""
