"""A warm import function keeps nothing of a run: what the run built is unreachable once it has ended."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from pimtasks.domain.run import RunStatus
from pimtasks.workers import import_worker

from tests.integration.imports.harness import Imports, condition_rows, conditions_xlsx


def test_nothing_a_run_built_outlives_it_and_each_run_releases_freed_memory(
        imports: Imports, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an import worker that is used for run after run (a warm function), watched while it works
    built: list[weakref.ref[Any]] = []
    releases: list[int] = []
    opened = import_worker.read_import
    release = import_worker.release_freed_memory

    @contextmanager
    def watched_read_import(*args: Any, **kwargs: Any) -> Iterator[Any]:
        with opened(*args, **kwargs) as reader:
            built.append(weakref.ref(reader))
            built.extend(weakref.ref(mapper.column_batch) for mapper in reader.mappers)
            built.extend(weakref.ref(table) for table in reader.source.tables)
            yield reader

    def counted_release() -> bool:
        releases.append(len(built))
        return release()

    monkeypatch.setattr(import_worker, "read_import", watched_read_import)
    monkeypatch.setattr(import_worker, "release_freed_memory", counted_release)
    task = imports.create_task()
    workers = imports.workers()

    # When the same file is imported twice by the same worker
    counts = []
    for _ in range(2):
        imports.upload("conditions.xlsx", conditions_xlsx(condition_rows(300)))
        run = imports.run(task, workers=workers)
        assert run.status is not RunStatus.FAILED
        counts.append(run.counts)
    assert counts[0].created > 200 and counts[1].unchanged == counts[0].created and counts[1].created == 0

    # Then each run ended by handing freed memory back, and its reader, tables and memos are gone
    assert releases == [3, 6]
    gc.collect()
    assert built and [ref for ref in built if ref() is not None] == []
