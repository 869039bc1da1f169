"""From one region to many: the conversion's plan on the local CloudFormation, and its requests in
AWS's shape through botocore's Stubber (moto has no AWS::DynamoDB::GlobalTable and no replicas)."""

import pytest
from mypy_boto3_cloudformation import CloudFormationClient

from kvtable.cli.main import main
from tests.aws_shapes import STACK
from tests.cli_runs import run_main
from tests.cloudformation_fixtures import deploy_stack


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    return run_main(main, ["adopt", "--stack-name", STACK, "--poll-seconds", "0", *argv], capsys)


def test_the_conversion_plan_lists_every_step_and_changes_nothing(
    cf: CloudFormationClient, capsys: pytest.CaptureFixture[str]
) -> None:
    deploy_stack(cf)
    before = cf.get_template(StackName=STACK)["TemplateBody"]
    code, out, _ = run(
        capsys, "--as-global-table", "--regions", "us-east-1,eu-west-1,ap-southeast-2", "--plan"
    )
    assert code == 0
    assert out.splitlines()[1:] == [
        "  step 1 of 6: turn the table's stream on (NEW_AND_OLD_IMAGES), which replication needs",
        "  step 2 of 6: remove the table from the stack: it is Retain with deletion protection, so it stays",
        "  step 3 of 6: import the table as an AWS::DynamoDB::GlobalTable with one replica, us-east-1",
        "  step 4 of 6: update with the full global template: policies in every replica region, the same exports",
        "  step 5 of 6: add the replica in eu-west-1 and wait until it is ACTIVE",
        "  step 6 of 6: add the replica in ap-southeast-2 and wait until it is ACTIVE",
    ]
    assert cf.get_template(StackName=STACK)["TemplateBody"] == before


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--regions", "eu-west-1"], "--regions must include the stack's own region us-east-1"),
        (["--regions", "us-east-1,Europe"], "'Europe' is not an AWS region name"),
        ([], "--as-global-table needs --regions"),
    ],
)
def test_bad_regions_are_exit_2(
    cf: CloudFormationClient, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    deploy_stack(cf)
    code, _, err = run(capsys, "--as-global-table", "--plan", *argv)
    assert code == 2
    assert message in err
