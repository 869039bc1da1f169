"""The README's Python example runs as written against DynamoDB Local: only its URL (the port the
fixture's DynamoDB Local took) and its table (a fresh one made from the template) are swapped in."""

import contextlib
import io
import re

from kvtable.local.dynamodb_local import LocalEndpoint
from tests.paths import REPO_ROOT

ROOT = REPO_ROOT
LOCAL_URL = "http://127.0.0.1:8000"


def readme_example() -> str:
    """The README's one Python block that talks to DynamoDB Local."""
    blocks = re.findall(
        r"^```python\n(.*?)^```", (ROOT / "README.md").read_text(encoding="utf-8"), re.M | re.S
    )
    (local,) = [block for block in blocks if f'endpoint_url="{LOCAL_URL}"' in block]
    return str(local)


def test_the_readmes_local_example_runs_as_written(dynamodb_endpoint: LocalEndpoint, table_name: str) -> None:
    code = readme_example()
    assert code.count('"kv-storage-data"') == 1
    code = code.replace(LOCAL_URL, dynamodb_endpoint.url).replace('"kv-storage-data"', repr(table_name))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "README.md", "exec"), {})  # the README's own example, as a reader runs it
    assert printed.getvalue() == "KEY#user:123 {'name': 'John'}\n"
