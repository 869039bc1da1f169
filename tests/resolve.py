"""The built template's intrinsics evaluated for a sample account, region and parameter values,
so policies can be read, evaluated and checked as AWS would see them once deployed."""

import json
from typing import Any

from kvtable.cfn.evaluate import StackContext, TemplateEvaluator
from kvtable.cfn.names import MANAGED_POLICY_TYPE

SAMPLE_ACCOUNT = "123456789012"
SAMPLE_REGION = "us-east-1"
SAMPLE_STACK = "KVDatabaseStack"


class Resolver(TemplateEvaluator):
    """The product's evaluator, in a sample stack whose managed policies have stand-in ARNs."""

    def __init__(self, template: dict[str, Any], parameters: dict[str, str] | None = None) -> None:
        policies = [
            logical_id
            for logical_id, resource in template.get("Resources", {}).items()
            if resource["Type"] == MANAGED_POLICY_TYPE
        ]
        context = StackContext(
            account=SAMPLE_ACCOUNT,
            region=SAMPLE_REGION,
            stack_name=SAMPLE_STACK,
            parameters=parameters or {},
            physical_ids={p: f"arn:aws:iam::{SAMPLE_ACCOUNT}:policy/{p}" for p in policies},
        )
        super().__init__(template, context)

    def resolve(self, value: Any) -> Any:
        """The value with every intrinsic evaluated."""
        return self.evaluate(value)

    def resource(self, logical_id: str) -> dict[str, Any]:
        """A resource's properties, resolved."""
        return self.resource_properties(logical_id)

    def policy_documents(self) -> dict[str, dict[str, Any]]:
        """Every managed policy's document, resolved, by logical id."""
        return {
            logical_id: self.resource(logical_id)["PolicyDocument"]
            for logical_id, resource in self.template["Resources"].items()
            if resource["Type"] == MANAGED_POLICY_TYPE
        }


def deployed_table_policy(template: dict[str, Any], table_name: str = "kv-storage-data") -> str:
    """The table's resource policy as CloudFormation would set it for the sample account and region
    (moto's CloudFormation does not set it: tests put it through DynamoDB's API where AWS would)."""
    evaluator = Resolver(template, {"TableName": table_name})
    return json.dumps(evaluator.resource("KVStorageTable")["ResourcePolicy"]["PolicyDocument"])
