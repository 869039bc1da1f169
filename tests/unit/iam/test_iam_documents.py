"""iam/: the IAM policy documents as JSON, the same the template's managed policies and the operators'
policy hold, resolved for the default stack (placeholder account 123456789012, us-east-1)."""

import json
from pathlib import Path
from typing import Any

import pytest

import build_template
from kvtable.aws.names import StackLocation
from kvtable.builders.render import IAM_ACCOUNT, IAM_REGION, rendered_files, rendered_iam_files
from kvtable.cfn import names
from kvtable.iam.operator import operator_policy_json
from kvtable.schema import key_design as kd
from tests.paths import REPO_ROOT

ROOT = REPO_ROOT
IAM = ROOT / "iam"
TEMPLATES = ROOT / "templates"
TABLE_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/kv-storage-data"


def committed(name: str) -> Any:
    return json.loads((IAM / name).read_text(encoding="utf-8"))


def test_committed_iam_documents_equal_what_the_code_builds() -> None:
    built = rendered_iam_files()
    assert sorted(p.name for p in IAM.glob("*.json")) == sorted(built)
    for name, text in built.items():
        assert (IAM / name).read_bytes() == text.encode("utf-8"), f"iam/{name} is stale: run 'make template'"
    assert build_template.main(["--check"]) == 0


def test_building_twice_is_byte_identical_and_the_same_from_built_templates() -> None:
    assert rendered_iam_files() == rendered_iam_files(rendered_files())


def _substituted(value: Any, template: dict[str, Any]) -> Any:
    """`value` with the default parameters, the placeholder account and region, the default stack's
    name and the table's ARN written in; the customer-managed-key branch dropped (KmsKeyArn is empty)."""
    known = {name: spec.get("Default", "") for name, spec in template["Parameters"].items()}
    known |= {
        "AWS::Partition": "aws",
        "AWS::Region": IAM_REGION,
        "AWS::AccountId": IAM_ACCOUNT,
        "AWS::StackName": names.DEFAULT_STACK_NAME,
        f"{names.TABLE_RESOURCE}.Arn": f"arn:aws:dynamodb:{IAM_REGION}:{IAM_ACCOUNT}:table/{kd.DEFAULT_TABLE_NAME}",
    }
    if isinstance(value, list):
        return [_substituted(v, template) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"}:
        return known[value["Ref"]]
    if set(value) == {"Fn::GetAtt"}:
        return known[".".join(value["Fn::GetAtt"])]
    if set(value) == {"Fn::Sub"}:
        text = value["Fn::Sub"]
        for name, resolved in known.items():
            text = text.replace("${" + name + "}", resolved)
        assert "${" not in text
        return text
    if set(value) == {"Fn::If"}:
        condition, _, otherwise = value["Fn::If"]
        assert condition == names.CUSTOMER_MANAGED_KEY_CONDITION
        assert known[names.KMS_KEY_PARAMETER] == ""
        return _substituted(otherwise, template)
    return {k: _substituted(v, template) for k, v in value.items()}


@pytest.mark.parametrize(
    ("name", "logical_id"),
    [("read.json", names.READ_POLICY_RESOURCE), ("read-write.json", names.READ_WRITE_POLICY_RESOURCE)],
)
def test_documents_are_the_templates_policies_with_the_default_parameters(name: str, logical_id: str) -> None:
    template = json.loads((TEMPLATES / "database.json").read_text(encoding="utf-8"))
    written = template["Resources"][logical_id]["Properties"]["PolicyDocument"]
    document = committed(name)
    assert document == _substituted(written, template)
    (statement,) = document["Statement"]
    assert statement["Resource"] == [TABLE_ARN, f"{TABLE_ARN}/index/{kd.DEFAULT_GSI_NAME}"]


def test_the_operator_document_is_the_operators_policy_for_the_default_stack() -> None:
    where = StackLocation("aws", "us-east-1", "123456789012", "KVDatabaseStack", "kv-storage-data")
    assert (IAM / "operator.json").read_text(encoding="utf-8") == operator_policy_json(where)


@pytest.mark.parametrize("name", ["read.json", "read-write.json", "operator.json"])
def test_each_document_is_a_valid_policy_written_stably(name: str) -> None:
    text = (IAM / name).read_text(encoding="utf-8")
    document = json.loads(text)
    assert text == json.dumps(document, indent=2, sort_keys=True) + "\n"
    assert set(document) == {"Version", "Statement"}
    assert document["Version"] == "2012-10-17"
    assert isinstance(document["Statement"], list)
    assert document["Statement"]
    sids = [statement["Sid"] for statement in document["Statement"]]
    assert len(set(sids)) == len(sids)
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        assert statement["Action"]
        assert all(isinstance(a, str) and ":" in a for a in statement["Action"])
        assert statement["Resource"]
        assert all(r == "*" or r.startswith("arn:aws:") for r in statement["Resource"])
        assert statement["Condition"]["Bool"]["aws:SecureTransport"] == "true"
        # Every intrinsic resolved: nothing left for CloudFormation.
        assert "Fn::" not in json.dumps(statement)
        assert '"Ref"' not in json.dumps(statement)


def test_check_fails_on_a_changed_iam_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "templates"
    assert build_template.main(["--out", str(out)]) == 0
    assert sorted(p.name for p in (tmp_path / "iam").iterdir()) == sorted(rendered_iam_files())
    assert build_template.main(["--check", "--out", str(out)]) == 0
    capsys.readouterr()
    edited = tmp_path / "iam" / "read.json"
    edited.write_text(edited.read_text().replace("dynamodb:Query", "dynamodb:Scan"))
    assert build_template.main(["--check", "--out", str(out)]) == 1
    assert capsys.readouterr().err == (
        f"build_template: error: {edited} differs from what the code builds; run 'make template'\n"
    )


def test_check_fails_on_a_missing_iam_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "templates"
    assert build_template.main(["--out", str(out)]) == 0
    (tmp_path / "iam" / "operator.json").unlink()
    capsys.readouterr()
    assert build_template.main(["--check", "--out", str(out)]) == 1
    assert f"{tmp_path / 'iam' / 'operator.json'} is missing" in capsys.readouterr().err
