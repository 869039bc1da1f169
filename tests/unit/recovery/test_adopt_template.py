"""Template surgery for adopt and globalize: the deployed template without its table, every reference
to it fixed to the old table's literal name and ARN (so removing it changes nothing else), and a
template holding only the table (an import that creates a stack may hold nothing else)."""

import json
from typing import Any

from kvtable.cfn.evaluate import StackContext, TemplateEvaluator
from kvtable.recovery.adopt_template import detached_template, table_only
from tests.shipped import default_parameters, shipped

DEPLOYED = shipped()[1]
ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/kv-old"


def evaluator(template: dict[str, Any]) -> TemplateEvaluator:
    context = StackContext(
        account="123456789012",
        region="us-east-1",
        stack_name="KVDatabaseStack",
        parameters={**default_parameters(), "TableName": "kv-old"},
    )
    return TemplateEvaluator(template, context)


def test_the_detached_template_keeps_everything_but_the_table_pointing_at_the_old_one() -> None:
    detached = detached_template(DEPLOYED, "KVStorageTable", evaluator(DEPLOYED))
    assert sorted(detached["Resources"]) == sorted(set(DEPLOYED["Resources"]) - {"KVStorageTable"})
    assert detached["Outputs"]["TableName"]["Value"] == "kv-old"
    assert detached["Outputs"]["TableArn"]["Value"] == ARN
    # The exports keep their names: the importing stacks see no change.
    assert detached["Outputs"]["TableArn"]["Export"] == DEPLOYED["Outputs"]["TableArn"]["Export"]
    text = json.dumps(detached)
    assert "KVStorageTable" not in text
    assert '{"Ref": "TableName"}' not in text
    assert ARN in json.dumps(detached["Resources"]["ReadPolicy"])
    # The deployed template is left as it was.
    assert "KVStorageTable" in DEPLOYED["Resources"]


def test_a_reference_in_a_sub_with_another_variable_stays_a_sub() -> None:
    template = {
        "Parameters": {"TableName": {"Type": "String", "Default": "kv-old"}, "GsiName": {"Type": "String"}},
        "Resources": {
            "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": {"Ref": "TableName"}}},
            "Policy": {
                "Type": "AWS::IAM::ManagedPolicy",
                "DependsOn": ["Table", "Topic"],
                "Properties": {
                    "Index": {"Fn::Sub": "${Table.Arn}/index/${GsiName}"},
                    "Whole": {"Fn::Sub": "${Table}"},
                    "Arn": {"Fn::GetAtt": ["Table", "Arn"]},
                },
            },
            "Alarm": {"Type": "AWS::CloudWatch::Alarm", "DependsOn": "Table"},
            "Topic": {"Type": "AWS::SNS::Topic"},
        },
    }
    detached = detached_template(template, "Table", evaluator(template))
    policy = detached["Resources"]["Policy"]
    assert policy["Properties"] == {
        "Index": {"Fn::Sub": f"{ARN}/index/${{GsiName}}"},
        "Whole": "kv-old",
        "Arn": ARN,
    }
    assert policy["DependsOn"] == ["Topic"]
    assert "DependsOn" not in detached["Resources"]["Alarm"]


def test_the_table_only_template_holds_the_table_and_what_it_needs() -> None:
    alone = table_only(DEPLOYED, "KVStorageTable")
    assert list(alone["Resources"]) == ["KVStorageTable"]
    assert alone["Resources"]["KVStorageTable"] == DEPLOYED["Resources"]["KVStorageTable"]
    assert (alone["Parameters"], alone["Conditions"]) == (DEPLOYED["Parameters"], DEPLOYED["Conditions"])
    assert "Outputs" not in alone
    assert alone["Description"] == "kvtable: importing an existing table; the next step adds the rest"
