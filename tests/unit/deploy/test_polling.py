"""Poller.until_settled: polls until nothing is pending, prints a progress line when the state changes,
and gives up past its limit with the caller's message."""

import io

import pytest

from kvtable.console.errors import ToolError
from kvtable.deploy.polling import Poller
from tests.unit.deploy.fake_time import SteppedClock


def test_it_polls_until_nothing_is_pending_and_returns_the_seconds_taken() -> None:
    clock = SteppedClock()
    answers = iter([["GSI2 CREATING"], ["GSI2 CREATING"], ["GSI2 ACTIVE, backfilling"], []])
    out = io.StringIO()
    elapsed = Poller(out, 15.0, clock.sleep, clock).until_settled(
        lambda: next(answers), "step 1 of 2", 3600, "timed out"
    )
    assert elapsed == 45.0
    assert clock.slept == [15.0, 15.0, 15.0]
    # A line when what is pending changes, not one every poll.
    assert out.getvalue() == (
        "  step 1 of 2: waiting for GSI2 CREATING (0m00s elapsed)\n"
        "  step 1 of 2: waiting for GSI2 ACTIVE, backfilling (0m30s elapsed)\n"
    )


def test_nothing_pending_at_the_first_look_returns_at_once_without_a_line() -> None:
    clock = SteppedClock()
    out = io.StringIO()
    assert Poller(out, 15.0, clock.sleep, clock).until_settled(list, "deploy", 60, "timed out") == 0.0
    assert (out.getvalue(), clock.slept) == ("", [])


def test_the_same_state_is_said_again_once_a_minute() -> None:
    clock = SteppedClock()
    looks = iter([["GSI2 CREATING"]] * 6 + [[]])
    out = io.StringIO()
    Poller(out, 15.0, clock.sleep, clock).until_settled(lambda: next(looks), "deploy", 3600, "timed out")
    assert out.getvalue().splitlines() == [
        "  deploy: waiting for GSI2 CREATING (0m00s elapsed)",
        "  deploy: waiting for GSI2 CREATING (1m00s elapsed)",
    ]


def test_past_the_limit_it_raises_the_callers_message() -> None:
    clock = SteppedClock()
    with pytest.raises(ToolError) as error:
        Poller(io.StringIO(), 10.0, clock.sleep, clock).until_settled(
            lambda: ["GSI2 CREATING"], "deploy", 25, "indexes did not settle; run the same deploy again"
        )
    assert str(error.value) == "indexes did not settle; run the same deploy again"
    assert error.value.exit_code == 1
    assert clock.now == 30.0
