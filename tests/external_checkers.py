"""checkov and parliament, run from their own virtualenv (.venv-checkers: their pins clash with
boto3's), on the built templates and on the policies resolved for a sample account; and AWS Control
Tower's proactive controls, through the cfn-guard binary and rules the pinned npm package
@cdklabs/cdk-validator-cfnguard bundles, on the same templates.

`python -m tests.external_checkers` is what `make lint` runs; the tests call the same functions.
"""

import json
import os
import platform
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.resolve import SAMPLE_ACCOUNT, SAMPLE_REGION, Resolver

ROOT = Path(__file__).resolve().parent.parent
CHECKERS_BIN = ROOT / ".venv-checkers" / "bin"
TEMPLATES = ROOT / "templates"
GUARD_PACKAGE = ROOT / "node_modules" / "@cdklabs" / "cdk-validator-cfnguard"
CONTROL_TOWER_RULES = GUARD_PACKAGE / "rules" / "control-tower" / "cfn-guard"
# cfn-guard's summary: one "<file> Status = FAIL" line per failing file, one "<rule file>/<rule> FAIL"
# line per failing rule.
_GUARD_FAILED_RULE = re.compile(r"^(\S+\.guard/\S+)\s+FAIL$")
_GUARD_FAILED_FILE = re.compile(r"^(\S+) Status = FAIL$")
SAMPLE_KEY = f"arn:aws:kms:{SAMPLE_REGION}:{SAMPLE_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SAMPLE_TOPIC = f"arn:aws:sns:{SAMPLE_REGION}:{SAMPLE_ACCOUNT}:kvtable-alarms"
# The parameters' combinations checked: the default, a customer-managed key, and every guard rail
# turned the other way (alarms on, Contributor Insights on, trusted accounts, no dashboard).
VARIANTS = {
    "aws-managed-key": {},
    "customer-managed-key": {"KmsKeyArn": SAMPLE_KEY},
    "guard-rails-flipped": {
        "AlarmTopicArn": SAMPLE_TOPIC,
        "ContributorInsights": "true",
        "TrustedAccountIds": "111122223333,444455556666",
        "CreateDashboard": "false",
    },
}

_PARLIAMENT = """
import json, sys
from parliament import analyze_policy_string
for name, text in json.load(sys.stdin).items():
    policy = analyze_policy_string(text, include_community_auditors=True)
    for finding in policy.findings:
        print(json.dumps({"policy": name, "issue": finding.issue, "severity": finding.severity, "detail": str(finding.detail)}))
"""


@dataclass(frozen=True)
class CheckovReport:
    """checkov's verdicts: failed checks (id, resource, file) and skipped ones (id, reason)."""

    passed: int
    failed: list[tuple[str, str, str]]
    skipped: list[tuple[str, str]]


# The global table's combinations: one region, and three.
GLOBAL_VARIANTS = {
    "one-region": {},
    "three-regions": {"ReplicaRegions": "us-east-1,eu-west-1,ap-southeast-2", "ContributorInsights": "true"},
}


def resolved_database_template(parameters: dict[str, str], stem: str = "database") -> dict[str, Any]:
    """A database template with every intrinsic resolved for the sample account and region."""
    template = json.loads((TEMPLATES / f"{stem}.json").read_text())
    resolver = Resolver(template, parameters)
    resources = {}
    for logical_id, resource in template["Resources"].items():
        if not resolver.conditions.get(resource.get("Condition", ""), True):
            continue
        resolved = {k: v for k, v in resource.items() if k not in ("Properties", "Condition")}
        resolved["Properties"] = resolver.resource(logical_id)
        resources[logical_id] = resolved
    return {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}


def resolved_policies() -> dict[str, str]:
    """Every policy document of every variant (the managed policies and the table's resource policy),
    resolved, as JSON text by name."""
    template = json.loads((TEMPLATES / "database.json").read_text())
    documents = {}
    for variant, parameters in VARIANTS.items():
        resolver = Resolver(template, parameters)
        for logical_id, document in resolver.policy_documents().items():
            documents[f"{variant}/{logical_id}"] = json.dumps(document)
        table_policy = resolver.resource("KVStorageTable")["ResourcePolicy"]["PolicyDocument"]
        documents[f"{variant}/KVStorageTable.ResourcePolicy"] = json.dumps(table_policy)
    global_template = json.loads((TEMPLATES / "global-database.json").read_text())
    for variant, parameters in GLOBAL_VARIANTS.items():
        resolver = Resolver(global_template, parameters)
        for logical_id, document in resolver.policy_documents().items():
            documents[f"global-{variant}/{logical_id}"] = json.dumps(document)
        for replica in resolver.resource("KVStorageTable")["Replicas"]:
            documents[f"global-{variant}/{replica['Region']}.ResourcePolicy"] = json.dumps(
                replica["ResourcePolicy"]["PolicyDocument"]
            )
    return documents


def run_checkov(paths: list[Path]) -> CheckovReport:
    """checkov's CloudFormation checks on the files, offline."""
    command = [
        str(CHECKERS_BIN / "checkov"),
        "--framework",
        "cloudformation",
        "--skip-download",
        "--output",
        "json",
    ]
    for path in paths:
        command += ["-f", str(path)]
    # BC_SKIP_MAPPING: no download of guideline links; checkov runs offline.
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "LOG_LEVEL": "ERROR"}
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, check=False)
    if result.returncode not in (0, 1) or not result.stdout.strip():
        raise RuntimeError(f"checkov did not run ({result.returncode}): {result.stderr[-2000:]}")
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    passed, failed, skipped = 0, [], []
    for report in reports:
        results = report.get("results", {})
        passed += len(results.get("passed_checks", []))
        failed += [(c["check_id"], c["resource"], c["file_path"]) for c in results.get("failed_checks", [])]
        skipped += [
            (c["check_id"], c["check_result"].get("suppress_comment", ""))
            for c in results.get("skipped_checks", [])
        ]
    return CheckovReport(passed, failed, skipped)


def run_parliament(policies: dict[str, str]) -> list[dict[str, str]]:
    """parliament's findings (with community auditors) on each named policy document."""
    result = subprocess.run(
        [str(CHECKERS_BIN / "python"), "-c", _PARLIAMENT],
        input=json.dumps(policies),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"parliament did not run: {result.stderr[-2000:]}")
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def guard_binary() -> Path:
    """The package's cfn-guard for this machine (it ships Linux and macOS builds, x86_64 and aarch64)."""
    system = {"Linux": "ubuntu", "Darwin": "macos"}.get(platform.system(), platform.system().lower())
    machine = {"arm64": "aarch64", "AMD64": "x86_64"}.get(platform.machine(), platform.machine())
    return GUARD_PACKAGE / "bin" / system / machine / "cfn-guard"


def run_control_tower_rules(paths: list[Path]) -> list[str]:
    """AWS Control Tower's proactive controls on the templates: each failing file and rule, by name."""
    command = [str(guard_binary()), "validate", "--rules", str(CONTROL_TOWER_RULES)]
    for path in paths:
        command += ["--data", str(path)]
    command += ["--show-summary", "fail", "--output-format", "single-line-summary"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    failed: list[str] = []
    current = ""
    for line in result.stdout.splitlines():
        if found := _GUARD_FAILED_FILE.match(line):
            current = Path(found.group(1)).name
        elif found := _GUARD_FAILED_RULE.match(line.strip()):
            failed.append(f"cfn-guard {found.group(1)} failed on {current}")
    # 0: every rule passed; 19: some rule failed (listed above); anything else: it did not run.
    if result.returncode not in (0, 19) or (result.returncode == 19 and not failed):
        raise RuntimeError(f"cfn-guard did not run ({result.returncode}): {result.stderr[-2000:]}")
    return failed


def check_everything() -> list[str]:
    """Problems found by checkov (built and resolved templates), parliament (resolved policies) and
    Control Tower's cfn-guard rules (built and resolved templates)."""
    with tempfile.TemporaryDirectory() as workdir:
        paths = sorted(TEMPLATES.glob("*.json")) + sorted(TEMPLATES.glob("*.yaml"))
        for variant, parameters in VARIANTS.items():
            path = Path(workdir) / f"database-resolved-{variant}.json"
            path.write_text(json.dumps(resolved_database_template(parameters)))
            paths.append(path)
        for variant, parameters in GLOBAL_VARIANTS.items():
            path = Path(workdir) / f"global-database-resolved-{variant}.json"
            path.write_text(json.dumps(resolved_database_template(parameters, "global-database")))
            paths.append(path)
        report = run_checkov(paths)
        guard_failures = run_control_tower_rules(paths)
    problems = [
        f"checkov {check} failed on {resource} in {Path(file).name}"
        for check, resource, file in report.failed
    ]
    problems += [
        f"parliament {f['issue']} ({f['severity']}) in {f['policy']}: {f['detail']}"
        for f in run_parliament(resolved_policies())
    ]
    problems += guard_failures
    print(
        f"checkov: {report.passed} passed, {len(report.failed)} failed, skipped {sorted(set(report.skipped))}"
    )
    return problems


if __name__ == "__main__":
    found = check_everything()
    for problem in found:
        print(problem, file=sys.stderr)
    if not any(p.startswith("parliament") for p in found):
        print("parliament: no findings")
    if not any(p.startswith("cfn-guard") for p in found):
        print("cfn-guard (AWS Control Tower proactive controls): no failures")
    sys.exit(1 if found else 0)
