"""`kvtable bench` runs every section end to end on DynamoDB Local at small sizes (its figures are
the benchmark's business, not a test's: nothing here is timed)."""

import pytest

from kvtable.cli.main import main
from kvtable.local.dynamodb_local import LocalEndpoint


def test_every_section_runs_and_prints_its_table(
    dynamodb_endpoint: LocalEndpoint, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["bench", "--endpoint-url", dynamodb_endpoint.url, "--keys", "120", "--rounds", "1"]
    argv += ["--large-keys", "240", "--import-pairs", "1", "--ops", "10", "--cold-starts", "1", "--seed", "7"]
    argv += ["--concurrency-seconds", "0.2"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    for heading in (
        "== the data layer against plain boto3: 120 keys",
        "== bulk load: peak Python memory",
        "== bulk load throughput: 120 keys",
        "== import kvtable.contract.store after a boto3 DynamoDB client is made",
        "== client CPU per operation",
        "== transports (random order: seed 7;",
        "== client CPU per call, µs",
        "== cold start to the first answer",
        "goals for kvtable (direct):",
        "== building blocks: client CPU per call",
        "== where a get_key's client CPU goes",
        "== async clients (random order: seed 7): client CPU per awaited call",
        "== async concurrency: N tasks doing gets for 0.2 s per client",
    ):
        assert heading in out
    assert "no type-stub package is imported at run time" in out
    # Peers and awscrt are `make bench`'s alone: these rows are there whether or not they are installed.
    rows = [
        *("get", "put", "list by prefix", "signing (SigV4)", "response parsing"),
        *("get (GetItem)", "put (UpdateItem)", "page (Query, 100 keys)", "kvtable (direct)", "boto3 client"),
        *("sign: botocore SigV4Auth", "HTTP: http.client.HTTPConnection", "HTTP: urllib3.HTTPConnectionPool"),
        *("N=1 requests/s", "N=8 CPU µs/request", "N=64 requests/CPU-s"),
    ]
    for row in rows:
        assert f"\n{row} " in out
    assert "the hand-written GetItem, UpdateItem and Query match the contract's" in out
