"""What the sync front (`KvTable`) and the async front (`AsyncKvTable`) share: the contract's operations
over one table, sans I/O, built once from the same settings, and those settings read back."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from kvtable.contract.bulk import BulkKeyOperations
from kvtable.contract.keys import KeyOperations
from kvtable.contract.namespaces import NamespaceOperations
from kvtable.contract.requests import TableRequests
from kvtable.contract.users import UserOperations
from kvtable.transport import Transport
from kvtable.transport.base import AsyncTransport


class ContractFront:
    """The operations of each kind of item over one `TableRequests`; a front runs them on its transport."""

    _requests: TableRequests
    _keys: KeyOperations
    _bulk: BulkKeyOperations
    _namespaces: NamespaceOperations
    _users: UserOperations

    def _build_operations(
        self,
        transport: Transport | AsyncTransport,
        table_name: str,
        gsi_name: str,
        *,
        clock: Callable[[], datetime],
        home_region: str | None,
        retry_attempts: int,
        namespace_quarantine: int,
        in_flight: int = 1,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """`in_flight`: how many batches one operation may send at once (get_keys, delete_keys, deleting a
        namespace's keys); `sleep`: the sync front's wait, for `TableRequests.send`."""
        self._requests = TableRequests(
            transport,
            table_name,
            gsi_name,
            clock=clock,
            home_region=home_region,
            retry_attempts=retry_attempts,
            sleep=sleep,
        )
        self._keys = KeyOperations(self._requests)
        self._bulk = BulkKeyOperations(self._requests, in_flight)
        self._namespaces = NamespaceOperations(self._requests, namespace_quarantine, in_flight)
        self._users = UserOperations(self._requests, self._namespaces)

    @property
    def table_name(self) -> str:
        """The table's name."""
        return self._requests.table_name

    @property
    def gsi_name(self) -> str:
        """The name of the table's GSI."""
        return self._requests.gsi_name

    @property
    def home_region(self) -> str | None:
        """The one region where users, API keys and namespaces are created (None: any region)."""
        return self._requests.home_region

    @property
    def retry_attempts(self) -> int:
        """How many tries a request gets."""
        return self._requests.retry_attempts

    @property
    def namespace_quarantine(self) -> int:
        """Seconds a deleted namespace's name stays taken, so no write still in flight lands in a new one."""
        return self._namespaces.quarantine
