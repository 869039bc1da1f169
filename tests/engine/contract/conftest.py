"""The contract tests run on both fronts: the `transport` fixture here adds the async front
(`ASYNC_FRONT`: `AsyncKvTable` behind the test-only adapter of tests/async_front.py) to the three
transports of the sync front."""

import pytest

from kvtable.transport import TRANSPORTS, TransportChoice, TransportFactory
from tests.async_front import ASYNC_FRONT
from tests.conftest import CONNECT_FALLBACK_VARIABLES, connect_transport


@pytest.fixture(params=[*TRANSPORTS, "connect", "async"])
def transport(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> TransportChoice | TransportFactory:
    """The direct transport built from a boto3 client, the one `kvtable.connect` builds from the
    environment, botocore's path, and the async front (on the direct transport's settings)."""
    if request.param == "connect":
        for name in CONNECT_FALLBACK_VARIABLES:
            monkeypatch.delenv(name, raising=False)
        return connect_transport
    if request.param == "async":
        return ASYNC_FRONT
    choice: TransportChoice = request.param
    return choice
