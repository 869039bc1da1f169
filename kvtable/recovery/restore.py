"""Point-in-time restore of the stack's table into a new table that keeps every promise of the template.

`RestoreTableToPointInTime` creates a new table outside any stack and without what AWS says
a restore does not carry: TTL, PITR, deletion protection, tags, the resource policy. This
checks everything before the one call that changes something, waits for the new table with
progress, re-applies each setting (each step reads first, so a second run only finishes
what is left), and ends with verify's table checks on the new table.
"""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

from botocore.exceptions import ClientError

from kvtable.aws.errors import error_code
from kvtable.cfn import names
from kvtable.cfn.evaluate import TemplateEvaluator
from kvtable.cfn.templates import Template
from kvtable.console.errors import ToolError, UsageError
from kvtable.console.progress import PROGRESS_EVERY_SECONDS, elapsed_text
from kvtable.deploy import cloudformation
from kvtable.deploy.aws_state import Clients, describe_or_none, normalized_policy
from kvtable.deploy.cloudformation import stack_context
from kvtable.schema import key_design as kd
from kvtable.schema.errors import TableNotFoundError
from kvtable.schema.table_wording import missing_table_line
from kvtable.verify.report import Report
from kvtable.verify.report import utc_text as utc_text  # noqa: PLC0414 (re-exported: adopt prints times so too)
from kvtable.verify.verify import Verifier

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

TABLE_WAIT_SECONDS = 24 * 3600


def check_table_name(name: str) -> None:
    """Refuse a table name DynamoDB would refuse."""
    problem = kd.resource_name_problem("table", name)
    if problem:
        raise UsageError(problem)


@dataclass(frozen=True)
class CommandTarget:
    """How the person named the stack, so that the hints printed repeat it (`--env dev`, or
    `--stack-name X`), and their environment file, whose TableName must follow the adopted table."""

    flags: str
    environment_file: Path | None = None
    table_in_file: str | None = None

    def environment_line(self, table: str) -> str | None:
        """The line to change in the environment file once `table` is the stack's, or None."""
        if self.environment_file is None or self.table_in_file == table:
            return None
        wanted = f'TableName = "{table}"'
        if self.table_in_file is None:
            return f"{self.environment_file}: add {wanted} under [parameters]"
        return f'{self.environment_file}: change TableName = "{self.table_in_file}" to {wanted} under [parameters]'


def restorable_window(earliest: datetime | None, latest: datetime | None) -> str:
    """`start to end`, each a time that can be given to --time as printed: whole seconds inside the window,
    or milliseconds when no whole second is (a window narrower than a second, as on moto)."""
    start, end = utc_text(earliest, round_up=True), utc_text(latest)
    if earliest is not None and latest is not None and start > end:
        start, end = utc_text(earliest, precise=True), utc_text(latest, precise=True)
    return f"{start} to {end}"


def pitr_command(table: str, region: str, endpoint: str | None) -> str:
    """The AWS CLI command that turns point-in-time recovery on for `table`, where this run looked for it."""
    words = [
        "aws",
        "dynamodb",
        "update-continuous-backups",
        "--table-name",
        table,
        "--point-in-time-recovery-specification",
        "PointInTimeRecoveryEnabled=true",
        "--region",
        region,
    ]
    if endpoint is not None and ".amazonaws.com" not in endpoint:  # a local engine's URL, not AWS's own
        words += ["--endpoint-url", endpoint]
    return shlex.join(words)


def point_in_time_recovery(ddb: DynamoDBClient, table: str) -> tuple[dict[str, Any], str | None]:
    """`table`'s point-in-time recovery description, and the command that turns it on when it is off."""
    backups = ddb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"]
    pitr = cast(dict[str, Any], backups.get("PointInTimeRecoveryDescription", {}))
    if pitr.get("PointInTimeRecoveryStatus") == "ENABLED":
        return pitr, None
    return pitr, pitr_command(table, ddb.meta.region_name, ddb.meta.endpoint_url.rstrip("/"))


@dataclass(frozen=True)
class RestoreOptions:
    """What the person asked for; `restore_time` None means the latest restorable time."""

    stack_name: str
    target_table: str
    source_table: str | None = None
    restore_time: datetime | None = None
    wait: bool = True
    poll_seconds: float = 20.0
    target: CommandTarget | None = None

    @property
    def command_target(self) -> CommandTarget:
        """The target as given, or `--stack-name` when the caller gave none."""
        return self.target or CommandTarget(f"--stack-name {self.stack_name}")


def table_progress(table: dict[str, Any]) -> str:
    """The table's status and each index's, e.g. `CREATING; GSI1 CREATING`."""
    parts = [str(table.get("TableStatus", "?"))]
    restoring = table.get("RestoreSummary", {}).get("RestoreInProgress")
    if restoring:
        parts[0] += " (restore in progress)"
    parts += [
        f"{g['IndexName']} {g.get('IndexStatus', '?')}" for g in table.get("GlobalSecondaryIndexes", [])
    ]
    return "; ".join(parts)


def is_ready(table: dict[str, Any]) -> bool:
    """ACTIVE, the restore finished, every index ACTIVE."""
    return (
        table.get("TableStatus") == "ACTIVE"
        and not table.get("RestoreSummary", {}).get("RestoreInProgress", False)
        and all(g.get("IndexStatus") == "ACTIVE" for g in table.get("GlobalSecondaryIndexes", []))
    )


@dataclass
class TableWaiter:
    """Polls DescribeTable until a table is ready, printing its progress when it changes and once a minute."""

    dynamodb: DynamoDBClient
    out: TextIO
    poll_seconds: float
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic

    def wait(self, table_name: str, label: str) -> dict[str, Any]:
        """The table's description once it is ready."""
        start = self.clock()
        shown, shown_at = "", -PROGRESS_EVERY_SECONDS
        while True:
            table = describe_or_none(self.dynamodb, table_name)
            if table is None:
                raise ToolError(f"{label}: table {table_name} disappeared while being restored")
            elapsed = self.clock() - start
            progress = table_progress(table)
            if is_ready(table):
                if shown:  # it had to wait: say when it ended
                    self.out.write(f"  {label}: {table_name} is {progress} after {elapsed_text(elapsed)}\n")
                return table
            if progress != shown or elapsed - shown_at >= PROGRESS_EVERY_SECONDS:
                self.out.write(f"  {label}: {table_name} {progress} ({elapsed_text(elapsed)} elapsed)\n")
                self.out.flush()
                shown, shown_at = progress, elapsed
            if elapsed > TABLE_WAIT_SECONDS:
                raise ToolError(
                    f"{label}: {table_name} was not ready after {elapsed_text(elapsed)}; run again to keep waiting"
                )
            self.sleep(self.poll_seconds)


@dataclass
class Restorer:
    """One restore run: check, restore (unless already done), wait, re-apply, verify."""

    clients: Clients
    options: RestoreOptions
    template: Template
    out: TextIO
    sleep: Callable[[float], None] = time.sleep

    def say(self, line: str) -> None:
        """Write one line of the report."""
        self.out.write(line + "\n")
        self.out.flush()

    def run(self) -> int:
        """Restore and re-apply; 0 when the new table keeps every promise, 4 when a check does not hold."""
        ddb = self.clients.dynamodb
        options = self.options
        check_table_name(options.target_table)
        stack = cloudformation.existing_stack(
            self.clients.cloudformation, options.stack_name, options.command_target.flags
        )
        table_id = names.TABLE_RESOURCE
        source_name = options.source_table or stack.parameters.get(names.TABLE_NAME_PARAMETER)
        if not source_name:
            raise UsageError(f"stack {stack.name} names no table; pass --source-table")
        source = describe_or_none(ddb, source_name)
        if source is None:
            given = "--source-table" if options.source_table else f"stack {stack.name}'s TableName"
            missing = TableNotFoundError(
                "restore", source_name, ddb.meta.region_name, ddb.meta.endpoint_url.rstrip("/")
            )
            raise UsageError(missing_table_line(missing, given, "--source-table"))
        parameters = {**stack.parameters, names.TABLE_NAME_PARAMETER: options.target_table}
        evaluator = TemplateEvaluator(
            self.template, stack_context(stack, parameters, {table_id: options.target_table})
        )
        expected = evaluator.resource_properties(table_id)
        target = describe_or_none(ddb, options.target_table)
        if target is not None:
            restored_from = target.get("RestoreSummary", {}).get("SourceTableArn")
            if restored_from != source["TableArn"]:
                raise UsageError(
                    f"table {options.target_table} already exists and was not restored from {source_name}; "
                    "choose another --target-table"
                )
            self.say(
                f"{options.target_table} was already restored from {source_name}: continuing where it stopped"
            )
        else:
            self._restore(source_name, expected.get("SSESpecification", {}))
        if not options.wait:
            self.say("not waiting (--no-wait); run the same command again to wait and finish the job")
            return 0
        waiter = TableWaiter(ddb, self.out, options.poll_seconds, self.sleep)
        table = waiter.wait(options.target_table, "restore")
        self.say(f"{options.target_table} is ready: {table_progress(table)}")
        self.say("Re-applying what a restore does not carry:")
        self._reapply(expected, stack.tags, waiter, table)
        verifier = Verifier(self.clients, options.stack_name, self.template)
        report: Report = verifier.table_report(options.target_table)
        self.out.write(report.as_table())
        hint = options.command_target
        self.say(
            f"Next: point readers at {options.target_table} to check the data, then bring it under the stack with "
            f"'kvtable adopt {hint.flags} --table {options.target_table}' "
            f"(the old table {source_name} stays as it is)"
        )
        line = hint.environment_line(options.target_table)
        if line:
            self.say(f"Then, in the environment file: {line}")
        return report.exit_code

    # ----- the one call that changes something --------------------------------

    def _restore(self, source_name: str, sse: dict[str, Any]) -> None:
        ddb = self.clients.dynamodb
        options = self.options
        pitr, command = point_in_time_recovery(ddb, source_name)
        if command is not None:
            raise UsageError(
                f"point-in-time recovery is off on {source_name}, so there is no restorable time; nothing was "
                f"restored; turn it on, then restore to a time after that: {command}"
            )
        earliest, latest = pitr.get("EarliestRestorableDateTime"), pitr.get("LatestRestorableDateTime")
        request: dict[str, Any] = {"SourceTableName": source_name, "TargetTableName": options.target_table}
        if sse.get("SSEEnabled"):  # set at restore time on AWS; re-applied below where an engine ignores it
            key = sse.get("KMSMasterKeyId")
            request["SSESpecificationOverride"] = {
                "Enabled": True,
                "SSEType": "KMS",
                **({"KMSMasterKeyId": key} if key else {}),
            }
        when = options.restore_time
        if when is None:
            request["UseLatestRestorableTime"] = True
            self.say(
                f"restoring {source_name} as of its latest restorable time ({utc_text(latest)}) "
                f"into {options.target_table}"
            )
        else:
            if earliest is None or latest is None or not (earliest <= when <= latest):
                raise UsageError(
                    f"{utc_text(when, precise=True)} is outside the restorable window of {source_name}, "
                    f"{restorable_window(earliest, latest)}; nothing was restored"
                )
            request["RestoreDateTime"] = when
            self.say(
                f"restoring {source_name} as of {utc_text(when, precise=True)} into {options.target_table}"
            )
        ddb.restore_table_to_point_in_time(**request)

    # ----- what the restore did not carry --------------------------------------

    def _reapply(
        self, expected: dict[str, Any], stack_tags: dict[str, str], waiter: TableWaiter, table: dict[str, Any]
    ) -> None:
        """Each setting the template promises, read first and set only when it differs."""
        steps: list[tuple[str, Callable[[dict[str, Any]], bool]]] = [
            ("billing mode", lambda t: self._billing(expected, t)),
            ("encryption", lambda t: self._encryption(expected, t)),
            ("point-in-time recovery", lambda t: self._pitr(expected)),
            ("TTL", lambda t: self._ttl(expected)),
            ("deletion protection", lambda t: self._deletion_protection(expected, t)),
            ("tags", lambda t: self._tags(expected, stack_tags, t)),
        ]
        if "ResourcePolicy" in expected:
            steps.append(("resource policy", lambda t: self._resource_policy(expected, t)))
        for setting, apply in steps:
            changed = apply(table)
            if changed:
                table = waiter.wait(self.options.target_table, setting)
            self.say(f"  {setting:<24} {'set' if changed else 'already as the template says'}")

    def _billing(self, expected: dict[str, Any], table: dict[str, Any]) -> bool:
        billing = expected.get("BillingMode", "PROVISIONED")
        if table.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED") == billing:
            return False
        self.clients.dynamodb.update_table(TableName=self.options.target_table, BillingMode=billing)
        return True

    def _encryption(self, expected: dict[str, Any], table: dict[str, Any]) -> bool:
        sse = expected.get("SSESpecification", {})
        live = table.get("SSEDescription") or {}
        key = sse.get("KMSMasterKeyId")
        if not sse.get("SSEEnabled") or (
            live.get("Status") == "ENABLED" and (key is None or live.get("KMSMasterKeyArn") == key)
        ):
            return False
        spec: dict[str, Any] = {"Enabled": True, "SSEType": "KMS", **({"KMSMasterKeyId": key} if key else {})}
        self.clients.dynamodb.update_table(
            TableName=self.options.target_table, SSESpecification=cast(Any, spec)
        )
        return True

    def _pitr(self, expected: dict[str, Any]) -> bool:
        ddb, name = self.clients.dynamodb, self.options.target_table
        wanted = expected.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled", False)
        backups = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
        status = backups.get("PointInTimeRecoveryDescription", {}).get("PointInTimeRecoveryStatus")
        if not wanted or status == "ENABLED":
            return False
        ddb.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
        return True

    def _ttl(self, expected: dict[str, Any]) -> bool:
        ddb, name = self.clients.dynamodb, self.options.target_table
        ttl = expected.get("TimeToLiveSpecification", {})
        live = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        on = live.get("TimeToLiveStatus") in ("ENABLED", "ENABLING") and live.get("AttributeName") == ttl.get(
            "AttributeName"
        )
        if not ttl.get("Enabled") or on:
            return False
        ddb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]}
        )
        return True

    def _deletion_protection(self, expected: dict[str, Any], table: dict[str, Any]) -> bool:
        if not expected.get("DeletionProtectionEnabled") or table.get("DeletionProtectionEnabled"):
            return False
        self.clients.dynamodb.update_table(
            TableName=self.options.target_table, DeletionProtectionEnabled=True
        )
        return True

    def _tags(self, expected: dict[str, Any], stack_tags: dict[str, str], table: dict[str, Any]) -> bool:
        ddb = self.clients.dynamodb
        wanted = {t["Key"]: t["Value"] for t in expected.get("Tags", [])} | stack_tags
        live = {
            t["Key"]: t["Value"] for t in ddb.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"]
        }
        missing = {k: v for k, v in wanted.items() if live.get(k) != v}
        if not missing:
            return False
        ddb.tag_resource(
            ResourceArn=table["TableArn"], Tags=[{"Key": k, "Value": v} for k, v in sorted(missing.items())]
        )
        return True

    def _resource_policy(self, expected: dict[str, Any], table: dict[str, Any]) -> bool:
        ddb = self.clients.dynamodb
        document = expected["ResourcePolicy"]["PolicyDocument"]
        try:
            live = normalized_policy(ddb.get_resource_policy(ResourceArn=table["TableArn"])["Policy"])
        except ClientError as error:
            if error_code(error) != "PolicyNotFoundException":
                raise
            live = None
        if live == normalized_policy(document):
            return False
        ddb.put_resource_policy(ResourceArn=table["TableArn"], Policy=json.dumps(document))
        return True
