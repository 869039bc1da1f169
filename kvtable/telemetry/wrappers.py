"""Where telemetry meets a store: its public operations and its transport's `call`, each wrapped on the
instance. Until the process uses OpenTelemetry a wrapper is one check and a call through; nothing here
imports OpenTelemetry."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from types import FunctionType, ModuleType
from typing import TYPE_CHECKING, Any

from kvtable.telemetry.client_attributes import endpoint_attributes
from kvtable.telemetry.gate import in_use
from kvtable.telemetry.shared import ANSWER, TENANT_ARGUMENTS

if TYPE_CHECKING:
    from kvtable.contract.async_store import AsyncKvTable
    from kvtable.contract.store import KvTable

_MARK = "_kvtable_telemetry"
# Operations that return an iterator whose requests are sent while it is read: their span lasts as long.
ITERATING = frozenset({"iter_keys", "iter_user_namespaces"})

_recording: ModuleType | None = None
_async_recording: ModuleType | None = None


def recording() -> ModuleType:
    """kvtable.telemetry.recording, imported the first time the process uses OpenTelemetry."""
    global _recording  # noqa: PLW0603 (a module, imported once)
    if _recording is None:
        from kvtable.telemetry import recording as module  # noqa: PLC0415 (OpenTelemetry: loaded once the process uses it)

        _recording = module
    return _recording


_operations: dict[type, dict[str, dict[str, int]]] = {}


def operations(store: KvTable | AsyncKvTable) -> dict[str, dict[str, int]]:
    """The store's public operations (every public method of its class and its bases), each with the
    positions of its arguments that name tenant data; worked out once a class."""
    kind = type(store)
    found = _operations.get(kind)
    if found is None:
        found = {}
        for klass in reversed(kind.__mro__):
            for name, member in vars(klass).items():
                if not name.startswith("_") and isinstance(member, FunctionType):
                    found[name] = _tenant_positions(member)
        _operations[kind] = found
    return found


def wrap_store(store: KvTable) -> None:
    """Wrap `store`'s operations (INTERNAL spans) and its transport's calls (CLIENT spans on the direct
    transport; measurements on both)."""
    table = store.table_name
    for name, positions in operations(store).items():
        setattr(store, name, _operation(name, getattr(store, name), table, positions))
    transport: Any = store.transport
    if getattr(transport, _MARK, False):
        return  # a transport shared by two stores is wrapped once
    # A transport that sends its own HTTP says so by its answer observers (the direct transport): its
    # requests are CLIENT spans. On botocore's path opentelemetry-instrumentation-botocore makes them, and
    # ours would double them; any other transport is measured only.
    observers = getattr(transport, "answer_observers", None)
    client_spans = isinstance(observers, list)
    if isinstance(observers, list):
        observers.append(_observe_answer)
        endpoint = str(getattr(transport, "endpoint_url", "") or "")
    else:
        client = getattr(transport, "client", None)
        endpoint = str(getattr(getattr(client, "meta", None), "endpoint_url", "") or "")
    transport.call = _request(
        transport.call, str(transport.region), endpoint_attributes(endpoint), table, client_spans
    )
    setattr(transport, _MARK, True)


def unwrap_store(store: KvTable) -> None:
    """Take the wrappers of wrap_store off `store` again: it runs as a store built without OpenTelemetry."""
    for name in operations(store):
        vars(store).pop(name, None)
    transport: Any = store.transport
    if getattr(transport, _MARK, False):
        vars(transport).pop("call", None)
        vars(transport).pop(_MARK, None)
        observers = getattr(transport, "answer_observers", None)
        if isinstance(observers, list) and _observe_answer in observers:
            observers.remove(_observe_answer)


def _tenant_positions(function: FunctionType) -> dict[str, int]:
    # Positions in the bound method's arguments (without `self`); `inspect` is not imported for this.
    code = function.__code__
    parameters = code.co_varnames[1 : code.co_argcount + code.co_kwonlyargcount]
    return {name: parameters.index(name) for name in TENANT_ARGUMENTS if name in parameters}


def _operation(
    name: str, method: Callable[..., Any], table: str, positions: dict[str, int]
) -> Callable[..., Any]:
    def operation(*args: Any, **kwargs: Any) -> Any:
        # Once OpenTelemetry is in use it stays so: then only whether a provider is set is asked.
        record = _recording
        if record is None:
            if not in_use():
                return method(*args, **kwargs)
            record = recording()
        if not record.active():
            return method(*args, **kwargs)
        return record.operation(
            name, method, args, kwargs, table=table, positions=positions, iterating=name in ITERATING
        )

    operation.__name__ = name
    operation.__doc__ = method.__doc__
    operation.__wrapped__ = method  # type: ignore[attr-defined]
    return operation


def _request(
    call: Callable[[str, dict[str, Any]], dict[str, Any]],
    region: str,
    endpoint: dict[str, Any],
    table: str,
    client_spans: bool,
) -> Callable[[str, dict[str, Any]], dict[str, Any]]:
    def request(operation: str, request: dict[str, Any]) -> dict[str, Any]:
        record = _recording
        if record is None:
            if not in_use():
                return call(operation, request)
            record = recording()
        if not record.active():
            return call(operation, request)
        answer: dict[str, Any] = record.request(
            call, operation, request, region=region, endpoint=endpoint, table=table, client_span=client_spans
        )
        return answer

    request.__wrapped__ = call  # type: ignore[attr-defined]
    return request


def _observe_answer(status: int, headers: Any) -> None:
    waiting = ANSWER.get()
    if waiting is not None:
        waiting.append((status, headers))


# ----- the async front ---------------------------------------------------------------------------


def async_recording() -> ModuleType:
    """kvtable.telemetry.async_recording, imported the first time an async operation is recorded."""
    global _async_recording  # noqa: PLW0603 (a module, imported once)
    if _async_recording is None:
        from kvtable.telemetry import async_recording as module  # noqa: PLC0415 (OpenTelemetry: loaded once the process uses it)

        _async_recording = module
    return _async_recording


def wrap_async_store(store: AsyncKvTable) -> None:
    """Wrap `store`'s awaited operations and async iterations (INTERNAL spans), and count its transport's
    requests into them; the transport's `call` is wrapped before the store's request limit takes it."""
    import inspect  # noqa: PLC0415 (kept off kvtable.connect()'s path; asyncio has loaded it by now)

    table = store.table_name
    for name, positions in operations(store).items():
        method = getattr(store, name)
        if name in ITERATING:
            setattr(store, name, _async_iteration(name, method, table, positions))
        elif inspect.iscoroutinefunction(method):
            setattr(store, name, _async_operation(name, method, table, positions))
    transport: Any = store.transport
    if not getattr(transport, _MARK, False):
        transport.call = _counted(transport.call)
        setattr(transport, _MARK, True)


def _recording_async() -> ModuleType | None:
    """The async recording module while a provider is set, else None (nothing would be recorded)."""
    record = _recording
    if record is None:
        if not in_use():
            return None
        record = recording()
    return async_recording() if record.active() else None


def _async_operation(
    name: str, method: Callable[..., Awaitable[Any]], table: str, positions: dict[str, int]
) -> Callable[..., Awaitable[Any]]:
    async def operation(*args: Any, **kwargs: Any) -> Any:
        record = _recording_async()
        if record is None:
            return await method(*args, **kwargs)
        return await record.operation(name, method, args, kwargs, table=table, positions=positions)

    operation.__name__ = name
    operation.__doc__ = method.__doc__
    operation.__wrapped__ = method  # type: ignore[attr-defined]
    return operation


def _async_iteration(
    name: str, method: Callable[..., AsyncIterator[Any]], table: str, positions: dict[str, int]
) -> Callable[..., AsyncIterator[Any]]:
    def iteration(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        record = _recording_async()
        items = method(*args, **kwargs)
        if record is None:
            return items
        iterated: AsyncIterator[Any] = record.iterate(
            name, items, table=table, args=args, kwargs=kwargs, positions=positions
        )
        return iterated

    iteration.__name__ = name
    iteration.__doc__ = method.__doc__
    iteration.__wrapped__ = method  # type: ignore[attr-defined]
    return iteration


def _counted(
    call: Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]],
) -> Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]:
    async def request(operation: str, request: dict[str, Any]) -> dict[str, Any]:
        if _async_recording is not None:
            _async_recording.count_request()
        return await call(operation, request)

    request.__wrapped__ = call  # type: ignore[attr-defined]
    return request
