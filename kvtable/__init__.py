"""kvtable: the single-table DynamoDB layer of the key-value storage service."""
