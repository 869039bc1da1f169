"""What a bulk input costs: `kvtable load` into an existing on-demand table (a write request unit per KB
of each key item, on the table and again on GSI1, which projects every attribute) against Import from S3
into a new table (billed per GB of uncompressed source, no write capacity). Each key item is built by
the import's own builder (the contract's new key, as `put_key` writes it) and sized by the write path's
own `item_size`; the source is the DynamoDB JSON `kvtable import` stages."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kvtable.contract.clock import iso_timestamp, utc_now
from kvtable.cost.capacity import write_units
from kvtable.cost.inputs import Prices
from kvtable.exchange.dynamodb_json import item_line
from kvtable.exchange.staging import imported_key_item
from kvtable.schema.entities import JsonValue
from kvtable.schema.errors import InvalidInputError
from kvtable.schema.values import item_size

GB = 1024**3
MILLION = 1_000_000


@dataclass(frozen=True)
class BulkEstimate:
    """One input's figures: keys, bytes, the load's write units and both prices in USD."""

    keys: int
    item_bytes: int
    source_bytes: int
    load_write_units: int
    load_usd: float
    import_usd: float

    def scaled(self, keys: int) -> BulkEstimate:
        """The same input's averages for `keys` keys (the worked estimate for 100 million)."""
        factor = keys / self.keys if self.keys else 0.0
        return BulkEstimate(
            keys,
            round(self.item_bytes * factor),
            round(self.source_bytes * factor),
            round(self.load_write_units * factor),
            self.load_usd * factor,
            self.import_usd * factor,
        )


def bulk_estimate(
    entries: Iterable[tuple[str, JsonValue]], namespace: str, prices: Prices, ttl: int | None = None
) -> BulkEstimate:
    """Price loading `entries` into `namespace` both ways; InvalidInputError when the price table has no [bulk]."""
    if "bulk" not in prices.figures:
        raise InvalidInputError(
            "price table: [bulk] import_from_s3_per_gb and export_to_s3_per_gb are missing"
        )
    timestamp = iso_timestamp(utc_now())
    keys = item_bytes = source = units = 0
    for key, value in entries:
        item = imported_key_item(namespace, key, value, timestamp, ttl)
        size = item_size(item)
        keys, item_bytes, source = keys + 1, item_bytes + size, source + len(item_line(item))
        units += 2 * int(write_units(size))  # the table's write, and GSI1's copy of the whole item
    return BulkEstimate(
        keys,
        item_bytes,
        source,
        units,
        units / MILLION * prices("on_demand", "standard_write_per_million"),
        source / GB * prices("bulk", "import_from_s3_per_gb"),
    )
