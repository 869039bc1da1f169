"""Read the live stack, table and policies, and check each promise the template makes.

Read-only: every call is a Describe, Get or List, plus CloudFormation's DetectStackDrift,
which starts a read of the stack's resources and changes none of them.
"""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO, TypeVar, cast

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from kvtable.aws_errors import error_code, error_message
from kvtable.cfn import names
from kvtable.cfn.evaluate import StackContext, TemplateEvaluator
from kvtable.cfn.intrinsics import resolve
from kvtable.deploy import cloudformation as cfn
from kvtable.deploy import states
from kvtable.deploy.errors import UsageError
from kvtable.deploy.templates import Template, resources_of_type
from kvtable.verify.location import StackLocation
from kvtable.verify.report import Check, Report, Status

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_kms import KMSClient

T = TypeVar("T")
AWS_MANAGED_DYNAMODB_KEY = "alias/aws/dynamodb"
DRIFT_WAIT_SECONDS = 600
# Answers that mean "this endpoint has no such API", as opposed to "you may not".
_LIST_KEYS = ("Action", "NotAction", "Resource", "NotResource")
_MISSING_API_CODES = {"NotImplemented", "InvalidAction", "UnknownOperationException", "501", "500"}


@dataclass(frozen=True)
class Unavailable:
    """A read that could not be made, and why; `missing_api` when the endpoint has no such API at all."""

    reason: str
    missing_api: bool = False


@dataclass(frozen=True)
class Clients:
    """The read-only clients verify uses, all from one session and region."""

    cloudformation: CloudFormationClient
    dynamodb: DynamoDBClient
    iam: IAMClient
    kms: KMSClient
    # For the alarms' checks; without it they are reported as not checked.
    cloudwatch: CloudWatchClient | None = None
    # The same clients in another region, for a global table's replicas.
    for_region: Callable[[str], Clients] | None = None


def _read(api: str, call: Callable[[], T]) -> T | Unavailable:
    """The call's answer, or Unavailable naming the API and why it failed."""
    try:
        return call()
    except ClientError as error:
        code = error_code(error)
        if code in {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}:
            return Unavailable(f"{api} was denied: {error_message(error)}")
        if code in _MISSING_API_CODES:
            return Unavailable(f"this endpoint has no {api}", missing_api=True)
        return Unavailable(f"{api} failed: {code}: {error_message(error)}")
    except ResponseParserError:
        return Unavailable(f"this endpoint has no {api} (it did not answer like AWS)", missing_api=True)
    except BotoCoreError as error:
        return Unavailable(f"{api} failed: {error}")


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _key_schema(schema: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(k["AttributeName"], k["KeyType"]) for k in schema]


def _projection(projection: dict[str, Any]) -> dict[str, Any]:
    normal: dict[str, Any] = {"ProjectionType": projection.get("ProjectionType", "ALL")}
    if projection.get("NonKeyAttributes"):
        normal["NonKeyAttributes"] = sorted(projection["NonKeyAttributes"])
    return normal


def normalized_policy(document: Any) -> Any:
    """A policy document in one spelling: single values as lists, statements and lists sorted.

    A document given as text (IAM sends it URL-encoded) is decoded first."""
    if isinstance(document, str):
        document = json.loads(urllib.parse.unquote(document))
    return _normalized(document)


def _normalized(document: Any) -> Any:
    if isinstance(document, dict):
        normal = {}
        for key, value in document.items():
            listed = [value] if key in _LIST_KEYS and isinstance(value, str) else value
            normal[key] = _normalized(listed)
        return normal
    if isinstance(document, list):
        return sorted((_normalized(v) for v in document), key=lambda v: json.dumps(v, sort_keys=True))
    return document


@dataclass
class Verifier:
    """One verify run over a stack: `expected` is the template the code builds (or a given file)."""

    clients: Clients
    stack_name: str
    expected: Template
    out: TextIO | None = None
    poll_seconds: float = 5.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    checks: list[Check] = field(default_factory=list)

    # ----- recording ---------------------------------------------------------

    def record(self, name: str, expected: Any, actual: Any, holds: bool) -> None:
        """Record a check that was made."""
        self.checks.append(Check(name, _show(expected), _show(actual), "ok" if holds else "drift"))

    def unchecked(self, name: str, expected: Any, why: Unavailable, status: Status = "unchecked") -> None:
        """Record a check that could not be made."""
        self.checks.append(Check(name, _show(expected), f"not checked: {why.reason}", status))

    def compare(self, name: str, expected: Any, source: T | Unavailable, actual: Callable[[T], Any]) -> None:
        """Record `name`: the live value read from `source` must equal `expected`."""
        if isinstance(source, Unavailable):
            self.unchecked(name, expected, source)
            return
        live = actual(source)
        self.record(name, expected, live, live == expected)

    def say(self, line: str) -> None:
        """A progress line, when verify was given somewhere to write them."""
        if self.out is not None:
            self.out.write(line + "\n")
            self.out.flush()

    # ----- the run -----------------------------------------------------------

    def run(self) -> Report:
        """Make every check and return the report. Raises UsageError for a stack that is not there."""
        cf = self.clients.cloudformation
        stack = cfn.describe_stack(cf, self.stack_name)
        if stack is None:
            raise UsageError(
                f"stack {self.stack_name} does not exist; check --stack-name, --env and --region"
            )
        resources = cfn.physical_ids(cf, self.stack_name)
        table_ids = resources_of_type(self.expected, *names.TABLE_TYPES)
        if not table_ids or table_ids[0] not in resources:
            raise UsageError(
                f"stack {self.stack_name} has no DynamoDB table {names.TABLE_RESOURCE}; is it a kvtable "
                "database stack? (verify checks the database template)"
            )
        context = stack_context(stack, stack.parameters, resources)
        evaluator = TemplateEvaluator(self.expected, context)
        self.say(f"verifying stack {stack.name} in {context.region} (account {context.account})")
        self._stack_checks(stack, table_ids, evaluator)
        table_id = table_ids[0]
        if self.expected["Resources"][table_id]["Type"] == names.GLOBAL_TABLE_TYPE:
            self.replica_checks(evaluator, table_id, resources[table_id], stack.tags)
        else:
            self._table_checks(evaluator.resource_properties(table_id), resources[table_id], stack.tags)
        self._policy_checks(evaluator, resources)
        self._alarm_checks(evaluator, resources)
        self._drift_checks()
        return Report(self.stack_name, self.clock(), tuple(self.checks))

    def check_table(
        self, evaluator: TemplateEvaluator, table_name: str, table_id: str, tags: dict[str, str]
    ) -> list[Check]:
        """The table's checks against the template as `evaluator` evaluates it; the checks are also kept."""
        first = len(self.checks)
        self._table_checks(evaluator.resource_properties(table_id), table_name, tags)
        return self.checks[first:]

    def replica_checks(
        self, evaluator: TemplateEvaluator, table_id: str, table_name: str, tags: dict[str, str]
    ) -> None:
        """A global table's checks, made in each replica's own region against that replica's settings,
        each named `replica.<region>.table.<check>`."""
        props = evaluator.resource_properties(table_id)
        for replica in props.get("Replicas", []):
            region = str(replica["Region"])
            if self.clients.for_region is None:
                self.unchecked(
                    f"replica.{region}", "checked in its region", Unavailable("no regional clients")
                )
                continue
            regional = Verifier(
                self.clients.for_region(region), self.stack_name, self.expected, clock=self.clock
            )
            regional._table_checks(replica_properties(props, replica), table_name, tags)
            self.checks += [
                Check(f"replica.{region}.{c.name}", c.expected, c.actual, c.status) for c in regional.checks
            ]

    def table_report(self, table_name: str) -> Report:
        """The table's checks alone, for a table that is not (yet) the stack's, such as a restored one:
        the template is evaluated as if its TableName parameter named that table."""
        stack = cfn.describe_stack(self.clients.cloudformation, self.stack_name)
        if stack is None:
            raise UsageError(
                f"stack {self.stack_name} does not exist; check --stack-name, --env and --region"
            )
        table_id = resources_of_type(self.expected, names.TABLE_TYPE)[0]
        parameters = {**stack.parameters, names.TABLE_NAME_PARAMETER: table_name}
        evaluator = TemplateEvaluator(self.expected, stack_context(stack, parameters, {table_id: table_name}))
        self._table_checks(evaluator.resource_properties(table_id), table_name, stack.tags)
        return Report(table_name, self.clock(), tuple(self.checks))

    # ----- the stack ---------------------------------------------------------

    def _stack_checks(
        self, stack: cfn.DeployedStack, table_ids: list[str], evaluator: TemplateEvaluator
    ) -> None:
        cf = self.clients.cloudformation
        self.record(
            "stack.status",
            " or ".join(sorted(states.SETTLED_SUCCESS)),
            stack.status,
            stack.status in states.SETTLED_SUCCESS,
        )
        declared = sorted(self.expected.get("Parameters", {}))
        self.record(
            "stack.parameters", declared, sorted(stack.parameters), sorted(stack.parameters) == declared
        )
        self.record(
            "stack.termination_protection", True, stack.termination_protection, stack.termination_protection
        )
        policy = _read("GetStackPolicy", lambda: cfn.current_stack_policy(cf, stack.name))
        expected_policy = f"denies Update:Replace and Update:Delete on {', '.join(table_ids)}"
        if isinstance(policy, Unavailable):
            self.unchecked("stack.stack_policy", expected_policy, policy)
        else:
            protects = cfn.policy_protects(policy, table_ids)
            self.record(
                "stack.stack_policy",
                expected_policy,
                "as expected" if protects else (policy or "none"),
                protects,
            )
        self._template_check(stack)
        self._output_checks(stack, evaluator)

    def _template_check(self, stack: cfn.DeployedStack) -> None:
        deployed = _read(
            "GetTemplate", lambda: cfn.deployed_template(self.clients.cloudformation, stack.name)
        )
        expected = "the template this kvtable builds, with the stack's parameters"
        if isinstance(deployed, Unavailable):
            self.unchecked("stack.template", expected, deployed)
            return
        changed = template_differences(deployed, self.expected, stack.parameters, stack.name)
        actual = (
            "the same"
            if not changed
            else "the stack runs an older template: run `kvtable plan` (differs in "
            + ", ".join(changed)
            + ")"
        )
        self.record("stack.template", expected, actual, not changed)

    def _output_checks(self, stack: cfn.DeployedStack, evaluator: TemplateEvaluator) -> None:
        outputs = {o["OutputKey"]: o for o in stack.outputs}
        exports = _read("ListExports", lambda: _all_exports(self.clients.cloudformation))
        for name, spec in sorted(self.expected.get("Outputs", {}).items()):
            if not evaluator.conditions.get(spec.get("Condition", ""), True):
                continue  # an output its condition leaves out, such as the dashboard's name without one
            export_spec = spec.get("Export", {}).get("Name")
            export = evaluator.evaluate(export_spec) if export_spec else None
            output = outputs.get(name)
            if output is None:
                self.record(f"stack.output.{name}", f"present, exported as {export}", "missing", False)
                continue
            self.record(
                f"stack.output.{name}",
                f"present, exported as {export or '-'}",
                f"{output['OutputValue']}, exported as {output.get('ExportName') or '-'}",
                output.get("ExportName") == export,
            )
            if export:
                self.compare(f"stack.export.{name}", output["OutputValue"], exports, _value_of(str(export)))

    # ----- the table ---------------------------------------------------------

    def _table_checks(self, props: dict[str, Any], table_name: str, stack_tags: dict[str, str]) -> None:
        """Every check of one table against its evaluated template properties."""
        ddb = self.clients.dynamodb
        described = _read(
            "DescribeTable", lambda: cast(dict[str, Any], ddb.describe_table(TableName=table_name)["Table"])
        )
        self.compare("table.status", "ACTIVE", described, lambda t: t["TableStatus"])
        self.compare(
            "table.key_schema",
            _key_schema(props["KeySchema"]),
            described,
            lambda t: _key_schema(t["KeySchema"]),
        )
        self.compare(
            "table.attribute_definitions",
            sorted((a["AttributeName"], a["AttributeType"]) for a in props["AttributeDefinitions"]),
            described,
            lambda t: sorted((a["AttributeName"], a["AttributeType"]) for a in t["AttributeDefinitions"]),
        )
        self.compare(
            "table.billing_mode",
            props.get("BillingMode", "PROVISIONED"),
            described,
            lambda t: t.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED"),
        )
        self.compare(
            "table.deletion_protection",
            bool(props.get("DeletionProtectionEnabled", False)),
            described,
            lambda t: bool(t.get("DeletionProtectionEnabled", False)),
        )
        self._index_checks(props, described)
        pitr = props.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled", False)
        backups = _read(
            "DescribeContinuousBackups", lambda: ddb.describe_continuous_backups(TableName=table_name)
        )
        self.compare(
            "table.pitr",
            "ENABLED" if pitr else "DISABLED",
            backups,
            lambda b: (
                b["ContinuousBackupsDescription"]
                .get("PointInTimeRecoveryDescription", {})
                .get("PointInTimeRecoveryStatus", "DISABLED")
            ),
        )
        ttl = props.get("TimeToLiveSpecification", {})
        expected_ttl = f"ENABLED on {ttl['AttributeName']}" if ttl.get("Enabled") else "DISABLED"
        described_ttl = _read("DescribeTimeToLive", lambda: ddb.describe_time_to_live(TableName=table_name))
        self.compare(
            "table.ttl",
            expected_ttl,
            described_ttl,
            lambda d: _ttl_text(cast(dict[str, Any], d["TimeToLiveDescription"])),
        )
        self._encryption_check(props, described)
        if not isinstance(described, Unavailable):
            expected_tags = {t["Key"]: t["Value"] for t in props.get("Tags", [])} | stack_tags
            arn = described["TableArn"]
            tags = _read("ListTagsOfResource", lambda: ddb.list_tags_of_resource(ResourceArn=arn)["Tags"])
            if isinstance(tags, Unavailable):
                self.unchecked("table.tags", expected_tags, tags)
            else:
                live = {t["Key"]: t["Value"] for t in tags if not t["Key"].startswith("aws:")}
                self.record("table.tags", expected_tags, live, expected_tags.items() <= live.items())
            if "ResourcePolicy" in props:
                expected_policy = normalized_policy(props["ResourcePolicy"]["PolicyDocument"])
                policy = _read("GetResourcePolicy", lambda: _resource_policy(ddb, arn))
                self.compare(
                    "table.resource_policy",
                    expected_policy,
                    policy,
                    lambda text: normalized_policy(text) if text else "none",
                )

    def _index_checks(self, props: dict[str, Any], described: dict[str, Any] | Unavailable) -> None:
        expected = {g["IndexName"]: g for g in props.get("GlobalSecondaryIndexes", [])}
        if isinstance(described, Unavailable):
            self.unchecked("table.indexes", sorted(expected), described)
            return
        live = {g["IndexName"]: g for g in described.get("GlobalSecondaryIndexes", [])}
        self.record("table.indexes", sorted(expected), sorted(live), sorted(live) == sorted(expected))
        for name, spec in sorted(expected.items()):
            want = {
                "status": "ACTIVE",
                "backfilling": False,
                "keys": _key_schema(spec["KeySchema"]),
                "projection": _projection(spec["Projection"]),
            }
            index = live.get(name)
            have: Any = (
                "missing"
                if index is None
                else {
                    "status": index.get("IndexStatus"),
                    "backfilling": bool(index.get("Backfilling", False)),
                    "keys": _key_schema(index["KeySchema"]),
                    "projection": _projection(index.get("Projection", {})),
                }
            )
            self.record(f"table.index.{name}", want, have, have == want)

    def _encryption_check(self, props: dict[str, Any], described: dict[str, Any] | Unavailable) -> None:
        sse = props.get("SSESpecification", {})
        customer_key = sse.get("KMSMasterKeyId")
        if not sse.get("SSEEnabled"):
            expected: Any = "AWS owned key (no SSEDescription)"
        else:
            key = customer_key or AWS_MANAGED_DYNAMODB_KEY
            resolved = _read(
                "kms:DescribeKey", lambda: self.clients.kms.describe_key(KeyId=key)["KeyMetadata"]["Arn"]
            )
            if isinstance(resolved, Unavailable) and "NotFoundException" in resolved.reason:
                # No such key, so no table encrypts with it: the comparison below says so.
                resolved = f"{key} (no such key in this account and region)"
            if isinstance(resolved, Unavailable):
                self.unchecked("table.encryption", f"KMS with {key}", resolved)
                return
            expected = f"KMS with {resolved}"
        self.compare("table.encryption", expected, described, _encryption_text)

    # ----- the managed policies ---------------------------------------------

    def _policy_checks(self, evaluator: TemplateEvaluator, resources: dict[str, str]) -> None:
        iam = self.clients.iam
        for logical_id in resources_of_type(self.expected, names.MANAGED_POLICY_TYPE):
            name = f"policy.{logical_id}"
            expected = normalized_policy(evaluator.resource_properties(logical_id)["PolicyDocument"])
            arn = resources.get(logical_id)
            if not arn:
                self.record(name, expected, "missing from the stack", False)
                continue

            def default_document(arn: str = arn) -> Any:
                version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
                return iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]

            self.compare(name, expected, _read("iam:GetPolicyVersion", default_document), normalized_policy)

    # ----- the alarms ---------------------------------------------------------

    def _alarm_checks(self, evaluator: TemplateEvaluator, resources: dict[str, str]) -> None:
        """Each alarm the template creates exists, watching this table (and index) on the template's metric."""
        for logical_id in resources_of_type(self.expected, names.ALARM_TYPE):
            resource = self.expected["Resources"][logical_id]
            if not evaluator.conditions.get(resource.get("Condition", ""), True):
                continue
            props = evaluator.resource_properties(logical_id)
            expected = _alarm_shape(props)
            name = resources.get(logical_id) or str(props.get("AlarmName", ""))
            if not name:
                self.record(f"alarm.{logical_id}", expected, "missing from the stack", False)
                continue
            cloudwatch = self.clients.cloudwatch
            if cloudwatch is None:
                self.unchecked(f"alarm.{logical_id}", expected, Unavailable("no CloudWatch client"))
                continue
            found = _read("DescribeAlarms", _alarms_named(cloudwatch, name))
            self.compare(f"alarm.{logical_id}", expected, found, _first_alarm_shape)

    # ----- CloudFormation's own drift detection ------------------------------

    def _drift_checks(self) -> None:
        cf = self.clients.cloudformation
        started = _read(
            "DetectStackDrift",
            lambda: cf.detect_stack_drift(StackName=self.stack_name)["StackDriftDetectionId"],
        )
        if isinstance(started, Unavailable):
            # Where the engine has no drift detection at all, the check is skipped: it adds to ours,
            # it does not replace it. Denied or failed, it could not be made, and says so.
            self.unchecked(
                "drift.detection", "IN_SYNC", started, "skipped" if started.missing_api else "unchecked"
            )
            return
        deadline = time.monotonic() + DRIFT_WAIT_SECONDS
        begun = time.monotonic()
        while True:
            status = cf.describe_stack_drift_detection_status(StackDriftDetectionId=started)
            if status["DetectionStatus"] != "DETECTION_IN_PROGRESS":
                break
            if time.monotonic() > deadline:
                self.unchecked(
                    "drift.detection",
                    "IN_SYNC",
                    Unavailable(f"drift detection still running after {DRIFT_WAIT_SECONDS}s"),
                )
                return
            self.say(f"  CloudFormation drift detection in progress ({time.monotonic() - begun:.0f}s)")
            self.sleep(self.poll_seconds)
        stack_status = status.get("StackDriftStatus", "UNKNOWN")
        detail = status.get("DetectionStatusReason", "")
        self.record(
            "drift.detection",
            "IN_SYNC",
            stack_status + (f" ({detail})" if detail and stack_status != "IN_SYNC" else ""),
            stack_status == "IN_SYNC",
        )
        drifts = cf.describe_stack_resource_drifts(StackName=self.stack_name)["StackResourceDrifts"]
        for drift in sorted(drifts, key=lambda d: d["LogicalResourceId"]):
            verdict = drift["StackResourceDriftStatus"]
            differences = [
                f"{d['PropertyPath']} {d['DifferenceType'].lower()}"
                for d in drift.get("PropertyDifferences", [])
            ]
            actual = verdict + (": " + "; ".join(differences) if differences else "")
            self.record(
                f"drift.{drift['LogicalResourceId']}",
                "IN_SYNC",
                actual,
                verdict in ("IN_SYNC", "NOT_CHECKED"),
            )


def replica_properties(table: dict[str, Any], replica: dict[str, Any]) -> dict[str, Any]:
    """What a global table's replica promises, in the shape of a single-region table's properties:
    the table-level settings, with the replica's own (PITR, deletion protection, the resource policy,
    Contributor Insights, tags) over them. A global table's SSE without a key is the AWS-managed key."""
    merged = {k: v for k, v in table.items() if k not in ("Replicas", "StreamSpecification")}
    for key in ("PointInTimeRecoverySpecification", "DeletionProtectionEnabled", "ResourcePolicy", "Tags"):
        if key in replica:
            merged[key] = replica[key]
    return merged


def stack_context(
    stack: cfn.DeployedStack, parameters: dict[str, str], physical_ids: dict[str, str]
) -> StackContext:
    """The context CloudFormation evaluates the stack's template in: its account, region and partition."""
    partition, _, region, account, _ = _arn_parts(stack.stack_id)
    return StackContext(
        account=account,
        region=region,
        stack_name=stack.name,
        parameters=parameters,
        partition=partition,
        physical_ids=physical_ids,
    )


def template_differences(
    deployed: Template, expected: Template, parameters: dict[str, str], stack_name: str
) -> list[str]:
    """Where two templates differ once the stack's parameters are resolved: `Resources.X`, `Outputs.Y`, ..."""
    old, new = resolve(deployed, parameters, stack_name), resolve(expected, parameters, stack_name)
    differences = []
    for section in sorted(set(old) | set(new)):
        before, after = old.get(section), new.get(section)
        if isinstance(before, dict) and isinstance(after, dict):
            differences += [
                f"{section}.{key}"
                for key in sorted(set(before) | set(after))
                if before.get(key) != after.get(key)
            ]
        elif before != after:
            differences.append(section)
    return differences


def stack_location(cf: CloudFormationClient, stack_name: str) -> StackLocation:
    """Where a deployed stack and its table live, from DescribeStacks alone."""
    stack = cfn.describe_stack(cf, stack_name)
    if stack is None:
        raise UsageError(f"stack {stack_name} does not exist; check --stack-name, --env and --region")
    partition, _, region, account, _ = _arn_parts(stack.stack_id)
    table_name = stack.parameters.get(names.TABLE_NAME_PARAMETER)
    if not table_name:
        raise UsageError(
            f"stack {stack_name} has no {names.TABLE_NAME_PARAMETER} parameter; is it a kvtable database stack?"
        )
    return StackLocation(partition, region, account, stack_name, table_name)


def _arn_parts(arn: str) -> tuple[str, str, str, str, str]:
    """(partition, service, region, account, resource) of an ARN."""
    _, partition, service, region, account, resource = arn.split(":", 5)
    return partition, service, region, account, resource


def _all_exports(cf: CloudFormationClient) -> dict[str, str]:
    exports: dict[str, str] = {}
    for page in cf.get_paginator("list_exports").paginate():
        exports.update({e["Name"]: e["Value"] for e in page["Exports"]})
    return exports


def _alarm_shape(alarm: dict[str, Any]) -> dict[str, Any]:
    """What an alarm watches and when it fires, from a template's properties or DescribeAlarms."""
    return {
        "metric": f"{alarm.get('Namespace')}/{alarm.get('MetricName')}",
        "dimensions": sorted(f"{d['Name']}={d['Value']}" for d in alarm.get("Dimensions", [])),
        "statistic": alarm.get("Statistic"),
        "threshold": float(alarm.get("Threshold", 0)),
        "periods": int(alarm.get("EvaluationPeriods", 0)),
    }


def _alarms_named(cloudwatch: CloudWatchClient, name: str) -> Callable[[], list[dict[str, Any]]]:
    return lambda: [dict(a) for a in cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]]


def _first_alarm_shape(alarms: list[dict[str, Any]]) -> Any:
    return _alarm_shape(alarms[0]) if alarms else "missing"


def _resource_policy(ddb: DynamoDBClient, arn: str) -> str | None:
    """The table's resource policy, or None when it has none (which is drift, not a failed read)."""
    try:
        return ddb.get_resource_policy(ResourceArn=arn)["Policy"]
    except ClientError as error:
        if error_code(error) == "PolicyNotFoundException":
            return None
        raise


def _value_of(export: str) -> Callable[[dict[str, str]], str]:
    return lambda exports: exports.get(export, "missing")


def _ttl_text(description: dict[str, Any]) -> str:
    status = description.get("TimeToLiveStatus", "DISABLED")
    attribute = description.get("AttributeName")
    return f"{status} on {attribute}" if attribute and status == "ENABLED" else status


def _encryption_text(table: dict[str, Any]) -> str:
    sse = table.get("SSEDescription")
    if not sse:
        return "AWS owned key (no SSEDescription)"
    if sse.get("Status") != "ENABLED":
        return f"SSE {sse.get('Status')}"
    return f"{sse.get('SSEType')} with {sse.get('KMSMasterKeyArn')}"
