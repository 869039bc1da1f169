"""What `kvtable.connect` reads instead of botocore: the environment's credentials, region and endpoint,
decided exactly as boto3 would decide them, or not at all (then boto3 decides)."""
