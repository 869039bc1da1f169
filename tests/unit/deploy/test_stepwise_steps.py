"""Several GSI changes as one update each: the steps from the deployed template to the new one, each
intermediate step the deployed template holding the indexes of that moment, the last the new template."""

import copy
import json
from typing import Any

from kvtable.deploy.plan import IndexOperation, compute_plan
from kvtable.deploy.stepwise_steps import stepwise_steps
from tests.shipped import default_parameters, shipped

STACK = "KVDatabaseStack"
DEPLOYED = shipped()[1]
PARAMETERS = default_parameters()


def gsi(name: str) -> dict[str, Any]:
    return {
        "IndexName": name,
        "KeySchema": [{"AttributeName": f"{name}PK", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "KEYS_ONLY"},
    }


def new_template() -> dict[str, Any]:
    """The shipped template with GSI1 gone and GSI2, GSI3 added, each on an attribute of its own."""
    template = copy.deepcopy(DEPLOYED)
    properties = template["Resources"]["KVStorageTable"]["Properties"]
    properties["GlobalSecondaryIndexes"] = [gsi("GSI2"), gsi("GSI3")]
    properties["AttributeDefinitions"] = [
        {"AttributeName": name, "AttributeType": "S"} for name in ("PK", "SK", "GSI2PK", "GSI3PK")
    ]
    return template


def steps_to(new: dict[str, Any], new_parameters: dict[str, str]) -> list[Any]:
    plan = compute_plan(STACK, DEPLOYED, PARAMETERS, new, new_parameters)
    return stepwise_steps(
        STACK,
        deployed=DEPLOYED,
        deployed_parameters=PARAMETERS,
        new_body="the new template's text",
        new=new,
        new_parameters=new_parameters,
        operations=plan.index_operations,
    )


def table_properties(template: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = template["Resources"]["KVStorageTable"]["Properties"]
    return properties


def test_deletions_come_first_and_each_step_holds_the_indexes_of_its_moment() -> None:
    new_parameters = {**PARAMETERS, "ContributorInsights": "true"}
    steps = steps_to(new_template(), new_parameters)
    assert [(str(s.operation), s.indexes_after, s.final) for s in steps] == [
        ("delete GSI1", (), False),
        ("create GSI2", ("GSI2",), False),
        ("create GSI3", ("GSI2", "GSI3"), True),
    ]
    first, second, last = steps
    # Between steps: the deployed template and parameters, only the indexes differ.
    assert "GlobalSecondaryIndexes" not in table_properties(first.template)
    assert [i["IndexName"] for i in table_properties(second.template)["GlobalSecondaryIndexes"]] == ["GSI2"]
    assert first.parameters == second.parameters == PARAMETERS
    assert {k: v for k, v in second.template.items() if k != "Resources"} == {
        k: v for k, v in DEPLOYED.items() if k != "Resources"
    }
    # The last step is the new template as given, with the new parameters.
    assert (last.body, last.template, last.parameters) == (
        "the new template's text",
        new_template(),
        new_parameters,
    )


def test_attribute_definitions_follow_the_indexes_of_each_step() -> None:
    first, second, _ = steps_to(new_template(), PARAMETERS)
    names = [
        [a["AttributeName"] for a in table_properties(step.template)["AttributeDefinitions"]]
        for step in (first, second)
    ]
    # DynamoDB refuses a definition no key uses: GSI1's go with it, GSI2's come with it.
    assert names == [["PK", "SK"], ["GSI2PK", "PK", "SK"]]


def test_an_intermediate_step_is_sent_as_its_template_in_json() -> None:
    first, *_ = steps_to(new_template(), PARAMETERS)
    assert json.loads(first.body) == first.template


def test_no_index_operation_makes_no_step() -> None:
    assert steps_to(DEPLOYED, PARAMETERS) == []


def test_a_single_operation_is_the_new_template_at_once() -> None:
    new = copy.deepcopy(DEPLOYED)
    table_properties(new)["GlobalSecondaryIndexes"].append(gsi("GSI2"))
    table_properties(new)["AttributeDefinitions"].append({"AttributeName": "GSI2PK", "AttributeType": "S"})
    (step,) = stepwise_steps(
        STACK,
        deployed=DEPLOYED,
        deployed_parameters=PARAMETERS,
        new_body="text",
        new=new,
        new_parameters=PARAMETERS,
        operations=[IndexOperation("KVStorageTable", "create", "GSI2")],
    )
    assert (step.final, step.body, step.indexes_after) == (True, "text", ("GSI1", "GSI2"))
