"""Test harness code: never imported by the product."""
