"""Deploy's reading of CloudFormation's answers in AWS's shape, offline (botocore's Stubber): exports
and their importers, a denied ListImports, an endpoint that does not answer like AWS, and a missing
stack. Deploying over HTTP to moto's CloudFormation server is in tests/engine/deploy/test_deploy.py."""

import functools

import pytest
from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError
from botocore.stub import Stubber

from kvtable.cli.common import error_line
from kvtable.console.errors import RefusedError
from kvtable.deploy import cloudformation
from kvtable.deploy.errors import ImportersUnknownError, StackNotFoundError, cloudformation_errors
from tests.aws_shapes import offline_cloudformation
from tests.paths import REPO_ROOT

ROOT = REPO_ROOT


# CloudFormation's error answers, mapped in one place (deploy/errors.py's cloudformation_errors).
EXPORT = "KVDatabaseStack-TableName"


def test_a_denied_list_imports_is_a_refusal_naming_the_export_and_the_code() -> None:
    cf = offline_cloudformation()
    with Stubber(cf) as stub:
        stub.add_client_error(
            "list_imports",
            "AccessDenied",
            "User: arn:aws:iam::123456789012:user/ops is not authorized to perform: cloudformation:ListImports",
            403,
            expected_params={"ExportName": EXPORT},
        )
        with pytest.raises(ImportersUnknownError) as refused:
            cloudformation.importing_stacks(cf, EXPORT)
    line = (
        f"could not list the stacks importing {EXPORT} (ListImports: AccessDenied): grant "
        "cloudformation:ListImports, or make sure no stack imports it, then run again"
    )
    assert isinstance(refused.value, RefusedError)
    assert isinstance(refused.value.__cause__, ClientError)  # the cause is kept, for --debug
    assert (refused.value.export, refused.value.reason) == (EXPORT, "AccessDenied")
    assert error_line(refused.value) == (line, 3)


def test_an_export_nobody_imports_has_no_importers_and_one_in_use_names_them() -> None:
    cf = offline_cloudformation()
    with Stubber(cf) as stub:
        stub.add_client_error(
            "list_imports", "ValidationError", f"Export '{EXPORT}' is not imported by any stack.", 400
        )
        stub.add_response(
            "list_imports", {"Imports": ["KVAppStack"], "NextToken": "t"}, {"ExportName": EXPORT}
        )
        stub.add_response(
            "list_imports", {"Imports": ["KVAdminStack"]}, {"ExportName": EXPORT, "NextToken": "t"}
        )
        assert cloudformation.importing_stacks(cf, EXPORT) == []
        assert cloudformation.importing_stacks(cf, EXPORT) == ["KVAdminStack", "KVAppStack"]


def test_an_endpoint_that_does_not_answer_like_aws_is_a_refusal_too() -> None:
    refusal = functools.partial(ImportersUnknownError, EXPORT)
    answer = pytest.raises(ImportersUnknownError, match=r"\(ListImports: no AWS answer\)")
    with answer as refused, cloudformation_errors("ListImports", refusal):
        raise ResponseParserError("Unable to parse response (<html>500</html>)")
    assert isinstance(refused.value.__cause__, ResponseParserError)


def test_a_missing_stack_is_none_and_other_answers_pass_through_unchanged() -> None:
    cf = offline_cloudformation()
    with Stubber(cf) as stub:
        stub.add_client_error("describe_stacks", "ValidationError", "Stack with id Gone does not exist", 400)
        stub.add_client_error("describe_stacks", "Throttling", "Rate exceeded", 400)
        assert cloudformation.describe_stack(cf, "Gone") is None
        # Not an answer the mapping knows, and no refusal asked for: the command's one line says it.
        with pytest.raises(ClientError) as throttled:
            cloudformation.describe_stack(cf, "Busy")
    assert error_line(throttled.value) == ("DescribeStacks failed: Throttling: Rate exceeded", 1)
    with pytest.raises(StackNotFoundError) as missing, cloudformation_errors("GetTemplate"):
        raise ClientError(
            {"Error": {"Code": "ValidationError", "Message": "Stack with id Gone does not exist"}},
            "GetTemplate",
        )
    assert error_line(missing.value) == ("GetTemplate: Stack with id Gone does not exist", 2)
