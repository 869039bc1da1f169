"""One format for every time the CLI prints: ISO 8601 UTC with a `Z`, to the second, milliseconds only
where the fraction matters; and the restore's window and PITR command built from it."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from kvtable.recovery.restore import pitr_command, restorable_window
from kvtable.verify.report import Report, utc_text

INDIA = timezone(timedelta(hours=5, minutes=30))
MOMENT = datetime(2026, 12, 7, 8, 10, 50, 405000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("when", "options", "shown"),
    [
        (MOMENT, {}, "2026-12-07T08:10:50Z"),
        (MOMENT.astimezone(INDIA), {}, "2026-12-07T08:10:50Z"),
        (MOMENT, {"round_up": True}, "2026-12-07T08:10:51Z"),
        (MOMENT.replace(microsecond=0), {"round_up": True}, "2026-12-07T08:10:50Z"),
        (MOMENT, {"precise": True}, "2026-12-07T08:10:50.405Z"),
        (MOMENT.replace(microsecond=0), {"precise": True}, "2026-12-07T08:10:50Z"),
        (None, {}, "unknown"),
    ],
)
def test_a_time_is_printed_one_way(when: datetime | None, options: dict[str, bool], shown: str) -> None:
    assert utc_text(when, **options) == shown


def test_a_window_is_printed_with_times_inside_it() -> None:
    hour_later = MOMENT + timedelta(hours=1)
    assert restorable_window(MOMENT, hour_later) == "2026-12-07T08:10:51Z to 2026-12-07T09:10:50Z"
    # An instant (moto's window) holds no whole second: the fraction matters, so it is shown.
    assert restorable_window(MOMENT, MOMENT) == "2026-12-07T08:10:50.405Z to 2026-12-07T08:10:50.405Z"


def test_verify_prints_its_time_the_same_way() -> None:
    report = Report("KVDatabaseStack", MOMENT.astimezone(INDIA), ())
    assert report.as_table().splitlines()[0] == "Verify KVDatabaseStack at 2026-12-07T08:10:50Z"
    assert '"time": "2026-12-07T08:10:50Z"' in report.as_json()


def test_the_pitr_command_names_the_endpoint_only_off_aws() -> None:
    assert pitr_command("kv-storage-data", "eu-west-1", "https://dynamodb.eu-west-1.amazonaws.com") == (
        "aws dynamodb update-continuous-backups --table-name kv-storage-data "
        "--point-in-time-recovery-specification PointInTimeRecoveryEnabled=true --region eu-west-1"
    )
    assert pitr_command("kv data", "us-east-1", "http://127.0.0.1:5001") == (
        "aws dynamodb update-continuous-backups --table-name 'kv data' "
        "--point-in-time-recovery-specification PointInTimeRecoveryEnabled=true --region us-east-1 "
        "--endpoint-url http://127.0.0.1:5001"
    )
