"""Command-line scripts: thin shells over importable functions."""
