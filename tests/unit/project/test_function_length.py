"""No function in kvtable/ runs over 60 lines: a longer one is broken into named steps."""

import ast
from pathlib import Path

from tests.paths import REPO_ROOT

PACKAGE = REPO_ROOT / "kvtable"
MOST_LINES = 60


def long_functions(root: Path, most: int = MOST_LINES) -> list[str]:
    """`path:line name (n lines)` of each function below `root` whose last line is over `most` past its first."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno
                if length > most:
                    found.append(
                        f"{path.relative_to(root.parent)}:{node.lineno} {node.name} ({length} lines)"
                    )
    return found


def test_no_function_in_kvtable_is_over_60_lines() -> None:
    assert long_functions(PACKAGE) == []


def test_a_function_one_line_over_is_named_and_one_at_the_limit_is_not(tmp_path: Path) -> None:
    def function(name: str, statements: int) -> str:
        return f"def {name}():\n" + "".join(f"    x{i} = {i}\n" for i in range(statements))

    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "steps.py").write_text(
        function("at_the_limit", MOST_LINES) + "\n\n" + function("over", MOST_LINES + 1)
    )
    assert long_functions(tmp_path / "pkg") == [f"pkg/steps.py:{MOST_LINES + 4} over (61 lines)"]
