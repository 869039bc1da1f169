"""A template's Rules, checked before anything is changed, as CloudFormation checks them at create time."""

from kvtable.cfn.evaluate import StackContext, TemplateEvaluator
from kvtable.cfn.templates import Template
from kvtable.console.errors import UsageError


def check_rules(template: Template, parameters: dict[str, str], region: str, stack_name: str) -> None:
    """Refuse parameters that break one of the template's rule assertions (e.g. ReplicaRegions must
    include the stack's own region), with the assertion's own description."""
    rules = template.get("Rules", {})
    if not rules:
        return
    evaluator = TemplateEvaluator(template, StackContext("", region, stack_name, parameters))
    for name, rule in rules.items():
        if "RuleCondition" in rule and not evaluator.evaluate(rule["RuleCondition"]):
            continue
        for assertion in rule.get("Assertions", []):
            if not evaluator.evaluate(assertion["Assert"]):
                description = assertion.get("AssertDescription", f"rule {name} does not hold")
                raise UsageError(f"{description} (rule {name}; the stack's region is {region})")
