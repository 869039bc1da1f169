"""Bringing data back under the stack: point-in-time restore, and adopting an existing table."""
