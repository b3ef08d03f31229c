"""One ZIP of an attachments import: unpack safely, check, store the files, link them to their articles.

Everything that fails the ZIP *as a whole* (not a ZIP, unsafe or damaged archive, two indexes, an unreadable
index or one without its required columns) happens before the first object or record is written, so such
a file leaves the catalog and ``Attachments/`` untouched. Then each distinct content is put under
``Attachments/<article>/<sha256>.<ext>`` (skipped when already there), and only then the records are
written (a record never points to a missing object). Bad members are rejected one by one with a message
and a line in the rejected-rows file (``rejects``; the import worker publishes it under ``Reports/`` when it
has a line, as for any other import file).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from zipfile import ZipInfo

from pimtasks.domain.run import MessageLevel, RunCounts
from pimtasks.domain.task_types import ImportMode, ImportTarget
from pimtasks.imports.attachments import (
    EXTENSIONS,
    SNIFF_BYTES,
    AttachmentPlan,
    IndexEntry,
    MemberFile,
    Rejection,
    is_index,
    mapped_records,
    parse_index,
    plan_attachments,
    rejected_row,
    rejected_rows_header,
)
from pimtasks.imports.errors import ImportFileError, UnsupportedFileError
from pimtasks.imports.reading import open_source
from pimtasks.imports.reading.archive import extract_member, list_members, open_archive
from pimtasks.imports.reading.limits import ReadLimits
from pimtasks.imports.reading.safe_zip import ZipContainer
from pimtasks.imports.reading.sniffing import FileKind, sniff_kind
from pimtasks.services.catalog_writer import CatalogWriter
from pimtasks.services.ports import FileStorage
from pimtasks.services.run_job import RunJob
from pimtasks.workers.rejected_rows_file import RejectsFile

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

    def run(self, archive: Path, *, file_name: str, scratch: Path, rejects: RejectsFile) -> RunCounts:
        """Import the ZIP ``archive``; every rejection also goes to ``rejects`` (started here)."""
        if sniff_kind(archive, limits=self.limits) is not FileKind.ZIP:
            raise UnsupportedFileError("an attachments import expects a ZIP archive of files (with an optional "
                                       "index.csv or index.xlsx)", file=file_name)
        zipped = open_archive(archive, limits=self.limits)
        infos = list_members(zipped)
        index = _single_index(infos, file_name=file_name)
        entries, index_rejected, index_header = self._read_index(zipped, index, file_name=file_name, scratch=scratch)
        members, paths = self._unpack(zipped, [info for info in infos if not is_index(info.filename)],
                                      scratch=scratch)
        plan = plan_attachments(members, entries, archive=file_name, index_name=index.filename if index else None)
        plan.rejected[:0] = index_rejected
        # From here on the ZIP is accepted: files first, then the records pointing to them.
        self._store(plan, paths)
        rejects.start(header=rejected_rows_header(index_header))
        self._reject(plan.rejected, rejects)
        counts = RunCounts(read=len(members), rejected=len(plan.rejected))
        return counts.add(self._write_records(plan, file_name=file_name, rejects=rejects))

    def _read_index(self, archive: ZipContainer, info: ZipInfo | None, *, file_name: str,
                    scratch: Path) -> tuple[list[IndexEntry] | None, list[Rejection], tuple[str, ...]]:
        """The index's entries (None: no index), its rejected rows and its header.

        The header is kept because the rejected-rows file repeats the index's columns.
        """
        if info is None:
            return None, [], ()
        label = f"{file_name}/{info.filename}"
        member = extract_member(archive, info, target=scratch / "index")
        with open_source(member.path, file_name=label, limits=self.limits, workdir=scratch) as source:
            rows = [row for table in source.tables for row in table.rows()]
            header = source.tables[0].header if source.tables else ()
        entries, rejected = parse_index(rows, file=label)
        return entries, rejected, header

    def _unpack(self, archive: ZipContainer, infos: Sequence[ZipInfo], *,
                scratch: Path) -> tuple[list[MemberFile], dict[str, Path]]:
        members: list[MemberFile] = []
        paths: dict[str, Path] = {}
        for position, info in enumerate(infos):
            target = scratch / f"attachment-{position:04d}"
            extract_member(archive, info, target=target)
            members.append(_member_file(info.filename, target))
            paths[info.filename] = target
            self.job.keep_alive()
        return members, paths

    def _store(self, plan: AttachmentPlan, paths: dict[str, Path]) -> None:
        """Each distinct content once under ``Attachments/``; already there from an earlier run: skipped."""
        for stored_key, member_name in plan.uploads().items():
            bucket_key = self.key(stored_key)
            if self.files.current_version(key=bucket_key) is None:
                extension = Path(member_name).suffix.lower().removeprefix(".")
                self.files.upload(key=bucket_key, source=paths[member_name], content_type=EXTENSIONS[extension][1])
            self.job.keep_alive()

    def _write_records(self, plan: AttachmentPlan, *, file_name: str, rejects: RejectsFile) -> RunCounts:
        counts = RunCounts()
        records = mapped_records(plan, archive=file_name)
        for start in range(0, len(records), self.batch_size):
            outcome = self.catalog.write(environment=self.environment, target=ImportTarget.ATTACHMENTS,
                                         mode=ImportMode.UPSERT, records=records[start:start + self.batch_size],
                                         run_id=self.run_id)
            self._reject([plan.refusal(record, reason, archive=file_name) for record, reason in outcome.refused],
                         rejects)
            counts = counts.add(RunCounts(created=outcome.created, updated=outcome.updated,
                                          unchanged=outcome.unchanged, rejected=len(outcome.refused)))
            self.job.keep_alive()
        return counts

    def _reject(self, rejections: Iterable[Rejection], rejects: RejectsFile) -> None:
        """A run message and a rejected-rows line for each rejection."""
        for rejection in rejections:
            self.job.message(MessageLevel.ERROR, rejection.reason, file=rejection.file, row=rejection.row,
                             value=rejection.value)
            rejects.write([rejected_row(rejection)])


def _single_index(infos: Sequence[ZipInfo], *, file_name: str) -> ZipInfo | None:
    indexes = [info for info in infos if is_index(info.filename)]
    if len(indexes) > 1:
        raise ImportFileError(f"the ZIP archive has {len(indexes)} index files "
                              f"({', '.join(info.filename for info in indexes)}); at most one is accepted",
                              file=file_name)
    return indexes[0] if indexes else None


def _member_file(name: str, path: Path) -> MemberFile:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        head = stream.read(SNIFF_BYTES)
        digest.update(head)
        while chunk := stream.read(_HASH_CHUNK):
            digest.update(chunk)
    return MemberFile(name=name, checksum=digest.hexdigest(), head=head)
