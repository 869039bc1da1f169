"""Progress on long waits: a line when something changes, and otherwise one a minute."""

import io

from kvtable.console.progress import ProgressLine, elapsed_text


def test_elapsed_time_reads_in_minutes_then_hours() -> None:
    assert [elapsed_text(s) for s in (0, 59.9, 61, 3600, 7384)] == [
        "0m00s",
        "0m59s",
        "1m01s",
        "1h00m00s",
        "2h03m04s",
    ]


def test_a_wait_of_hours_prints_news_and_one_line_a_minute_not_every_poll() -> None:
    out = io.StringIO()
    progress = ProgressLine(out)
    for second in range(0, 150, 15):
        progress.waiting("replica eu-west-1", "eu-west-1 CREATING", second)
    progress.waiting("replica eu-west-1", "eu-west-1 UPDATING", 150)
    assert out.getvalue().splitlines() == [
        "  replica eu-west-1: waiting for eu-west-1 CREATING (0m00s elapsed)",
        "  replica eu-west-1: waiting for eu-west-1 CREATING (1m00s elapsed)",
        "  replica eu-west-1: waiting for eu-west-1 CREATING (2m00s elapsed)",
        "  replica eu-west-1: waiting for eu-west-1 UPDATING (2m30s elapsed)",
    ]
