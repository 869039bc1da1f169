"""A CreateTable request derived from the built template, so local tables and the template cannot drift."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

from kvtable.builders.database import build_database_template
from kvtable.cfn import names
from kvtable.cfn.evaluate import StackContext, TemplateEvaluator
from kvtable.schema import key_design as kd

# The template properties that CreateTable takes as they are (after Refs are resolved).
_CREATE_TABLE_PROPERTIES = (
    "AttributeDefinitions",
    "KeySchema",
    "BillingMode",
    "GlobalSecondaryIndexes",
    "DeletionProtectionEnabled",
)
_CREATE_INDEX_PROPERTIES = ("IndexName", "KeySchema", "Projection")
LOCAL_ACCOUNT = "000000000000"
LOCAL_REGION = "us-east-1"


def table_properties(
    table_name: str = kd.DEFAULT_TABLE_NAME, gsi_name: str = kd.DEFAULT_GSI_NAME
) -> dict[str, Any]:
    """The table resource's properties from the database template, with parameters resolved."""
    template = build_database_template().to_dict()
    parameters = {names.TABLE_NAME_PARAMETER: table_name, names.GSI_NAME_PARAMETER: gsi_name}
    # A local engine's account and region; only the resource policy's ARNs would show them.
    context = StackContext(LOCAL_ACCOUNT, LOCAL_REGION, names.DEFAULT_STACK_NAME, parameters)
    return TemplateEvaluator(template, context).resource_properties(names.TABLE_RESOURCE)


def create_table_request(
    table_name: str = kd.DEFAULT_TABLE_NAME, gsi_name: str = kd.DEFAULT_GSI_NAME
) -> dict[str, Any]:
    """CreateTable arguments equal to the template's key schema, GSI, billing and protection."""
    properties = table_properties(table_name, gsi_name)
    request = {key: properties[key] for key in _CREATE_TABLE_PROPERTIES if key in properties}
    request["GlobalSecondaryIndexes"] = [
        {key: index[key] for key in _CREATE_INDEX_PROPERTIES if key in index}
        for index in properties.get("GlobalSecondaryIndexes", [])
    ]
    request["TableName"] = properties["TableName"]
    return request


def create_table_from_template(
    client: DynamoDBClient, table_name: str = kd.DEFAULT_TABLE_NAME, gsi_name: str = kd.DEFAULT_GSI_NAME
) -> None:
    """Create the table as the template defines it, wait until active, then enable its TTL."""
    client.create_table(**create_table_request(table_name, gsi_name))
    client.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 1})
    ttl = table_properties(table_name, gsi_name)["TimeToLiveSpecification"]
    client.update_time_to_live(TableName=table_name, TimeToLiveSpecification=ttl)
