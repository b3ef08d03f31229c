"""The Import ETIM task worker: the ETIM model of a release from the ETIM API into the environment's store.

The work is ``services.etim_sync`` (stage, then switch); this worker resolves the credentials, connects the
source, turns what can go wrong into a failed run with a clear message ("the ETIM API refused the client
credentials (invalid_client)", a language the account may not use, a call that kept failing, an answer of
the wrong shape), and writes the report: release, languages, per entity created / changed / unchanged /
deprecated, what was written. The run finisher mails it per the task's notification setting.
"""

from __future__ import annotations

from collections.abc import Callable

from pimtasks.clock import Clock
from pimtasks.domain.etim import SYNC_ORDER
from pimtasks.domain.etim_source import EtimApiError, EtimCredentialsError
from pimtasks.domain.run import MessageLevel, RunStatus
from pimtasks.domain.task_types import ImportEtimSettings
from pimtasks.services.etim_ports import EtimModelStore, EtimSource
from pimtasks.services.etim_sync import EtimSync, EtimSyncError, SyncResult
from pimtasks.services.run_job import ContinueLater, RunJob, StopRequested, WorkerFailure

SourceFactory = Callable[[ImportEtimSettings, str], EtimSource]
"""``factory(settings, client_secret)`` -> a connection to the ETIM API."""


class EtimWorker:
    """The ``TaskWorker`` of type ``import_etim``."""

    def __init__(self, *, store: EtimModelStore, source_factory: SourceFactory, clock: Clock) -> None:
        self._store = store
        self._source_factory = source_factory
        self._clock = clock

    def run(self, job: RunJob) -> RunStatus | None:
        settings = job.task.spec.settings
        if not isinstance(settings, ImportEtimSettings):
            raise WorkerFailure(f"task {job.task.task_id} is not an Import ETIM task")
        source = self._source_factory(settings, job.required_secret(settings.client_secret))
        sync = EtimSync(source=source, store=self._store, clock=self._clock,
                        environment=job.task.environment, languages=settings.languages, release=settings.release,
                        run_id=job.run.run_id, task_id=job.task.task_id)
        continuing = False
        try:
            result = sync.run(job)
        except ContinueLater:
            continuing = True
            raise
        except StopRequested:
            job.message(MessageLevel.WARNING, f"Stopped during {_where(sync)}: {_untouched(sync)}")
            raise
        except EtimSyncError as failure:
            raise WorkerFailure(str(failure)) from failure
        except EtimApiError as failure:
            raise WorkerFailure(_failure_text(failure, sync)) from failure
        finally:
            if not continuing:
                sync.cleanup()
        _report(job, result)
        return None


def _where(sync: EtimSync) -> str:
    state = sync.state
    if state is None:
        return "the checks before the sync"
    language = state.languages[min(state.language_index, len(state.languages) - 1)]
    return f"the {state.kind.plural} of {state.release} ({language})"


def _untouched(sync: EtimSync) -> str:
    state = sync.state
    if state is None:
        return "nothing was changed."
    return (f"the model of {state.release} was not switched; the previous model stays readable and whole "
            "(a new run starts the sync again).")


def _failure_text(failure: EtimApiError, sync: EtimSync) -> str:
    if isinstance(failure, EtimCredentialsError):
        return str(failure)  # nothing else to say: no call got through
    if sync.state is None:
        return f"{failure}; nothing was changed"
    return f"{failure}; {_untouched(sync)}"


def _report(job: RunJob, result: SyncResult) -> None:
    """Counts per entity, release, languages and what was written, as run messages and counts."""
    where = "as the task asks" if result.release_source == "task" else "the newest of Misc/Releases"
    sizes = ", ".join(f"{result.entities[kind]:,} {kind.plural}" for kind in reversed(SYNC_ORDER))
    job.message(MessageLevel.INFO, f"ETIM {result.release} ({where}) in {', '.join(result.languages)}: {sizes}.")
    for kind in reversed(SYNC_ORDER):
        counts = result.counts[kind]
        removed = f" ({counts.removed:,} no longer in the release)" if counts.removed else ""
        job.message(MessageLevel.INFO, f"{kind.plural.capitalize()}: {counts.created:,} created, {counts.changed:,} "
                                       f"changed, {counts.unchanged:,} unchanged, {counts.deprecated:,} "
                                       f"deprecated{removed}.")
        job.count(read=counts.read, created=counts.created, updated=counts.changed + counts.deprecated - counts.removed,
                  unchanged=counts.unchanged)
    if result.switched:
        job.message(MessageLevel.INFO, f"The model of {result.release} now is generation {result.generation}: "
                                       f"{result.items_written:,} items written ({result.requests:,} ETIM API "
                                       "requests).")
    else:
        job.message(MessageLevel.INFO, f"Nothing changed since the last sync of {result.release}: nothing was "
                                       f"written ({result.requests:,} ETIM API requests).")
    for warning in result.warnings:
        job.message(MessageLevel.WARNING, warning)
    if result.warnings_more:
        job.message(MessageLevel.WARNING, f"... and {result.warnings_more} more codes used by classes but not "
                                          "listed by the ETIM API.")
    job.progress(1.0, f"ETIM {result.release}: done")
