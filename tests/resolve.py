"""Resolve a built template's intrinsics for a sample account, region and parameter values,
so policies can be read, evaluated and checked as AWS would see them once deployed."""

import re
from typing import Any

SAMPLE_ACCOUNT = "123456789012"
SAMPLE_REGION = "us-east-1"
SAMPLE_STACK = "KVDatabaseStack"
NO_VALUE = object()


class Resolver:
    """Evaluates Ref, Fn::GetAtt (table Arn), Fn::Sub, Fn::If, Fn::Equals, Fn::Not and AWS::NoValue."""

    def __init__(self, template: dict[str, Any], parameters: dict[str, str] | None = None) -> None:
        self.template = template
        self.values: dict[str, str] = {
            name: str(spec.get("Default", "")) for name, spec in template.get("Parameters", {}).items()
        }
        self.values.update(parameters or {})
        self.values.update(
            {
                "AWS::AccountId": SAMPLE_ACCOUNT,
                "AWS::Region": SAMPLE_REGION,
                "AWS::StackName": SAMPLE_STACK,
                "AWS::Partition": "aws",
            }
        )
        for logical_id, resource in template.get("Resources", {}).items():
            if resource["Type"] == "AWS::DynamoDB::Table":
                name = self.values.get("TableName", logical_id)
                self.values[f"{logical_id}.Arn"] = (
                    f"arn:aws:dynamodb:{SAMPLE_REGION}:{SAMPLE_ACCOUNT}:table/{name}"
                )
                self.values[logical_id] = name
            else:
                self.values.setdefault(logical_id, f"arn:aws:iam::{SAMPLE_ACCOUNT}:policy/{logical_id}")
        self.conditions = {
            name: bool(self.resolve(expression))
            for name, expression in template.get("Conditions", {}).items()
        }

    def resolve(self, value: Any) -> Any:
        """The value with every intrinsic evaluated; AWS::NoValue entries dropped."""
        if isinstance(value, list):
            return [v for v in (self.resolve(item) for item in value) if v is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return NO_VALUE if arg == "AWS::NoValue" else self.values[arg]
            if key == "Fn::GetAtt":
                return self.values[".".join(arg) if isinstance(arg, list) else arg]
            if key == "Fn::Sub":
                return re.sub(r"\$\{([^}]+)\}", lambda m: self.values[m.group(1)], arg)
            if key == "Fn::If":
                return self.resolve(arg[1] if self.conditions[arg[0]] else arg[2])
            if key == "Fn::Equals":
                return self.resolve(arg[0]) == self.resolve(arg[1])
            if key == "Fn::Not":
                return not self.resolve(arg[0])
            if key == "Condition":
                return self.conditions[arg]
        return {k: v for k, v in ((k, self.resolve(v)) for k, v in value.items()) if v is not NO_VALUE}

    def resource(self, logical_id: str) -> dict[str, Any]:
        """A resource's properties, resolved."""
        resolved: dict[str, Any] = self.resolve(self.template["Resources"][logical_id]["Properties"])
        return resolved

    def policy_documents(self) -> dict[str, dict[str, Any]]:
        """Every managed policy's document, resolved, by logical id."""
        return {
            logical_id: self.resource(logical_id)["PolicyDocument"]
            for logical_id, resource in self.template["Resources"].items()
            if resource["Type"] == "AWS::IAM::ManagedPolicy"
        }
