"""Render templates to JSON and YAML, deterministically, and write or check them."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from troposphere import Template

from kvtable.cfn.consumer import build_consumer_template
from kvtable.cfn.database import build_database_template
from kvtable.cfn.global_database import build_global_database_template


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


def rendered_yaml(stem: str) -> str:
    """One template's YAML text, building only that template (a deploy needs one, not all nine files)."""
    for spec in TEMPLATES:
        if spec.stem == stem:
            text: str = spec.build().to_yaml(clean_up=False, long_form=False)
            return text
    raise KeyError(f"kvtable builds no template named {stem!r}")


def rendered_files() -> dict[str, str]:
    """Every template file name with its exact contents (JSON and YAML for each template)."""
    files: dict[str, str] = {}
    for spec in TEMPLATES:
        template = spec.build()
        files[f"{spec.stem}.json"] = template.to_json(indent=2, sort_keys=True) + "\n"
        files[f"{spec.stem}.yaml"] = template.to_yaml(clean_up=False, long_form=False)
    return files


def write_templates(directory: Path) -> list[Path]:
    """Write every template into the directory; return the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in rendered_files().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def stale_templates(directory: Path) -> list[str]:
    """Names of the template files that are missing or differ from what the code builds."""
    stale = []
    for name, text in rendered_files().items():
        path = directory / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            stale.append(name)
    return stale
