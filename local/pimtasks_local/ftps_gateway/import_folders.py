"""The gateway's view of an environment's imports: which folders exist under ``Uploads/`` and which of them
accept FTPS uploads. The rule is ``pimtasks.services.upload_channels`` (the same one the API and the
Transfer Family session policy use); this module only keeps its answers fresh and cheap.

The lookup (``TaskService.import_folders`` in the local stack) reads the environment's tasks.
``ImportFolderCache`` keeps each environment's answer for ``ttl_seconds`` (``GatewayOptions``, a few
seconds), so the CWD, LIST, SIZE and STOR of one delivery cost one read of the tasks, and a changed task
(an import added or removed, ``ftps_upload`` switched) takes effect within ``ttl_seconds`` without
restarting the gateway.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from pimtasks.services.upload_channels import ImportFolders

ImportFolderLookup = Callable[[str], ImportFolders]
"""Environment number -> its imports and the channels each accepts."""


class ImportFolderCache:
    """``lookup`` with each environment's answer kept for ``ttl_seconds`` (0 asks every time)."""

    def __init__(self, lookup: ImportFolderLookup, *, ttl_seconds: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._lookup = lookup
        self._ttl = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()  # one thread per FTPS session shares the cache
        self._answers: dict[str, tuple[float, ImportFolders]] = {}

    def __call__(self, environment: str) -> ImportFolders:
        now = self._clock()
        with self._lock:
            cached = self._answers.get(environment)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        answer = self._lookup(environment)
        with self._lock:
            self._answers[environment] = (now, answer)
        return answer
