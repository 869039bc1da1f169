"""The table's items in and out of S3 as data: S3 locations, DynamoDB JSON lines, an export's manifests,
reading an export back as the contract's typed entities (`kvtable.export.read_export`), and the item
files an import stages. The contract layer: it builds and reads the contract's items, and calls nothing
but S3 (through boto3, loaded only when an S3 source is read)."""
