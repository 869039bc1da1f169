"""AWS Signature Version 4, in the standard library: a general signer for any request, and the fast path
the direct transport runs on every DynamoDB request (the day's signing key cached, the rest precomputed).

The algorithm is AWS's: https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
"""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import quote

ALGORITHM = "AWS4-HMAC-SHA256"
JSON_CONTENT_TYPE = "application/x-amz-json-1.0"
# Signing keys kept per signer: normally one (the day's, for the one secret), briefly two around midnight
# UTC or a credential rotation; more than this only if a caller alternates many secrets.
MAX_CACHED_KEYS = 4

__all__ = [
    "ALGORITHM",
    "JSON_CONTENT_TYPE",
    "DynamoDBSigner",
    "amz_date",
    "canonical_request",
    "sign_request",
    "signing_key",
    "string_to_sign",
]


def amz_date(now: float | None = None) -> str:
    """`now` (epoch seconds, default the current time) in UTC as SigV4's `YYYYMMDDTHHMMSSZ`."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))


def signing_key(secret_key: str, datestamp: str, region: str, service: str) -> bytes:
    """SigV4's derived key: kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
    "aws4_request")."""
    key = hmac.digest(f"AWS4{secret_key}".encode(), datestamp.encode(), "sha256")
    for part in (region, service, "aws4_request"):
        key = hmac.digest(key, part.encode(), "sha256")
    return key


def _canonical_request_and_signed_headers(
    method: str, path: str, query: list[tuple[str, str]], headers: list[tuple[str, str]], payload: bytes
) -> tuple[str, str]:
    # Pairs are sorted by their encoded forms, which is not the order of the decoded text for non-ASCII names.
    canonical_query = "&".join(
        f"{name}={value}" for name, value in sorted((quote(n, safe=""), quote(v, safe="")) for n, v in query)
    )
    # A name given more than once is signed once, its values joined by commas in the order they were given.
    values_by_name: dict[str, list[str]] = {}
    for name, value in headers:
        values_by_name.setdefault(name.strip().lower(), []).append(" ".join(value.split()))
    names = sorted(values_by_name)
    canonical_headers = "".join(f"{name}:{','.join(values_by_name[name])}\n" for name in names)
    signed_headers = ";".join(names)
    canonical = "\n".join(
        (
            method.upper(),
            quote(path, safe="/"),
            canonical_query,
            canonical_headers,
            signed_headers,
            hashlib.sha256(payload).hexdigest(),
        )
    )
    return canonical, signed_headers


def canonical_request(
    method: str, path: str, query: list[tuple[str, str]], headers: list[tuple[str, str]], payload: bytes
) -> str:
    """SigV4's canonical request; `path`, query names and values are plain text, percent-encoded here (the
    path as given: `.` and `//` segments are not normalized)."""
    return _canonical_request_and_signed_headers(method, path, query, headers, payload)[0]


def string_to_sign(amz_date: str, scope: str, canonical: str) -> str:
    """SigV4's string to sign for a canonical request, `scope` being `date/region/service/aws4_request`."""
    return f"{ALGORITHM}\n{amz_date}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"


def sign_request(
    method: str,
    path: str,
    query: list[tuple[str, str]],
    headers: list[tuple[str, str]],
    payload: bytes,
    *,
    access_key: str,
    secret_key: str,
    region: str,
    service: str,
    amz_date: str,
) -> str:
    """The Authorization header value for a request; every header in `headers` is signed, none added."""
    canonical, signed_headers = _canonical_request_and_signed_headers(method, path, query, headers, payload)
    scope = f"{amz_date[:8]}/{region}/{service}/aws4_request"
    key = signing_key(secret_key, amz_date[:8], region, service)
    signature = hmac.digest(key, string_to_sign(amz_date, scope, canonical).encode(), "sha256").hex()
    return (
        f"{ALGORITHM} Credential={access_key}/{scope}, SignedHeaders={signed_headers}, Signature={signature}"
    )


class DynamoDBSigner:
    """Signs DynamoDB's `POST /` for one region and host: content-type, host, x-amz-date, x-amz-target and
    x-amz-security-token (with a session token) signed, as botocore signs them; the day's key cached."""

    def __init__(self, region: str, host: str, service: str = "dynamodb") -> None:
        self.region = region
        self.host = host
        self.service = service
        self._scope_suffix = f"/{region}/{service}/aws4_request"
        # The canonical request up to the date's value; the header names are already in sorted order.
        self._canonical_start = f"POST\n/\n\ncontent-type:{JSON_CONTENT_TYPE}\nhost:{host}\nx-amz-date:"
        self._signed_headers = "content-type;host;x-amz-date;x-amz-target"
        self._signed_headers_with_token = "content-type;host;x-amz-date;x-amz-security-token;x-amz-target"
        # By (secret key, datestamp): an HMAC-SHA256 already keyed with that day's signing key, copied per
        # request, which skips the key setup a one-shot hmac.digest repeats every time.
        self._signing_macs: dict[tuple[str, str], hmac.HMAC] = {}

    # Positional: the transport calls it so on every request.
    def authorization(  # noqa: PLR0917
        self, access_key: str, secret_key: str, token: str | None, amz_date: str, target: str, payload: bytes
    ) -> str:
        """The Authorization header value for one request, `amz_date` being the X-Amz-Date it is sent with."""
        datestamp = amz_date[:8]
        signing_mac = self._signing_macs.get((secret_key, datestamp))
        if signing_mac is None:
            signing_mac = self._derive(secret_key, datestamp)
        # An empty token counts as none, as in botocore (which neither signs nor sends it).
        if token:
            signed_headers = self._signed_headers_with_token
            token_line = f"x-amz-security-token:{token}\n"
        else:
            signed_headers = self._signed_headers
            token_line = ""
        # Token and target are sent as given, so they are signed untrimmed: neither contains whitespace.
        canonical = (
            f"{self._canonical_start}{amz_date}\n{token_line}x-amz-target:{target}\n\n{signed_headers}\n"
            f"{hashlib.sha256(payload).hexdigest()}"
        )
        scope = datestamp + self._scope_suffix
        to_sign = f"{ALGORITHM}\n{amz_date}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        mac = signing_mac.copy()
        mac.update(to_sign.encode())
        signature = mac.hexdigest()
        return (
            f"{ALGORITHM} Credential={access_key}/{scope}, "
            f"SignedHeaders={signed_headers}, Signature={signature}"
        )

    def _derive(self, secret_key: str, datestamp: str) -> hmac.HMAC:
        signing_mac = hmac.new(
            signing_key(secret_key, datestamp, self.region, self.service), digestmod=hashlib.sha256
        )
        # No lock: readers do one dict.get and copy a MAC that is never updated, and the cache is replaced,
        # never changed in place, by one attribute store; each is atomic. The copy made here is private, so
        # trimming it cannot race; of two threads deriving at once, one's entry may be lost, to be derived
        # again when next asked for.
        macs = self._signing_macs.copy()
        while len(macs) >= MAX_CACHED_KEYS:
            del macs[next(iter(macs))]
        macs[(secret_key, datestamp)] = signing_mac
        self._signing_macs = macs
        return signing_mac
