"""Run the test-time Node scripts beside this file (iam-simulate, iam-data) with JSON in and out."""

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tests.resolve import SAMPLE_ACCOUNT

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent

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
