"""`kvtable bench`: measurements on DynamoDB Local, never tests (timings depend on the machine)."""
