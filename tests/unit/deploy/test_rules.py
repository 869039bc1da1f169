"""A template's Rules, checked before any call as CloudFormation checks them at create time."""

import pytest

from kvtable.console.errors import UsageError
from kvtable.deploy.rules import check_rules
from tests.shipped import default_parameters, shipped

GLOBAL = shipped("global-database")[1]


def test_replica_regions_without_the_stacks_own_region_are_refused_with_the_rules_words() -> None:
    parameters = {**default_parameters("global-database"), "ReplicaRegions": "eu-west-1,ap-south-1"}
    with pytest.raises(UsageError) as error:
        check_rules(GLOBAL, parameters, "us-east-1", "KVDatabaseStack")
    assert str(error.value) == (
        "ReplicaRegions must include the region the stack is deployed in "
        "(rule StackRegionIsAReplica; the stack's region is us-east-1)"
    )
    assert error.value.exit_code == 2


def test_replica_regions_with_the_stacks_region_pass() -> None:
    parameters = {**default_parameters("global-database"), "ReplicaRegions": "eu-west-1,us-east-1"}
    check_rules(GLOBAL, parameters, "us-east-1", "KVDatabaseStack")


def test_a_rule_whose_condition_does_not_hold_is_not_checked() -> None:
    template = {
        "Parameters": {"Mode": {"Type": "String"}},
        "Rules": {
            "OnlyInProd": {
                "RuleCondition": {"Fn::Equals": [{"Ref": "Mode"}, "prod"]},
                "Assertions": [{"Assert": {"Fn::Equals": [{"Ref": "AWS::Region"}, "eu-west-1"]}}],
            }
        },
    }
    check_rules(template, {"Mode": "dev"}, "us-east-1", "S")
    with pytest.raises(
        UsageError, match=r"^rule OnlyInProd does not hold \(rule OnlyInProd; the stack's region"
    ):
        check_rules(template, {"Mode": "prod"}, "us-east-1", "S")


def test_a_template_without_rules_passes_anything() -> None:
    check_rules(shipped()[1], {}, "us-east-1", "KVDatabaseStack")
