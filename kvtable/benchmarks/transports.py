"""kvtable's transports against the boto3 client and the fastest other Python clients: client CPU per get,
put and page, and a fresh process's cold start to its first answer; then the building blocks a transport
can be made of (SigV4 signers, keep-alive HTTP clients), measured side by side.

CPU is this process's own (time.process_time: every thread of it, so a Rust or C client's worker threads
count, DynamoDB Local's JVM does not). Every call index runs the clients in an order shuffled afresh by a
seeded RNG, printed, so a run can be repeated."""

from __future__ import annotations

import io
import json
import random
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from kvtable.benchmarks import clients
from kvtable.benchmarks.chart import Group, Panel, this_machine, write_chart
from kvtable.benchmarks.clients import (
    NAMESPACE,
    PAGE,
    PlainClient,
    get_request,
    page_request,
    put_request,
    shuffled_cpu,
)
from kvtable.benchmarks.measure import (
    PREFIX,
    compiled_bytecode_environment,
    entries,
    fresh_process_figures,
    key_name,
    key_value,
    new_table,
    shuffled_rounds,
)
from kvtable.benchmarks.peers import installed_peers
from kvtable.contract.store import KvTable
from kvtable.transport import TransportChoice

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

LOADED_KEYS = 2_000  # enough that gets and puts spread over many items; a page needs only PAGE
WARM_CALLS = 20
REGION = "us-east-1"
TARGET = "DynamoDB_20120810.GetItem"
CONTENT_TYPE = "application/x-amz-json-1.0"
OPERATIONS = (("get", "get (GetItem)"), ("put", "put (UpdateItem)"), ("page", f"page (Query, {PAGE} keys)"))
DIRECT, BOTOCORE, BOTO3 = "kvtable (direct)", "kvtable (botocore)", "boto3 client"
CHART_TITLE = "kvtable's request path against other clients: client CPU"


@dataclass(frozen=True)
class Sizes:
    """How much to measure: keys loaded, calls per client for get and put, pages, cold starts, the seed;
    and where the chart goes (None: no chart)."""

    keys: int
    calls: int
    pages: int
    cold_starts: int
    seed: int
    chart: Path | None = None


class Measured(Protocol):
    """A client measured here: the contract's get, put and page, and closing its connections."""

    name: str

    def get(self, i: int) -> object: ...
    def put(self, i: int) -> object: ...
    def page(self) -> object: ...
    def close(self) -> None: ...


class Contract(clients.Contract):
    """The data contract on one transport (clients.Contract), with the names used here."""

    def __init__(self, client: DynamoDBClient, table: str, transport: TransportChoice) -> None:
        self.name = f"kvtable ({transport})"
        self.store = KvTable(client, table, transport=transport)

    def page(self) -> object:
        return self.list_page()

    def close(self) -> None:
        """Close the transport's connections, if it holds any."""
        transport = getattr(self.store, "transport", None)
        closing = getattr(transport, "close", None)
        if closing is not None:
            closing()


class Boto3Client(PlainClient):
    """The hand-written requests on the boto3 client (clients.PlainClient), with the names used here."""

    def page(self) -> object:
        return self.list_page()

    def close(self) -> None:
        """The client belongs to the caller."""


# ----- the requests the peers send are the contract's --------------------------------------------------


def _shape(request: dict[str, Any]) -> dict[str, Any]:
    """What must match between two requests of one kind: every field, of the values only their placeholders."""
    shape = {name: value for name, value in request.items() if name != "ExpressionAttributeValues"}
    shape["ExpressionAttributeValues"] = sorted(request.get("ExpressionAttributeValues", {}))
    return shape


def check_requests(client: DynamoDBClient, table: str) -> str:
    """Whether the hand-written requests (clients.py) have the fields and expressions the contract sends."""
    store = KvTable(client, table, transport="botocore")
    hooks = getattr(getattr(store, "transport", None), "before_call", None)
    if hooks is None:
        return "the contract's requests could not be captured (no transport hook): not checked"
    sent: dict[str, dict[str, Any]] = {}
    hooks.append(lambda operation, request: sent.setdefault(operation, json.loads(json.dumps(request))))
    store.get_key(NAMESPACE, key_name(0))
    store.put_key(NAMESPACE, key_name(0), key_value(0))
    store.list_keys(NAMESPACE, PREFIX, page_size=PAGE)
    ours = {
        "GetItem": get_request(table, 0),
        "UpdateItem": put_request(table, 0, {"M": {}}),
        "Query": page_request(table),
    }
    differing = [
        f"{operation} {field}"
        for operation, request in ours.items()
        for field in sorted(set(_shape(request)) | set(_shape(sent.get(operation, {}))))
        if _shape(request).get(field) != _shape(sent.get(operation, {})).get(field)
    ]
    if not differing:
        return (
            "the hand-written GetItem, UpdateItem and Query match the contract's (fields, expressions, names)"
        )
    return "the hand-written requests DIFFER from the contract's in: " + ", ".join(differing)


# ----- client CPU per operation --------------------------------------------------------------------------


def _action(each: Measured, operation: str, keys: int) -> Callable[[int], object]:
    if operation == "page":
        return lambda _: each.page()
    act: Callable[[int], object] = getattr(each, operation)
    return lambda i: act(i % keys)


def _cpu_table(
    clients: list[Measured], sizes: Sizes, keys: int, rng: random.Random
) -> tuple[dict[str, dict[str, list[float]]], dict[str, float]]:
    """Samples per operation and client, and the CPU µs per call spent between the measured calls."""
    for each in clients:  # warm every path: connections open, caches filled
        for i in range(min(WARM_CALLS, keys)):
            each.get(i)
            each.put(i)
        for _ in range(3):
            each.page()
    samples, between = {}, {}
    for operation, _ in OPERATIONS:
        calls = sizes.pages if operation == "page" else sizes.calls
        start = time.process_time()
        actions = {each.name: _action(each, operation, keys) for each in clients}
        samples[operation] = shuffled_cpu(actions, calls, rng)
        total = time.process_time() - start
        measured = sum(sum(values) for values in samples[operation].values())
        between[operation] = (total - measured) / (calls * len(clients)) * 1e6
    return samples, between


# ----- cold start ------------------------------------------------------------------------------------------

_PROLOGUE = (
    "import time as _clock\ndef _answered():\n    print(_clock.process_time(), _clock.time(), flush=True)\n"
)
_BOTO3_CLIENT = (
    "import boto3\n"
    "client = boto3.client('dynamodb', endpoint_url={url!r}, region_name={region!r}, "
    "aws_access_key_id='local', aws_secret_access_key='local')\n"
)


def _contract_program(url: str, table: str, transport: str) -> str:
    return (
        "from kvtable.contract.store import KvTable\n"
        + _BOTO3_CLIENT.format(url=url, region=REGION)
        + f"store = KvTable(client, {table!r}, transport={transport!r})\n"
        f"assert store.get_key({NAMESPACE!r}, {key_name(0)!r})\n"
        "_answered()\n"
    )


def cold_start_programs(url: str, table: str, peers: list[Any]) -> dict[str, str]:
    """A program per client that imports it, makes it and gets one key, calling `_answered()` then."""
    client = _BOTO3_CLIENT.format(url=url, region=REGION)
    programs = {
        "python alone (for scale)": "_answered()\n",
        DIRECT: _contract_program(url, table, "direct"),
        BOTOCORE: _contract_program(url, table, "botocore"),
        BOTO3: f"{client}assert client.get_item(**{get_request(table, 0)!r})['Item']\n_answered()\n",
    }
    programs.update({peer.name: peer.cold_start(url, table, 0) for peer in peers})
    return programs


def _cold_start(program: str, environment: dict[str, str]) -> tuple[float, float]:
    """(CPU ms, wall ms) of a fresh process up to its first answer."""
    started, figures = fresh_process_figures(_PROLOGUE + program, environment, "a cold-start program")
    cpu, answered = figures[:2]
    return cpu * 1000, (answered - started) * 1000


def cold_starts(
    programs: dict[str, str], runs: int, rng: random.Random
) -> dict[str, list[tuple[float, float]]]:
    """(CPU ms, wall ms) of `runs` fresh processes per program, round by round, the programs in a new
    random order each round."""
    environment = compiled_bytecode_environment()
    for program in programs.values():  # compiles the bytecode once, as an install does
        _cold_start(program, environment)
    return shuffled_rounds(programs, runs, rng, lambda name, _: _cold_start(programs[name], environment))


def _beside_boto3(starts: dict[str, list[tuple[float, float]]], name: str) -> float:
    """CPU ms `name` takes beyond the boto3 client's: the median of the rounds' differences, steadier on a
    busy machine than the difference of two medians."""
    return statistics.median(
        mine[0] - boto3[0] for mine, boto3 in zip(starts[name], starts[BOTO3], strict=True)
    )


# ----- building blocks: signing and one HTTP round trip ------------------------------------------------------


def _signers(url: str, payload: bytes) -> tuple[dict[str, Callable[[int], object]], list[str]]:
    """Sign one GetItem (the Authorization header) with each signer installed; notes for those missing.
    Each makes the request's timestamp itself (the libraries do; kvtable's caller does)."""
    from botocore.auth import SigV4Auth  # noqa: PLC0415 (the sections import their own)
    from botocore.awsrequest import AWSRequest  # noqa: PLC0415 (each section imports its own, as its subject would)
    from botocore.credentials import Credentials  # noqa: PLC0415 (each section imports its own, as its subject would)

    host, notes = urlsplit(url).netloc, []
    signers: dict[str, Callable[[int], object]] = {}
    try:
        from kvtable.transport.signing import DynamoDBSigner  # noqa: PLC0415 (each section imports its own, as its subject would)
    except ImportError:
        notes.append("kvtable.transport.signing is not there yet: its row is left out")
    else:
        signer = DynamoDBSigner(REGION, host)

        def kvtable_signer(_: int) -> object:
            amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
            return signer.authorization("local", "local", None, amz_date, TARGET, payload)

        signers["sign: kvtable DynamoDBSigner"] = kvtable_signer
    auth = SigV4Auth(Credentials("local", "local"), "dynamodb", REGION)
    headers = {"Content-Type": CONTENT_TYPE, "X-Amz-Target": TARGET}

    def botocore_signer(_: int) -> object:
        request = AWSRequest(method="POST", url=f"{url}/", data=payload, headers=headers)
        auth.add_auth(request)
        return request.headers["Authorization"]

    signers["sign: botocore SigV4Auth"] = botocore_signer
    try:
        from awscrt import auth as crt_auth  # noqa: PLC0415 (benchmark-only dependency)
        from awscrt.http import HttpHeaders, HttpRequest  # noqa: PLC0415 (a peer library, benchmark-only)
    except ImportError:
        notes.append("awscrt is not installed (`make bench` installs it): its rows are left out")
    else:
        provider = crt_auth.AwsCredentialsProvider.new_static("local", "local")
        pairs = [("Host", host), ("Content-Type", CONTENT_TYPE), ("X-Amz-Target", TARGET)]

        def awscrt_signer(_: int) -> object:
            # A new config per request, as awscrt asks: the config holds the signing time.
            config = crt_auth.AwsSigningConfig(
                algorithm=crt_auth.AwsSigningAlgorithm.V4,
                signature_type=crt_auth.AwsSignatureType.HTTP_REQUEST_HEADERS,
                credentials_provider=provider,
                region=REGION,
                service="dynamodb",
            )
            request = HttpRequest("POST", "/", HttpHeaders(pairs), io.BytesIO(payload))
            return crt_auth.aws_sign_request(request, config).result().headers.get("Authorization")

        signers["sign: awscrt aws_sign_request"] = awscrt_signer
    return signers, notes


def _signatures_agree(url: str, payload: bytes) -> str:
    """Whether the signers installed give botocore's Authorization for the same request and moment."""
    from datetime import UTC, datetime  # noqa: PLC0415 (each section imports its own, as its subject would)

    from botocore.auth import SigV4Auth  # noqa: PLC0415 (each section imports its own, as its subject would)
    from botocore.awsrequest import AWSRequest  # noqa: PLC0415 (each section imports its own, as its subject would)
    from botocore.credentials import Credentials  # noqa: PLC0415 (each section imports its own, as its subject would)

    host = urlsplit(url).netloc
    request = AWSRequest(
        method="POST",
        url=f"{url}/",
        data=payload,
        headers={"Content-Type": CONTENT_TYPE, "X-Amz-Target": TARGET},
    )
    SigV4Auth(Credentials("local", "local"), "dynamodb", REGION).add_auth(request)
    expected, amz_date = request.headers["Authorization"], request.headers["X-Amz-Date"]
    got: dict[str, str] = {}
    try:
        from kvtable.transport.signing import DynamoDBSigner  # noqa: PLC0415 (each section imports its own, as its subject would)
    except ImportError:
        pass
    else:
        got["kvtable"] = DynamoDBSigner(REGION, host).authorization(
            "local", "local", None, amz_date, TARGET, payload
        )
    try:
        from awscrt import auth as crt_auth  # noqa: PLC0415 (a peer library, benchmark-only)
        from awscrt.http import HttpHeaders, HttpRequest  # noqa: PLC0415 (a peer library, benchmark-only)
    except ImportError:
        pass
    else:
        config = crt_auth.AwsSigningConfig(
            algorithm=crt_auth.AwsSigningAlgorithm.V4,
            signature_type=crt_auth.AwsSignatureType.HTTP_REQUEST_HEADERS,
            credentials_provider=crt_auth.AwsCredentialsProvider.new_static("local", "local"),
            region=REGION,
            service="dynamodb",
            date=datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC),
        )
        pairs = [("Host", host), ("Content-Type", CONTENT_TYPE), ("X-Amz-Target", TARGET)]
        signed = crt_auth.aws_sign_request(
            HttpRequest("POST", "/", HttpHeaders(pairs), io.BytesIO(payload)), config
        )
        got["awscrt"] = signed.result().headers.get("Authorization")
    differ = [name for name, value in got.items() if value != expected]
    agreeing = ", ".join(name for name in got if name not in differ) or "none"
    return f"signatures equal to botocore's for the same request and moment: {agreeing}" + (
        f"; DIFFERENT: {', '.join(differ)}" if differ else ""
    )


def _round_trips(
    url: str, payload: bytes, headers: dict[str, str]
) -> tuple[dict[str, Callable[[int], object]], list[str], list[Callable[[], None]]]:
    """One keep-alive POST of the same pre-signed GetItem with each HTTP client; notes, and closers."""
    import http.client  # noqa: PLC0415 (each section imports its own, as its subject would)

    import urllib3  # noqa: PLC0415 (each section imports its own, as its subject would)

    parts, notes, closers = urlsplit(url), [], []
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    trips: dict[str, Callable[[int], object]] = {}

    stdlib = http.client.HTTPConnection(host, port)
    closers.append(stdlib.close)

    def stdlib_trip(_: int) -> object:
        stdlib.request("POST", "/", body=payload, headers=headers)
        answer = stdlib.getresponse()
        return _ok(answer.status, answer.read())

    trips["HTTP: http.client.HTTPConnection"] = stdlib_trip
    pool = urllib3.HTTPConnectionPool(host, port, maxsize=1, retries=False)
    closers.append(pool.close)

    def urllib3_trip(_: int) -> object:
        answer = pool.urlopen("POST", "/", body=payload, headers=headers, retries=False)
        return _ok(answer.status, answer.data)

    trips["HTTP: urllib3.HTTPConnectionPool"] = urllib3_trip
    try:
        trips["HTTP: awscrt HttpClientConnection"], close = _awscrt_trip(host, port, payload, headers)
        closers.append(close)
    except ImportError:
        notes.append("awscrt is not installed (`make bench` installs it): its rows are left out")
    try:
        from kvtable.transport.http import ConnectionPool  # noqa: PLC0415 (each section imports its own, as its subject would)
    except ImportError:
        notes.append("kvtable.transport.http is not there yet: its row is left out")
    else:
        own = ConnectionPool(url, connect_timeout=5, read_timeout=5, max_idle=1)
        closers.append(own.close)
        lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        head = f"POST / HTTP/1.1\r\n{lines}\r\n".encode()

        def kvtable_trip(_: int) -> object:
            answer = own.post(head, payload)
            return _ok(answer.status, answer.body)

        trips["HTTP: kvtable ConnectionPool"] = kvtable_trip
    return trips, notes, closers


def _awscrt_trip(
    host: str, port: int, payload: bytes, headers: dict[str, str]
) -> tuple[Callable[[int], object], Callable[[], None]]:
    """awscrt's HTTP/1.1 client on one connection, waiting on each stream's future."""
    from awscrt.http import HttpClientConnection, HttpHeaders, HttpRequest  # noqa: PLC0415 (a peer library, benchmark-only)
    from awscrt.io import ClientBootstrap, DefaultHostResolver, EventLoopGroup  # noqa: PLC0415 (a peer library, benchmark-only)

    loops = EventLoopGroup(1)
    bootstrap = ClientBootstrap(loops, DefaultHostResolver(loops))
    connection = HttpClientConnection.new(host_name=host, port=port, bootstrap=bootstrap).result(10)
    pairs = list(headers.items())

    def trip(_: int) -> object:
        chunks: list[bytes] = []
        request = HttpRequest("POST", "/", HttpHeaders(pairs), io.BytesIO(payload))
        stream = connection.request(request, on_body=lambda chunk, **_: chunks.append(chunk))
        stream.activate()
        return _ok(stream.completion_future.result(10), b"".join(chunks))

    def close() -> None:
        connection.close().result(10)

    return trip, close


def _ok(status: int, body: bytes) -> int:
    if status != 200 or b'"Item"' not in body:
        raise RuntimeError(f"GetItem answered {status}: {body[:200]!r}")
    return len(body)


def _presigned(url: str, table: str) -> tuple[bytes, dict[str, str]]:
    """A GetItem's body and headers, signed once by botocore (DynamoDB Local takes an old signature)."""
    from botocore.auth import SigV4Auth  # noqa: PLC0415 (each section imports its own, as its subject would)
    from botocore.awsrequest import AWSRequest  # noqa: PLC0415 (each section imports its own, as its subject would)
    from botocore.credentials import Credentials  # noqa: PLC0415 (each section imports its own, as its subject would)

    payload = json.dumps(get_request(table, 0), separators=(",", ":")).encode()
    headers = {"Host": urlsplit(url).netloc, "Content-Type": CONTENT_TYPE, "X-Amz-Target": TARGET}
    request = AWSRequest(method="POST", url=f"{url}/", data=payload, headers=headers)
    SigV4Auth(Credentials("local", "local"), "dynamodb", REGION).add_auth(request)
    signed = {name: str(value) for name, value in request.headers.items()}
    signed["Content-Length"] = str(len(payload))
    return payload, signed


def run_building_blocks(url: str, table: str, calls: int, rng: random.Random) -> None:
    """Print the CPU of signing one GetItem and of one keep-alive round trip, per library."""
    payload, headers = _presigned(url, table)
    signers, sign_notes = _signers(url, payload)
    trips, trip_notes, closers = _round_trips(url, payload, headers)
    try:
        rows: dict[str, float] = {}
        medians: dict[str, float] = {}
        for actions in (signers, trips):
            for act in actions.values():  # warm: connections open, first-use costs paid
                for i in range(WARM_CALLS):
                    act(i)
            samples = shuffled_cpu(actions, calls, rng)
            rows.update({name: statistics.fmean(values) * 1e6 for name, values in samples.items()})
            medians.update({name: statistics.median(values) * 1e6 for name, values in samples.items()})
    finally:
        for close in closers:
            close()
    print(
        f"\n== building blocks: client CPU per call, µs ({calls:,} calls each, the order shuffled for every "
        "call within each group)"
    )
    for note in dict.fromkeys(sign_notes + trip_notes):
        print(f"({note})")
    print(f"{'':<40}{'mean':>10}{'median':>10}{'/ fastest':>11}")
    for group in (signers, trips):
        fastest = min(rows[name] for name in group)
        for name in group:
            print(f"{name:<40}{rows[name]:>10,.1f}{medians[name]:>10,.1f}{rows[name] / fastest:>10.2f}x")
    print(_signatures_agree(url, payload))
    print(
        "(signing: one GetItem's Authorization, each signer making its own timestamp and, for the libraries, "
        "its request object; awscrt includes waiting on its future. HTTP: the same pre-signed GetItem bytes "
        "to DynamoDB Local on one kept-alive connection, the answer read whole; awscrt's event-loop thread "
        "counts, being this process's)"
    )


# ----- the section ---------------------------------------------------------------------------------------


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def _print_goals(means: dict[str, dict[str, float]], starts: dict[str, list[tuple[float, float]]]) -> None:
    print("goals for kvtable (direct):")
    for operation, label in OPERATIONS:
        row, goals = means[operation], []
        if "pydynox" in row:
            ratio = row[DIRECT] / row["pydynox"]
            goals.append(f"at or below pydynox (the goal): {_verdict(ratio <= 1)}, {ratio:.2f}x")
        else:
            goals.append("at or below pydynox (the goal): not measured, pydynox is not installed")
        half = row[DIRECT] / row[BOTO3]
        goals.append(
            f"at most half the boto3 client's (the least acceptable): {_verdict(half <= 0.5)}, {half:.2f}x"
        )
        print(f"  {label:<24}" + "; ".join(goals))
    beyond = _beside_boto3(starts, DIRECT)
    print(
        f"  {'cold start (CPU)':<24}at or below the boto3 client's: {_verdict(beyond <= 0)}, {beyond:+.1f} ms"
    )


def chart_panels(
    per_call: Mapping[str, Mapping[str, float]], cold_start: Mapping[str, float]
) -> tuple[Panel, Panel]:
    """The chart of the section: per operation label (`OPERATIONS`' labels), each client's mean CPU per
    call in µs; and each client's cold-start CPU median in ms. The docs' committed chart comes from here too."""
    calls = Panel(
        "client CPU per call, mean",
        "µs",
        tuple(Group(label, tuple(per_call[label].items())) for _, label in OPERATIONS if label in per_call),
    )
    cold = Panel(
        "cold start: import, client and first GetItem in a fresh process, CPU median",
        "ms",
        (Group("fresh process", tuple(cold_start.items())),),
    )
    return calls, cold


def run_transports(client: DynamoDBClient, url: str, sizes: Sizes) -> None:
    """Print the transports table, the cold starts, the goals, and the building blocks."""
    rng = random.Random(sizes.seed)
    keys = max(1, min(sizes.keys, LOADED_KEYS))
    table = new_table(client, "transports")
    KvTable(client, table, transport="botocore").load_keys(NAMESPACE, entries(keys), workers=4)
    print(f"\n== transports (random order: seed {sizes.seed}; `--seed {sizes.seed}` repeats it)")
    peers = installed_peers()
    print(check_requests(client, table))
    clients: list[Measured] = [Contract(client, table, "direct"), Contract(client, table, "botocore")]
    clients.append(Boto3Client(client, table, url))
    clients.extend(peer(table, url) for peer in peers)
    try:
        samples, between = _cpu_table(clients, sizes, keys, rng)
    finally:
        for each in clients:
            each.close()
    starts = cold_starts(cold_start_programs(url, table, peers), sizes.cold_starts, rng)

    names = [each.name for each in clients]
    means = _print_cpu_table(samples, between, names, sizes, keys)
    _print_cold_starts(starts, sizes)
    for peer in peers:
        print(f"{peer.name} sends: {peer.sends}")
    _print_goals(means, starts)
    if sizes.chart is not None:
        _write_chart(sizes.chart, means, starts)
    run_building_blocks(url, table, sizes.calls, rng)


def _print_cpu_table(
    samples: dict[str, dict[str, list[float]]],
    between: dict[str, float],
    names: list[str],
    sizes: Sizes,
    keys: int,
) -> dict[str, dict[str, float]]:
    """Print each client's CPU per call by operation; the means, in µs."""
    peer_names = [name for name in names if name not in (DIRECT, BOTOCORE)]
    means = {
        operation: {name: statistics.fmean(values) * 1e6 for name, values in by_name.items()}
        for operation, by_name in samples.items()
    }
    print(
        f"\n== client CPU per call, µs: the mean of {sizes.calls:,} calls each ({sizes.pages:,} pages of "
        f"{PAGE} keys), over {keys:,} keys, the clients in a new random order for every call"
    )
    width = max(len(name) for name in names) + 2
    print(
        f"{'':<24}"
        + "".join(f"{name:>{width}}" for name in names)
        + f"{'direct/boto3':>14}  direct/fastest peer"
    )
    for operation, label in OPERATIONS:
        row = means[operation]
        fastest = min(peer_names, key=row.__getitem__)
        print(
            f"{label:<32}"
            + "".join(f"{row[name]:>{width},.0f}" for name in names)
            + f"{row[DIRECT] / row[BOTO3]:>13.2f}x  {row[DIRECT] / row[fastest]:.2f}x ({fastest})"
        )
    for operation, label in OPERATIONS:
        middle = {name: statistics.median(values) * 1e6 for name, values in samples[operation].items()}
        print(f"{label + ', median':<32}" + "".join(f"{middle[name]:>{width},.0f}" for name in names))
    print(
        "CPU between the measured calls (the harness, and threads working after a call returned), µs per call: "
        + ", ".join(f"{operation} {between[operation]:.1f}" for operation, _ in OPERATIONS)
    )
    return means


def _print_cold_starts(starts: dict[str, list[tuple[float, float]]], sizes: Sizes) -> None:
    print(
        f"\n== cold start to the first answer: import, client, first GetItem, in a fresh process "
        f"(median of {sizes.cold_starts}, the programs in a random order each round)"
    )
    print(f"{'':<26}{'CPU ms':>10}{'wall ms':>10}{'CPU ms beyond the boto3 client':>32}")
    for name, done in starts.items():
        cpu, wall = statistics.median(run[0] for run in done), statistics.median(run[1] for run in done)
        print(f"{name:<26}{cpu:>10,.0f}{wall:>10,.0f}{_beside_boto3(starts, name):>+32,.1f}")
    print(
        "(CPU: the process's own up to its first answer, the interpreter's start included; wall: from spawning "
        "it; beyond: the median of each round's difference)"
    )


def _write_chart(
    path: Path, means: dict[str, dict[str, float]], starts: dict[str, list[tuple[float, float]]]
) -> None:
    """The chart of these figures at `path`; a chart that cannot be written is said, and loses none."""
    panels = chart_panels(
        {label: means[operation] for operation, label in OPERATIONS},
        {name: statistics.median(run[0] for run in done) for name, done in starts.items()},
    )
    measured = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    try:
        write_chart(path, CHART_TITLE, panels, this_machine(), measured)
    except OSError as error:  # the figures are printed above: a chart that cannot be written loses none
        print(f"the chart could not be written to {path}: {error.strerror or error}")
    else:
        print(f"chart of these figures: {path}")
