"""`kvtable cost`: the capacity rules at their boundaries, the estimate's arithmetic from the files on
disk (prices never in code), the caps, the alarms counted from the template, and the command's exits."""

import json
import math
import sys
from pathlib import Path

import pytest
from troposphere import Parameter

from kvtable.builders.guardrails import recommended_alarms
from kvtable.cfn import names
from kvtable.cli.main import main
from kvtable.cost.alarms import template_alarm_count
from kvtable.cost.capacity import read_units, write_units
from kvtable.cost.inputs import EXAMPLE_PROFILE, PRICE_TABLE, data_file, load_prices, load_profile
from kvtable.cost.model import SECONDS_A_MONTH, estimate
from tests.paths import REPO_ROOT

ROOT = REPO_ROOT


def exit_code(argv: list[str]) -> int:
    """The command's exit code, whether it returns it or exits with it (an error's one line)."""
    with pytest.raises(SystemExit) as exited:
        raise SystemExit(main(argv))
    return int(exited.value.code or 0)


def test_units_follow_aws_rules_at_the_boundaries() -> None:
    assert [write_units(size) for size in (1, 1024, 1025, 2048, 2049)] == [1, 1, 2, 2, 3]
    assert write_units(3 * 1024, transactional=True) == 6  # AWS's own example: 3 KB in a transaction
    assert [read_units(size) for size in (1, 4096, 4097)] == [0.5, 0.5, 1.0]
    assert read_units(8 * 1024, consistent=True) == 2  # AWS's example: 8 KB, strongly consistent
    assert read_units(8 * 1024, transactional=True) == 4


def test_the_example_profile_prices_on_demand_from_the_price_table() -> None:
    profile, prices = load_profile(data_file(EXAMPLE_PROFILE)), load_prices()
    result = estimate(profile, prices, alarms=0)
    for plan in result.plans:
        units = plan.average_units
        reads = (units["table_read"] + units["index_read"]) * SECONDS_A_MONTH / 1e6
        writes = (units["table_write"] + units["index_write"]) * SECONDS_A_MONTH / 1e6
        expected = reads * prices("on_demand", "standard_read_per_million") + writes * prices(
            "on_demand", "standard_write_per_million"
        )
        assert plan.costs["on_demand"] == pytest.approx(expected)
        # Every key write also writes GSI1: the index's writes equal the table's key writes.
        assert units["index_write"] == units["table_write"]
    assert result.totals["on_demand"] == pytest.approx(sum(p.costs["on_demand"] for p in result.plans))


def test_prices_come_from_the_file(tmp_path: Path) -> None:
    text = data_file(PRICE_TABLE).read_text(encoding="utf-8")
    doubled = tmp_path / "prices.toml"
    doubled.write_text(
        text.replace("standard_write_per_million = 0.625", "standard_write_per_million = 1.25"),
        encoding="utf-8",
    )
    profile = load_profile(data_file(EXAMPLE_PROFILE))
    base = estimate(profile, load_prices(), alarms=0)
    dearer = estimate(profile, load_prices(doubled), alarms=0)
    assert dearer.totals["gsi_writes_on_demand"] == pytest.approx(2 * base.totals["gsi_writes_on_demand"])
    assert load_prices().date == "2026-11-30"
    assert load_prices().region == "us-east-1"


def test_caps_bound_the_summed_peaks_with_headroom() -> None:
    profile = load_profile(data_file(EXAMPLE_PROFILE))
    result = estimate(profile, load_prices(), headroom=2.0, alarms=0)
    peak = sum(plan.peak_units["table_write"] for plan in result.plans)
    assert result.caps["MaxWriteRequestUnits"] == math.ceil(2.0 * peak)
    # The worst month is the caps held all month: above the expected on-demand requests.
    assert result.worst_month_at_caps > result.totals["on_demand"]


def test_alarms_are_counted_from_the_template_code() -> None:
    template = json.loads((ROOT / "templates" / "database.json").read_text(encoding="utf-8"))
    alarms = [r for r in template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    assert template_alarm_count() == len(alarms)


def test_the_alarms_counted_are_the_ones_the_builder_makes() -> None:
    threshold = Parameter("Threshold", Type="Number")
    built = [spec.title for spec in recommended_alarms(threshold, threshold, threshold)]
    assert built == list(names.RECOMMENDED_ALARMS)


def test_the_command_prints_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", "--example", "--alarms", "10"]) == 0
    out = capsys.readouterr().out
    assert "MONTH on-demand, Standard" in out
    assert 'MaxWriteRequestUnits = "' in out
    assert "2026-11-30" in out
    assert main(["cost", "--example", "--format", "json", "--utilisation", "0.5", "--alarms", "10"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [plan["plan"] for plan in data["plans"]] == ["free", "pro", "scale"]
    assert data["utilisation"] == 0.5
    assert data["fixed"]["alarms"] == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (("users = 500\n", 'users = "many"\n'), "plans.pro.users"),
        (("get_key = 0.05\n", "get_key = -1\n"), "plans.pro.requests_per_second.get_key"),
        (("list_keys = 0.002\n", "scan_all = 0.002\n"), "plans.pro.requests_per_second.scan_all"),
        (("[plans.pro]\n", "[plans.enterprise]\n"), "plans.enterprise"),
        (("ttl_share = 0.3\n", "ttl_share = 3\n"), "plans.pro.ttl_share"),
    ],
)
def test_a_bad_profile_exits_2_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: tuple[str, str], field: str
) -> None:
    text = data_file(EXAMPLE_PROFILE).read_text(encoding="utf-8")
    assert change[0] in text
    profile = tmp_path / "profile.toml"
    profile.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    assert exit_code(["cost", str(profile), "--alarms", "0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert field in err


def test_a_missing_profile_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_code(["cost", "no-such-profile.toml"]) == 2
    assert capsys.readouterr().err == (
        "kvtable cost: error: argument PROFILE: no-such-profile.toml does not exist (see 'kvtable cost --help')\n"
    )


def test_the_data_files_ship_with_the_package() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"cost/data/*.toml"' in pyproject


def test_a_base_install_prices_with_alarms_given(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without troposphere (the base install) the alarms are still counted: the count is plain data."""
    monkeypatch.setitem(sys.modules, "troposphere", None)
    assert exit_code(["cost", "--example"]) == 0
    assert exit_code(["cost", "--example", "--alarms", "10"]) == 0
