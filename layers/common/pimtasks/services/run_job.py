"""What a worker sees of its run: report it, keep it alive, be stopped or continued at safe points."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from pimtasks.clock import Clock
from pimtasks.domain.environment_files import ENVIRONMENTS_ROOT
from pimtasks.domain.run import (
    MAX_MESSAGES_STORED,
    MESSAGES_RESERVED,
    MessageLevel,
    Run,
    RunFile,
    RunFileRole,
    RunMessage,
    RunStatus,
)
from pimtasks.domain.task import Task
from pimtasks.errors import NotFoundError
from pimtasks.services.ports import RunStore, SecretReader


class StopRequested(Exception):
    """Raised at a safe point when someone pressed Stop."""


class ContinueLater(Exception):
    """Raised at a safe point when the Lambda time budget runs low; the checkpoint is saved."""


class LeaseLost(Exception):
    """The run no longer owns its task (swept as stale): stop without touching anything."""


class WorkerFailure(Exception):
    """An expected failure with a message for the run report (bad credentials, a file that fails whole, ...)."""


class RunJob:
    """One invocation's handle on a run. Not thread-safe: one worker drives it."""

    def __init__(self, *, task: Task, run: Run, runs: RunStore, clock: Clock, secrets: SecretReader | None,
                 remaining_ms: Callable[[], int], heartbeat_seconds: float, lease_seconds: float,
                 continuation_margin_seconds: float) -> None:
        self.task = task
        self.run = run
        self._runs = runs
        self._clock = clock
        self._secrets = secrets
        self._remaining_ms = remaining_ms
        self._heartbeat = dt.timedelta(seconds=heartbeat_seconds)
        self._lease = dt.timedelta(seconds=lease_seconds)
        self._margin_ms = continuation_margin_seconds * 1000
        self._last_beat = clock.now()

    @property
    def checkpoint(self) -> dict[str, Any] | None:
        """Where a previous invocation of this run stopped (None on the first)."""
        return self.run.checkpoint

    # --- reporting ----------------------------------------------------------------------------
    def count(self, **deltas: int) -> None:
        """Add to the run's counts, e.g. ``job.count(read=500, created=12)``."""
        self.run.counts = self.run.counts.model_copy(
            update={name: getattr(self.run.counts, name) + delta for name, delta in deltas.items()}
        )

    def message(self, level: MessageLevel, text: str, **where: Any) -> None:
        """Add a report line; ``where`` names file, sheet, row, column, value.

        Row errors stop being kept at ``MAX_MESSAGES_STORED`` (a file with 10,000 bad rows would drown the
        report); the other lines (a file's summary, a stop note) still have ``MESSAGES_RESERVED`` places.
        """
        row_error = level is MessageLevel.ERROR and where.get("row") is not None
        limit = MAX_MESSAGES_STORED if row_error else MAX_MESSAGES_STORED + MESSAGES_RESERVED
        if len(self.run.messages) >= limit:
            self.run.messages_truncated += 1
            return
        self.run.messages.append(RunMessage(level=level, text=text, **where))

    def add_file(self, *, role: RunFileRole, key: str, version_id: str | None = None) -> None:
        """Link a file to the run: the run's JSON lists it (with the files API path of its download), the
        console shows it as a download link, ``pimtasks files get KEY`` fetches it.

        ``key`` is relative to the environment (``Downloads/<export>/<file>``, never ``environments/<env>/...``)
        and names a file already published where it stays (an export adds its finished file with
        ``role=RunFileRole.OUTPUT``, not the temporary key it was written to). Saved with the run at the next
        safe point; the same role and key twice is kept once (a continued run may publish a file again).
        """
        if key.startswith(ENVIRONMENTS_ROOT):  # a programming error of the worker, not of the run's input
            raise ValueError(f"run file key {key!r} is a full object key: give it relative to the environment")
        if any(f.role is role and f.key == key for f in self.run.files):
            return
        self.run.files.append(RunFile(role=role, key=key, version_id=version_id))

    def progress(self, fraction: float | None, text: str | None = None) -> None:
        self.run.progress = None if fraction is None else min(max(fraction, 0.0), 1.0)
        if text is not None:
            self.run.progress_text = text

    def secret(self, name: str) -> str:
        """A credential of this task's environment, by the name the task settings hold."""
        if self._secrets is None:
            raise WorkerFailure("secrets are not available to this function")
        return self._secrets.get(environment=self.task.environment, name=name)

    def required_secret(self, name: str, *, what: str = "client secret") -> str:
        """``secret(name)``, or a ``WorkerFailure`` saying which secret to set (nothing was changed yet)."""
        try:
            return self.secret(name)
        except NotFoundError as missing:
            environment = self.task.environment
            raise WorkerFailure(f"the {what} {name!r} is not set for environment {environment} "
                                f"(PUT /environments/{environment}/secrets/{name}); nothing was changed") from missing

    # --- safe points --------------------------------------------------------------------------
    def keep_alive(self, checkpoint: dict[str, Any] | None = None) -> None:
        """Call at every safe point (at least every few seconds of work).

        A ``checkpoint`` marks committed work: the run is saved at once with it and with the counts, messages
        and files so far, so the stored run never reports less than was committed (a crashed invocation's run
        is swept with exactly these). Without one, progress is persisted at most every heartbeat interval.
        Raises ``StopRequested`` after a Stop, ``LeaseLost`` when the run was swept, and ``ContinueLater``
        (after saving ``checkpoint``) when the time budget runs low. Pass a checkpoint only where the work can
        resume from it.
        """
        beat_due = self._clock.now() - self._last_beat >= self._heartbeat
        if checkpoint is None:
            if beat_due:
                self.heartbeat()
            return
        self.run.checkpoint = checkpoint
        low_on_time = self._remaining_ms() < self._margin_ms
        if beat_due or low_on_time:
            self.heartbeat()
        else:
            self._save()
        if low_on_time:
            raise ContinueLater

    def heartbeat(self) -> None:
        """Save the run as it is and extend its task's lease (also where a Stop or a sweep is noticed)."""
        now = self._clock.now()
        self._last_beat = now
        self.run.heartbeat_at = now
        self._save()
        if not self._runs.extend_lease(environment=self.run.environment, task_id=self.run.task_id,
                                       run_id=self.run.run_id, until=now + self._lease):
            raise LeaseLost

    def _save(self) -> None:
        """Write the run if it is still running and not asked to stop; else raise what happened instead."""
        if not self._runs.save(self.run, expected=(RunStatus.RUNNING,), require_no_cancel=True):
            stored = self._runs.find(environment=self.run.environment, run_id=self.run.run_id)
            if stored is not None and stored.status is RunStatus.RUNNING and stored.cancel_requested:
                self.run.cancel_requested = True
                raise StopRequested
            raise LeaseLost
