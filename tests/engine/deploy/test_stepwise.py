"""Several GSI changes as a sequence of updates on the local CloudFormation (moto, with the harness).

moto does not apply a stack update to its DynamoDB table, so these tests deploy with
wait_for_backfill off; the waiting is tested on AWS-shaped DescribeTable answers in
test_index_wait.py. Every CreateChangeSet request is recorded with botocore's event hook,
so the tests see the exact template each update sent.
"""

import io
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from mypy_boto3_cloudformation import CloudFormationClient

from kvtable.cfn.templates import parse_template
from kvtable.console.errors import RefusedError
from kvtable.deploy.deploy import Deployer
from kvtable.deploy.options import DeployOptions
from tests.paths import REPO_ROOT
from tests.shipped import with_shipped_template

ROOT = REPO_ROOT
STACK = "KVDatabaseStack"


def deploy(cf: CloudFormationClient, **options: Any) -> str:
    out = io.StringIO()
    settings = {"stack_name": STACK, "poll_seconds": 0.0, "wait_for_backfill": False, **options}
    try:
        Deployer(cf, DeployOptions(**with_shipped_template(settings)), out, sleep=lambda _: None).run()
    finally:
        print(out.getvalue())
    return out.getvalue()


def gsi(name: str, projection: str = "KEYS_ONLY") -> dict[str, Any]:
    return {
        "IndexName": name,
        "KeySchema": [{"AttributeName": f"{name}PK", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": projection},
    }


def template_with(tmp_path: Path, *added: str, redefine_gsi1: bool = False) -> Path:
    """The built template with more GSIs (each on its own attribute), and GSI1 redefined if asked."""
    template = json.loads((ROOT / "templates" / "database.json").read_text())
    props = template["Resources"]["KVStorageTable"]["Properties"]
    for name in added:
        props["AttributeDefinitions"].append({"AttributeName": f"{name}PK", "AttributeType": "S"})
        props["GlobalSecondaryIndexes"].append(gsi(name))
    if redefine_gsi1:
        props["GlobalSecondaryIndexes"][0]["Projection"] = {"ProjectionType": "KEYS_ONLY"}
    path = tmp_path / f"indexes-{'-'.join(added)}-{redefine_gsi1}.json"
    path.write_text(json.dumps(template))
    return path


@pytest.fixture
def sent(cf: CloudFormationClient) -> list[dict[str, Any]]:
    """Each change set's table GSIs, as (name, projection) pairs, in the order the updates were sent."""
    updates: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        template = parse_template(params["TemplateBody"], "change set")
        values = {p["ParameterKey"]: p["ParameterValue"] for p in params["Parameters"]}
        props = template["Resources"]["KVStorageTable"]["Properties"]
        indexes = {}
        for index in props.get("GlobalSecondaryIndexes", []):
            name = index["IndexName"]
            name = values[name["Ref"]] if isinstance(name, dict) else name
            indexes[name] = index["Projection"]["ProjectionType"]
        attributes = sorted(a["AttributeName"] for a in props["AttributeDefinitions"])
        updates.append({"indexes": indexes, "attributes": attributes, "parameters": values})

    cf.meta.events.register("provide-client-params.cloudformation.CreateChangeSet", record)
    return updates


def key_attributes(indexes: dict[str, str]) -> list[str]:
    """The attributes the table's keys use: the template's GSI (as GSI1 or renamed GSI9) uses GSI1PK
    and GSI1SK; each added index its own <name>PK."""
    used = {"PK", "SK"}
    for name in indexes:
        used |= {"GSI1PK", "GSI1SK"} if name in ("GSI1", "GSI9") else {f"{name}PK"}
    return sorted(used)


def one_operation_apart(before: dict[str, str], after: dict[str, str]) -> bool:
    deleted = [n for n in before if n not in after or before[n] != after[n]]
    created = [n for n in after if n not in before or before[n] != after[n]]
    return len(deleted) + len(created) == 1


CASES = [
    ("two creations", {"added": ("GSI2", "GSI3")}, {}, ["create GSI2", "create GSI3"]),
    (
        "a rename and a creation",
        {"added": ("GSI2",)},
        {"GsiName": "GSI9"},
        ["delete GSI1", "create GSI2", "create GSI9"],
    ),
    (
        "a redefinition and two creations",
        {"added": ("GSI2", "GSI3"), "redefine_gsi1": True},
        {},
        ["delete GSI1", "create GSI1", "create GSI2", "create GSI3"],
    ),
]


# Each case's edit of the template, the parameters given with it, and the index operations it takes.
EACH_CASE = pytest.mark.parametrize(
    ("case", "edit", "parameters", "operations"), CASES, ids=[c[0] for c in CASES]
)


def edited_after_a_first_deploy(cf: CloudFormationClient, tmp_path: Path, edit: dict[str, Any]) -> Path:
    """Deploy the committed template, then write the case's edit of it for the stepwise deploy."""
    deploy(cf)
    return template_with(tmp_path, *edit.get("added", ()), redefine_gsi1=edit.get("redefine_gsi1", False))


@EACH_CASE
def test_the_stepwise_plan_shows_every_step(
    cf: CloudFormationClient,
    tmp_path: Path,
    *,
    case: str,
    edit: dict[str, Any],
    parameters: dict[str, str],
    operations: list[str],
) -> None:
    path = edited_after_a_first_deploy(cf, tmp_path, edit)
    report = deploy(cf, template_path=path, parameters=parameters, plan_only=True, stepwise=True)
    count = len(operations)
    assert f"Stepwise: {count} updates, one index operation each (deletions first):" in report
    for number, operation in enumerate(operations, start=1):
        assert f"  step {number} of {count}: {operation}, with " in report
    assert f"step {count} of {count}: {operations[-1]}, with the full new template" in report


@EACH_CASE
def test_stepwise_sends_one_index_operation_per_update(
    cf: CloudFormationClient,
    tmp_path: Path,
    sent: list[dict[str, Any]],
    *,
    case: str,
    edit: dict[str, Any],
    parameters: dict[str, str],
    operations: list[str],
) -> None:
    path = edited_after_a_first_deploy(cf, tmp_path, edit)
    report = deploy(cf, template_path=path, parameters=parameters, stepwise=True)
    assert len(sent) == 1 + len(operations)  # the first deploy, then one update per operation
    for before, after in itertools.pairwise(sent):
        assert one_operation_apart(before["indexes"], after["indexes"]), (before, after)
        # DynamoDB refuses attribute definitions no key uses: each step defines exactly what its keys use.
        assert after["attributes"] == key_attributes(after["indexes"])
    # Until the last step, the deployed parameters (and so the exports) stay as they were.
    assert all(update["parameters"].get("GsiName") == "GSI1" for update in sent[1:-1])
    assert sent[-1]["parameters"]["GsiName"] == parameters.get("GsiName", "GSI1")
    assert f"Step {len(operations)} of {len(operations)}: {operations[-1]}" in report
    assert "UPDATE_COMPLETE" in report
    # The stack now runs the new template: a plain deploy of it finds nothing to do.
    assert "is up to date" in deploy(cf, template_path=path, parameters=parameters)


def test_without_stepwise_several_index_operations_are_refused_with_the_hint(
    cf: CloudFormationClient, tmp_path: Path, sent: list[dict[str, Any]]
) -> None:
    deploy(cf)
    with pytest.raises(RefusedError) as refused:
        deploy(cf, template_path=template_with(tmp_path, "GSI2", "GSI3"))
    assert "the same deploy with --stepwise added runs them as one update each" in str(refused.value)
    assert len(sent) == 1


def test_an_interrupted_stepwise_deploy_continues_when_run_again(
    cf: CloudFormationClient, tmp_path: Path, sent: list[dict[str, Any]]
) -> None:
    deploy(cf)
    path = template_with(tmp_path, "GSI2", "GSI3", redefine_gsi1=True)

    def interrupt_the_third_update(**_: Any) -> None:
        if len(sent) == 3:  # the first deploy and step 1 went through; stop before step 2
            raise KeyboardInterrupt

    cf.meta.events.register("before-call.cloudformation.CreateChangeSet", interrupt_the_third_update)
    with pytest.raises(KeyboardInterrupt):
        deploy(cf, template_path=path, stepwise=True)
    cf.meta.events.unregister("before-call.cloudformation.CreateChangeSet", interrupt_the_third_update)
    assert sent[1]["indexes"] == {}  # step 1 deleted GSI1
    report = deploy(cf, template_path=path, stepwise=True)
    assert "Stepwise: 3 updates" in report  # what remains: create GSI1, GSI2, GSI3
    executed = [u["indexes"] for i, u in enumerate(sent) if i != 2]  # the interrupted request never ran
    assert executed[-1] == {"GSI1": "KEYS_ONLY", "GSI2": "KEYS_ONLY", "GSI3": "KEYS_ONLY"}
    for before, after in itertools.pairwise(executed):
        assert one_operation_apart(before, after)
