"""`kvtable template` as a person meets it: a bad --out is one line and exit 2, a write is atomic,
--check names the command and the fix, the command stays light (no boto3, botocore or cfn-lint),
and `kvtable bench --only startup` measures it without DynamoDB Local."""

import json
import os
import subprocess
import sys
from pathlib import Path

import cfn_flip  # type: ignore[import-untyped]
import pytest

from kvtable.builders import render
from kvtable.cli.bench import BENCH
from kvtable.cli.command import run_script
from kvtable.cli.template import TEMPLATE
from tests.paths import REPO_ROOT

ROOT = REPO_ROOT
HEAVY = {"boto3", "botocore", "s3transfer", "cfnlint"}
PREFIX = "kvtable template: error: "


def template(*argv: str) -> int:
    """`kvtable template ARGV` in this process: its exit code, however it ends."""
    try:
        return run_script(TEMPLATE, list(argv), "kvtable template")
    except SystemExit as exit_request:
        return int(exit_request.code or 0)


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    return lines[0]


def test_an_out_that_is_a_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    afile = tmp_path / "afile"
    afile.write_text("keep me")
    for argv in (["--out", str(afile)], ["--check", "--out", str(afile)], ["--iam-out", str(afile)]):
        assert template(*argv) == 2
        line = one_line(capsys)
        assert line.startswith(PREFIX)
        assert f"{afile} " in line
        assert "not a folder" in line
    assert template("--out", str(afile / "sub")) == 2
    assert one_line(capsys) == (
        f"{PREFIX}--out {afile / 'sub'}: {afile} is a file, not a folder; give a folder (it is created if missing)"
    )
    assert afile.read_text() == "keep me"


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_an_out_that_cannot_be_made_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert template("--out", "/proc/x") == 2
    assert one_line(capsys) == (
        f"{PREFIX}--out /proc/x: cannot create the folder (No such file or directory); "
        "give a folder you can write to"
    )
    # A bad --iam-out stops the run before a single template is written.
    out = tmp_path / "templates"
    assert template("--out", str(out), "--iam-out", "/proc/y") == 2
    assert one_line(capsys).startswith(f"{PREFIX}--iam-out /proc/y: cannot create the folder")
    assert list(out.iterdir()) == []


def test_iam_documents_go_beside_the_templates_folder(tmp_path: Path) -> None:
    assert template("--out", str(tmp_path / "build" / "templates")) == 0
    assert sorted(p.name for p in (tmp_path / "build" / "iam").iterdir()) == sorted(
        render.rendered_iam_files()
    )
    assert template("--out", str(tmp_path / "t"), "--iam-out", str(tmp_path / "policies")) == 0
    assert (tmp_path / "policies" / "read.json").is_file()
    assert not (tmp_path / "iam").exists()


def test_an_interrupted_write_leaves_the_old_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "database.yaml"
    path.write_text("the old template\n")

    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        render.write_file(path, "the new template\n" * 10_000)
    assert path.read_text() == "the old template\n"
    assert [p.name for p in tmp_path.iterdir()] == ["database.yaml"]


def test_check_names_the_command_and_the_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "templates"
    assert template("--out", str(out)) == 0
    assert template("--check", "--out", str(out)) == 0
    assert capsys.readouterr().out.endswith(f"templates in {out} are up to date\n")
    (out / "consumer.yaml").write_text("edited\n")
    (out / "consumer.json").unlink()
    assert template("--check", "--out", str(out)) == 1
    assert one_line(capsys) == (
        f"{PREFIX}{out / 'consumer.yaml'} differs from what the code builds; "
        f"{out / 'consumer.json'} is missing; run 'kvtable template --out {out}'"
    )
    assert template("--check", "--out", str(tmp_path / "none"), "--iam-out", str(tmp_path / "none-iam")) == 1
    assert one_line(capsys).endswith(
        f"{tmp_path / 'none'}{os.sep} and {tmp_path / 'none-iam'}{os.sep} are missing; "
        f"run 'kvtable template --out {tmp_path / 'none'} --iam-out {tmp_path / 'none-iam'}'"
    )


def _imported_modules(*argv: str) -> set[str]:
    """The top-level modules a fresh `kvtable ARGV` process imports (python -X importtime)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "kvtable.cli.main", *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    modules = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            modules.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    assert "kvtable" in modules
    return modules


def test_kvtable_template_imports_no_boto3_botocore_or_cfn_lint(tmp_path: Path) -> None:
    out = ["--out", str(tmp_path / "templates")]
    written = _imported_modules("template", *out)
    checked = _imported_modules("template", "--check", *out)
    assert {"troposphere", "awacs"} <= written
    assert written & HEAVY == set()
    assert checked & HEAVY == set()


def test_the_startup_bench_needs_no_dynamodb_local(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--only", "startup", "--cold-starts", "1", "--seed", "7"]
    assert run_script(BENCH, argv, "kvtable bench") == 0
    out = capsys.readouterr().out
    assert "== startup: whole processes (1 fresh processes each" in out
    assert "DynamoDB Local at" not in out
    for row in ("python alone, for scale", "kvtable --help", "kvtable template", "kvtable template --check"):
        assert f"\n{row} " in out
    assert "target (`kvtable template` in about 100 ms of wall time):" in out


def same_template(yaml_text: str, json_text: str) -> bool:
    """Whether the YAML reads back, short forms and all, as the JSON's template."""
    return bool(json.loads(cfn_flip.to_json(yaml_text)) == json.loads(json_text))


@pytest.mark.parametrize("spec", render.TEMPLATES, ids=lambda spec: spec.stem)
def test_the_yaml_is_the_json_template_and_the_same_bytes_from_either_writer(
    spec: render.TemplateSpec,
) -> None:
    text = spec.build().to_json(indent=2, sort_keys=True)
    written = render.yaml_of(text)
    assert render.YAML_WRITER is not render.PURE_YAML_WRITER  # this PyYAML has libyaml: both are compared
    assert written == render.yaml_of(text, render.PURE_YAML_WRITER)
    assert same_template(written, text)


def test_awkward_values_read_back_the_same_from_either_writer() -> None:
    awkward = {
        "Resources": {
            "Policy": {
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": {"PolicyDocument": {"Version": "2012-10-17", "Statement": []}},
            },
            "Empty": {"Type": "AWS::SNS::Topic", "Properties": {}},
            "Machine": {  # cfn_flip keeps this one's JSON as a literal block
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {"DefinitionString": {"StartAt": "A", "States": {"A": {"Type": "Pass"}}}},
            },
        },
        "Outputs": {
            "Account": {"Value": "012345678901"},
            "Lines": {"Value": "one\ntwo\n" * 6},
            "Long": {"Value": "x" * 250},
            "Quoted": {"Value": "yes: no # 'it' \"is\""},
            "Unicode": {"Value": "café ☃"},
            "Numbers": {"Value": [1, 2.5, True, None, "1", "true", "null", ""]},
            "Arn": {"Value": {"Fn::GetAtt": ["Table", "Arn"]}},
            "Sub": {"Value": {"Fn::Sub": ["${A}-x", {"A": {"Ref": "AWS::StackName"}}]}},
            "If": {"Condition": "C", "Value": {"Fn::If": ["C", {"Ref": "AWS::NoValue"}, "b"]}},
            "Two": {"Value": {"Ref": "A", "Other": 1}},
        },
    }
    text = json.dumps(awkward, indent=2, sort_keys=True)
    assert render.yaml_of(text) == render.yaml_of(text, render.PURE_YAML_WRITER)
    # The state machine's definition reads back as the JSON text it is written as; the rest is the same.
    del awkward["Resources"]["Machine"]  # type: ignore[attr-defined]
    text = json.dumps(awkward, indent=2, sort_keys=True)
    assert same_template(render.yaml_of(text), text)
