"""Whole-table work on DynamoDB's own engines: Export to S3 (`kvtable export`) and Import from S3 into a
new table (`kvtable import`), each started, followed with progress and reported."""
