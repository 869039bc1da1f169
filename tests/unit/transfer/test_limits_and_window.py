"""Import from S3's documented quotas ("Import format quotas and validation",
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/S3DataImport.Validation.html) and an
incremental export's window, each refused before any call."""

from datetime import UTC, datetime, timedelta

import pytest

from kvtable.console.errors import RefusedError, UsageError
from kvtable.transfer.export_job import ExportWindow, check_window
from kvtable.transfer.import_job import table_creation_parameters
from kvtable.transfer.limits import TB, SourceSize, check_limits, max_source_bytes

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def test_the_object_limit_is_50000_in_every_region() -> None:
    check_limits(SourceSize(50_000, 5 * 10**9, 10**12, 5 * 10**12), "ap-south-1")
    with pytest.raises(
        RefusedError, match="the source would be 50,001 S3 objects; an import takes at most 50,000"
    ):
        check_limits(SourceSize(50_001, 1, 1, 1), "us-east-1")


def test_the_size_limit_is_15_tb_in_three_regions_and_1_tb_elsewhere() -> None:
    assert [max_source_bytes(r) for r in ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1")] == [
        15 * TB,
        15 * TB,
        15 * TB,
        1 * TB,
    ]
    check_limits(SourceSize(1, 1, 15 * TB, 40 * TB), "eu-west-1")
    with pytest.raises(RefusedError, match="imports in eu-central-1 take at most 1 TB"):
        check_limits(SourceSize(1, 1, TB + 1, TB + 1), "eu-central-1")


def test_an_incremental_window_is_15_minutes_to_24_hours_inside_pitr_and_not_in_the_future() -> None:
    check_window(ExportWindow(NOW - timedelta(minutes=15), NOW), None, NOW)
    check_window(ExportWindow(NOW - timedelta(hours=24), NOW), NOW - timedelta(days=2), NOW)
    for window, earliest, message in [
        (ExportWindow(NOW - timedelta(minutes=14), NOW), None, "covers 15 minutes to 24 hours"),
        (ExportWindow(NOW - timedelta(hours=25), NOW), None, "covers 15 minutes to 24 hours"),
        (ExportWindow(NOW, NOW + timedelta(hours=1)), None, "is in the future"),
        (
            ExportWindow(NOW - timedelta(hours=2), NOW),
            NOW - timedelta(hours=1),
            "before the earliest restorable",
        ),
    ]:
        with pytest.raises(UsageError, match=message):
            check_window(window, earliest, NOW)


def test_the_import_takes_the_templates_table_less_what_it_cannot_set() -> None:
    request = {
        "TableName": "t",
        "KeySchema": [{"AttributeName": "PK", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "PK", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
        "GlobalSecondaryIndexes": [],
        "DeletionProtectionEnabled": True,
    }
    parameters = table_creation_parameters(request)
    assert "DeletionProtectionEnabled" not in parameters
    assert parameters["BillingMode"] == "PAY_PER_REQUEST" and parameters["TableName"] == "t"
