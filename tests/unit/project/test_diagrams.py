"""The docs' diagrams stay in step with the code they show.

Each diagram is a Mermaid block after a `<!-- diagram: NAME -->` marker. Its nodes are parsed from the
Markdown and compared, both ways, with names taken from kvtable's own modules: nothing in a diagram that
the code lacks, nothing the code has that the diagram must show and leaves out.

The diagrams keep to a small part of Mermaid's flowchart, which the parser here checks line by line:
one node or one edge a line; `name()` in a label is a function the step calls; a rounded (stadium)
node `id(["..."])` holds names the code gives its steps (adopt's stages, the stack states, the settings
a restore re-applies, the migrate actions), separated by ` · `.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import re
import textwrap
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from kvtable.builders.table_definition import create_table_request
from kvtable.cli import migrate as migrate_command
from kvtable.contract.keys import key_attributes
from kvtable.contract.store import KvTable
from kvtable.contract.users import api_key_guard_item
from kvtable.deploy import states
from kvtable.deploy.deploy import Deployer
from kvtable.deploy.stepwise_run import StepwiseRun
from kvtable.migrate.runner import MigrationRun
from kvtable.recovery.adopt import Adopter, Stage
from kvtable.recovery.restore import Restorer, point_in_time_recovery
from kvtable.schema import entities
from kvtable.schema import key_design as kd
from tests.paths import REPO_ROOT

DOCS = REPO_ROOT / "docs"
MARKER = re.compile(r"^<!-- diagram: ([a-z-]+) -->\n```mermaid\n(.*?)^```$", re.M | re.S)

# ----- the diagrams, parsed ------------------------------------------------------------------------------

SHAPES = {"[": "]", "([": "])", "[(": ")]", "{": "}", "((": "))", "[[": "]]"}
NODE = re.compile(
    r'(?P<id>[A-Za-z_]\w*)(?P<open>\(\[|\[\(|\[\[|\(\(|\[|\{)"(?P<label>[^"]*)"(?P<close>[\])}]+)'
)
EDGE = re.compile(r'(?P<source>\w+) (?P<arrow>-->|-\.->)(?:\|(?P<label>"[^"]*"|[^|"]+)\|)? (?P<target>\w+)')
SUBGRAPH = re.compile(r'subgraph (?P<id>\w+)\["(?P<label>[^"]*)"\]')
FUNCTION = re.compile(r"\b([A-Za-z_]\w*)\(\)")


@dataclass
class Node:
    """A node: its shape (the opening bracket) and its label's lines, markup removed."""

    shape: str
    lines: list[str]
    subgraph: str | None


@dataclass
class Edge:
    source: str
    target: str
    dotted: bool
    label: str


@dataclass
class Diagram:
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    subgraphs: dict[str, str] = field(default_factory=dict)

    def functions(self) -> set[str]:
        """Every `name()` in the diagram's node labels."""
        return {
            name for node in self.nodes.values() for line in node.lines for name in FUNCTION.findall(line)
        }

    def named_steps(self) -> set[str]:
        """The names the stadium nodes hold."""
        return {
            name for node in self.nodes.values() if node.shape == "([" for name in node.lines[0].split(" · ")
        }


def parse(text: str) -> Diagram:
    """The diagram of a Mermaid flowchart written in the subset above; anything else fails the test."""
    diagram = Diagram()
    subgraph: str | None = None
    lines = text.splitlines()
    assert re.fullmatch(r"flowchart (LR|TD)", lines[0]), lines[0]
    for line in (line.strip() for line in lines[1:]):
        if not line or line.startswith("%%"):
            continue
        if line == "end":
            assert subgraph is not None, "an `end` without a subgraph"
            subgraph = None
        elif match := SUBGRAPH.fullmatch(line):
            diagram.subgraphs[match["id"]] = match["label"]
            subgraph = match["id"]
        elif match := NODE.fullmatch(line):
            assert SHAPES[match["open"]] == match["close"], f"unbalanced shape: {line}"
            assert match["id"] not in diagram.nodes, f"node {match['id']} defined twice"
            label = re.sub(r"</?b>", "", match["label"])
            diagram.nodes[match["id"]] = Node(match["open"], label.split("<br/>"), subgraph)
        elif match := EDGE.fullmatch(line):
            label = (match["label"] or "").strip('"')
            diagram.edges.append(Edge(match["source"], match["target"], match["arrow"] == "-.->", label))
        else:
            pytest.fail(f"a line outside the diagrams' subset of Mermaid: {line!r}")
    assert subgraph is None, "a subgraph without its `end`"
    known = set(diagram.nodes) | set(diagram.subgraphs)
    loose = {end for edge in diagram.edges for end in (edge.source, edge.target)} - known
    assert loose == set(), f"edges to nodes never defined: {sorted(loose)}"
    return diagram


def diagrams() -> dict[str, tuple[Path, str]]:
    """Every marked diagram of the docs by name: (page, Mermaid text)."""
    found: dict[str, tuple[Path, str]] = {}
    for page in sorted(DOCS.glob("*.md")):
        for name, text in MARKER.findall(page.read_text(encoding="utf-8")):
            assert name not in found, f"diagram {name} is marked twice"
            found[name] = (page, text)
    return found


def diagram(name: str) -> Diagram:
    return parse(diagrams()[name][1])


def both_ways(what: str, shown: set[str], in_code: set[str]) -> list[str]:
    """What the diagram shows that the code lacks, and what the code has that the diagram leaves out."""
    problems = []
    if shown - in_code:
        problems.append(f"{what}: the diagram shows {sorted(shown - in_code)}, which the code does not have")
    if in_code - shown:
        problems.append(f"{what}: the code has {sorted(in_code - shown)}, which the diagram leaves out")
    return problems


# ----- the key design --------------------------------------------------------------------------------------

ENTITIES: dict[str, type] = {
    name: value for name, value in vars(entities).items() if typing.is_typeddict(value)
}
# What stands for an id in the diagram's keys.
USER, API_KEY, NAMESPACE, KEY = "{user}", "{api key}", "{namespace}", "{key}"
PAIR = re.compile(r"(\w+) = (.+)")


def expected_keys() -> dict[str, dict[str, str]]:
    """Each item type's key attributes, built by kvtable's own key builders (and item builders where an item
    is built by a function of its own) from the diagram's placeholders."""
    guard = api_key_guard_item(API_KEY, USER, "t")
    key_index = key_attributes(kd.namespace_partition_key(NAMESPACE), kd.key_sort_key(KEY), None, "t", None)
    return {
        "UserItem": {
            kd.PARTITION_KEY: kd.user_partition_key(USER),
            kd.SORT_KEY: kd.METADATA,
            kd.GSI1_PARTITION_KEY: kd.api_key_partition_key(API_KEY),
            kd.GSI1_SORT_KEY: kd.METADATA,
        },
        "ApiKeyGuardItem": {kd.PARTITION_KEY: guard["PK"], kd.SORT_KEY: guard["SK"]},
        "NamespaceLinkItem": {
            kd.PARTITION_KEY: kd.user_partition_key(USER),
            kd.SORT_KEY: kd.namespace_partition_key(NAMESPACE),
        },
        "NamespaceItem": {
            kd.PARTITION_KEY: kd.namespace_partition_key(NAMESPACE),
            kd.SORT_KEY: kd.METADATA,
            kd.GSI1_PARTITION_KEY: kd.user_partition_key(USER),
            kd.GSI1_SORT_KEY: kd.namespace_partition_key(NAMESPACE),
        },
        "NamespaceTombstoneItem": {
            kd.PARTITION_KEY: kd.namespace_partition_key(NAMESPACE),
            kd.SORT_KEY: kd.METADATA,
        },
        "KeyItem": {
            kd.PARTITION_KEY: kd.namespace_partition_key(NAMESPACE),
            kd.SORT_KEY: kd.key_sort_key(KEY),
            kd.GSI1_PARTITION_KEY: str(key_index[kd.GSI1_PARTITION_KEY]),
            kd.GSI1_SORT_KEY: str(key_index[kd.GSI1_SORT_KEY]),
        },
    }


def item_node(node: Node) -> tuple[dict[str, str], set[str]]:
    """An item node's `NAME = value` pairs and the attributes after `also:`."""
    pairs: dict[str, str] = {}
    also: set[str] = set()
    for line in node.lines[1:]:
        if line.startswith("also: "):
            also |= set(line.removeprefix("also: ").split(", "))
            continue
        for part in line.split(" · "):
            match = PAIR.fullmatch(part)
            assert match, f"{part!r} is neither NAME = value nor an also: list"
            pairs[match[1]] = match[2]
    return pairs, also


def entity_type(item_type: type) -> str:
    (value,) = typing.get_args(typing.get_type_hints(item_type)[kd.ENTITY_TYPE_ATTRIBUTE])
    return str(value)


def pattern_functions() -> dict[int, set[str]]:
    """The access patterns by number, and the KvTable methods whose docstrings say they serve them."""
    patterns: dict[int, set[str]] = {}
    for name, method in inspect.getmembers(KvTable, inspect.isfunction):
        match = re.match(r"Pattern (\d+)\b", inspect.getdoc(method) or "")
        if match:
            patterns.setdefault(int(match[1]), set()).add(name)
    return patterns


def returned_items(method: Callable[..., Any]) -> set[str]:
    """The item types a method returns, through Page[...], dict[...] and the like."""
    found: set[str] = set()
    pending = [typing.get_type_hints(method).get("return")]
    while pending:
        hint = pending.pop()
        if isinstance(hint, type) and hint.__name__ in ENTITIES:
            found.add(hint.__name__)
        pending.extend(typing.get_args(hint))
    return found


def documented_pattern_names() -> dict[int, str]:
    """The access-pattern table of the same page: number -> pattern."""
    text = (DOCS / "data-contract.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d) \| ([^|]+) \|", text, re.M)
    return {int(number): name.strip() for number, name in rows}


def _item_problems(shown: Diagram) -> list[str]:
    """The item types in the table: their names, attributes, keys and entityType."""
    items = {name: node for name, node in shown.nodes.items() if node.subgraph == "table"}
    problems = both_ways("item types", set(items), set(ENTITIES))
    keys = expected_keys()
    entity_values = {value for name, value in vars(kd).items() if name.endswith("_ENTITY")}
    for name in sorted(set(items) & set(ENTITIES)):
        node, hints = items[name], typing.get_type_hints(ENTITIES[name])
        if node.lines[0] != name:
            problems.append(f"node {name} is labelled {node.lines[0]!r}")
        pairs, also = item_node(node)
        problems += both_ways(f"{name}'s attributes", set(pairs) | also, set(hints))
        shown_keys = {
            attribute: value for attribute, value in pairs.items() if attribute in kd.KEY_ATTRIBUTES
        }
        if shown_keys != keys[name]:
            problems.append(f"{name}'s keys are shown as {shown_keys}, the key design makes {keys[name]}")
        shown_type = pairs.get(kd.ENTITY_TYPE_ATTRIBUTE)
        if shown_type != entity_type(ENTITIES[name]) or shown_type not in entity_values:
            problems.append(f"{name}'s {kd.ENTITY_TYPE_ATTRIBUTE} is shown as {shown_type!r}")
    return problems


def _pattern_problems(shown: Diagram, index_name: str) -> list[str]:
    """The access patterns: their numbers and titles, their functions, what they read and through what."""
    patterns = {name: node for name, node in shown.nodes.items() if node.shape == "(["}
    served = pattern_functions()
    numbers = {int(node.lines[0].split(" ", 1)[0]): name for name, node in patterns.items()}
    problems = both_ways("access patterns", {str(n) for n in numbers}, {str(n) for n in served})
    titles = documented_pattern_names()
    for number in sorted(set(numbers) & set(served)):
        node_id = numbers[number]
        node = patterns[node_id]
        if node.lines[0] != f"{number} {titles.get(number)}":
            problems.append(
                f"pattern {number} is titled {node.lines[0]!r}, the table says {titles.get(number)!r}"
            )
        problems += both_ways(
            f"pattern {number}'s functions", set(FUNCTION.findall(node.lines[-1])), served[number]
        )
        methods = [getattr(KvTable, method) for method in served[number]]
        reads = set().union(*(returned_items(method) for method in methods))
        edges = [edge for edge in shown.edges if edge.source == node_id]
        problems += both_ways(f"what pattern {number} reads", {edge.target for edge in edges}, reads)
        documented = " ".join(inspect.getdoc(method) or "" for method in methods)
        uses_index = "GSI" in documented
        uses_table = not uses_index or "table" in documented
        for edge in edges:
            if (index_name in edge.label) != uses_index or ("table" in edge.label) != uses_table:
                problems.append(
                    f"pattern {number} reads through {edge.label!r}; its functions say: {documented!r}"
                )
    return problems


def key_design_problems(text: str) -> list[str]:
    """Every way the key-design diagram differs from the code."""
    shown = parse(text)
    problems: list[str] = []
    request = create_table_request(kd.DEFAULT_TABLE_NAME)
    table_keys = [key["AttributeName"] for key in request["KeySchema"]]
    (index,) = request["GlobalSecondaryIndexes"]
    index_keys = [key["AttributeName"] for key in index["KeySchema"]]
    if index_keys != [kd.GSI1_PARTITION_KEY, kd.GSI1_SORT_KEY]:
        problems.append(
            f"the built template's GSI is keyed {index_keys}, not as kvtable.schema.key_design says"
        )
    if shown.subgraphs.get("table") != f"table {kd.DEFAULT_TABLE_NAME}: {', '.join(table_keys)}":
        problems.append(
            f"the table is {shown.subgraphs.get('table')!r}, not {kd.DEFAULT_TABLE_NAME} keyed {table_keys}"
        )
    gsi = shown.nodes.get(index["IndexName"])
    if gsi is None or gsi.lines != [index["IndexName"], ", ".join(index_keys)]:
        problems.append(f"the GSI is not shown as {index['IndexName']} keyed {', '.join(index_keys)}")
    on_index = {edge.source for edge in shown.edges if edge.target == index["IndexName"] and edge.dotted}
    in_code = {
        name for name, item in ENTITIES.items() if kd.GSI1_PARTITION_KEY in typing.get_type_hints(item)
    }
    problems += both_ways(f"items on {index['IndexName']}", on_index, in_code)
    return problems + _item_problems(shown) + _pattern_problems(shown, index["IndexName"])


def test_the_key_design_diagram_shows_the_code() -> None:
    assert key_design_problems(diagrams()["key-design"][1]) == []


def test_a_changed_key_prefix_or_attribute_fails_the_key_design_diagram(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = diagrams()["key-design"][1]
    monkeypatch.setattr(kd, "USER_PREFIX", "U#")
    problems = key_design_problems(text)
    assert any("UserItem's keys" in problem and "U#{user}" in problem for problem in problems)
    monkeypatch.undo()
    renamed = key_design_problems(text.replace("formerOwner", "previousOwner"))
    assert any("['previousOwner'], which the code does not have" in problem for problem in renamed)
    assert any("['formerOwner'], which the diagram leaves out" in problem for problem in renamed)
    swapped = key_design_problems(text.replace("by prefix<br/>list_keys()", "by prefix<br/>iter_keys()"))
    assert any("pattern 6's functions" in p and "iter_keys" in p for p in swapped)
    assert any("pattern 6's functions" in p and "list_keys" in p for p in swapped)
    assert key_design_problems(text.replace("GSI1PK, GSI1SK", "GSI1SK, GSI1PK")) != []


# ----- the flows -------------------------------------------------------------------------------------------

# Calls that are plumbing, not steps: the report, builders of helpers, look-ups inside a condition.
_PLUMBING = {"say", "get", "items", "join", "split", "write", "update", "cast", "add", "print"}


@dataclass(frozen=True)
class Flow:
    """A diagram's code: the functions whose calls are its steps (less what each leaves out, and why),
    and the names the code gives its steps."""

    functions: Mapping[Callable[..., Any], frozenset[str]]
    named: Callable[[], set[str]]


def calls(function: Callable[..., Any], left_out: frozenset[str]) -> list[str]:
    """The names of the functions `function` calls, in source order (a name again each time it is called);
    a method of its own class handed to a call (`pool.submit(self._segment, ...)`) counts as called, and
    builtins, constructors (a capitalized name) and `_PLUMBING` do not."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    owner = vars(inspect.getmodule(function)).get(function.__qualname__.split(".")[0])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            callee = node.func
            name = callee.attr if isinstance(callee, ast.Attribute) else getattr(callee, "id", None)
            if name is not None:
                found.append((node.lineno, node.col_offset, name))
            for argument in node.args:
                if (
                    isinstance(argument, ast.Attribute)
                    and isinstance(argument.value, ast.Name)
                    and argument.value.id == "self"
                    and inspect.isfunction(getattr(owner, argument.attr, None))
                ):
                    found.append((argument.lineno, argument.col_offset, argument.attr))
    skipped = left_out | _PLUMBING | set(dir(builtins))
    return [name for *_, name in sorted(found) if name not in skipped and not name[0].isupper()]


def stack_state_sets() -> set[str]:
    """The named sets of kvtable/deploy/states.py that every stack status falls in, as the diagram names them."""
    named = {id(value): name for name, value in vars(states).items() if isinstance(value, frozenset)}
    return {named[id(each)].lower().replace("_", " ") for each in states.ALL_SETS}


def reapplied_settings() -> set[str]:
    """The settings Restorer._reapply sets: the names of its (setting, apply) pairs."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(Restorer._reapply)))
    return {
        node.elts[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Tuple)
        and len(node.elts) == 2
        and isinstance(node.elts[0], ast.Constant)
        and isinstance(node.elts[0].value, str)
        and isinstance(node.elts[1], ast.Lambda)
    }


FLOWS: dict[str, Flow] = {
    "deploy": Flow(
        {
            # resources_of_type: which resources are tables; is_busy: the condition of the wait; _steps and
            # index_names: helpers the stepwise run and the backfill wait are built with.
            Deployer.run: frozenset(
                {"resources_of_type", "is_busy", "_steps", "index_names", "_change_set_run"}
            ),
            Deployer._change_set_run: frozenset({"_steps", "index_names"}),
            Deployer.apply_change_set: frozenset({"_change_sets"}),
        },
        stack_state_sets,
    ),
    "stepwise": Flow({StepwiseRun.run_index_steps: frozenset({"index_names"})}, set),
    "restore": Flow(
        {
            # stack_context, resource_properties: what the template promises; table_progress, as_table,
            # environment_line: the report.
            Restorer.run: frozenset({"stack_context", "resource_properties", "table_progress", "as_table"})
            | {"environment_line", "missing_table_line", "rstrip"},
            # utc_text, restorable_window: the refusals' and report's wording; point_in_time_recovery: its
            # steps are drawn as its own (below).
            Restorer._restore: frozenset({"utc_text", "point_in_time_recovery", "restorable_window"}),
            # pitr_command, rstrip: the refusal's wording.
            point_in_time_recovery: frozenset({"pitr_command", "rstrip"}),
        },
        reapplied_settings,
    ),
    "adopt": Flow(
        {
            # How each import's template is made (the table alone, detached, as it is) and the deployer's
            # settings; refused: the plan's refusals, shown as the plan's outcome.
            Adopter.run: frozenset({"refused", "resources_of_type", "table_only", "stack_context"})
            | {"detached_template", "_as_it_is", "_deployer"},
        },
        lambda: set(typing.get_args(Stage)),
    ),
    "migrate": Flow(
        {
            # The command's checks and settings, and a missing table's one line; _act is the action itself.
            migrate_command.run: frozenset(
                {"_refuse_foreign_flags", "check", "_requests", "_chosen", "_act"}
                | {"table_not_found", "missing_table_error"}
            ),
            # load is status's read here (run's is MigrationRun.run's).
            migrate_command._act: frozenset({"load"}),
            # The jobs handed to _drive, whose steps are drawn as its own (below).
            MigrationRun.run: frozenset({"partial", "_drive"}),
            # The thread pool and the progress callback's plumbing.
            MigrationRun._drive: frozenset({"submit", "wait", "on_progress", "exception", "shutdown"}),
            MigrationRun._segment: frozenset({"is_set", "consumed_units"}),
            MigrationRun._page: frozenset({"deserialize_item"}),
        },
        lambda: set(migrate_command.ACTIONS),
    ),
}


def flow_problems(name: str, text: str, flow: Flow) -> list[str]:
    """Every way a flow's diagram differs from its code: the functions called, the named steps, and each
    solid edge's order where both ends' first functions are called by one function."""
    shown = parse(text)
    called = {function: calls(function, left_out) for function, left_out in flow.functions.items()}
    problems = both_ways(
        f"{name}'s steps", shown.functions(), {each for names in called.values() for each in names}
    )
    problems += both_ways(f"{name}'s named steps", shown.named_steps(), flow.named())
    for edge in shown.edges:
        first = [FUNCTION.findall(" ".join(shown.nodes[end].lines)) for end in (edge.source, edge.target)]
        if edge.dotted or not first[0] or not first[1]:
            continue
        for function, names in called.items():
            if first[0][0] in names and first[1][0] in names:
                before = names.index(first[0][0])
                after = len(names) - 1 - names[::-1].index(first[1][0])
                if after <= before:
                    problems.append(
                        f"{name}: {edge.source} -> {edge.target}, but {function.__qualname__} calls "
                        f"{first[1][0]} before {first[0][0]}"
                    )
    return problems


@pytest.mark.parametrize("name", sorted(FLOWS))
def test_each_flow_diagram_shows_its_code(name: str) -> None:
    assert flow_problems(name, diagrams()[name][1], FLOWS[name]) == []


def test_a_renamed_or_missing_step_fails_its_flow_diagram() -> None:
    restore = diagrams()["restore"][1]
    renamed = flow_problems("restore", restore.replace("_reapply()", "_reapply_settings()"), FLOWS["restore"])
    assert any("['_reapply_settings'], which the code does not have" in problem for problem in renamed)
    assert any("['_reapply'], which the diagram leaves out" in problem for problem in renamed)
    adopt = diagrams()["adopt"][1].replace('(["detach the old table"])', '(["detach the table"])')
    assert any("detach the table" in problem for problem in flow_problems("adopt", adopt, FLOWS["adopt"]))
    stepwise = diagrams()["stepwise"][1]
    swapped = stepwise.replace("read --> update\n", "update --> read\n")
    assert any("update -> read" in p for p in flow_problems("stepwise", swapped, FLOWS["stepwise"]))
    # The code no longer calls check_rules: the diagram that still shows it fails.
    deploy = FLOWS["deploy"]
    fewer = Flow(
        {**deploy.functions, Deployer.run: deploy.functions[Deployer.run] | {"check_rules"}}, deploy.named
    )
    assert any(
        "['check_rules']" in problem for problem in flow_problems("deploy", diagrams()["deploy"][1], fewer)
    )


def test_every_diagram_in_the_docs_is_marked_and_checked() -> None:
    marked = diagrams()
    assert set(marked) == set(FLOWS) | {"key-design", "layers"}  # layers: tests/unit/project/test_layering.py
    for page in DOCS.glob("*.md"):
        text = page.read_text(encoding="utf-8")
        assert text.count("```mermaid") == len(MARKER.findall(text)), (
            f"{page.name} has a diagram with no marker"
        )


def test_the_parser_refuses_what_it_does_not_know() -> None:
    with pytest.raises(pytest.fail.Exception, match="outside the diagrams' subset"):
        parse('flowchart TD\n  a["x"] --> b["y"]')
    with pytest.raises(AssertionError, match="never defined"):
        parse('flowchart TD\n  a["x"]\n  a --> b')
