"""What caps the table's cost and what it is ready for: on-demand throughput caps on the table and the
GSI, warm throughput, the point-in-time recovery window and Contributor Insights' mode.

Each is a parameter whose default leaves the key out (through a condition and AWS::NoValue), so a
stack deployed with the defaults has exactly the effective properties it had before these existed.
A cap is a positive number or empty, never -1: -1 is how DynamoDB's API removes a cap, and a
template that said -1 would differ from what CloudFormation reads back (the drift Pulumi's provider
shows); leaving the key out is what "no cap" means in a template.
"""

from typing import Final

from troposphere import AWSHelperFn, Equals, If, Not, Or, Parameter, Ref, Template
from troposphere import dynamodb as ddb

from kvtable.cfn import names

WARM_READ_MINIMUM: Final = names.WARM_READ_MINIMUM
WARM_WRITE_MINIMUM: Final = names.WARM_WRITE_MINIMUM
# Point-in-time recovery keeps 1 to 35 days; 35 is AWS's default and the design's.
RECOVERY_PERIOD_MINIMUM: Final = 1
RECOVERY_PERIOD_MAXIMUM: Final = 35
CONTRIBUTOR_INSIGHTS_MODES: Final = ("ACCESSED_AND_THROTTLED_KEYS", "THROTTLED_KEYS")
NO_VALUE: Final = Ref("AWS::NoValue")


def at_least_pattern(minimum: int) -> str:
    """A regular expression for the decimal integers >= `minimum` (no leading zeros): CloudFormation's
    parameters have MinValue only for numbers, and these must also accept empty for "not set"."""
    digits = str(minimum)
    same_length = [digits] + [
        digits[:i]
        + f"[{int(digits[i]) + 1}-9]"
        + (f"[0-9]{{{len(digits) - i - 1}}}" if i < len(digits) - 1 else "")
        for i in range(len(digits))
        if digits[i] != "9"
    ]
    return "|".join([*same_length, f"[1-9][0-9]{{{len(digits)},}}"])


def optional_units_parameter(template: Template, title: str, minimum: int, what: str) -> Parameter:
    """A parameter that is empty (the default: the key is left out) or an integer >= `minimum`,
    with the condition `Has<title>` that it is given."""
    parameter = template.add_parameter(
        Parameter(
            title,
            Type="String",
            Default="",
            AllowedPattern=f"^({at_least_pattern(minimum)})?$",
            Description=f"{what}; empty (default): not set.",
            ConstraintDescription=f"must be empty or a whole number of at least {minimum}",
        )
    )
    template.add_condition(given(title), _is_given(title))
    return parameter


def _is_given(title: str) -> Not:
    return Not(Equals(Ref(title), ""))


def given(title: str) -> str:
    """The condition that the optional parameter `title` is given."""
    return f"Has{title}"


def _optional(parameter: str) -> If:
    return If(given(parameter), Ref(parameter), NO_VALUE)


def add_throughput_parameters(template: Template) -> None:
    """The caps, warm throughput, recovery period and Contributor Insights mode, with their conditions."""
    for title, what in (
        (
            names.MAX_READ_PARAMETER,
            "Most read request units a second the table may consume (an on-demand cap)",
        ),
        (
            names.MAX_WRITE_PARAMETER,
            "Most write request units a second the table may consume (an on-demand cap)",
        ),
        (
            names.GSI_MAX_READ_PARAMETER,
            "Most read request units a second the GSI may consume (an on-demand cap)",
        ),
        (
            names.GSI_MAX_WRITE_PARAMETER,
            "Most write request units a second the GSI may consume (an on-demand cap)",
        ),
    ):
        optional_units_parameter(template, title, 1, what)
    optional_units_parameter(
        template,
        names.WARM_READ_PARAMETER,
        WARM_READ_MINIMUM,
        f"Reads a second the table is ready for at once (warm throughput, at least {WARM_READ_MINIMUM})",
    )
    optional_units_parameter(
        template,
        names.WARM_WRITE_PARAMETER,
        WARM_WRITE_MINIMUM,
        f"Writes a second the table is ready for at once (warm throughput, at least {WARM_WRITE_MINIMUM})",
    )
    _either(template, names.WARM_THROUGHPUT_CONDITION, names.WARM_READ_PARAMETER, names.WARM_WRITE_PARAMETER)
    mode = template.add_parameter(
        Parameter(
            names.CONTRIBUTOR_INSIGHTS_MODE_PARAMETER,
            Type="String",
            Default=CONTRIBUTOR_INSIGHTS_MODES[0],
            AllowedValues=list(CONTRIBUTOR_INSIGHTS_MODES),
            Description="What Contributor Insights tracks when it is on: every accessed and throttled key "
            "(default) or the throttled keys only (fewer events billed).",
        )
    )
    # The default mode is left out, as before the parameter: AWS's default is the same mode.
    template.add_condition(names.THROTTLED_KEYS_CONDITION, Equals(Ref(mode), "THROTTLED_KEYS"))
    period = template.add_parameter(
        Parameter(
            names.RECOVERY_PERIOD_PARAMETER,
            Type="Number",
            Default=str(RECOVERY_PERIOD_MAXIMUM),
            MinValue=RECOVERY_PERIOD_MINIMUM,
            MaxValue=RECOVERY_PERIOD_MAXIMUM,
            Description="Days of point-in-time recovery kept (1 to 35; default 35).",
        )
    )
    template.add_condition(
        names.SHORTER_RECOVERY_CONDITION, Not(Equals(Ref(period), str(RECOVERY_PERIOD_MAXIMUM)))
    )


def _either(template: Template, condition: str, first: str, second: str) -> None:
    # Spelled out rather than naming the two conditions: kvtable's evaluator (and others) read
    # conditions in order, and one that names another declared later would not be known yet.
    template.add_condition(condition, Or(_is_given(first), _is_given(second)))


def add_cap_conditions(template: Template) -> None:
    """The conditions that a single-region table's (or its GSI's) OnDemandThroughput holds a cap: a
    global table sets read and write caps in separate keys and needs no such condition."""
    _either(template, names.TABLE_CAP_CONDITION, names.MAX_READ_PARAMETER, names.MAX_WRITE_PARAMETER)
    _either(template, names.GSI_CAP_CONDITION, names.GSI_MAX_READ_PARAMETER, names.GSI_MAX_WRITE_PARAMETER)


def point_in_time_recovery() -> ddb.PointInTimeRecoverySpecification:
    """PITR on, keeping RecoveryPeriodInDays days; the key is left out at the default 35."""
    return ddb.PointInTimeRecoverySpecification(
        PointInTimeRecoveryEnabled=True,
        RecoveryPeriodInDays=If(
            names.SHORTER_RECOVERY_CONDITION, Ref(names.RECOVERY_PERIOD_PARAMETER), NO_VALUE
        ),
    )


def contributor_insights_mode() -> If:
    """THROTTLED_KEYS when asked for; otherwise no Mode, which is ACCESSED_AND_THROTTLED_KEYS."""
    return If(names.THROTTLED_KEYS_CONDITION, "THROTTLED_KEYS", NO_VALUE)


def on_demand_throughput(on_index: bool) -> AWSHelperFn:
    """A single-region table's (or its GSI's) OnDemandThroughput, left out when neither cap is given."""
    read, write = (
        (names.GSI_MAX_READ_PARAMETER, names.GSI_MAX_WRITE_PARAMETER)
        if on_index
        else (names.MAX_READ_PARAMETER, names.MAX_WRITE_PARAMETER)
    )
    return If(
        names.GSI_CAP_CONDITION if on_index else names.TABLE_CAP_CONDITION,
        ddb.OnDemandThroughput(MaxReadRequestUnits=_optional(read), MaxWriteRequestUnits=_optional(write)),
        NO_VALUE,
    )


def read_cap(on_index: bool) -> If:
    """A global table's replica (or replica GSI) ReadOnDemandThroughputSettings, when a read cap is given."""
    parameter = names.GSI_MAX_READ_PARAMETER if on_index else names.MAX_READ_PARAMETER
    return If(
        given(parameter), ddb.ReadOnDemandThroughputSettings(MaxReadRequestUnits=Ref(parameter)), NO_VALUE
    )


def write_cap(on_index: bool) -> If:
    """A global table's (or its GSI's) WriteOnDemandThroughputSettings, when a write cap is given."""
    parameter = names.GSI_MAX_WRITE_PARAMETER if on_index else names.MAX_WRITE_PARAMETER
    return If(
        given(parameter), ddb.WriteOnDemandThroughputSettings(MaxWriteRequestUnits=Ref(parameter)), NO_VALUE
    )


def warm_throughput() -> If:
    """The table's WarmThroughput, left out when neither value is given. When one is given, the other
    is AWS's floor, which every on-demand table has anyway: the resource's schema needs one key at
    least, and cfn-lint cannot see that one of two conditional keys is always there."""

    def given_or(parameter: str, floor: int) -> If:
        return If(given(parameter), Ref(parameter), floor)

    return If(
        names.WARM_THROUGHPUT_CONDITION,
        ddb.WarmThroughput(
            ReadUnitsPerSecond=given_or(names.WARM_READ_PARAMETER, WARM_READ_MINIMUM),
            WriteUnitsPerSecond=given_or(names.WARM_WRITE_PARAMETER, WARM_WRITE_MINIMUM),
        ),
        NO_VALUE,
    )
