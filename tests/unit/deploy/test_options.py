"""What a person asks a deploy: the defaults a plain `kvtable deploy` runs with, and the template as
data winning over a file."""

import dataclasses
import io
from pathlib import Path

import pytest
from botocore.stub import Stubber

from kvtable.cli.main import build_parser
from kvtable.deploy.deploy import Deployer
from kvtable.deploy.options import ALLOW_REPLACEMENT_FLAG, DeployOptions
from tests.aws_shapes import STACK, offline_cloudformation


def test_a_plain_deploy_waits_for_backfills_keeps_tags_and_runs_as_one_update() -> None:
    options = DeployOptions(stack_name=STACK)
    assert (options.plan_only, options.stepwise, options.wait_for_backfill) == (False, False, True)
    assert (options.allow_table_replacement, options.tags, options.parameters) == (False, None, {})
    assert (options.poll_seconds, options.index_poll_seconds) == (2.0, 15.0)
    assert (options.template, options.template_path) == (None, None)


def test_options_cannot_change_under_a_running_deploy() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        DeployOptions(stack_name=STACK).plan_only = True  # type: ignore[misc]


def test_the_refusals_name_the_flag_the_deploy_command_takes() -> None:
    args = build_parser("deploy").parse_args(["deploy", ALLOW_REPLACEMENT_FLAG, "--stack-name", STACK])
    assert args.allow_table_replacement is True


def test_the_template_as_data_wins_over_the_file() -> None:
    text = '{"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}'
    options = DeployOptions(
        stack_name=STACK,
        plan_only=True,
        template=(text, {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}),
        template_path=Path("/nonexistent/template.yaml"),
    )
    cf, out = offline_cloudformation(), io.StringIO()
    with Stubber(cf) as stub:
        stub.add_client_error(
            "describe_stacks", "ValidationError", f"Stack with id {STACK} does not exist", 400
        )
        assert Deployer(cf, options, out).run() == 0
    assert "Add  Topic  AWS::SNS::Topic" in out.getvalue()
