"""The table's safety invariants: PITR, encryption, TTL on `ttl`, deletion protection, Retain, on-demand."""

from collections.abc import Iterator
from typing import Any, ClassVar

from cfnlint.rules import CloudFormationLintRule, RuleMatch
from cfnlint.template import Template

from cfn_rules.common import (
    GLOBAL_TABLE_TYPE,
    MISSING,
    TTL_ATTRIBUTE,
    Path,
    condition_scenarios,
    elements,
    found_suffix,
    holds,
    lookup,
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
