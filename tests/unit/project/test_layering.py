"""kvtable's import graph has no cycle, and no module imports from a layer above its own.

Every module of kvtable/ is parsed with `ast`: its top-level imports and those inside functions alike
(an import kept in a function for start-up time is still an edge); only `if TYPE_CHECKING:` blocks are
left out, since they never run. The layers, lowest first, are written down here and drawn in
docs/architecture.md (the `layers` diagram), which must show the same list.
"""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

from tests.paths import REPO_ROOT
from tests.unit.project.test_diagrams import diagram

pytestmark = pytest.mark.unit

PACKAGE = REPO_ROOT / "kvtable"

# The layers, lowest first: a module may import from its own layer or any layer below it. Each layer
# is whole folders of kvtable/ (a package belongs to one layer, with everything under it) and, for the
# schema and contract layers, the entry modules at kvtable/'s top: `kvtable` itself (`kvtable.connect`),
# its version, and the public doors applications import (store, errors, entities, key_design).
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("console", ("kvtable.console",)),
    ("schema", ("kvtable.schema", "kvtable.version")),
    ("transport", ("kvtable.aws", "kvtable.transport", "kvtable.telemetry")),
    (
        "contract",
        (
            "kvtable.contract",
            "kvtable",
            "kvtable.store",
            "kvtable.errors",
            "kvtable.entities",
            "kvtable.key_design",
            "kvtable.exchange",
            "kvtable.export",
        ),
    ),
    ("template data", ("kvtable.cfn",)),
    ("builders", ("kvtable.builders", "kvtable.iam")),
    (
        "operations",
        (
            "kvtable.deploy",
            "kvtable.verify",
            "kvtable.recovery",
            "kvtable.migrate",
            "kvtable.fleet",
            "kvtable.cost",
            "kvtable.local",
            "kvtable.transfer",
        ),
    ),
    ("benchmarks", ("kvtable.benchmarks",)),
    ("cli", ("kvtable.cli",)),
]

# The public doors: each re-exports what applications use from one module inside a layer, and no module
# of kvtable imports them (inside the package, the real module is imported).
PUBLIC_DOORS = {
    "kvtable.store": "kvtable.contract.store",
    "kvtable.errors": "kvtable.schema.errors",
    "kvtable.entities": "kvtable.schema.entities",
    "kvtable.key_design": "kvtable.schema.key_design",
    "kvtable.export": "kvtable.exchange.read",
}

Graph = Mapping[str, frozenset[str]]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_only(tree: ast.Module) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(inner) for statement in node.body for inner in ast.walk(statement))
    return skipped


def imported(tree: ast.Module, name: str, is_package: bool, modules: Iterable[str]) -> set[str]:
    """The kvtable modules `name` imports (anywhere in it but `if TYPE_CHECKING:`)."""
    known = set(modules)

    def owner(dotted: str) -> str:
        while dotted not in known:
            dotted = dotted.rpartition(".")[0]
        return dotted

    skipped = _type_checking_only(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(owner(alias.name) for alias in node.names if alias.name.split(".")[0] == "kvtable")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = (name if is_package else name.rpartition(".")[0]).split(".")
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            if base.split(".")[0] != "kvtable":
                continue
            # `from kvtable.cfn import names` imports the module kvtable.cfn.names.
            found.update(
                owner(f"{base}.{a.name}") if f"{base}.{a.name}" in known else owner(base) for a in node.names
            )
    return found - {name}


def import_graph() -> dict[str, frozenset[str]]:
    """Every module of kvtable/ and the kvtable modules it imports."""
    paths = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    return {
        name: frozenset(
            imported(ast.parse(path.read_text(encoding="utf-8")), name, path.name == "__init__.py", paths)
        )
        for name, path in paths.items()
    }


def layer_of(module: str) -> int:
    """The index in LAYERS of the module's layer."""
    best: tuple[int, int] | None = None
    for index, (_, names) in enumerate(LAYERS):
        for name in names:
            inside = module == name or (name != "kvtable" and module.startswith(f"{name}."))
            if inside and (best is None or len(name) > best[0]):
                best = (len(name), index)
    if best is None:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS (and docs/architecture.md)")
    return best[1]


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def upward(graph: Graph) -> list[str]:
    """Each import from a lower layer to a higher one, as `module (layer) -> module (layer)`."""
    names = [name for name, _ in LAYERS]
    return [
        f"{source} ({names[layer_of(source)]}) -> {target} ({names[layer_of(target)]})"
        for source in sorted(graph)
        for target in sorted(graph[source])
        if layer_of(target) > layer_of(source)
    ]


GRAPH = import_graph()


def test_the_import_graph_has_no_cycle() -> None:
    assert cycles(GRAPH) == []


def test_no_module_imports_from_a_higher_layer() -> None:
    assert upward(GRAPH) == []


def test_every_module_is_in_a_layer_and_every_layer_entry_exists() -> None:
    for module in GRAPH:
        layer_of(module)
    missing = [
        name
        for _, names in LAYERS
        for name in names
        if name not in GRAPH and not any(module.startswith(f"{name}.") for module in GRAPH)
    ]
    assert missing == []


def test_the_graph_sees_imports_inside_functions_and_leaves_type_checking_out() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from kvtable.contract.store import KvTable\n"
        "def f():\n    from kvtable.cli import main\n"
        "from . import errors\n"
    )
    modules = [
        "kvtable.contract.store",
        "kvtable.cli",
        "kvtable.cli.main",
        "kvtable.schema.errors",
        "kvtable.schema.key_design",
    ]
    assert imported(ast.parse(source), "kvtable.schema.key_design", False, modules) == {
        "kvtable.cli.main",
        "kvtable.schema.errors",
    }
    # The graph holds in-function edges this test knows of: `kvtable adopt` loads the recovery only when run.
    assert "kvtable.recovery.adopt" in GRAPH["kvtable.cli.adopt"]


# The operations layer takes its templates as data: the cli builds them (kvtable/builders/render.py) and
# hands them down; no module of the operations layer imports a builder.
KEPT_BUILDER_IMPORTS: dict[str, list[str]] = {}


def builder_imports(graph: Graph, layer: str) -> dict[str, list[str]]:
    """Each module of `layer` that imports a module of the builders layer, with those it imports."""
    names = [name for name, _ in LAYERS]
    builders, source_layer = names.index("builders"), names.index(layer)
    found = {
        source: sorted(target for target in targets if layer_of(target) == builders)
        for source, targets in graph.items()
        if layer_of(source) == source_layer
    }
    return {source: targets for source, targets in sorted(found.items()) if targets}


def test_no_operations_module_imports_the_builders_not_even_inside_a_function() -> None:
    assert builder_imports(GRAPH, "operations") == KEPT_BUILDER_IMPORTS
    planted = {
        **GRAPH,
        "kvtable.recovery.globalize": GRAPH["kvtable.recovery.globalize"] | {"kvtable.iam.policies"},
    }
    assert builder_imports(planted, "operations")["kvtable.recovery.globalize"] == ["kvtable.iam.policies"]


def test_a_planted_upward_import_or_cycle_fails() -> None:
    planted = {
        **GRAPH,
        "kvtable.schema.key_design": GRAPH["kvtable.schema.key_design"] | {"kvtable.cli.main"},
    }
    assert upward(planted) == ["kvtable.schema.key_design (schema) -> kvtable.cli.main (cli)"]
    looped = {**GRAPH, "kvtable.schema.errors": GRAPH["kvtable.schema.errors"] | {"kvtable.schema.values"}}
    assert cycles(looped) == [["kvtable.schema.errors", "kvtable.schema.key_design", "kvtable.schema.values"]]


def test_the_architecture_diagram_shows_the_layers() -> None:
    """docs/architecture.md's `layers` diagram: one node a layer, its title and then its entries (without
    the `kvtable.` prefix, ` · ` between them), each layer's node pointing at the one below."""
    drawn = diagram("layers")
    below = {edge.source: edge.target for edge in drawn.edges}
    top = (set(drawn.nodes) - set(below.values())).pop()
    order = [top]
    while order[-1] in below:
        order.append(below[order[-1]])
    shown = [
        (drawn.nodes[node].lines[0], tuple(" · ".join(drawn.nodes[node].lines[1:]).split(" · ")))
        for node in order
    ]
    written = [(name, tuple(n.removeprefix("kvtable.") for n in names)) for name, names in reversed(LAYERS)]
    assert shown == written


def test_each_import_kept_inside_a_function_says_why() -> None:
    """An import inside a function hides an edge from every tool but this test: it is kept only for a
    start-up cost (botocore, an extra, what `kvtable --help` or `kvtable.connect` would load), named."""
    unexplained = [
        f"{path.relative_to(PACKAGE.parent)}:{number}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"# noqa: [A-Z0-9, ]*PLC0415[A-Z0-9, ]*$", line)
    ]
    assert unexplained == []


def test_the_folders_are_the_layers() -> None:
    """Each layer is whole top-level folders (no package is split between two layers), and kvtable/'s
    top holds only entry modules: the package's front, its version and the public doors."""
    entries = [name for _, names in LAYERS for name in names]
    folders = sorted(path.name for path in PACKAGE.iterdir() if path.is_dir() and any(path.glob("*.py")))
    assert [name for name in entries if name.count(".") > 1] == []
    assert sorted(name.removeprefix("kvtable.") for name in entries if name.count(".") == 1) == sorted(
        [*folders, "version", *(door.removeprefix("kvtable.") for door in PUBLIC_DOORS)]
    )
    top_modules = sorted(path.stem for path in PACKAGE.glob("*.py"))
    assert top_modules == sorted(
        ["__init__", "version", *(door.removeprefix("kvtable.") for door in PUBLIC_DOORS)]
    )


def test_no_module_of_kvtable_imports_a_public_door() -> None:
    importers = {
        f"{source} -> {target}"
        for source, targets in GRAPH.items()
        for target in targets
        if target in PUBLIC_DOORS
    }
    assert importers == set()


@pytest.mark.parametrize("door", sorted(PUBLIC_DOORS))
def test_a_public_door_shows_what_its_module_defines(door: str) -> None:
    """Everything public the module defines is at the door, as the same object: an application that
    imports `kvtable.errors` sees every error the contract raises."""
    real = importlib.import_module(PUBLIC_DOORS[door])
    opened = importlib.import_module(door)
    defined = {
        name
        for name, value in vars(real).items()
        if not name.startswith("_")
        and getattr(value, "__module__", real.__name__) == real.__name__
        and not isinstance(value, type(importlib))
    }
    tree = ast.parse(Path(real.__file__ or "").read_text(encoding="utf-8"))
    assigned = {
        target.id
        for node in tree.body
        if isinstance(node, (ast.Assign, ast.AnnAssign))
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name) and not target.id.startswith("_")
    }
    functions_and_classes = {
        node.name
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_")
    }
    own = (assigned | functions_and_classes) & (defined | assigned)
    shown = set(opened.__all__)
    if door != "kvtable.store":
        assert own - shown == set()
    else:
        assert "KvTable" in shown
    assert all(
        getattr(opened, name) is getattr(importlib.import_module(PUBLIC_DOORS[door]), name, None)
        or door == "kvtable.store"
        for name in shown
    )
    for name in shown:
        assert hasattr(opened, name), name
