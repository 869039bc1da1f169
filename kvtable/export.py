"""The public door to reading a DynamoDB export back as the contract's typed entities
(`kvtable.exchange.read`), at the path applications import: `from kvtable.export import read_export`."""

from kvtable.exchange.read import ExportManifest, ExportSource, S3Client, read_export, read_manifest

__all__ = ["ExportManifest", "ExportSource", "S3Client", "read_export", "read_manifest"]
