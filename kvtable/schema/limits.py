"""The bulk load's limits and the operations that report consumed capacity, in a module of their own so
that the command line and telemetry can name them without loading the data layer (and boto3)."""

BATCH_WRITE_LIMIT = 25  # items a BatchWriteItem request may carry
MAX_WORKERS = 16
# The operations whose requests take ReturnConsumedCapacity (the DynamoDB API Reference of each).
CAPACITY_OPERATIONS = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }
)
