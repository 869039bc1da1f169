"""kvtable: the single-table DynamoDB layer of the key-value storage service."""

__version__ = "0.2.0"
