"""The table's safety invariants: PITR, encryption, TTL on `ttl`, deletion protection, Retain, on-demand."""

from typing import Any, ClassVar

from cfnlint.rules import CloudFormationLintRule, RuleMatch
from cfnlint.template import Template

from cfn_rules.common import GLOBAL_TABLE_TYPE, replicas, scenarios, tables

SOURCE = "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-dynamodb-table.html"


class _TableInvariant:
    """A property every table must have under every condition scenario.

    A mixin, not a rule itself: cfn-lint instantiates every CloudFormationLintRule subclass it finds.
    """

    source_url = SOURCE
    tags: ClassVar[list[str]] = ["kvtable", "dynamodb"]
    problem = ""

    def holds(self, properties: dict[str, Any]) -> bool:
        raise NotImplementedError

    def match(self, cfn: Template) -> list[RuleMatch]:
        matches = []
        for logical_id, resource in tables(cfn).items():
            props = resource.get("Properties", {})
            if not all(self.holds(p) for p in scenarios(cfn, props)) or not isinstance(props, dict):
                matches.append(
                    RuleMatch(["Resources", logical_id, "Properties"], f"{logical_id}: {self.problem}")
                )
        return matches


def _in_every_replica(properties: dict[str, Any], holds: Any) -> bool:
    """A single-region table's property, or the same property of every replica of a global table."""
    listed = replicas(properties)
    if listed is None:
        return bool(holds(properties))
    return bool(listed) and all(holds(replica) for replica in listed)


class PointInTimeRecovery(_TableInvariant, CloudFormationLintRule):  # type: ignore[misc]
    """The table has point-in-time recovery."""

    id = "E9001"
    shortdesc = "kvtable: table has point-in-time recovery"
    description = "PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled must be true"
    problem = "point-in-time recovery must be enabled"

    def holds(self, properties: dict[str, Any]) -> bool:
        return _in_every_replica(properties, self._holds)

    @staticmethod
    def _holds(properties: dict[str, Any]) -> bool:
        spec = properties.get("PointInTimeRecoverySpecification") or {}
        return isinstance(spec, dict) and spec.get("PointInTimeRecoveryEnabled") is True


class ServerSideEncryption(_TableInvariant, CloudFormationLintRule):  # type: ignore[misc]
    """The table encrypts with a KMS key (AWS-managed or customer-managed), not the AWS-owned default."""

    id = "E9002"
    shortdesc = "kvtable: table uses KMS server-side encryption"
    description = "SSESpecification.SSEEnabled must be true"
    problem = "server-side encryption with KMS (SSESpecification.SSEEnabled: true) is required"

    def holds(self, properties: dict[str, Any]) -> bool:
        spec = properties.get("SSESpecification") or {}
        return isinstance(spec, dict) and spec.get("SSEEnabled") is True


class TimeToLive(_TableInvariant, CloudFormationLintRule):  # type: ignore[misc]
    """TTL is enabled on the attribute `ttl` that key items carry."""

    id = "E9003"
    shortdesc = "kvtable: table has TTL on attribute ttl"
    description = "TimeToLiveSpecification must enable TTL on attribute 'ttl'"
    problem = "TTL must be enabled on attribute 'ttl'"

    def holds(self, properties: dict[str, Any]) -> bool:
        spec = properties.get("TimeToLiveSpecification") or {}
        return isinstance(spec, dict) and spec.get("Enabled") is True and spec.get("AttributeName") == "ttl"


class DeletionProtection(_TableInvariant, CloudFormationLintRule):  # type: ignore[misc]
    """The table cannot be deleted while deletion protection is on."""

    id = "E9004"
    shortdesc = "kvtable: table has deletion protection"
    description = "DeletionProtectionEnabled must be true"
    problem = "deletion protection (DeletionProtectionEnabled: true) is required"

    def holds(self, properties: dict[str, Any]) -> bool:
        return _in_every_replica(properties, lambda p: p.get("DeletionProtectionEnabled") is True)


class OnDemandBilling(_TableInvariant, CloudFormationLintRule):  # type: ignore[misc]
    """On-demand billing, as designed (no capacity to manage)."""

    id = "E9006"
    shortdesc = "kvtable: table bills on demand"
    description = "BillingMode must be PAY_PER_REQUEST"
    problem = "BillingMode must be PAY_PER_REQUEST"

    def holds(self, properties: dict[str, Any]) -> bool:
        return properties.get("BillingMode") == "PAY_PER_REQUEST"


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
                if resource.get(policy) != "Retain":
                    matches.append(
                        RuleMatch(["Resources", logical_id], f"{logical_id}: {policy} must be Retain")
                    )
        return matches


class GlobalTableStream(CloudFormationLintRule):  # type: ignore[misc]
    """A global table streams new and old images, which replication with more than one replica needs."""

    id = "E9008"
    shortdesc = "kvtable: global table streams NEW_AND_OLD_IMAGES"
    description = "A global table's StreamSpecification.StreamViewType must be NEW_AND_OLD_IMAGES"
    source_url = "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-dynamodb-globaltable.html"
    tags: ClassVar[list[str]] = ["kvtable", "dynamodb"]

    def match(self, cfn: Template) -> list[RuleMatch]:
        matches = []
        for logical_id, resource in cfn.get_resources([GLOBAL_TABLE_TYPE]).items():
            for props in scenarios(cfn, resource.get("Properties", {})):
                view = (props.get("StreamSpecification") or {}).get("StreamViewType")
                if view != "NEW_AND_OLD_IMAGES":
                    path = ["Resources", logical_id, "Properties", "StreamSpecification"]
                    matches.append(
                        RuleMatch(path, f"{logical_id}: the stream must be NEW_AND_OLD_IMAGES, not {view!r}")
                    )
                    break
        return matches
