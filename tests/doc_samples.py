"""The command output the docs show, produced by real runs on the local engines.

A sample block in README.md or docs/*.md is a ```text fence right after a marker naming it:

    <!-- sample: verify-dev -->
    ```text
    $ kvtable verify --env dev
    Verify KVDatabaseStack-dev at YYYY-MM-DD hh:mm:ss UTC
    ...
    ```

SAMPLES names each block's page and the scenario that produces it; SCENARIOS run the commands
in-process through `kvtable.cli.main.main`, stdout and stderr captured together as a terminal shows
them, against the local CloudFormation (moto's server with the test harness), DynamoDB Local, or no
engine at all. What changes from run to run (times, ports, random ids, latencies) becomes a
placeholder, with the columns kept aligned. tests/unit/project/test_doc_samples.py (no engine) and
tests/engine/project/test_doc_samples.py compare each block with a fresh run; `make docs-samples` (KVTABLE_UPDATE_DOC_SAMPLES=1) rewrites the blocks that differ.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import os
import re
import shlex
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from kvtable.builders.table_definition import create_table_from_template, create_table_request
from kvtable.cli.main import main
from kvtable.contract.store import KvTable
from kvtable.local.dynamodb_local import local_dynamodb_client
from tests.engine.migrate.test_migrate import legacy_item
from tests.harness.moto_process import reset_moto
from tests.local_clients import local_settings

ROOT = Path(__file__).resolve().parent.parent
UPDATE_VARIABLE = "KVTABLE_UPDATE_DOC_SAMPLES"
MARKER = re.compile(r"^<!-- sample: ([a-z0-9-]+) -->\n```text\n(.*?)^```$", re.M | re.S)
ANY_MARKER = re.compile(r"^<!-- sample: (\S*) -->$", re.M)
ELIDED = "..."


def pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


# What differs from run to run, and the placeholder the docs show instead; applied in this order.
VOLATILE: list[tuple[re.Pattern[str], str]] = [
    # Only the CLI's one format for a time (kvtable/verify/report.py's utc_text), and the items' own
    # timestamps (milliseconds): any other shape stays as printed, so a sample shows it.
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"), "YYYY-MM-DDThh:mm:ssZ"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"), "YYYY-MM-DDThh:mm:ss.sssZ"),
    (re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"), "YYYY-MM-DD hh:mm:ss"),
    (re.compile(r"\bkvtable-\d{8}-\d{6}\b"), "kvtable-YYYYMMDD-hhmmss"),
    (re.compile(r"\b\d\d:\d\d:\d\d\b"), "hh:mm:ss"),
    (re.compile(r"(?<=127\.0\.0\.1:)\d+"), "<port>"),
    # CloudFormation's random suffix of a physical id: KVDatabaseStack-ReadPolicy-8XW1RPQFR3QM.
    (re.compile(r"(?<=Policy-)[A-Z0-9]{12,13}\b"), "<id>"),
    (re.compile(r'(?<="writeId": ")[0-9a-f]{32}(?=")'), "<id>"),
    # An export's and an import's id in their ARNs: 01733572800000-a1b2c3d4, and moto's 32 hex digits.
    (re.compile(r"(?<=/export/)\d{14}-[0-9a-f]{8}\b"), "<id>"),
    (re.compile(r"(?<=/AWSDynamoDB/)\d{14}-[0-9a-f]{8}\b"), "<id>"),
    (re.compile(r"(?<=/import/)[0-9a-f]{32}\b"), "<id>"),
    (re.compile(r"\b\d+\.\d+ ms\b"), "n.n ms"),
    (re.compile(r"\b(\d+h)?(\d+m)?\d+(\.\d+)?s elapsed\b"), "<duration> elapsed"),
]


def normalise(text: str) -> str:
    """The text with each volatile part replaced by its placeholder, and each line (but an error's) longer than
    WIDTH cut to it, ending in `...`. Where a column's padding (two spaces or more) follows the
    part, the padding changes by the difference in length, so the next column stays put."""
    for pattern, placeholder in VOLATILE:
        padded = re.compile(rf"(?P<part>{pattern.pattern})(?P<pad> *)")

        def replace(match: re.Match[str], placeholder: str = placeholder) -> str:
            padding, rest = match.group("pad"), match.string[match.end() : match.end() + 1]
            if len(padding) < 2 or rest in ("", "\n"):
                return placeholder + padding
            width = len(match.group("part")) + len(padding)
            return placeholder + " " * max(2, width - len(placeholder))

        text = padded.sub(replace, text)
    return "".join(clip(line) for line in text.splitlines(keepends=True))


WIDTH = 230


def clip(line: str) -> str:
    body = line.rstrip("\n")
    if len(body) <= WIDTH or re.match(r"kvtable( [a-z]+)?: error: ", body):
        return line  # an error is one line that says what to do: shown whole
    return body[: WIDTH - len(ELIDED) - 1].rstrip() + " " + ELIDED + line[len(body) :]


def excerpt(text: str, *keep: slice) -> str:
    """The lines in the slices `keep`, in order, with `...` wherever lines are left out."""
    lines = text.splitlines()
    kept: list[str] = []
    shown_up_to = 0
    for part in keep:
        start, stop, _ = part.indices(len(lines))
        if start > shown_up_to:
            kept.append(ELIDED)
        kept += lines[start:stop]
        shown_up_to = max(shown_up_to, stop)
    if shown_up_to < len(lines):
        kept.append(ELIDED)
    return "\n".join(kept) + "\n"


def leave_out(text: str, *patterns: str) -> str:
    """The text without the lines that match any of `patterns`; each run left out becomes `...`."""
    found = re.compile("|".join(f"(?:{pattern})" for pattern in patterns))
    kept: list[str] = []
    for line in text.splitlines():
        if not found.search(line):
            kept.append(line)
        elif not kept or kept[-1] != ELIDED:
            kept.append(ELIDED)
    return "\n".join(kept) + "\n"


# Lines a long sample leaves out: the change set's rows, the outputs' rows, the checks that hold.
CHANGE_SET_ROWS = r"^  (Add|Modify|Remove) .*replacement: "
OUTPUT_ROWS = r"^  \w+ .* export: "
CHECKS_THAT_HOLD = r"^[a-z][\w.]+ .*  (yes|skipped)$"


@dataclass(frozen=True)
class Engines:
    """Where the local engines answer: the local CloudFormation and DynamoDB Local."""

    moto: str = ""
    dynamodb: str = ""


class Terminal:
    """Runs `kvtable` commands in-process, in a clean AWS environment, as a person would type them."""

    def __init__(self, workdir: Path, *, cwd: Path = ROOT, endpoint: str = "") -> None:
        self.workdir, self.cwd, self.endpoint = workdir, cwd, endpoint

    @contextlib.contextmanager
    def environment(self) -> Iterator[None]:
        with pytest.MonkeyPatch.context() as patch:
            for name in ["AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION"]:
                patch.delenv(name, raising=False)
            patch.setenv("AWS_ACCESS_KEY_ID", "testing")
            patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
            patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
            patch.setenv("AWS_CONFIG_FILE", str(self.workdir / "no-aws-config"))
            patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(self.workdir / "no-aws-config"))
            patch.setenv("AWS_EC2_METADATA_DISABLED", "true")
            if self.endpoint:
                patch.setenv("AWS_ENDPOINT_URL", self.endpoint)
            else:
                patch.delenv("AWS_ENDPOINT_URL", raising=False)
            patch.chdir(self.cwd)
            yield

    def run(self, shown: str, *hidden: str, exit_code: int = 0) -> str:
        """`$ <shown>` and what the command prints. `hidden` flags go to the run, not to the page
        (`--poll-seconds 0.01`: moto settles at once, so polling sooner changes only the wait)."""
        words = shlex.split(shown)
        assert words[0] == "kvtable"
        output = io.StringIO()
        with self.environment(), contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            try:
                code = main([*words[1:], *hidden])
            except SystemExit as exit_request:
                code = int(exit_request.code or 0)
        assert code == exit_code, f"{shown} exited {code}, not {exit_code}:\n{output.getvalue()}"
        return normalise(f"$ {shown}\n{output.getvalue()}")

    def quiet(self, shown: str, *hidden: str) -> None:
        """Run a command whose output no page shows."""
        self.run(shown, *hidden)


POLL = ("--poll-seconds", "0.01")


def pitr_on(client: Any, table: str) -> None:
    client.update_continuous_backups(
        TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )


# The scenarios. Each returns its samples by name, ready for the page.


def the_dev_stack(engines: Engines, workdir: Path) -> dict[str, str]:
    """The five-minute path on the local CloudFormation with config/dev.toml, a change and a
    refusal, the default stack's verify; then the recovery drill with the same file."""
    reset_moto(engines.moto)
    shell = Terminal(workdir, endpoint=engines.moto)
    samples = {
        "plan-create": shell.run("kvtable plan --env dev"),
        "deploy-create": shell.run("kvtable deploy --env dev", *POLL),
        "outputs": shell.run("kvtable outputs --env dev"),
        "verify-dev": shell.run("kvtable verify --env dev", *POLL, exit_code=4),
        # With only the local CloudFormation's AWS_ENDPOINT_URL exported, the demo uses moto's DynamoDB,
        # where no table of the default name is yet (the stack's is kv-storage-data-dev).
        "demo-local-cloudformation": shell.run("kvtable demo", exit_code=2),
        "plan-change": shell.run("kvtable plan --env dev --parameter MaxReadRequestUnits=4000"),
        "refusal-replace": shell.run(
            "kvtable plan --env dev --parameter TableName=kv-storage-data-2", exit_code=3
        ),
    }
    shell.quiet("kvtable deploy", *POLL)
    samples["verify-default"] = shell.run("kvtable verify", *POLL, exit_code=4)
    # The recovery: moto's CloudFormation leaves PITR off, so restore refuses, then it is turned on
    # through DynamoDB's API (what the refusal's command does).
    target = "kv-storage-data-dev-restored"
    samples["restore-no-pitr"] = shell.run(f"kvtable restore --env dev --target-table {target}", exit_code=2)
    pitr_on(local_dynamodb_client(engines.moto), "kv-storage-data-dev")
    restore = shell.run(f"kvtable restore --env dev --target-table {target}", *POLL)
    samples["restore-dev"] = leave_out(restore, CHECKS_THAT_HOLD)
    adopt = shell.run(f"kvtable adopt --env dev --table {target}", *POLL)
    samples["adopt-restored-dev"] = leave_out(adopt, CHANGE_SET_ROWS, OUTPUT_ROWS, CHECKS_THAT_HOLD)
    return samples


def the_cdk_table(engines: Engines, workdir: Path) -> dict[str, str]:
    """The CDK app's table (PITR and encryption on; no TTL, deletion protection or resource policy)
    adopted by a new stack on the local CloudFormation."""
    reset_moto(engines.moto)
    client = local_dynamodb_client(engines.moto)
    request = create_table_request("kv-storage-data")
    request.pop("DeletionProtectionEnabled", None)
    client.create_table(**request)
    pitr_on(client, "kv-storage-data")
    client.update_table(TableName="kv-storage-data", SSESpecification={"Enabled": True, "SSEType": "KMS"})
    shell = Terminal(workdir, endpoint=engines.moto)
    adopt = shell.run("kvtable adopt --stack-name KVDatabaseStack --table kv-storage-data", *POLL)
    return {"adopt-cdk": leave_out(adopt, CHANGE_SET_ROWS, OUTPUT_ROWS, CHECKS_THAT_HOLD)}


def the_templates(engines: Engines, workdir: Path) -> dict[str, str]:
    """`kvtable template` and `--check` in an empty folder, then with one template edited by hand."""
    folder = workdir / "checkout"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    shell = Terminal(workdir, cwd=folder)
    samples = {
        "template": shell.run("kvtable template"),
        "template-check": shell.run("kvtable template --check"),
    }
    with (folder / "templates" / "database.yaml").open("a", encoding="utf-8") as edited:
        edited.write("# edited by hand\n")
    samples["template-check-stale"] = shell.run("kvtable template --check", exit_code=1)
    return samples


def the_cost_example(engines: Engines, workdir: Path) -> dict[str, str]:
    return {"cost-example": Terminal(workdir).run("kvtable cost --example")}


def the_demo(engines: Engines, workdir: Path) -> dict[str, str]:
    """`kvtable demo` as a person runs it: it starts a DynamoDB Local of its own."""
    full = Terminal(workdir).run("kvtable demo")
    return {"demo": excerpt(full, slice(0, 8), slice(-3, None))}


MIGRATION_ITEMS = 2000


def legacy_keys(client: Any, table: str, count: int) -> None:
    """`count` keys as kvtable wrote them before versions existed (no `version`), written raw."""
    items = [legacy_item(i, "legacy") for i in range(count)]
    for start in range(0, count, 25):
        puts = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
        assert not client.batch_write_item(RequestItems={table: puts})["UnprocessedItems"]


def drop_table(client: Any, table: str) -> None:
    with contextlib.suppress(client.exceptions.ResourceNotFoundException):
        client.update_table(TableName=table, DeletionProtectionEnabled=False)
        client.delete_table(TableName=table)


def the_migration_plan(engines: Engines, workdir: Path) -> dict[str, str]:
    """`kvtable migrate plan`, then the run it plans, on DynamoDB Local, over keys written before versions
    existed."""
    client, table = local_dynamodb_client(engines.dynamodb), "kv-storage-data"
    drop_table(client, table)  # the session's DynamoDB Local is shared: start from nothing
    create_table_from_template(client, table)
    try:
        legacy_keys(client, table, MIGRATION_ITEMS)
        shell = Terminal(workdir, endpoint=engines.dynamodb)
        planned = shell.run("kvtable migrate plan")
        ran = shell.run("kvtable migrate run --quiet")
        # The run's scan meets such of its own checkpoints as other segments wrote before it got there.
        ran = re.sub(r"\b[\d,]+ scanned by this run", "<n> scanned by this run", ran)
        # ... and reads them too, so its read units move with them (half a unit per 4 KB).
        ran = re.sub(r"\b[\d,.]+ read units$", "<r> read units", ran, flags=re.M)
        return {"migrate-plan": planned, "migrate-run": ran}
    finally:
        drop_table(client, table)


def the_whole_table(engines: Engines, workdir: Path) -> dict[str, str]:
    """`kvtable export` (refused with PITR off, then run) and `kvtable import` on the local CloudFormation,
    whose S3 the export and the import use, with the harness's export laid out as AWS's."""
    reset_moto(engines.moto)
    shell = Terminal(workdir, endpoint=engines.moto)
    shell.quiet("kvtable deploy", *POLL)
    client = local_dynamodb_client(engines.moto)
    s3 = boto3.client("s3", **local_settings(engines.moto))
    for bucket in ("my-exports", "my-staging"):
        s3.create_bucket(Bucket=bucket)
    samples = {"export-no-pitr": shell.run("kvtable export --to s3://my-exports/kvtable", *POLL, exit_code=3)}
    pitr_on(client, "kv-storage-data")
    store = KvTable(client, "kv-storage-data")
    store.create_user("user123", "test@example.com", api_key="abc123def456")
    store.create_namespace("user123", "myapp")
    store.load_keys("myapp", ((f"user:{n}", {"name": "John", "n": n}) for n in range(1_500)))
    export = shell.run("kvtable export --to s3://my-exports/kvtable", *POLL)
    samples["export"] = leave_out(export, r"^  export: waiting for ")
    keys = workdir / "keys.jsonl"
    keys.write_text(
        "".join(f'{{"key": "user:{n}", "value": {{"name": "John", "n": {n}}}}}\n' for n in range(2_000))
    )
    imported = Terminal(workdir, cwd=workdir, endpoint=engines.moto).run(
        "kvtable import keys.jsonl --table kv-storage-data-new --namespace myapp "
        "--staging s3://my-staging/kvtable --quiet",
        *POLL,
    )
    # gzip's size moves with the random write ids; the rest is the same every run.
    samples["import"] = re.sub(r"\b[\d,]+ bytes gzip", "<n> bytes gzip", imported)
    return samples


@dataclass(frozen=True)
class Scenario:
    run: Callable[[Engines, Path], dict[str, str]]
    # The engines it needs, named as tests/conftest.py's markers: "moto", "dynamodb_local".
    engines: tuple[str, ...] = ()


SCENARIOS: dict[str, Scenario] = {
    "dev-stack": Scenario(the_dev_stack, ("moto",)),
    "cdk-table": Scenario(the_cdk_table, ("moto",)),
    "templates": Scenario(the_templates),
    "cost": Scenario(the_cost_example),
    "demo": Scenario(the_demo, ("dynamodb_local",)),
    "migration": Scenario(the_migration_plan, ("dynamodb_local",)),
    "whole-table": Scenario(the_whole_table, ("moto",)),
}


@dataclass(frozen=True)
class Sample:
    page: str  # relative to the checkout
    scenario: str


SAMPLES: dict[str, Sample] = {
    "template": Sample("docs/templates.md", "templates"),
    "template-check": Sample("docs/templates.md", "templates"),
    "template-check-stale": Sample("docs/templates.md", "templates"),
    "plan-create": Sample("docs/deploying.md", "dev-stack"),
    "deploy-create": Sample("docs/deploying.md", "dev-stack"),
    "plan-change": Sample("docs/deploying.md", "dev-stack"),
    "refusal-replace": Sample("docs/deploying.md", "dev-stack"),
    "outputs": Sample("docs/operations.md", "dev-stack"),
    "verify-default": Sample("docs/operations.md", "dev-stack"),
    "verify-dev": Sample("docs/local-engines.md", "dev-stack"),
    "demo-local-cloudformation": Sample("docs/local-engines.md", "dev-stack"),
    "restore-no-pitr": Sample("docs/operations.md", "dev-stack"),
    "adopt-cdk": Sample("docs/operations.md", "cdk-table"),
    "restore-dev": Sample("docs/operations.md", "dev-stack"),
    "adopt-restored-dev": Sample("docs/operations.md", "dev-stack"),
    "demo": Sample("docs/data-contract.md", "demo"),
    "migrate-plan": Sample("docs/migrations.md", "migration"),
    "migrate-run": Sample("docs/migrations.md", "migration"),
    "cost-example": Sample("docs/cost.md", "cost"),
    "export-no-pitr": Sample("docs/bulk.md", "whole-table"),
    "export": Sample("docs/bulk.md", "whole-table"),
    "import": Sample("docs/bulk.md", "whole-table"),
}


def shown_samples(page: Path) -> dict[str, str]:
    """The sample blocks of a page, by name: the text between the fences."""
    return {name: text for name, text in MARKER.findall(page.read_text(encoding="utf-8"))}


def rewrite_sample(page: Path, name: str, fresh: str) -> None:
    """Put `fresh` into the page's block named `name`, leaving every other byte as it was."""
    text = page.read_text(encoding="utf-8")
    matches = [m for m in MARKER.finditer(text) if m.group(1) == name]
    assert len(matches) == 1, f"{page.name}: {len(matches)} blocks named {name}"
    start, end = matches[0].span(2)
    page.write_text(text[:start] + fresh + text[end:], encoding="utf-8")


# The fixture (tests/conftest.py, tests/cloudformation_fixtures.py) that starts each engine.
ENGINE_FIXTURES = {"moto": "moto_endpoint", "dynamodb_local": "dynamodb_endpoint"}
# Each scenario's samples, run once, on the first sample that needs them.
GENERATED: dict[str, dict[str, str]] = {}


def sample_params(*, on_engines: bool) -> list[Any]:
    """The samples whose scenario needs an engine (or none), each marked with the engines it needs."""
    return [
        pytest.param(
            name, marks=[getattr(pytest.mark, engine) for engine in SCENARIOS[sample.scenario].engines]
        )
        for name, sample in SAMPLES.items()
        if bool(SCENARIOS[sample.scenario].engines) == on_engines
    ]


def assert_the_page_shows_a_fresh_run(
    name: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The sample's block is what its scenario prints now; with UPDATE_VARIABLE=1 it is rewritten instead."""
    sample = SAMPLES[name]
    scenario = SCENARIOS[sample.scenario]
    if sample.scenario not in GENERATED:
        urls = {engine: request.getfixturevalue(ENGINE_FIXTURES[engine]).url for engine in scenario.engines}
        engines = Engines(moto=urls.get("moto", ""), dynamodb=urls.get("dynamodb_local", ""))
        GENERATED[sample.scenario] = scenario.run(engines, tmp_path_factory.mktemp(sample.scenario))
    fresh = GENERATED[sample.scenario][name]
    page = ROOT / sample.page
    shown = shown_samples(page).get(name)
    if shown == fresh:
        return
    if os.environ.get(UPDATE_VARIABLE) == "1":
        rewrite_sample(page, name, fresh)
        return
    diff = "".join(
        difflib.unified_diff(
            (shown or "").splitlines(keepends=True), fresh.splitlines(keepends=True), "page", "fresh run"
        )
    )
    pytest.fail(
        f"{sample.page}: the sample {name!r} differs from a fresh run; `make docs-samples` rewrites it.\n"
        f"{diff}\nThe fresh text:\n{fresh}",
        pytrace=False,
    )
