"""Render the templates to JSON and YAML, and the IAM policy documents they hold to JSON,
deterministically, and write (atomically) or check them; and load a built template as the deploy
reads a template file (`load_built_template`)."""

import contextlib
import json
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from cfn_clean import cfn_literal_parser  # type: ignore[import-untyped]
from cfn_flip import yaml_dumper  # type: ignore[import-untyped]  # troposphere's YAML writer
from cfn_tools.literal import LiteralString  # type: ignore[import-untyped]
from troposphere import Template

from kvtable.aws.names import StackLocation
from kvtable.builders.consumer import build_consumer_template
from kvtable.builders.database import build_database_template
from kvtable.builders.global_database import build_global_database_template
from kvtable.cfn import names
from kvtable.cfn.evaluate import StackContext, TemplateEvaluator
from kvtable.cfn.templates import Template as TemplateData
from kvtable.cfn.templates import parse_template
from kvtable.iam.operator import operator_policy_document
from kvtable.iam.policies import policy_json
from kvtable.iam.workers import worker_policy_json


@dataclass(frozen=True)
class TemplateSpec:
    """One template the project ships, by file stem."""

    stem: str
    build: Callable[[], Template]


TEMPLATES = (
    TemplateSpec("database", build_database_template),
    TemplateSpec("global-database", build_global_database_template),
    TemplateSpec("consumer", build_consumer_template),
)

# The IAM policy documents (iam/) are the database template's managed policies, and the operators'
# read-only policy, resolved for the default stack and parameters in AWS's documentation placeholder
# account and the default region: replace the account (and the region, if not yours) before use.
IAM_PARTITION = "aws"
IAM_ACCOUNT = "123456789012"
IAM_REGION = "us-east-1"
# File name and the database template's logical id of each managed policy.
MANAGED_POLICY_FILES = (
    ("read.json", names.READ_POLICY_RESOURCE),
    ("read-write.json", names.READ_WRITE_POLICY_RESOURCE),
)
OPERATOR_POLICY_FILE = "operator.json"
WORKER_POLICY_FILE = "workers.json"


def rendered_yaml(stem: str) -> str:
    """One template's YAML text, building only that template (a deploy needs one, not all nine files)."""
    for spec in TEMPLATES:
        if spec.stem == stem:
            return yaml_of(spec.build().to_json(indent=2, sort_keys=True))
    raise KeyError(f"kvtable builds no template named {stem!r}")


def _function(dumper: yaml.Dumper, name: str, value: Any) -> Any:
    # cfn_flip's fn_representer, but a scalar argument is always quoted: libyaml would write a tagged
    # scalar plain and PyYAML's own emitter quoted, and the two writers must give the same bytes.
    tag = f"!{name}"
    if tag == "!GetAtt" and isinstance(value, list):
        value = ".".join(value)
    if isinstance(value, list):
        return dumper.represent_sequence(tag, value)
    if isinstance(value, dict):
        return dumper.represent_mapping(tag, value)
    return dumper.represent_scalar(tag, value, style="'")


def _mapping(dumper: yaml.Dumper, value: dict[str, Any]) -> Any:
    # cfn_flip's map_representer: a one-key Ref, Condition or Fn:: mapping is a short-form tag.
    if len(value) == 1:
        ((key, inner),) = value.items()
        if key in yaml_dumper.CONVERTED_SUFFIXES:
            return _function(dumper, key, inner)
        if key.startswith(yaml_dumper.FN_PREFIX):
            return _function(dumper, key.removeprefix(yaml_dumper.FN_PREFIX), inner)
    return dumper.represent_mapping(yaml_dumper.TAG_MAP, value, flow_style=False)


def _literal(dumper: yaml.Dumper, value: str) -> Any:
    # cfn_flip's literal block for a JSON document held as a string; libyaml takes only an exact str.
    return dumper.represent_scalar(yaml_dumper.TAG_STR, str(value), style="|")


def _yaml_writer(base: type[Any]) -> type[Any]:
    """A dumper on `base` with cfn_flip's short forms and string styles."""
    writer: type[Any] = type(f"Cfn{base.__name__}", (base,), {})
    writer.add_representer(dict, _mapping)
    writer.add_representer(str, yaml_dumper.string_representer)
    writer.add_representer(LiteralString, _literal)
    return writer


# libyaml's C emitter writes the templates in a fifth of the time of PyYAML's own, which stands in
# where PyYAML was built without libyaml; tests/unit/cli/test_template_cli.py holds their bytes equal.
PURE_YAML_WRITER = _yaml_writer(yaml.Dumper)
YAML_WRITER = _yaml_writer(yaml.CDumper) if hasattr(yaml, "CDumper") else PURE_YAML_WRITER


def yaml_of(json_text: str, writer: type[Any] = YAML_WRITER) -> str:
    """A template's YAML, from its JSON (sorted keys): short-form intrinsic functions, as cfn_flip
    writes them; the same text whichever writer PyYAML has."""
    data = cfn_literal_parser(json.loads(json_text))
    text: str = yaml.dump(
        data,
        Dumper=writer,
        default_flow_style=False,
        allow_unicode=True,
        width=yaml_dumper.config.max_col_width,
        sort_keys=False,
    )
    return text


def rendered_files() -> dict[str, str]:
    """Every template file name with its exact contents (JSON and YAML for each template)."""
    files: dict[str, str] = {}
    for spec in TEMPLATES:
        text = spec.build().to_json(indent=2, sort_keys=True)
        files[f"{spec.stem}.json"] = text + "\n"
        files[f"{spec.stem}.yaml"] = yaml_of(text)
    return files


def default_stack() -> StackContext:
    """The stack the iam/ documents are resolved for: the default name and parameters, placeholder
    account, default region."""
    return StackContext(
        account=IAM_ACCOUNT,
        region=IAM_REGION,
        stack_name=names.DEFAULT_STACK_NAME,
        parameters={},
        partition=IAM_PARTITION,
    )


def rendered_iam_files(templates: Mapping[str, str] | None = None) -> dict[str, str]:
    """Every IAM policy document's file name with its exact contents: the managed policies of the
    database template (from `templates`, as rendered_files gives them, else built) with its
    intrinsics evaluated for default_stack(), and the operators' and the workers' policies for that stack."""
    database_json = templates["database.json"] if templates else build_database_template().to_json()
    evaluator = TemplateEvaluator(json.loads(database_json), default_stack())
    files = {
        name: policy_json(evaluator.resource_properties(logical_id)["PolicyDocument"])
        for name, logical_id in MANAGED_POLICY_FILES
    }
    context = evaluator.context
    table_name = str(evaluator.evaluate({"Ref": names.TABLE_NAME_PARAMETER}))
    where = StackLocation(context.partition, context.region, context.account, context.stack_name, table_name)
    operator: dict[str, Any] = json.loads(operator_policy_document(where).to_json())
    files[OPERATOR_POLICY_FILE] = policy_json(operator)
    files[WORKER_POLICY_FILE] = worker_policy_json(where)
    return files


def write_file(path: Path, text: str) -> None:
    """Write `text` to `path` atomically: into a new file beside it, then renamed over it, so that an
    interrupted write leaves the old file whole (and no temporary file behind)."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with temporary.open("x", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


def write_files(files: Mapping[str, str], directory: Path) -> list[Path]:
    """Write each file into the directory (created if missing); return the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():
        path = directory / name
        write_file(path, text)
        written.append(path)
    return written


def stale_files(files: Mapping[str, str], directory: Path) -> list[str]:
    """Names of the files that are missing from the directory or differ from `files`."""
    stale = []
    for name, text in files.items():
        path = directory / name
        if not path.is_file() or path.read_bytes() != text.encode("utf-8"):
            stale.append(name)
    return stale


def load_built_template(stem: str = "database") -> tuple[str, TemplateData]:
    """The YAML text and parsed template that this kvtable builds (the same bytes as templates/<stem>.yaml)."""
    name = f"{stem}.yaml"
    text = rendered_yaml(stem)
    return text, parse_template(text, f"the {name} kvtable builds")
