"""Reading CloudFormation templates (JSON or YAML with short-form intrinsics) into plain data."""

import json
from pathlib import Path
from typing import Any

from kvtable.console.errors import UsageError
from kvtable.console.text_files import read_text_file

Template = dict[str, Any]
# A template as the deploy takes it: the text sent to CloudFormation as is, and its parsed body.
LoadedTemplate = tuple[str, Template]


def _plain(value: Any) -> Any:
    # cfn-lint's nodes subclass dict and str; plain types compare and print simply.
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def parse_template(body: str | dict[str, Any], origin: str) -> Template:
    """A template from its text (JSON or YAML) or from an already parsed body."""
    if isinstance(body, dict):
        plain: Template = _plain(json.loads(json.dumps(body)))
        return plain
    # cfn-lint is the `deploy` extra; reading outputs or checking names must not need it.
    from cfnlint.decode import decode_str  # noqa: PLC0415 (cfn-lint, the `deploy` extra: only to parse a template's text)

    template, matches = decode_str(body)
    if matches or not isinstance(template, dict):
        detail = matches[0].message if matches else "not a mapping"
        raise UsageError(f"{origin} is not a valid CloudFormation template: {detail}")
    parsed: Template = _plain(template)
    return parsed


def load_template(path: Path) -> LoadedTemplate:
    """The file's text (sent to CloudFormation as is) and its parsed template."""
    try:
        text = read_text_file(path)
    except UsageError as error:
        raise UsageError(f"template {error}") from None
    return text, parse_template(text, str(path))


def resources_of_type(template: Template, *resource_types: str) -> list[str]:
    """Logical ids of the template's resources of the given types."""
    return sorted(
        logical_id
        for logical_id, resource in template.get("Resources", {}).items()
        if resource.get("Type") in resource_types
    )
