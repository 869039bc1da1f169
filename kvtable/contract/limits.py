"""The bulk load's limits, in a module of their own so that the command line can name them without
loading the data layer (and boto3) for `--help`."""

BATCH_WRITE_LIMIT = 25  # items a BatchWriteItem request may carry
MAX_WORKERS = 16
