"""Checking the live stack, table and policies against every promise of the template."""
