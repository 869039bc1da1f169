"""A loopback container credentials endpoint, as ECS, EKS Pod Identity and Lambda SnapStart serve one.

AWS documents the exchange: a GET to AWS_CONTAINER_CREDENTIALS_FULL_URI (or 169.254.170.2 plus the
RELATIVE_URI), with AWS_CONTAINER_AUTHORIZATION_TOKEN (or the token file's content) as the
`Authorization` header, answered with JSON holding AccessKeyId, SecretAccessKey, Token and Expiration
(ISO 8601), RoleArn on ECS and AccountId on EKS Pod Identity:
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html,
https://docs.aws.amazon.com/eks/latest/userguide/pod-id-how-it-works.html,
https://docs.aws.amazon.com/sdkref/latest/guide/feature-container-credentials.html.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler

from kvtable.local.process import LOOPBACK
from tests.harness.loopback import loopback_server, send_body

PATH = "/v2/credentials/kvtable-test"


class CredentialsEndpoint:
    """Issues KEYC1 valid for `lifetime`, then KEYC2 once rotated, ..., to requests carrying `token`
    (401 otherwise); answers 500 while `failing`."""

    def __init__(self, token: str | None, lifetime: timedelta, account_id: str | None = None) -> None:
        self.token, self.lifetime, self.account_id = token, lifetime, account_id
        self.generation = 1
        self.failing = False
        self.fetches = 0
        self.authorizations: list[str | None] = []
        self.url = ""

    def rotate(self) -> None:
        """Issue new keys from now on."""
        self.generation += 1

    def answer(self, authorization: str | None) -> tuple[int, dict[str, str]]:
        self.authorizations.append(authorization)
        if self.failing:
            return 500, {"message": "unavailable"}
        if self.token is not None and authorization != self.token:
            return 401, {"message": "authorization token does not match"}
        self.fetches += 1
        number = self.generation
        expiry = datetime.now(UTC) + self.lifetime
        document = {
            "AccessKeyId": f"KEYC{number}",
            "SecretAccessKey": f"secret{number}",
            "Token": f"token{number}",
            "Expiration": expiry.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "RoleArn": "arn:aws:iam::123456789012:role/kvtable-test",
        }
        if self.account_id is not None:
            document["AccountId"] = self.account_id
        return 200, document


@contextmanager
def container_credentials(
    token: str | None = "Bearer kvtable-test-token",
    lifetime: timedelta = timedelta(hours=6),
    account_id: str | None = None,
) -> Iterator[CredentialsEndpoint]:
    """A running endpoint on a free loopback port (its full URL in `.url`), stopped on exit."""
    endpoint = CredentialsEndpoint(token, lifetime, account_id)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: object) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            if self.path != PATH:
                status, document = 404, {"message": "not found"}
            else:
                status, document = endpoint.answer(self.headers.get("Authorization"))
            send_body(self, status, json.dumps(document).encode(), "application/json")

    with loopback_server(Handler) as server:
        endpoint.url = f"http://{LOOPBACK}:{server.server_address[1]}{PATH}"
        yield endpoint
