"""A live table described as CloudFormation properties, from DynamoDB's own answers, for an import.

An import records the template as the stack's state and changes nothing on the table; the next
update then changes only what differs between that record and the new template (CloudFormation
User Guide, "Resolve drift with an import operation"). So the template imported must describe
the table as it is, not as the stack wants it: then the update that follows applies every
promise the table does not keep yet.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import ClientError

from kvtable.aws.errors import error_code

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_kms import KMSClient

AWS_MANAGED_KEY_ALIAS = "alias/aws/dynamodb"
_ON = ("ENABLED", "ENABLING")


def _keys(schema: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"AttributeName": k["AttributeName"], "KeyType": k["KeyType"]} for k in schema]


def _projection(projection: dict[str, Any]) -> dict[str, Any]:
    shown: dict[str, Any] = {"ProjectionType": projection.get("ProjectionType", "ALL")}
    if projection.get("NonKeyAttributes"):
        shown["NonKeyAttributes"] = list(projection["NonKeyAttributes"])
    return shown


def _throughput(described: dict[str, Any]) -> dict[str, int]:
    throughput = described.get("ProvisionedThroughput", {})
    return {
        "ReadCapacityUnits": int(throughput.get("ReadCapacityUnits", 0)),
        "WriteCapacityUnits": int(throughput.get("WriteCapacityUnits", 0)),
    }


def billing_mode(table: dict[str, Any]) -> str:
    """PAY_PER_REQUEST or PROVISIONED (a table that never switched has no BillingModeSummary)."""
    return str(table.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED"))


def _insights_on(dynamodb: DynamoDBClient, table_name: str, index: str | None = None) -> bool:
    request: dict[str, Any] = {"TableName": table_name, **({"IndexName": index} if index else {})}
    answer = dynamodb.describe_contributor_insights(**request)
    return answer.get("ContributorInsightsStatus") in _ON


def _encryption(kms: KMSClient, table: dict[str, Any]) -> dict[str, Any] | None:
    """SSESpecification as the template spells it: without a key for the AWS-managed key."""
    sse = table.get("SSEDescription") or {}
    if sse.get("Status") not in _ON:
        return None  # the AWS owned key, which is CloudFormation's SSEEnabled false
    key = sse.get("KMSMasterKeyArn")
    managed = kms.describe_key(KeyId=AWS_MANAGED_KEY_ALIAS)["KeyMetadata"]["Arn"]
    if key is None or key == managed:
        return {"SSEEnabled": True}
    return {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": key}


def _resource_policy(dynamodb: DynamoDBClient, arn: str) -> dict[str, Any] | None:
    try:
        text = dynamodb.get_resource_policy(ResourceArn=arn)["Policy"]
    except ClientError as error:
        if error_code(error) == "PolicyNotFoundException":
            return None
        raise
    return cast(dict[str, Any], json.loads(text))


def live_properties(
    dynamodb: DynamoDBClient, kms: KMSClient, table: dict[str, Any], managed_tags: set[str]
) -> dict[str, Any]:
    """The AWS::DynamoDB::Table properties of the live table `table` (its DescribeTable answer).

    Tags: only those whose keys are in `managed_tags` (the template's), so that the update which
    follows neither removes the table's other tags nor leaves a promised one unapplied."""
    name, arn = table["TableName"], table["TableArn"]
    provisioned = billing_mode(table) == "PROVISIONED"
    properties: dict[str, Any] = {
        "TableName": name,
        "KeySchema": _keys(table["KeySchema"]),
        "AttributeDefinitions": [
            {"AttributeName": a["AttributeName"], "AttributeType": a["AttributeType"]}
            for a in table["AttributeDefinitions"]
        ],
        "BillingMode": billing_mode(table),
        "DeletionProtectionEnabled": bool(table.get("DeletionProtectionEnabled", False)),
    }
    if provisioned:
        properties["ProvisionedThroughput"] = _throughput(table)
    indexes = _global_indexes(dynamodb, table, provisioned)
    if indexes:
        properties["GlobalSecondaryIndexes"] = indexes
    if table.get("LocalSecondaryIndexes"):
        properties["LocalSecondaryIndexes"] = [_index(i) for i in table["LocalSecondaryIndexes"]]
    stream = table.get("StreamSpecification") or {}
    if stream.get("StreamEnabled"):
        properties["StreamSpecification"] = {"StreamViewType": stream["StreamViewType"]}
    sse = _encryption(kms, table)
    if sse is not None:
        properties["SSESpecification"] = sse
    backups = dynamodb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    pitr = backups.get("PointInTimeRecoveryDescription", {}).get("PointInTimeRecoveryStatus")
    properties["PointInTimeRecoverySpecification"] = {"PointInTimeRecoveryEnabled": pitr == "ENABLED"}
    ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    if ttl.get("TimeToLiveStatus") in _ON:
        properties["TimeToLiveSpecification"] = {"Enabled": True, "AttributeName": ttl["AttributeName"]}
    if _insights_on(dynamodb, name):
        properties["ContributorInsightsSpecification"] = {"Enabled": True}
    policy = _resource_policy(dynamodb, arn)
    if policy is not None:
        properties["ResourcePolicy"] = {"PolicyDocument": policy}
    tags = [
        {"Key": t["Key"], "Value": t["Value"]}
        for t in dynamodb.list_tags_of_resource(ResourceArn=arn)["Tags"]
        if t["Key"] in managed_tags
    ]
    if tags:
        properties["Tags"] = sorted(tags, key=lambda t: t["Key"])
    return properties


def _index(described: dict[str, Any]) -> dict[str, Any]:
    """An index's name, key schema and projection, as the template spells them."""
    return {
        "IndexName": described["IndexName"],
        "KeySchema": _keys(described["KeySchema"]),
        "Projection": _projection(described.get("Projection", {})),
    }


def _global_indexes(
    dynamodb: DynamoDBClient, table: dict[str, Any], provisioned: bool
) -> list[dict[str, Any]]:
    """The table's global secondary indexes, with their throughput and Contributor Insights."""
    indexes = []
    for described in table.get("GlobalSecondaryIndexes", []):
        index = _index(described)
        if provisioned:
            index["ProvisionedThroughput"] = _throughput(described)
        if _insights_on(dynamodb, table["TableName"], described["IndexName"]):
            index["ContributorInsightsSpecification"] = {"Enabled": True}
        indexes.append(index)
    return indexes


def as_global_table(properties: dict[str, Any], region: str) -> dict[str, Any]:
    """The same live table as AWS::DynamoDB::GlobalTable properties, with its one replica, `region`:
    the settings a global table keeps per replica move into it."""
    per_replica = (
        "PointInTimeRecoverySpecification",
        "DeletionProtectionEnabled",
        "ContributorInsightsSpecification",
        "ResourcePolicy",
        "Tags",
    )
    table = {k: v for k, v in properties.items() if k not in (*per_replica, "ProvisionedThroughput")}
    replica: dict[str, Any] = {"Region": region}
    replica.update({k: properties[k] for k in per_replica if k in properties})
    indexes = table.get("GlobalSecondaryIndexes", [])
    replica_indexes = [
        {
            "IndexName": i["IndexName"],
            "ContributorInsightsSpecification": i["ContributorInsightsSpecification"],
        }
        for i in indexes
        if "ContributorInsightsSpecification" in i
    ]
    if replica_indexes:
        replica["GlobalSecondaryIndexes"] = replica_indexes
    table["GlobalSecondaryIndexes"] = [
        {k: v for k, v in i.items() if k not in ("ContributorInsightsSpecification", "ProvisionedThroughput")}
        for i in indexes
    ]
    if not table["GlobalSecondaryIndexes"]:
        del table["GlobalSecondaryIndexes"]
    sse = table.get("SSESpecification")
    if sse is not None:
        # A global table takes its KMS key per replica; the table level says only whether it is KMS.
        table["SSESpecification"] = {
            "SSEEnabled": True,
            **({"SSEType": "KMS"} if "KMSMasterKeyId" in sse else {}),
        }
        if "KMSMasterKeyId" in sse:
            replica["SSESpecification"] = {"KMSMasterKeyId": sse["KMSMasterKeyId"]}
    table["Replicas"] = [replica]
    return table
