"""A feed run: build a new version of the feed and switch the feed to it when (and only when) it is complete.

1. Pages: the catalog's change feed of the entity, in ``changed_at`` order with its tombstones, cut into
   chunks of ``page_size`` entries, each written as ``pages/<n>.json``. An entry is a record reduced to the
   feed's columns, or a removal: a tombstone, or a record the feed's filter leaves out (so a reader of deltas
   also learns that a record left the feed). A record changed while the run reads moves behind the reader
   and comes again, newer, later in the version (apply entries in order).
2. The whole file: a second pass over the version's own chunks, so the file holds exactly the records the
   pages hold, written in the settings' format (``feeds.file_formats``) to a temporary file, then uploaded.
3. The manifest (the chunks' first/last ``changed_at``, for ``since=``), then the conditional pointer switch.
   A failed or stopped run never switches: readers keep the previous version. After the switch, versions
   beyond the ``KEPT_VERSIONS`` newest (and any left half-built by failed runs) are deleted.

The run checkpoints every ``CHECKPOINT_CHUNKS`` chunks (the manifest so far goes to ``manifest.partial.json``)
and continues in a fresh invocation from there; a continuation during the file pass starts that pass again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pimtasks.clock import Clock, iso
from pimtasks.domain.catalog_storage import StoredChange
from pimtasks.domain.environment_files import relative_key
from pimtasks.domain.feed import (
    KEPT_VERSIONS,
    ChunkSummary,
    FeedFile,
    FeedManifest,
    FeedVersion,
    chunk_key,
    feed_prefix,
    is_version_id,
    manifest_key,
    version_id,
    version_prefix,
)
from pimtasks.domain.run import MessageLevel, RunFileRole, RunStatus
from pimtasks.domain.task_types import FeedSettings, ImportTarget
from pimtasks.feeds.file_formats import BinarySink, FeedFileFormat, FeedFormatUnavailableError, file_format
from pimtasks.services.feed_ports import FeedCatalog, FeedObjects, FeedVersions
from pimtasks.services.run_job import RunJob, WorkerFailure

CHECKPOINT_CHUNKS = 10
JSON_CONTENT_TYPE = "application/json"


def manifest_json(manifest: FeedManifest) -> bytes:
    return json.dumps({"version": manifest.version, "built_at": manifest.built_at, "page_size": manifest.page_size,
                       "chunks": [asdict(chunk) for chunk in manifest.chunks]}, separators=(",", ":")).encode()


def parse_manifest(body: bytes) -> FeedManifest:
    document = json.loads(body)
    return FeedManifest(version=document["version"], built_at=str(document["built_at"]),
                        page_size=int(document["page_size"]),
                        chunks=tuple(ChunkSummary(**chunk) for chunk in document["chunks"]))


def feed_entry(change: StoredChange, *, settings: FeedSettings) -> dict[str, Any]:
    """The change as the feed lists it: ``id``, ``changed_at``, ``removed`` and ``data`` (None for a removal)."""
    data = change.data
    removed = change.deleted or any(_text(data.get(name)) != value for name, value in settings.filter.items())
    if not removed and settings.columns:
        data = {name: data[name] for name in settings.columns if name in data}
    return {"id": change.record_id, "changed_at": change.changed_at, "removed": removed,
            "data": None if removed else data}


def _text(value: Any) -> str | None:
    """A JSON-form value as the filter compares it (``true``/``false`` for booleans, as written in JSON)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


class FeedBuild:
    """One feed run over ``job`` (one invocation; continuations build another ``FeedBuild``)."""

    def __init__(self, *, job: RunJob, settings: FeedSettings, catalog: FeedCatalog, objects: FeedObjects,
                 versions: FeedVersions, clock: Clock) -> None:
        self._job = job
        self._settings = settings
        self._catalog = catalog
        self._objects = objects
        self._versions = versions
        self._clock = clock
        self._environment = job.run.environment
        self._feed = settings.feed_name
        try:
            self._format: FeedFileFormat = file_format(settings.format)
        except FeedFormatUnavailableError as unavailable:
            raise WorkerFailure(str(unavailable)) from unavailable
        checkpoint = job.checkpoint or {}
        started = job.run.started_at or clock.now()
        self._version = str(checkpoint.get("version") or version_id(started_at=started, run_id=job.run.run_id))
        if not is_version_id(self._version):
            raise WorkerFailure(f"the checkpoint names no feed version ({self._version!r})")
        self._after: str | None = checkpoint.get("after")
        self._chunks: list[ChunkSummary] = self._resumed_chunks(int(checkpoint.get("chunks", 0)))
        self._read = int(checkpoint.get("read", 0))
        self._records = int(checkpoint.get("records", 0))

    # --- the run --------------------------------------------------------------------------------
    def run(self) -> RunStatus | None:
        job = self._job
        if not self._job.checkpoint or self._job.checkpoint.get("phase") == "pages":
            self._write_pages()
        job.keep_alive(self._checkpoint(phase="file"))
        if self._records == 0:
            job.message(MessageLevel.WARNING, f"Feed '{self._feed}': the catalog holds no {self._settings.entity} "
                        "for this feed; no empty version is published, the feed keeps serving what it served.")
            pointer = self._versions.pointer(environment=self._environment, feed=self._feed)
            self._delete_versions(keep=pointer.kept if pointer else ())
            return None
        feed_file = self._write_file()
        built_at = self._clock.now()
        manifest = FeedManifest(version=self._version, built_at=iso(built_at), page_size=self._settings.page_size,
                                chunks=tuple(self._chunks))
        self._objects.put_bytes(key=self._manifest_key(), body=manifest_json(manifest), content_type=JSON_CONTENT_TYPE)
        self._switch(feed_file, built_at=built_at)
        return None

    def _write_pages(self) -> None:
        """Read the change feed from where the run stands and write it as chunks of ``page_size`` entries."""
        size = self._settings.page_size
        target = ImportTarget(self._settings.entity)
        changes = self._catalog.changes(environment=self._environment, target=target, after=self._after,
                                        chunk=min(size, 500))
        batch: list[dict[str, Any]] = []
        last_position: str | None = None
        for change in changes:
            batch.append(feed_entry(change, settings=self._settings))
            last_position = change.position
            if len(batch) == size:
                self._put_chunk(batch, after=last_position)
                batch = []
        if batch:
            self._put_chunk(batch, after=last_position)

    def _put_chunk(self, entries: Sequence[dict[str, Any]], *, after: str | None) -> None:
        number = len(self._chunks)
        body = json.dumps(entries, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        self._objects.put_bytes(key=chunk_key(environment=self._environment, feed=self._feed, version=self._version,
                                              chunk=number), body=body, content_type=JSON_CONTENT_TYPE)
        records = sum(1 for entry in entries if not entry["removed"])
        self._chunks.append(ChunkSummary(first=entries[0]["changed_at"], last=entries[-1]["changed_at"],
                                         entries=len(entries), records=records))
        self._read += len(entries)
        self._records += records
        self._after = after
        self._job.progress(None, f"{self._read} {self._settings.entity} read, {len(self._chunks)} pages written")
        if len(self._chunks) % CHECKPOINT_CHUNKS == 0:
            partial = FeedManifest(version=self._version, built_at="", page_size=self._settings.page_size,
                                   chunks=tuple(self._chunks))
            self._objects.put_bytes(key=self._partial_key(), body=manifest_json(partial),
                                    content_type=JSON_CONTENT_TYPE)
            self._job.keep_alive(self._checkpoint(phase="pages"))
        else:
            self._job.keep_alive()

    def _write_file(self) -> FeedFile:
        """The whole file from the version's chunks: written to a temporary file (hashing it), then uploaded."""
        key = f"{version_prefix(environment=self._environment, feed=self._feed, version=self._version)}" \
              f"feed.{self._format.extension}"
        with tempfile.TemporaryDirectory(prefix="feed-") as folder:
            path = Path(folder) / f"feed.{self._format.extension}"
            with path.open("wb") as sink:
                hashing = _HashingSink(sink)
                writer = self._format.open(hashing, entity=self._settings.entity, columns=self._settings.fields)
                for entry in self._version_entries():
                    if not entry["removed"]:
                        writer.write(entry["data"])
                writer.close()
            self._objects.upload(key=key, source=path, content_type=self._format.content_type)
            return FeedFile(key=key, size=hashing.size, sha256=hashing.hexdigest(),
                            content_type=self._format.content_type, extension=self._format.extension)

    def _version_entries(self) -> Iterator[dict[str, Any]]:
        for number in range(len(self._chunks)):
            body = self._objects.get_bytes(key=chunk_key(environment=self._environment, feed=self._feed,
                                                         version=self._version, chunk=number))
            if body is None:
                raise WorkerFailure(f"page {number} of feed version {self._version} is missing")
            yield from json.loads(body)
            self._job.keep_alive()

    def _switch(self, feed_file: FeedFile, *, built_at: dt.datetime) -> None:
        pointer = self._versions.pointer(environment=self._environment, feed=self._feed)
        kept = self._kept_after_switch(served=pointer.kept if pointer else ())
        version = FeedVersion(version=self._version, built_at=built_at, run_id=self._job.run.run_id,
                              records=self._records, removals=self._read - self._records, chunks=len(self._chunks),
                              page_size=self._settings.page_size, file=feed_file)
        if not self._versions.switch(environment=self._environment, feed=self._feed, version=version,
                                     expected=pointer.current.version if pointer else None, kept=kept):
            raise WorkerFailure(f"another run switched feed '{self._feed}' while this one was building; this "
                                f"version ({self._version}) is not published")
        self._delete_versions(keep=kept)
        self._report(version)

    def _kept_after_switch(self, *, served: Sequence[str]) -> list[str]:
        """The versions to keep once this one is current: it and the newest ones before it."""
        return [self._version, *[v for v in served if v != self._version]][:KEPT_VERSIONS]

    def _delete_versions(self, *, keep: Sequence[str]) -> None:
        """Delete every version folder of the feed but ``keep`` (older ones, and half-built ones)."""
        prefix = feed_prefix(environment=self._environment, feed=self._feed)
        doomed = [key for key in self._objects.keys_under(prefix=prefix)
                  if key[len(prefix):].split("/", 1)[0] not in keep]
        self._objects.delete_keys(keys=doomed)

    def _report(self, version: FeedVersion) -> None:
        job = self._job
        job.count(selected=self._read, written=self._records, removed=self._read - self._records)
        filtered = ", ".join(f"{name}={value}" for name, value in self._settings.filter.items())
        job.message(MessageLevel.INFO, (
            f"Feed '{self._feed}' version {version.version}: {version.records} {self._settings.entity} in "
            f"{version.chunks} page{'' if version.chunks == 1 else 's'} of {version.page_size}, "
            f"{version.removals} removals"
            + (f" (tombstones and records the filter {filtered} leaves out)" if filtered else " (tombstones)")
            + f"; file feed.{version.file.extension}, {version.file.size} bytes. Served from now on at "
            f"GET /feeds/{self._environment}/{self._feed} and GET /feeds/{self._environment}/{self._feed}/file."))
        job.add_file(role=RunFileRole.OUTPUT, key=relative_key(self._environment, version.file.key))

    # --- checkpoints ----------------------------------------------------------------------------
    def _checkpoint(self, *, phase: str) -> dict[str, Any]:
        return {"version": self._version, "phase": phase, "after": self._after, "chunks": len(self._chunks),
                "read": self._read, "records": self._records}

    def _resumed_chunks(self, count: int) -> list[ChunkSummary]:
        if count == 0:
            return []
        body = self._objects.get_bytes(key=self._partial_key())
        chunks = list(parse_manifest(body).chunks) if body else []
        if len(chunks) < count:
            raise WorkerFailure(f"the partial manifest of feed version {self._version} lists {len(chunks)} pages, "
                                f"the checkpoint {count}")
        return chunks[:count]

    def _manifest_key(self) -> str:
        return manifest_key(environment=self._environment, feed=self._feed, version=self._version)

    def _partial_key(self) -> str:
        return f"{version_prefix(environment=self._environment, feed=self._feed, version=self._version)}" \
               "manifest.partial.json"


class _HashingSink:
    """A binary sink that counts and hashes what goes through it."""

    def __init__(self, sink: BinarySink) -> None:
        self._sink = sink
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self._hash.update(data)
        self.size += len(data)
        self._sink.write(data)
        return len(data)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()

