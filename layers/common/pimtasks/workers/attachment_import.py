"""One ZIP of an attachments import: unpack safely, check, store the files, link them to their articles.

Everything that fails the ZIP *as a whole* (not a ZIP, unsafe or damaged archive, two indexes, an unreadable
index or one without its required columns) happens before the first object or record is written, so such
a file leaves the catalog and ``Attachments/`` untouched. Then each distinct content is put under
``Attachments/<article>/<sha256>.<ext>`` (skipped when already there), and only then the records are
written (a record never points to a missing object). Bad members are rejected one by one with a message.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from pimtasks.domain.run import MessageLevel, RunCounts
from pimtasks.domain.task_types import ImportMode, ImportTarget
from pimtasks.imports.attachments import (
    EXTENSIONS,
    SNIFF_BYTES,
    MemberFile,
    Rejection,
    is_index,
    mapped_records,
    parse_index,
    plan_attachments,
)
from pimtasks.imports.errors import ImportFileError, UnsupportedFileError
from pimtasks.imports.reading import open_source
from pimtasks.imports.reading.archive import extract_member, list_members
from pimtasks.imports.reading.limits import ReadLimits
from pimtasks.imports.reading.sniffing import FileKind, sniff_kind
from pimtasks.services.catalog_writer import CatalogWriter
from pimtasks.services.ports import FileStorage
from pimtasks.services.run_job import RunJob

_HASH_CHUNK = 1 << 20


class AttachmentImport:
    """Imports one ZIP of attachments; ``key`` turns an environment-relative key into a bucket key."""

    def __init__(self, *, files: FileStorage, catalog: CatalogWriter, job: RunJob, environment: str,
                 run_id: str, limits: ReadLimits, batch_size: int, key: Callable[[str], str]) -> None:
        self.files = files
        self.catalog = catalog
        self.job = job
        self.environment = environment
        self.run_id = run_id
        self.limits = limits
        self.batch_size = batch_size
        self.key = key

    def run(self, archive: Path, *, file_name: str, scratch: Path) -> RunCounts:
        if sniff_kind(archive) is not FileKind.ZIP:
            raise UnsupportedFileError("an attachments import expects a ZIP archive of files (with an optional "
                                       "index.csv or index.xlsx)", file=file_name)
        infos = list_members(archive, limits=self.limits)
        indexes = [info for info in infos if is_index(info.filename)]
        if len(indexes) > 1:
            raise ImportFileError(f"the ZIP archive has {len(indexes)} index files "
                                  f"({', '.join(info.filename for info in indexes)}); at most one is accepted",
                                  file=file_name)
        entries = None
        index_rejected: list[Rejection] = []
        index_name = indexes[0].filename if indexes else None
        if indexes:
            label = f"{file_name}/{index_name}"
            member = extract_member(archive, indexes[0], target=scratch / "index", limits=self.limits)
            with open_source(member.path, file_name=label, limits=self.limits, workdir=scratch) as source:
                rows = [row for table in source.tables for row in table.rows()]
            entries, index_rejected = parse_index(rows, file=label)
        members: list[MemberFile] = []
        paths: dict[str, Path] = {}
        for position, info in enumerate(i for i in infos if not is_index(i.filename)):
            target = scratch / f"attachment-{position:04d}"
            extract_member(archive, info, target=target, limits=self.limits)
            members.append(_member_file(info.filename, target))
            paths[info.filename] = target
            self.job.keep_alive()
        plan = plan_attachments(members, entries, archive=file_name, index_name=index_name)
        plan.rejected[:0] = index_rejected
        # From here on the ZIP is accepted: files first, then the records pointing to them.
        for stored_key, member_name in plan.uploads().items():
            bucket_key = self.key(stored_key)
            if self.files.current_version(key=bucket_key) is None:
                extension = Path(member_name).suffix.lower().removeprefix(".")
                self.files.upload(key=bucket_key, source=paths[member_name], content_type=EXTENSIONS[extension][1])
            self.job.keep_alive()
        counts = RunCounts(read=len(members), rejected=len(plan.rejected))
        for rejection in plan.rejected:
            self.job.message(MessageLevel.ERROR, rejection.reason, file=rejection.file, row=rejection.row,
                             value=rejection.value)
        records = mapped_records(plan, archive=file_name)
        for start in range(0, len(records), self.batch_size):
            outcome = self.catalog.write(environment=self.environment, target=ImportTarget.ATTACHMENTS,
                                         mode=ImportMode.UPSERT, records=records[start:start + self.batch_size],
                                         run_id=self.run_id)
            for record, reason in outcome.refused:
                self.job.message(MessageLevel.ERROR, reason, file=record.file, row=record.row or None)
            counts = counts.add(RunCounts(created=outcome.created, updated=outcome.updated,
                                          unchanged=outcome.unchanged, rejected=len(outcome.refused)))
            self.job.keep_alive()
        return counts


def _member_file(name: str, path: Path) -> MemberFile:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        head = stream.read(SNIFF_BYTES)
        digest.update(head)
        while chunk := stream.read(_HASH_CHUNK):
            digest.update(chunk)
    return MemberFile(name=name, checksum=digest.hexdigest(), head=head)
