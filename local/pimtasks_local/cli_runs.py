"""The ``pimtasks`` commands that are more than one API call: ``upload`` (a presigned PUT, and with
``--wait`` the AutoImport run it starts, followed to its end) and ``tasks start --wait``.

Progress lines go to stderr, so ``--json`` output on stdout stays one JSON document.
"""

from __future__ import annotations

import argparse
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from pimtasks_local.cli_api import CliError, pages
from pimtasks_local.cli_render import progress_line
from pimtasks_local.http_client import ApiClient, ApiResponse

ACTIVE_STATUSES = ("queued", "running")
RECENT_RUNS = 20
POLL_SECONDS = 0.5
TRANSFER_TIMEOUT_SECONDS = 300


def tasks_path(environment: str, *parts: str) -> str:
    return "/".join([f"/environments/{environment}/tasks", *parts])


def put_file(url: str, path: Path) -> str | None:
    """PUT the file's bytes to a presigned URL, streamed (a binary content type, as browsers and curl send).

    Returns the version id S3 gave the new object (None in a bucket without versioning).
    """
    with path.open("rb") as body:
        request = urllib.request.Request(url, data=body, method="PUT", headers={  # noqa: S310 (the API's own URL)
            "Content-Type": "application/octet-stream", "Content-Length": str(path.stat().st_size)})
        try:
            with urllib.request.urlopen(request, timeout=TRANSFER_TIMEOUT_SECONDS) as response:  # noqa: S310
                response.read()
                version_id = response.headers.get("x-amz-version-id")
        except urllib.error.HTTPError as error:
            raise CliError(f"the upload was refused: {error.code} {error.read()[:300]!r}") from error
    return version_id if version_id and version_id != "null" else None


@dataclass
class ProgressPrinter:
    """Prints a run's status and progress to ``stream`` each time it changes (one line per change)."""

    stream: TextIO = field(default_factory=lambda: sys.stderr)
    last: str | None = None

    def __call__(self, run: dict[str, Any]) -> None:
        line = f"run {run['run_id']}: {progress_line(run)}"
        if line != self.last:
            print(line, file=self.stream, flush=True)
            self.last = line


class Deadline:
    """``timeout`` seconds from now; None waits without limit (Ctrl-C stops the CLI, not the run)."""

    def __init__(self, timeout: float | None) -> None:
        self.timeout = timeout
        self._end = None if timeout is None else time.monotonic() + timeout

    def passed(self) -> bool:
        return self._end is not None and time.monotonic() >= self._end


def follow_run(client: ApiClient, environment: str, run_id: str, *, timeout: float | None,
               on_progress: Callable[[dict[str, Any]], None]) -> ApiResponse:
    """Poll a run until it has ended, reporting each state; its final answer (``CliError`` at the deadline)."""
    deadline = Deadline(timeout)
    while True:
        answer = client.get(f"/environments/{environment}/runs/{urllib.parse.quote(run_id, safe='')}")
        if not answer.ok:
            return answer
        on_progress(answer.body)
        if answer.body.get("status") not in ACTIVE_STATUSES:
            return answer
        if deadline.passed():
            raise CliError(f"run {run_id} has not ended within {timeout:.0f} s; it goes on "
                           f"(`pimtasks runs show {run_id}`)")
        time.sleep(POLL_SECONDS)


def start(client: ApiClient, environment: str, arguments: argparse.Namespace) -> ApiResponse:
    """``tasks start ID [--wait]``: the queued run, or with ``--wait`` the run once it has ended."""
    started = client.post(tasks_path(environment, urllib.parse.quote(arguments.task_id, safe=""), "start"))
    if not started.ok or not arguments.wait:
        return started
    return follow_run(client, environment, started.body["run_id"], timeout=arguments.timeout,
                      on_progress=ProgressPrinter())


@dataclass(frozen=True)
class UploadedObject:
    """The object version a presigned PUT created, as a run records its input (key relative to the environment)."""

    key: str
    version_id: str | None


def upload(client: ApiClient, environment: str, arguments: argparse.Namespace) -> ApiResponse:
    """``upload IMPORT FILE... [--wait]``: the upload ticket, or with ``--wait`` the run of the upload; for
    several files ``{"items": [...]}`` of those, in the order given (each file is put before any is waited for,
    so the import takes them one after another as it would from FTPS)."""
    paths: list[Path] = arguments.files
    _check_files(paths)
    watch: UploadWatch | None = None
    if arguments.wait:  # before the PUT, so the runs that were there already are known
        tasks = pages(client, tasks_path(environment), limit=None)
        if not tasks.ok:
            return tasks
        watch = UploadWatch.of(client, environment, import_name=arguments.import_name, tasks=tasks.body["items"])
    tickets: list[ApiResponse] = []
    uploads: list[UploadedObject] = []
    for path in paths:
        ticket = client.post(f"/environments/{environment}/uploads",
                             {"import_name": arguments.import_name, "file_name": path.name})
        if not ticket.ok:
            return ticket  # the files before it are uploaded (said on stderr), this one and the rest are not
        version_id = put_file(ticket.body["url"], path)
        print(f"uploaded {path} to {ticket.body['key']}" + (f" (version {version_id})" if version_id else ""),
              file=sys.stderr)
        tickets.append(ticket)
        uploads.append(UploadedObject(key=str(ticket.body["key"]).removeprefix(f"environments/{environment}/"),
                                      version_id=version_id))
    if watch is None:
        return _one_or_items(tickets)
    runs = []
    for uploaded in uploads:
        run = watch.wait(uploaded, timeout=arguments.timeout, on_progress=ProgressPrinter())
        if not run.ok:
            return run
        runs.append(run)
    return _one_or_items(runs)


def _check_files(paths: list[Path]) -> None:
    """Every file exists, and no two have the same name (they would be one key: the second replaces the first)."""
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        raise CliError(f"no such file: {', '.join(missing)}")
    names = [path.name for path in paths]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise CliError(f"two files named {', '.join(twice)}: they would go to the same key (upload them one at a "
                       "time, each after the run of the one before)")


def _one_or_items(answers: list[ApiResponse]) -> ApiResponse:
    """One file's answer as it is; several files' as ``{"items": [...]}``."""
    if len(answers) == 1:
        return answers[0]
    return ApiResponse(status=200, body={"items": [answer.body for answer in answers]}, headers={})


@dataclass
class UploadWatch:
    """Waits for the AutoImport run of one upload, identified by the uploaded object itself.

    Only runs that were not there before the upload count (the previous upload's run never does). Of
    those, oldest first, the upload run whose input file is the uploaded key, and the uploaded version
    when both the run and the PUT name one, is the upload's; a run that imported another file is passed
    over. A run that has not recorded its input yet is waited for; one that ended without an input
    (it found the upload gone, e.g. replaced by a newer version) is shown, since it is about this upload.
    """

    client: ApiClient
    environment: str
    import_name: str
    task_ids: list[str]
    earlier_runs: set[str]

    @classmethod
    def of(cls, client: ApiClient, environment: str, *, import_name: str,
           tasks: list[dict[str, Any]]) -> UploadWatch:
        """The AutoImport tasks of ``import_name`` among ``tasks``, and the runs they have before the upload."""
        task_ids = [t["task_id"] for t in tasks
                    if t["type"] == "import" and t["settings"].get("import_name") == import_name
                    and t["settings"].get("auto_import")]
        watch = cls(client=client, environment=environment, import_name=import_name, task_ids=task_ids,
                    earlier_runs=set())
        watch.earlier_runs = {run["run_id"] for task_id in task_ids for run in watch._recent_runs(task_id)}
        return watch

    def wait(self, uploaded: UploadedObject, *, timeout: float | None,
             on_progress: Callable[[dict[str, Any]], None]) -> ApiResponse:
        """The run of ``uploaded`` once it has ended, each state of it reported on the way (``CliError`` when
        ``timeout`` seconds pass first; None waits as long as the run takes)."""
        if not self.task_ids:
            raise CliError(f"no import task named {self.import_name!r} has AutoImport on: start it with "
                           "`pimtasks tasks start TASK_ID` to import the file")
        deadline = Deadline(timeout)
        while not deadline.passed():
            for task_id in self.task_ids:
                run = self._run_of(task_id, uploaded)
                if run is not None:
                    on_progress(run)
                    if run["status"] not in ACTIVE_STATUSES:
                        return self.client.get(f"/environments/{self.environment}/runs/{run['run_id']}")
            time.sleep(POLL_SECONDS)
        raise CliError(f"no finished upload run within {timeout:.0f} s (see `pimtasks runs list TASK_ID`)")

    def _run_of(self, task_id: str, uploaded: UploadedObject) -> dict[str, Any] | None:
        """The upload's run of ``task_id`` (ended or not), None while it is not known yet."""
        for run in reversed(self._recent_runs(task_id)):  # oldest first
            if run["run_id"] in self.earlier_runs or run["trigger"] != "upload":
                continue
            ended = run["status"] not in ACTIVE_STATUSES
            inputs = [f for f in run.get("files") or [] if f.get("role") == "input"]
            if not inputs and not ended:
                return None  # its input is not known yet: it may be this upload's
            if not inputs or any(_is_uploaded(f, uploaded) for f in inputs):
                return run
            self.earlier_runs.add(run["run_id"])  # it imports another file (or another version)
        return None

    def _recent_runs(self, task_id: str) -> list[dict[str, Any]]:
        runs = self.client.get(f"{tasks_path(self.environment, task_id, 'runs')}?limit={RECENT_RUNS}")
        return list(runs.body.get("items", [])) if runs.ok else []


def _is_uploaded(file: dict[str, Any], uploaded: UploadedObject) -> bool:
    """``file`` (a run's input) is the uploaded object: its key, and its version when both sides know one."""
    version = file.get("version_id")
    return bool(file.get("key") == uploaded.key
                and (version is None or uploaded.version_id is None or version == uploaded.version_id))
