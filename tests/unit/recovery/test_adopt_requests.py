"""The IMPORT change set as AWS takes and answers it, through botocore's Stubber.

moto has no IMPORT change sets (the harness emulates one minimally), so the request adopt sends
and AWS's documented answers (a change set whose changes are `Import`, IMPORT_* stack events)
are checked here against CloudFormation's service model.
"""

import io

from botocore.stub import Stubber

from kvtable.deploy.deploy import Deployer
from kvtable.deploy.options import DeployOptions
from tests.aws_shapes import (
    STACK,
    STACK_ID,
    import_change_set,
    import_change_set_request,
    offline_cloudformation,
    stack_event,
)

CHANGE_SET = "arn:aws:cloudformation:us-east-1:123456789012:changeSet/kvtable-1/5e6f"
TO_IMPORT = [
    {
        "ResourceType": "AWS::DynamoDB::Table",
        "LogicalResourceId": "KVStorageTable",
        "ResourceIdentifier": {"TableName": "kv-storage-data-restored"},
    }
]


def test_the_import_change_set_request_and_aws_answers() -> None:
    cf = offline_cloudformation()
    out = io.StringIO()
    deployer = Deployer(cf, DeployOptions(stack_name=STACK, poll_seconds=0), out, sleep=lambda _: None)
    with Stubber(cf) as stub:
        stub.add_response(
            "create_change_set",
            {"Id": CHANGE_SET, "StackId": STACK_ID},
            import_change_set_request(
                '{"Resources": {}}',
                [{"ParameterKey": "TableName", "ParameterValue": "kv-storage-data-restored"}],
                TO_IMPORT,
            ),
        )
        stub.add_response(
            "describe_change_set",
            import_change_set(CHANGE_SET, "kv-storage-data-restored", "AWS::DynamoDB::Table"),
            {"ChangeSetName": CHANGE_SET},
        )
        stub.add_response(
            "describe_stack_events",
            {"StackEvents": [stack_event(1, STACK, "AWS::CloudFormation::Stack", "UPDATE_COMPLETE")]},
            {"StackName": STACK},
        )
        stub.add_response("execute_change_set", {}, {"ChangeSetName": CHANGE_SET})
        stub.add_response(
            "describe_stack_events",
            {
                "StackEvents": [
                    stack_event(4, STACK, "AWS::CloudFormation::Stack", "IMPORT_COMPLETE"),
                    stack_event(3, "KVStorageTable", "AWS::DynamoDB::Table", "IMPORT_COMPLETE"),
                    stack_event(2, STACK, "AWS::CloudFormation::Stack", "IMPORT_IN_PROGRESS"),
                    stack_event(1, STACK, "AWS::CloudFormation::Stack", "UPDATE_COMPLETE"),
                ]
            },
            {"StackName": STACK},
        )
        applied = deployer.apply_change_set(
            body='{"Resources": {}}',
            parameters={"TableName": "kv-storage-data-restored"},
            tags=None,
            stack=None,
            table_ids=["KVStorageTable"],
            resources_to_import=TO_IMPORT,
        )
        stub.assert_no_pending_responses()
    assert applied is True
    report = out.getvalue()
    assert "Import  KVStorageTable" in report
    assert "KVStorageTable           IMPORT_COMPLETE" in report
