"""Run the test-time Node scripts beside this file (iam-simulate, iam-data) with JSON in and out."""

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.resolve import SAMPLE_ACCOUNT, SAMPLE_REGION

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent

# The sample resources the simulator's requests name, and the TLS contexts they are made in.
SAMPLE_TABLE_ARN = f"arn:aws:dynamodb:{SAMPLE_REGION}:{SAMPLE_ACCOUNT}:table/kv-storage-data"
SAMPLE_OTHER_TABLE_ARN = f"arn:aws:dynamodb:{SAMPLE_REGION}:{SAMPLE_ACCOUNT}:table/other-table"
SAMPLE_KEY_ARN = f"arn:aws:kms:{SAMPLE_REGION}:{SAMPLE_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TLS = {"aws:SecureTransport": "true"}
NO_TLS = {"aws:SecureTransport": "false"}

# A KMS key's own policy must let IAM policies grant its use: AWS's default key policy does.
DEFAULT_KEY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{SAMPLE_ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ],
}


def run_node_script(name: str, payload: Any) -> Any:
    """Feed `payload` as JSON to tests/iam/<name> and return its JSON answer."""
    node = shutil.which("node")
    assert node is not None, "node is not installed; the Makefile's engines target needs Node.js"
    result = subprocess.run(
        [node, str(HERE / name)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def identity_request(policy: Any, action: str, resource: str, context: dict[str, str]) -> dict[str, Any]:
    """A simulator request for an identity policy; a KMS action also gets AWS's default key policy."""
    request = {"policy": policy, "action": action, "resource": resource, "context": context}
    return {**request, **({"resourcePolicy": DEFAULT_KEY_POLICY} if action.startswith("kms:") else {})}


def simulate(requests: list[dict[str, Any]]) -> list[str]:
    """Each request's verdict from the IAM simulator (simulate.mjs): Allowed, ImplicitlyDenied, ..."""
    results = run_node_script("simulate.mjs", {"account": SAMPLE_ACCOUNT, "requests": requests})
    return [str(result["result"]) for result in results]


def assert_verdicts(
    capsys: pytest.CaptureFixture[str],
    title: str,
    requests: list[dict[str, Any]],
    cases: list[tuple[str, str]],
) -> None:
    """Run `requests` through the IAM simulator (simulate.mjs), print each verdict beside its case's
    label under `title`, and assert each is the case's expected verdict; `cases` are (label, expected)."""
    lines = [title]
    failures = []
    for (label, expected), verdict in zip(cases, simulate(requests), strict=True):
        lines.append(f"  {verdict:<17} {label}")
        if verdict != expected:
            failures.append(f"{' '.join(label.split())}: expected {expected}, got {verdict}")
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert failures == []


# A row of a policy's verdicts: the action, the resource's ARN, the request's context, the verdict expected.
Row = tuple[str, str, dict[str, str], str]


def assert_identity_verdicts(
    capsys: pytest.CaptureFixture[str],
    title: str,
    policy: Any,
    rows: list[Row],
    label: Callable[[str, str, dict[str, str]], str],
) -> None:
    """Ask the IAM simulator each row of the identity policy `policy` (identity_request), and check and
    print each verdict as assert_verdicts does, beside the row's `label(action, resource, context)`."""
    requests = [identity_request(policy, action, resource, context) for action, resource, context, _ in rows]
    cases = [(label(action, resource, context), expected) for action, resource, context, expected in rows]
    assert_verdicts(capsys, title, requests, cases)
