"""Where a delta run starts: the start of the task's last successful run (None: never, so everything).

Exports, feeds and pushes to Magento or Art-Connect send "what changed since the last successful run". The
watermark is that run's **start**, not its end: a record changed while the run was going is sent again next time
rather than lost (Akeneo's and Shopware's bug with end times). Both ``succeeded`` and ``partially_succeeded``
count as successful by default: such a run went through its whole selection and recorded what failed, and a
task that must send its failures again keeps them itself (the Magento push keeps the SKUs to send again). A
task whose partial runs must be repeated as a whole passes ``statuses=(RunStatus.SUCCEEDED,)``. Failed, stopped
and skipped runs never move the watermark.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from pimtasks.domain.run import RunStatus
from pimtasks.services.ports import RunStore

SUCCESSFUL: tuple[RunStatus, ...] = (RunStatus.SUCCEEDED, RunStatus.PARTIALLY_SUCCEEDED)


class DeltaWindow:
    def __init__(self, *, runs: RunStore, page_size: int = 50) -> None:
        self._runs = runs
        self._page_size = page_size

    def since(self, *, environment: str, task_id: str, current_run_id: str | None = None,
              statuses: Iterable[RunStatus] = SUCCESSFUL) -> dt.datetime | None:
        """The ``started_at`` of the newest run of the task with one of ``statuses`` (the run asking, named by
        ``current_run_id``, never counts); None when there is none within the run history."""
        wanted = set(statuses)
        start_key = None
        while True:
            runs, start_key = self._runs.list_for_task(environment=environment, task_id=task_id,
                                                       limit=self._page_size, start_key=start_key)
            for run in runs:
                if run.run_id != current_run_id and run.status in wanted and run.started_at is not None:
                    return run.started_at
            if start_key is None:
                return None
