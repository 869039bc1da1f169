"""Credentials for the direct transport without botocore: keys from the environment as they are, and
container credentials (ECS, EKS Pod Identity, Lambda SnapStart) fetched and refreshed as botocore's
ContainerProvider and RefreshableCredentials do: the same URL rules, token, tries and timeouts, and a
refresh 15 minutes before expiry (advisory: a failure keeps the current keys) or 10 (mandatory)."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.util import find_spec
from typing import NamedTuple
from urllib.parse import urlsplit

from kvtable.aws.environment import ContainerSource, container_url_allowed
from kvtable.schema.errors import ClientSettingsError, KvTableError, MissingCredentialsError, TransportError
from kvtable.transport.http import ConnectionPool

# botocore's RefreshableCredentials windows and ContainerMetadataFetcher's settings.
ADVISORY_REFRESH_SECONDS = 15 * 60
MANDATORY_REFRESH_SECONDS = 10 * 60
FETCH_TIMEOUT_SECONDS = 2
FETCH_ATTEMPTS = 3
FETCH_PAUSE_SECONDS = 1


class Keys(NamedTuple):
    """One consistent set of keys, as the direct transport reads them (botocore's ReadOnlyCredentials)."""

    access_key: str
    secret_key: str
    token: str | None


class StaticCredentials:
    """Keys that do not change (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN)."""

    def __init__(self, keys: Keys) -> None:
        self._keys = keys

    def get_frozen_credentials(self) -> Keys:
        """The keys."""
        return self._keys


class FetchedKeys(NamedTuple):
    """Keys from the container endpoint: with their expiry (epoch seconds) and the account id, if given."""

    keys: Keys
    expires: float
    account_id: str | None


class ContainerCredentials:
    """Keys from the container credentials endpoint, fetched again before they expire."""

    def __init__(
        self,
        source: ContainerSource,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not container_url_allowed(source.url):
            raise ClientSettingsError(
                f"the container credentials URL {source.url} is neither https nor a loopback or container "
                "host; botocore refuses it too: fix AWS_CONTAINER_CREDENTIALS_FULL_URI"
            )
        self._source = source
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._current = self._fetch()

    @property
    def account_id(self) -> str | None:
        """The account id the endpoint gave with the keys (EKS Pod Identity gives one), if any."""
        return self._current.account_id

    @property
    def expires(self) -> float:
        """When the current keys expire (epoch seconds)."""
        return self._current.expires

    def refresh_needed(self) -> bool:
        """Whether the next read of the keys fetches new ones (blocking I/O): as botocore's
        RefreshableCredentials.refresh_needed, which the asyncio transport asks before reading keys."""
        return self._current.expires - self._clock() < ADVISORY_REFRESH_SECONDS

    def get_frozen_credentials(self) -> Keys:
        """The keys to sign with now, refreshed first when they are within a refresh window."""
        left = self._current.expires - self._clock()
        if left < MANDATORY_REFRESH_SECONDS:
            with self._lock:  # every thread waits: these keys must not be used
                if self._current.expires - self._clock() < MANDATORY_REFRESH_SECONDS:
                    self._current = self._fetch()
        elif left < ADVISORY_REFRESH_SECONDS and self._lock.acquire(blocking=False):
            # One thread refreshes; the others go on with keys that are still good.
            try:
                self._current = self._fetch()
            except KvTableError:
                pass  # as botocore: keep the current keys until the mandatory window
            finally:
                self._lock.release()
        return self._current.keys

    def _fetch(self) -> FetchedKeys:
        for attempt in range(FETCH_ATTEMPTS):
            try:
                return self._fetch_once()
            except _RetryableError as error:
                if attempt + 1 == FETCH_ATTEMPTS:
                    raise MissingCredentialsError(
                        f"no credentials from the container endpoint {self._source.url}: {error}"
                    ) from None
                self._sleep(FETCH_PAUSE_SECONDS)
        raise AssertionError("unreachable")

    def _fetch_once(self) -> FetchedKeys:
        target, pool = _request_target(self._source.url)
        token = self._token()
        lines = [f"GET {target} HTTP/1.1", f"Host: {pool.origin.host_header}", "Accept: application/json"]
        if token is not None:
            lines.append(f"Authorization: {token}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")
        try:
            answer = pool.post(head, b"")
        except TransportError as error:
            raise _RetryableError(str(error)) from None
        finally:
            pool.close()
        text = answer.body.decode("utf-8", "replace")
        if answer.status != 200:
            raise _RetryableError(f"it answered {answer.status}: {text[:200]}")
        try:
            document = json.loads(text)
        except ValueError:
            raise _RetryableError("its answer is not JSON") from None
        try:
            keys = Keys(document["AccessKeyId"], document["SecretAccessKey"], document["Token"] or None)
            expires = _epoch_seconds(document["Expiration"])
        except (KeyError, TypeError, ValueError) as error:
            raise MissingCredentialsError(
                f"the container endpoint's answer lacks or garbles {error}; expected AccessKeyId, "
                "SecretAccessKey, Token and Expiration"
            ) from None
        account_id = document.get("AccountId")
        return FetchedKeys(keys, expires, str(account_id) if account_id else None)

    def _token(self) -> str | None:
        # The file is read on every fetch (EKS rotates it), before the variable, as botocore does.
        token: str | None
        if self._source.token_file is not None:
            with open(self._source.token_file, encoding="utf-8") as token_file:
                token = token_file.read()
        else:
            token = self._source.token
        if token is not None and ("\r" in token or "\n" in token):
            raise ClientSettingsError(
                "the container authorization token holds a line break, which no HTTP header may "
                "(botocore refuses it too): fix AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE)"
            )
        return token


class _RetryableError(Exception):
    """A fetch that failed in a way botocore tries again."""


def _request_target(url: str) -> tuple[str, ConnectionPool]:
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    pool = ConnectionPool(
        f"{parts.scheme}://{parts.netloc}",
        connect_timeout=FETCH_TIMEOUT_SECONDS,
        read_timeout=FETCH_TIMEOUT_SECONDS,
        max_idle=0,
        verify=ca_bundle(),
    )
    return target, pool


def ca_bundle() -> str | bool:
    """The CA bundle botocore verifies TLS with (botocore/httpsession.py): certifi's when certifi is
    installed (optional for botocore), else the cacert.pem botocore ships; the system's only without both."""
    try:
        import certifi  # noqa: PLC0415 (optional, as for botocore; loaded only for an https endpoint)
    except ImportError:
        # Located, not imported: the path botocore's own fallback names, without loading botocore.
        spec = find_spec("botocore")
        locations = list(spec.submodule_search_locations or []) if spec is not None else []
        shipped = [os.path.join(folder, "cacert.pem") for folder in locations]
        return next((path for path in shipped if os.path.isfile(path)), True)
    return str(certifi.where())


def _epoch_seconds(text: str) -> float:
    """An ISO 8601 time (`2026-12-07T10:00:00Z`, with or without fraction or offset) in epoch seconds."""

    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
