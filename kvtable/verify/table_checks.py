"""A table's checks (one table, or each replica of a global table in its own region): status, keys,
billing, deletion protection, indexes, point-in-time recovery, TTL, encryption, tags, resource policy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO, cast

from botocore.exceptions import ClientError

from kvtable.aws_errors import error_code
from kvtable.aws_state import Clients, normalized_policy
from kvtable.verify.checking import Recording, Unavailable, read
from kvtable.verify.report import Check

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

AWS_MANAGED_DYNAMODB_KEY = "alias/aws/dynamodb"


@dataclass
class TableChecks(Recording):
    """The checks of one table, through `clients` of the table's region, recorded into `checks`."""

    clients: Clients
    checks: list[Check]
    out: TextIO | None = None

    def run(self, props: dict[str, Any], table_name: str, stack_tags: dict[str, str]) -> None:
        """Every check of one table against its evaluated template properties."""
        ddb = self.clients.dynamodb
        described = read(
            "DescribeTable", lambda: cast(dict[str, Any], ddb.describe_table(TableName=table_name)["Table"])
        )
        self.compare("table.status", "ACTIVE", described, lambda t: t["TableStatus"])
        self.compare(
            "table.key_schema",
            _key_schema(props["KeySchema"]),
            described,
            lambda t: _key_schema(t["KeySchema"]),
        )
        self.compare(
            "table.attribute_definitions",
            sorted((a["AttributeName"], a["AttributeType"]) for a in props["AttributeDefinitions"]),
            described,
            lambda t: sorted((a["AttributeName"], a["AttributeType"]) for a in t["AttributeDefinitions"]),
        )
        self.compare(
            "table.billing_mode",
            props.get("BillingMode", "PROVISIONED"),
            described,
            lambda t: t.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED"),
        )
        self.compare(
            "table.deletion_protection",
            bool(props.get("DeletionProtectionEnabled", False)),
            described,
            lambda t: bool(t.get("DeletionProtectionEnabled", False)),
        )
        self._indexes(props, described)
        pitr = props.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled", False)
        backups = read(
            "DescribeContinuousBackups", lambda: ddb.describe_continuous_backups(TableName=table_name)
        )
        self.compare(
            "table.pitr",
            "ENABLED" if pitr else "DISABLED",
            backups,
            lambda b: (
                b["ContinuousBackupsDescription"]
                .get("PointInTimeRecoveryDescription", {})
                .get("PointInTimeRecoveryStatus", "DISABLED")
            ),
        )
        ttl = props.get("TimeToLiveSpecification", {})
        expected_ttl = f"ENABLED on {ttl['AttributeName']}" if ttl.get("Enabled") else "DISABLED"
        described_ttl = read("DescribeTimeToLive", lambda: ddb.describe_time_to_live(TableName=table_name))
        self.compare(
            "table.ttl",
            expected_ttl,
            described_ttl,
            lambda d: _ttl_text(cast(dict[str, Any], d["TimeToLiveDescription"])),
        )
        self.encryption(props, described)
        if not isinstance(described, Unavailable):
            expected_tags = {t["Key"]: t["Value"] for t in props.get("Tags", [])} | stack_tags
            arn = described["TableArn"]
            tags = read("ListTagsOfResource", lambda: ddb.list_tags_of_resource(ResourceArn=arn)["Tags"])
            if isinstance(tags, Unavailable):
                self.unchecked("table.tags", expected_tags, tags)
            else:
                live = {t["Key"]: t["Value"] for t in tags if not t["Key"].startswith("aws:")}
                self.record("table.tags", expected_tags, live, expected_tags.items() <= live.items())
            if "ResourcePolicy" in props:
                expected_policy = normalized_policy(props["ResourcePolicy"]["PolicyDocument"])
                policy = read("GetResourcePolicy", lambda: _resource_policy(ddb, arn))
                self.compare(
                    "table.resource_policy",
                    expected_policy,
                    policy,
                    lambda text: normalized_policy(text) if text else "none",
                )

    def _indexes(self, props: dict[str, Any], described: dict[str, Any] | Unavailable) -> None:
        expected = {g["IndexName"]: g for g in props.get("GlobalSecondaryIndexes", [])}
        if isinstance(described, Unavailable):
            self.unchecked("table.indexes", sorted(expected), described)
            return
        live = {g["IndexName"]: g for g in described.get("GlobalSecondaryIndexes", [])}
        self.record("table.indexes", sorted(expected), sorted(live), sorted(live) == sorted(expected))
        for name, spec in sorted(expected.items()):
            want = {
                "status": "ACTIVE",
                "backfilling": False,
                "keys": _key_schema(spec["KeySchema"]),
                "projection": _projection(spec["Projection"]),
            }
            index = live.get(name)
            have: Any = (
                "missing"
                if index is None
                else {
                    "status": index.get("IndexStatus"),
                    "backfilling": bool(index.get("Backfilling", False)),
                    "keys": _key_schema(index["KeySchema"]),
                    "projection": _projection(index.get("Projection", {})),
                }
            )
            self.record(f"table.index.{name}", want, have, have == want)

    def encryption(self, props: dict[str, Any], described: dict[str, Any] | Unavailable) -> None:
        sse = props.get("SSESpecification", {})
        customer_key = sse.get("KMSMasterKeyId")
        if not sse.get("SSEEnabled"):
            expected: Any = "AWS owned key (no SSEDescription)"
        else:
            key = customer_key or AWS_MANAGED_DYNAMODB_KEY
            resolved = read(
                "kms:DescribeKey", lambda: self.clients.kms.describe_key(KeyId=key)["KeyMetadata"]["Arn"]
            )
            if isinstance(resolved, Unavailable) and "NotFoundException" in resolved.reason:
                # No such key, so no table encrypts with it: the comparison below says so.
                resolved = f"{key} (no such key in this account and region)"
            if isinstance(resolved, Unavailable):
                self.unchecked("table.encryption", f"KMS with {key}", resolved)
                return
            expected = f"KMS with {resolved}"
        self.compare("table.encryption", expected, described, _encryption_text)


def replica_properties(table: dict[str, Any], replica: dict[str, Any]) -> dict[str, Any]:
    """What a global table's replica promises, in the shape of a single-region table's properties:
    the table-level settings, with the replica's own (PITR, deletion protection, the resource policy,
    Contributor Insights, tags) over them. A global table's SSE without a key is the AWS-managed key."""
    merged = {k: v for k, v in table.items() if k not in ("Replicas", "StreamSpecification")}
    for key in ("PointInTimeRecoverySpecification", "DeletionProtectionEnabled", "ResourcePolicy", "Tags"):
        if key in replica:
            merged[key] = replica[key]
    return merged


def _key_schema(schema: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(k["AttributeName"], k["KeyType"]) for k in schema]


def _projection(projection: dict[str, Any]) -> dict[str, Any]:
    normal: dict[str, Any] = {"ProjectionType": projection.get("ProjectionType", "ALL")}
    if projection.get("NonKeyAttributes"):
        normal["NonKeyAttributes"] = sorted(projection["NonKeyAttributes"])
    return normal


def _resource_policy(ddb: DynamoDBClient, arn: str) -> str | None:
    """The table's resource policy, or None when it has none (which is drift, not a failed read)."""
    try:
        return ddb.get_resource_policy(ResourceArn=arn)["Policy"]
    except ClientError as error:
        if error_code(error) == "PolicyNotFoundException":
            return None
        raise


def _ttl_text(description: dict[str, Any]) -> str:
    status = description.get("TimeToLiveStatus", "DISABLED")
    attribute = description.get("AttributeName")
    return f"{status} on {attribute}" if attribute and status == "ENABLED" else status


def _encryption_text(table: dict[str, Any]) -> str:
    sse = table.get("SSEDescription")
    if not sse:
        return "AWS owned key (no SSEDescription)"
    if sse.get("Status") != "ENABLED":
        return f"SSE {sse.get('Status')}"
    return f"{sse.get('SSEType')} with {sse.get('KMSMasterKeyArn')}"
