"""The templates kvtable ships (templates/, which `kvtable template --check` holds equal to what the code
builds), read as the cli hands a template down: no builder, so the unit layer stays fast."""

import functools
from typing import Any

from kvtable.cfn.templates import LoadedTemplate, load_template
from tests.paths import REPO_ROOT


@functools.cache
def shipped(stem: str = "database") -> LoadedTemplate:
    """templates/<stem>.yaml's text and parsed template, read once per test run."""
    return load_template(REPO_ROOT / "templates" / f"{stem}.yaml")


def default_parameters(stem: str = "database") -> dict[str, str]:
    """Every parameter of the shipped template at its default, as DescribeStacks lists them."""
    return {name: str(spec.get("Default", "")) for name, spec in shipped(stem)[1]["Parameters"].items()}


def with_shipped_template(settings: dict[str, Any]) -> dict[str, Any]:
    """DeployOptions' settings with the shipped database template, unless they name a template already:
    the cli always hands a template down, and so do the tests."""
    if "template" in settings or "template_path" in settings:
        return settings
    return {**settings, "template": shipped()}
