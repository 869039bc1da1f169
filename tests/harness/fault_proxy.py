"""A small HTTP proxy in front of DynamoDB Local that injects the faults AWS can answer with.

TEST HARNESS ONLY. Each request takes the next fault from a plan (then passes through; "pass" in a
plan passes one request through):
- "throttle": answers 400 ThrottlingException, as DynamoDB does when a partition is hot;
- "error500": answers 500 InternalServerError, after which DynamoDB may or may not have applied it
  (here: not applied);
- "drop_before": closes the connection without forwarding: the request never reaches the engine;
- "drop_after": forwards the request, lets the engine apply it, then closes the connection without
  the answer: the case where a retry could apply a write twice;
- "throttle_reasons": answers 400 ProvisionedThroughputExceededException carrying `ThrottlingReasons`
  (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ThrottlingReason.html);
- "cap_throttle": the same answer with the reason the on-demand cap gives,
  `TableWriteMaxOnDemandThroughputExceeded` (Read for GetItem, Query, Scan and the batched reads);
- "corrupt": forwards the request (the engine applies it), then answers with one byte of the body
  changed under the original body's `x-amz-crc32`, as a damaged answer arrives;
- "hold_after": forwards the request (the engine applies it), then holds the answer until the test calls
  `FaultPlan.release()`: a request in flight, sent and not yet answered, for a test to cancel;
- "unprocessed": for BatchWriteItem and BatchGetItem, forwards only the first half of the batch and
  answers the rest as UnprocessedItems / UnprocessedKeys, as DynamoDB does under throttling
  (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html,
  https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html).

Every answer carries `x-amz-crc32`, the CRC32 of its body, as DynamoDB's answers do and DynamoDB Local's
do not (AWS SDK for Go v2, DynamoDB customizations, "Response checksum validation":
https://pkg.go.dev/github.com/aws/aws-sdk-go-v2/service/dynamodb/internal/customizations). The proxy
also records the access key each request was signed with (`FaultPlan.access_keys`).
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import threading
import zlib
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import boto3
from botocore.config import Config

from kvtable.contract.store import KvTable
from kvtable.local.process import LOOPBACK
from kvtable.transport import TransportChoice
from tests.harness.loopback import loopback_server
from tests.local_clients import local_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# "pass" forwards the request untouched: a plan can let some requests through before a fault.
FAULTS = (
    "pass",
    "throttle",
    "error500",
    "drop_before",
    "drop_after",
    "throttle_reasons",
    "cap_throttle",
    "corrupt",
    "unprocessed",
    "hold_after",
)
_CREDENTIAL = re.compile(r"Credential=([^/,]+)/")
_READS = frozenset({"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"})
_UNPROCESSED = {"BatchWriteItem": "UnprocessedItems", "BatchGetItem": "UnprocessedKeys"}


@dataclass
class FaultPlan:
    """The faults to inject, in order, and what the proxy saw."""

    upstream: str
    pending: deque[str] = field(default_factory=deque)
    operations: list[str] = field(default_factory=list)
    access_keys: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    holding: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def inject(self, *faults: str) -> None:
        """Answer the next requests with these faults, in order."""
        assert all(f in FAULTS for f in faults), faults
        with self.lock:
            self.pending.extend(faults)

    def release(self) -> None:
        """Let a held answer ("hold_after") go."""
        self.released.set()

    def next_fault(self) -> str:
        with self.lock:
            return self.pending.popleft() if self.pending else "pass"


def _handler(plan: FaultPlan) -> type[BaseHTTPRequestHandler]:
    upstream = urlsplit(plan.upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = (
            "HTTP/1.1"  # keep-alive, as DynamoDB: a pool reuses its connections through the proxy
        )

        def log_message(self, *_: object) -> None:  # quiet
            return

        def _answer(
            self, status: int, body: bytes, headers: dict[str, str], checksummed: bytes | None = None
        ) -> None:
            self.send_response(status)
            for name, value in headers.items():
                if name.lower() not in (
                    "content-length",
                    "connection",
                    "transfer-encoding",
                    "date",
                    "server",
                    "x-amz-crc32",
                ):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("x-amz-crc32", str(zlib.crc32(checksummed if checksummed is not None else body)))
            self.end_headers()
            self.wfile.write(body)

        def _error(self, status: int, kind: str, **fields: object) -> None:
            body = {"__type": f"com.amazonaws.dynamodb.v20120810#{kind}", "message": "injected", **fields}
            self._answer(status, json.dumps(body).encode(), {"Content-Type": "application/x-amz-json-1.0"})

        def _drop(self) -> None:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            operation = self.headers.get("X-Amz-Target", "?").split(".")[-1]
            fault = plan.next_fault()
            signed_by = _CREDENTIAL.search(self.headers.get("Authorization", ""))
            with plan.lock:
                plan.operations.append(f"{operation}:{fault}")
                plan.access_keys.append(signed_by.group(1) if signed_by else "")
            if fault == "throttle":
                self._error(400, "ThrottlingException")
                return
            if fault in ("throttle_reasons", "cap_throttle"):
                table = json.loads(body).get("TableName", "table")
                kind = "Read" if operation in _READS else "Write"
                named = (
                    f"Table{kind}MaxOnDemandThroughputExceeded"
                    if fault == "cap_throttle"
                    else "TableWriteKeyRangeThroughputExceeded"
                )
                reason = {
                    "reason": named,
                    "resource": f"arn:aws:dynamodb:us-east-1:123456789012:table/{table}",
                }
                self._error(400, "ProvisionedThroughputExceededException", ThrottlingReasons=[reason])
                return
            if fault == "error500":
                self._error(500, "InternalServerError")
                return
            if fault == "drop_before":
                self._drop()
                return
            held_back: dict[str, object] = {}
            if fault == "unprocessed" and operation in _UNPROCESSED:
                body, held_back = _hold_back_half(operation, body)
            connection = http.client.HTTPConnection(upstream.hostname or LOOPBACK, upstream.port, timeout=30)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
            headers["Content-Length"] = str(len(body))
            connection.request("POST", self.path, body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
            connection.close()
            if fault == "drop_after":
                self._drop()
                return
            if fault == "hold_after":
                plan.holding.set()
                plan.released.wait(timeout=30)
            if held_back and response.status == 200:
                parsed = json.loads(answer)
                parsed[_UNPROCESSED[operation]] = held_back
                answer = json.dumps(parsed).encode()
            if fault == "corrupt":
                damaged = answer[:-2] + bytes([answer[-2] ^ 0x20]) + answer[-1:]
                self._answer(response.status, damaged, dict(response.getheaders()), checksummed=answer)
                return
            self._answer(response.status, answer, dict(response.getheaders()))

    return Handler


def _hold_back_half(operation: str, body: bytes) -> tuple[bytes, dict[str, object]]:
    """The request with only the first half of each table's batch, and the rest as DynamoDB would
    return it unprocessed (the same shape as the request's RequestItems)."""
    request = json.loads(body)
    forwarded: dict[str, object] = {}
    held: dict[str, object] = {}
    for table, batch in request["RequestItems"].items():
        if operation == "BatchGetItem":
            keys = batch["Keys"]
            cut = len(keys) // 2 or 1
            forwarded[table] = {**batch, "Keys": keys[:cut]}
            if keys[cut:]:
                held[table] = {**batch, "Keys": keys[cut:]}
        else:
            cut = len(batch) // 2 or 1
            forwarded[table] = batch[:cut]
            if batch[cut:]:
                held[table] = batch[cut:]
    request["RequestItems"] = forwarded
    return json.dumps(request).encode(), held


NO_CLIENT_RETRIES = Config(
    retries={"total_max_attempts": 1, "mode": "standard"}, read_timeout=10, connect_timeout=5
)


def client_through(url: str) -> DynamoDBClient:
    """A DynamoDB client that sends through the proxy at `url` with botocore's own retries off, so the
    contract's retries are the ones a test sees."""
    return boto3.client("dynamodb", **local_settings(url), config=NO_CLIENT_RETRIES)


@contextmanager
def fault_proxy(upstream: str) -> Iterator[tuple[str, FaultPlan]]:
    """A proxy on a free loopback port in front of `upstream`, for the length of the block."""
    plan = FaultPlan(upstream)
    with loopback_server(_handler(plan)) as server:
        try:
            yield f"http://{LOOPBACK}:{server.server_address[1]}", plan
        finally:
            plan.release()  # a held answer does not keep the server from stopping


@contextmanager
def store_through_proxy(
    upstream: str, table: str, transport: TransportChoice
) -> Iterator[tuple[KvTable, FaultPlan]]:
    """A store on `table` whose every request passes a fault proxy in front of `upstream` (botocore's
    retries off, the contract's own without their sleeps), and the proxy's plan."""
    with fault_proxy(upstream) as (url, plan):
        yield KvTable(client_through(url), table, transport=transport, sleep=lambda _: None), plan
