"""A table's checks (one table, or each replica of a global table in its own region): status, keys,
billing, deletion protection, indexes, point-in-time recovery and its period, TTL, encryption, tags,
resource policy, on-demand caps, warm throughput and Contributor Insights (and its mode)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO, cast

from botocore.exceptions import ClientError

from kvtable.aws.errors import error_code
from kvtable.deploy.aws_state import Clients, normalized_policy
from kvtable.verify.checking import Recording, Unavailable, read
from kvtable.verify.report import Check

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

AWS_MANAGED_DYNAMODB_KEY = "alias/aws/dynamodb"
# AWS's defaults where the template leaves a key out.
DEFAULT_RECOVERY_PERIOD_DAYS = 35
DEFAULT_CONTRIBUTOR_INSIGHTS_MODE = "ACCESSED_AND_THROTTLED_KEYS"
CAP_KEYS = ("MaxReadRequestUnits", "MaxWriteRequestUnits")
# Where a table (OnDemandThroughput) or a global table's replica (Read-/WriteOnDemandThroughputSettings)
# keeps its caps.
CAP_PROPERTIES = ("OnDemandThroughput", "ReadOnDemandThroughputSettings", "WriteOnDemandThroughputSettings")


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
        self.point_in_time_recovery(props, table_name)
        self.capacity(props, described)
        self.contributor_insights(props, table_name)
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
            self._tags(props, described["TableArn"], stack_tags)
            if "ResourcePolicy" in props:
                self._resource_policy(props, described["TableArn"])

    def _tags(self, props: dict[str, Any], arn: str, stack_tags: dict[str, str]) -> None:
        """The template's and the stack's tags are on the table (other tags may be too)."""
        expected_tags = {t["Key"]: t["Value"] for t in props.get("Tags", [])} | stack_tags
        ddb = self.clients.dynamodb
        tags = read("ListTagsOfResource", lambda: ddb.list_tags_of_resource(ResourceArn=arn)["Tags"])
        if isinstance(tags, Unavailable):
            self.unchecked("table.tags", expected_tags, tags)
        else:
            live = {t["Key"]: t["Value"] for t in tags if not t["Key"].startswith("aws:")}
            self.record("table.tags", expected_tags, live, expected_tags.items() <= live.items())

    def _resource_policy(self, props: dict[str, Any], arn: str) -> None:
        expected_policy = normalized_policy(props["ResourcePolicy"]["PolicyDocument"])
        ddb = self.clients.dynamodb
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

    def point_in_time_recovery(self, props: dict[str, Any], table_name: str) -> None:
        """PITR on or off, and, when on, the days it keeps."""
        ddb = self.clients.dynamodb
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
        if pitr:
            period = props["PointInTimeRecoverySpecification"].get(
                "RecoveryPeriodInDays", DEFAULT_RECOVERY_PERIOD_DAYS
            )
            self.compare(
                "table.pitr_period",
                int(period),
                backups,
                lambda b: int(
                    b["ContinuousBackupsDescription"]
                    .get("PointInTimeRecoveryDescription", {})
                    # Left out by an endpoint that predates the setting: then it is AWS's default.
                    .get("RecoveryPeriodInDays", DEFAULT_RECOVERY_PERIOD_DAYS)
                ),
            )

    def capacity(self, props: dict[str, Any], described: dict[str, Any] | Unavailable) -> None:
        """The on-demand caps of the table and each GSI, and the table's warm throughput when the
        template sets it (DynamoDB may have raised it since: at least the template's value holds)."""
        self.compare("table.on_demand_throughput", _caps_text(props), described, _live_caps_text)
        for name, spec in sorted((g["IndexName"], g) for g in props.get("GlobalSecondaryIndexes", [])):

            def index_caps(table: dict[str, Any], name: str = name) -> str:
                live = {g["IndexName"]: g for g in table.get("GlobalSecondaryIndexes", [])}
                return _live_caps_text(live[name]) if name in live else "missing"

            self.compare(f"table.index.{name}.on_demand_throughput", _caps_text(spec), described, index_caps)
        warm = props.get("WarmThroughput")
        if not warm:
            return
        expected = {k: int(v) for k, v in warm.items() if k in ("ReadUnitsPerSecond", "WriteUnitsPerSecond")}
        if isinstance(described, Unavailable):
            self.unchecked("table.warm_throughput", expected, described)
            return
        live = {k: int(v) for k, v in (described.get("WarmThroughput") or {}).items() if k in expected}
        holds = all(live.get(k, 0) >= v for k, v in expected.items())
        self.record("table.warm_throughput", {k: f">= {v}" for k, v in expected.items()}, live, holds)

    def contributor_insights(self, props: dict[str, Any], table_name: str) -> None:
        """Contributor Insights, on or off and in which mode, on the table and each GSI. An endpoint
        without the API (DynamoDB Local, moto) skips the check rather than failing it."""
        ddb = self.clients.dynamodb
        subjects = [("table.contributor_insights", props, None)] + [
            (f"table.index.{g['IndexName']}.contributor_insights", g, str(g["IndexName"]))
            for g in props.get("GlobalSecondaryIndexes", [])
        ]
        for name, spec, index in subjects:
            expected = _insights_text(spec.get("ContributorInsightsSpecification") or {})

            def describe(index: str | None = index) -> dict[str, Any]:
                if index is None:
                    return cast(dict[str, Any], ddb.describe_contributor_insights(TableName=table_name))
                return cast(
                    dict[str, Any], ddb.describe_contributor_insights(TableName=table_name, IndexName=index)
                )

            answer = read("DescribeContributorInsights", describe)
            if isinstance(answer, Unavailable):
                self.unchecked(name, expected, answer, "skipped" if answer.missing_api else "unchecked")
                continue
            self.compare(name, expected, answer, _live_insights_text)

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
    for key in (
        "PointInTimeRecoverySpecification",
        "DeletionProtectionEnabled",
        "ResourcePolicy",
        "Tags",
        "ContributorInsightsSpecification",
        "ReadOnDemandThroughputSettings",
    ):
        if key in replica:
            merged[key] = replica[key]
    # Each GSI: its table-wide definition (and write cap), with the replica's read cap and insights.
    replica_indexes = {g.get("IndexName"): g for g in replica.get("GlobalSecondaryIndexes", [])}
    merged["GlobalSecondaryIndexes"] = [
        {**g, **{k: v for k, v in replica_indexes.get(g.get("IndexName"), {}).items() if k != "IndexName"}}
        for g in table.get("GlobalSecondaryIndexes", [])
    ]
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


def _caps_text(spec: dict[str, Any]) -> str:
    caps = {
        unit: int(settings[unit])
        for settings in (spec.get(key) or {} for key in CAP_PROPERTIES)
        for unit in CAP_KEYS
        if unit in settings
    }
    return ", ".join(f"{unit}={caps[unit]}" for unit in CAP_KEYS if unit in caps) or "no cap"


def _live_caps_text(described: dict[str, Any]) -> str:
    # DynamoDB answers -1 (or nothing) for "no cap"; the template says it by leaving the key out.
    live = described.get("OnDemandThroughput") or {}
    return _caps_text({"OnDemandThroughput": {k: v for k, v in live.items() if int(v) > 0}})


def _insights_text(spec: dict[str, Any]) -> str:
    if not spec.get("Enabled"):
        return "DISABLED"
    return f"ENABLED ({spec.get('Mode', DEFAULT_CONTRIBUTOR_INSIGHTS_MODE)})"


def _live_insights_text(answer: dict[str, Any]) -> str:
    status = answer.get("ContributorInsightsStatus", "DISABLED")
    if status != "ENABLED":
        return str(status)
    return f"ENABLED ({answer.get('ContributorInsightsMode', DEFAULT_CONTRIBUTOR_INSIGHTS_MODE)})"
