"""The table's safety invariants: PITR, encryption, TTL on `ttl`, deletion protection, Retain, on-demand;
and the numbers that cap its cost or its recovery within AWS's documented ranges."""

import re
from collections.abc import Iterator
from typing import Any, ClassVar

from cfnlint.rules import CloudFormationLintRule, RuleMatch
from cfnlint.template import Template

from cfn_rules.common import (
    GLOBAL_TABLE_TYPE,
    MISSING,
    TTL_ATTRIBUTE,
    WARM_READ_MINIMUM,
    WARM_WRITE_MINIMUM,
    Path,
    condition_scenarios,
    elements,
    found_suffix,
    holds,
    lookup,
    resolve,
    tables,
    unique,
)

SOURCE = "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-dynamodb-table.html"

# A key path below the properties (or below a replica) and the one value it must have there.
Requirement = tuple[tuple[str, ...], bool | str]


class _TableInvariant:
    """Keys every table must have, with their values, under every condition scenario.

    A mixin, not a rule itself: cfn-lint instantiates every CloudFormationLintRule subclass it finds.
    """

    source_url = SOURCE
    tags: ClassVar[list[str]] = ["kvtable", "dynamodb"]
    problem = ""
    required: ClassVar[tuple[Requirement, ...]] = ()
    # A global table keeps these keys in each replica rather than in its own properties.
    in_every_replica: ClassVar[bool] = False

    def resources(self, cfn: Template) -> dict[str, Any]:
        return tables(cfn)

    def match(self, cfn: Template) -> list[RuleMatch]:
        matches = []
        for logical_id, resource in self.resources(cfn).items():
            props = resource.get("Properties")
            if not isinstance(props, dict):
                path: Path = ["Resources", logical_id, *(["Properties"] if "Properties" in resource else [])]
                matches.append(RuleMatch(path, f"{logical_id}: {self.problem}"))
                continue
            for scenario in condition_scenarios(cfn, props):
                for where, value in self._wrong(props, ["Resources", logical_id, "Properties"], scenario):
                    matches.append(RuleMatch(where, f"{logical_id}: {self.problem}{found_suffix(value)}"))
        return unique(matches)

    def _wrong(
        self, props: dict[str, Any], path: Path, scenario: dict[str, bool]
    ) -> Iterator[tuple[Path, Any]]:
        """Where a required key is missing or wrong under the scenario, and what is there."""
        subjects = [(path, props)]
        if self.in_every_replica and "Replicas" in props:
            replicas_path, listed = lookup(props, path, ["Replicas"], scenario)
            subjects = list(elements(listed, replicas_path, scenario)) if isinstance(listed, list) else []
            if not subjects:
                # No replica: no region keeps the property, so the Replicas list itself is wrong.
                yield replicas_path, MISSING
                return
        for subject_path, subject in subjects:
            for keys, expected in self.required:
                where, value = lookup(subject, subject_path, keys, scenario)
                if not holds(value, expected):
                    yield where, value


class PointInTimeRecovery(_TableInvariant, CloudFormationLintRule):  # type: ignore[misc]
    """The table has point-in-time recovery (a global table, in every replica)."""

    id = "E9001"
    shortdesc = "kvtable: table has point-in-time recovery"
    description = "PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled must be true"
    problem = "point-in-time recovery must be enabled"
    required = ((("PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled"), True),)
    in_every_replica = True


class ServerSideEncryption(_TableInvariant, CloudFormationLintRule):  # type: ignore[misc]
    """The table encrypts with a KMS key (AWS-managed or customer-managed), not the AWS-owned default."""

    id = "E9002"
    shortdesc = "kvtable: table uses KMS server-side encryption"
    description = "SSESpecification.SSEEnabled must be true"
    problem = "server-side encryption with KMS (SSESpecification.SSEEnabled: true) is required"
    required = ((("SSESpecification", "SSEEnabled"), True),)


class TimeToLive(_TableInvariant, CloudFormationLintRule):  # type: ignore[misc]
    """TTL is enabled on the attribute that key items carry their expiry in."""

    id = "E9003"
    shortdesc = f"kvtable: table has TTL on attribute {TTL_ATTRIBUTE}"
    description = f"TimeToLiveSpecification must enable TTL on attribute '{TTL_ATTRIBUTE}'"
    problem = f"TTL must be enabled on attribute '{TTL_ATTRIBUTE}'"
    required = (
        (("TimeToLiveSpecification", "Enabled"), True),
        (("TimeToLiveSpecification", "AttributeName"), TTL_ATTRIBUTE),
    )


class DeletionProtection(_TableInvariant, CloudFormationLintRule):  # type: ignore[misc]
    """The table cannot be deleted while deletion protection is on (a global table, in every replica)."""

    id = "E9004"
    shortdesc = "kvtable: table has deletion protection"
    description = "DeletionProtectionEnabled must be true"
    problem = "deletion protection (DeletionProtectionEnabled: true) is required"
    required = ((("DeletionProtectionEnabled",), True),)
    in_every_replica = True


class OnDemandBilling(_TableInvariant, CloudFormationLintRule):  # type: ignore[misc]
    """On-demand billing, as designed (no capacity to manage)."""

    id = "E9006"
    shortdesc = "kvtable: table bills on demand"
    description = "BillingMode must be PAY_PER_REQUEST"
    problem = "BillingMode must be PAY_PER_REQUEST"
    required = ((("BillingMode",), "PAY_PER_REQUEST"),)


class GlobalTableStream(_TableInvariant, CloudFormationLintRule):  # type: ignore[misc]
    """A global table streams new and old images, which replication with more than one replica needs."""

    id = "E9008"
    shortdesc = "kvtable: global table streams NEW_AND_OLD_IMAGES"
    description = "A global table's StreamSpecification.StreamViewType must be NEW_AND_OLD_IMAGES"
    source_url = "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-dynamodb-globaltable.html"
    problem = "the stream must be NEW_AND_OLD_IMAGES"
    required = ((("StreamSpecification", "StreamViewType"), "NEW_AND_OLD_IMAGES"),)

    def resources(self, cfn: Template) -> dict[str, Any]:
        # A single-region table has no replicas to feed: its stream is its own business.
        global_tables: dict[str, Any] = cfn.get_resources([GLOBAL_TABLE_TYPE])
        return global_tables


class RetainTable(CloudFormationLintRule):  # type: ignore[misc]
    """The table is retained when deleted from the stack or replaced."""

    id = "E9005"
    shortdesc = "kvtable: table is retained on delete and replace"
    description = "DeletionPolicy and UpdateReplacePolicy must both be Retain"
    source_url = (
        "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html"
    )
    tags: ClassVar[list[str]] = ["kvtable", "dynamodb"]

    def match(self, cfn: Template) -> list[RuleMatch]:
        matches = []
        for logical_id, resource in tables(cfn).items():
            for policy in ("DeletionPolicy", "UpdateReplacePolicy"):
                # The attribute that says otherwise, or the resource when the attribute is missing.
                where, value = lookup(resource, ["Resources", logical_id], [policy], {})
                if not holds(value, "Retain"):
                    matches.append(
                        RuleMatch(where, f"{logical_id}: {policy} must be Retain{found_suffix(value)}")
                    )
        return matches


# A key path below a table's properties; "*" is each element of a list (GSIs, replicas).
Place = tuple[str, ...]
# AWS's documented range of a key, by its name: the least, the most (None: no documented most).
Range = tuple[int, int | None]


def _places(node: Any, path: Path, place: Place, scenario: dict[str, bool]) -> Iterator[tuple[Path, Any]]:
    """Each value at `place` below the node under the scenario, with its path; nothing where a key is
    missing (a rule about a value's range has nothing to say about a value that is not there)."""
    if not place:
        yield path, node
        return
    key, rest = place[0], place[1:]
    if key == "*":
        node, path = resolve(node, path, scenario)
        if isinstance(node, list):
            for item_path, item in elements(node, path, scenario):
                yield from _places(item, item_path, rest, scenario)
        return
    where, value = lookup(node, path, [key], scenario)
    if value is not MISSING:
        yield from _places(value, where, rest, scenario)


def _number(cfn: Template, value: Any) -> int | None:
    """The whole number a value stands for: a literal, or the default of the parameter it refers to;
    None for anything else (another intrinsic, an empty default, which these templates leave out)."""
    if isinstance(value, dict) and set(value) == {"Ref"}:
        parameter = cfn.template.get("Parameters", {}).get(value["Ref"])
        value = parameter.get("Default") if isinstance(parameter, dict) else None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value):
        return int(value)
    return None


class _WithinRange:
    """Numbers a table's properties hold at `places`, within AWS's documented range of their key.

    A mixin, not a rule itself: cfn-lint instantiates every CloudFormationLintRule subclass it finds."""

    tags: ClassVar[list[str]] = ["kvtable", "dynamodb"]
    places: ClassVar[tuple[Place, ...]] = ()
    ranges: ClassVar[dict[str, Range]] = {}
    advice = ""

    def match(self, cfn: Template) -> list[RuleMatch]:
        matches = []
        for logical_id, resource in tables(cfn).items():
            props = resource.get("Properties")
            if not isinstance(props, dict):
                continue
            for scenario in condition_scenarios(cfn, props):
                for place in self.places:
                    least, most = self.ranges[place[-1]]
                    for where, value in _places(
                        props, ["Resources", logical_id, "Properties"], place, scenario
                    ):
                        number = _number(cfn, value)
                        if number is None or (least <= number and (most is None or number <= most)):
                            continue
                        allowed = f"at least {least}" if most is None else f"{least} to {most}"
                        matches.append(
                            RuleMatch(
                                where,
                                f"{logical_id}: {place[-1]} must be {allowed}{self.advice} (found {value!r})",
                            )
                        )
        return unique(matches)


_CAPS: tuple[Place, ...] = (
    ("OnDemandThroughput", "MaxReadRequestUnits"),
    ("OnDemandThroughput", "MaxWriteRequestUnits"),
    ("GlobalSecondaryIndexes", "*", "OnDemandThroughput", "MaxReadRequestUnits"),
    ("GlobalSecondaryIndexes", "*", "OnDemandThroughput", "MaxWriteRequestUnits"),
    # A global table: writes capped for the table (and each GSI), reads for each replica (and its GSIs).
    ("ReadOnDemandThroughputSettings", "MaxReadRequestUnits"),
    ("WriteOnDemandThroughputSettings", "MaxWriteRequestUnits"),
    ("GlobalSecondaryIndexes", "*", "ReadOnDemandThroughputSettings", "MaxReadRequestUnits"),
    ("GlobalSecondaryIndexes", "*", "WriteOnDemandThroughputSettings", "MaxWriteRequestUnits"),
    ("Replicas", "*", "ReadOnDemandThroughputSettings", "MaxReadRequestUnits"),
    ("Replicas", "*", "GlobalSecondaryIndexes", "*", "ReadOnDemandThroughputSettings", "MaxReadRequestUnits"),
)


class OnDemandCapsArePositive(_WithinRange, CloudFormationLintRule):  # type: ignore[misc]
    """An on-demand cap is a positive number of request units. -1 is the API's way to remove a cap;
    in a template it differs from what CloudFormation reads back, so "no cap" is the key left out."""

    id = "E9009"
    shortdesc = "kvtable: on-demand throughput caps are at least 1"
    description = (
        "MaxReadRequestUnits and MaxWriteRequestUnits must be at least 1; leave the key out for no cap"
    )
    source_url = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/on-demand-capacity-mode-max-throughput.html"
    places = _CAPS
    ranges: ClassVar[dict[str, Range]] = {"MaxReadRequestUnits": (1, None), "MaxWriteRequestUnits": (1, None)}
    advice = "; leave the key out for no cap"


class WarmThroughputAtLeastTheFloor(_WithinRange, CloudFormationLintRule):  # type: ignore[misc]
    """Warm throughput is at least what every on-demand table already has (AWS refuses less)."""

    id = "E9010"
    shortdesc = "kvtable: warm throughput is at least AWS's on-demand floor"
    description = (
        f"WarmThroughput.ReadUnitsPerSecond must be at least {WARM_READ_MINIMUM} and WriteUnitsPerSecond at "
        f"least {WARM_WRITE_MINIMUM}"
    )
    source_url = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/warm-throughput.html"
    places = (
        ("WarmThroughput", "ReadUnitsPerSecond"),
        ("WarmThroughput", "WriteUnitsPerSecond"),
        ("GlobalSecondaryIndexes", "*", "WarmThroughput", "ReadUnitsPerSecond"),
        ("GlobalSecondaryIndexes", "*", "WarmThroughput", "WriteUnitsPerSecond"),
    )
    ranges: ClassVar[dict[str, Range]] = {
        "ReadUnitsPerSecond": (WARM_READ_MINIMUM, None),
        "WriteUnitsPerSecond": (WARM_WRITE_MINIMUM, None),
    }


class RecoveryPeriodInRange(_WithinRange, CloudFormationLintRule):  # type: ignore[misc]
    """Point-in-time recovery keeps 1 to 35 days (a global table, in every replica)."""

    id = "E9011"
    shortdesc = "kvtable: the point-in-time recovery period is 1 to 35 days"
    description = "PointInTimeRecoverySpecification.RecoveryPeriodInDays must be 1 to 35"
    places = (
        ("PointInTimeRecoverySpecification", "RecoveryPeriodInDays"),
        ("Replicas", "*", "PointInTimeRecoverySpecification", "RecoveryPeriodInDays"),
    )
    ranges: ClassVar[dict[str, Range]] = {"RecoveryPeriodInDays": (1, 35)}
