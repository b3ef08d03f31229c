"""``pimtasks``: the command line client of the pimtasks API (and of the local stack).

    pimtasks tasks list | show ID | create FILE | start ID | stop ID | delete ID
    pimtasks runs list TASK_ID | show RUN_ID
    pimtasks local fire TASK_ID [--scheduled-time ISO] | local mail

The API URL and key come from ``--api-url``/``--api-key``, else ``PIMTASKS_API_URL``/``PIMTASKS_API_KEY``,
else the ``stack.json`` of a running local stack, else ``http://127.0.0.1:8080``. ``--json`` prints the
API's JSON; otherwise tables. A non-2xx answer prints the API's message and exits 1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from pimtasks_local.http_client import ApiClient, ApiResponse
from pimtasks_local.stack_state import find_state

DEFAULT_API_URL = "http://127.0.0.1:8080"
DEFAULT_ENVIRONMENT = "000001"


class CliError(Exception):
    """A usage or input problem, printed without a traceback."""


def _global_options(*, with_defaults: bool) -> argparse.ArgumentParser:
    """The options every command takes, before or after the command words (``pimtasks tasks list --json``)."""
    options = argparse.ArgumentParser(add_help=False)
    # On the commands themselves the options default to "not given", so they never undo the top-level ones.
    unset: dict[str, Any] = {} if with_defaults else {"default": argparse.SUPPRESS}
    options.add_argument("--api-url", help="API base URL (env PIMTASKS_API_URL, else the running local stack)",
                         **unset)
    options.add_argument("--api-key", help="API key (env PIMTASKS_API_KEY, else the local stack's admin key)",
                         **unset)
    options.add_argument("--env", help=f"environment (env PIMTASKS_ENVIRONMENT, else {DEFAULT_ENVIRONMENT})",
                         **unset)
    options.add_argument("--json", action="store_true", help="print the API's JSON", **unset)
    return options


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pimtasks", description="Manage pimtasks periodic tasks and runs.",
                                     parents=[_global_options(with_defaults=True)])
    common = [_global_options(with_defaults=False)]
    groups = parser.add_subparsers(dest="group", required=True)

    tasks = groups.add_parser("tasks", help="periodic task definitions").add_subparsers(dest="command", required=True)
    tasks.add_parser("list", help="the environment's tasks", parents=common)
    for name, text in (("show", "one task"), ("start", "start a run now"), ("stop", "stop the active run"),
                       ("delete", "delete a task and its schedule")):
        tasks.add_parser(name, help=text, parents=common).add_argument("task_id")
    tasks.add_parser("create", help="create a task from a .json or .yaml file",
                     parents=common).add_argument("file", type=Path)

    runs = groups.add_parser("runs", help="runs of tasks").add_subparsers(dest="command", required=True)
    runs_list = runs.add_parser("list", help="a task's runs, newest first", parents=common)
    runs_list.add_argument("task_id")
    runs_list.add_argument("--limit", type=int, default=20)
    runs.add_parser("show", help="one run", parents=common).add_argument("run_id")

    upload = groups.add_parser("upload", help="upload a file into an import's Uploads folder (presigned PUT)",
                               parents=common)
    upload.add_argument("import_name", help="the import (its folder under Uploads/), e.g. 'Sales conditions APAC'")
    upload.add_argument("file", type=Path)
    upload.add_argument("--wait", action="store_true",
                        help="wait for the AutoImport run the upload starts and show it")
    upload.add_argument("--timeout", type=float, default=120, help="seconds to wait (with --wait)")

    local = groups.add_parser("local", help="the local stack only").add_subparsers(dest="command", required=True)
    fire = local.add_parser("fire", help="fire a task's schedule now, as EventBridge Scheduler would",
                            parents=common)
    fire.add_argument("task_id")
    fire.add_argument("--scheduled-time", help="the <aws.scheduler.scheduled-time> to send (default: this minute)")
    local.add_parser("mail", help="the e-mails the emulator's SES accepted", parents=common)
    return parser


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Run one command; returns the exit status."""
    out = out or sys.stdout
    arguments = _parser().parse_args(argv)
    state = None if (arguments.api_url and arguments.api_key) else find_state()
    api_url = arguments.api_url or os.environ.get("PIMTASKS_API_URL") or (state or {}).get("api_url") or DEFAULT_API_URL
    api_key = arguments.api_key or os.environ.get("PIMTASKS_API_KEY") or (state or {}).get("admin_api_key")
    environment = arguments.env or os.environ.get("PIMTASKS_ENVIRONMENT") or DEFAULT_ENVIRONMENT
    client = ApiClient(api_url, api_key=api_key)
    command = COMMANDS[(arguments.group, getattr(arguments, "command", None))]
    try:
        response = command(client, environment, arguments)
    except CliError as error:
        print(f"pimtasks: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"pimtasks: cannot reach {api_url}: {error}", file=sys.stderr)
        return 1
    if not response.ok:
        print(f"pimtasks: {response.status}: {response.error_message}", file=sys.stderr)
        return 1
    text = (json.dumps(response.body, indent=2) if response.body is not None else "") if arguments.json else (
        RENDERERS[(arguments.group, getattr(arguments, "command", None))](response.body))
    try:
        print(text, file=out)
    except BrokenPipeError:  # `pimtasks ... | head` closed the pipe: not an error
        sys.stderr.close()
    return 0


# --- commands ------------------------------------------------------------------------------------


def _tasks_path(environment: str, *parts: str) -> str:
    return "/".join([f"/environments/{environment}/tasks", *parts])


TASK_PAGE_SIZE = 100


def all_pages(client: ApiClient, path: str, *, page_size: int = TASK_PAGE_SIZE) -> ApiResponse:
    """Every item of a paged listing: its pages followed through ``next_token``, as one answer (or the first
    failed page's answer)."""
    items: list[Any] = []
    token: str | None = None
    while True:
        query = {"limit": str(page_size), **({"next_token": token} if token else {})}
        page = client.get(f"{path}?{urllib.parse.urlencode(query)}")
        if not page.ok:
            return page
        items.extend(page.body.get("items", []))
        token = page.body.get("next_token")
        if not token:
            return ApiResponse(page.status, {"items": items, "next_token": None}, page.headers)


def _read_definition(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise CliError(f"cannot read {path}: {error}") from error
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml  # type: ignore[import-untyped, unused-ignore]

        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise CliError(f"{path} is not valid YAML: {error}") from error
    try:
        return json.loads(text)
    except ValueError as error:
        raise CliError(f"{path} is not valid JSON: {error}") from error


def _put_file(url: str, path: Path) -> str | None:
    """PUT the file's bytes to a presigned URL, streamed (a binary content type, as browsers and curl send).

    Returns the version id S3 gave the new object (None in a bucket without versioning).
    """
    import urllib.error
    import urllib.request

    with path.open("rb") as body:
        request = urllib.request.Request(url, data=body, method="PUT", headers={  # noqa: S310 (the API's own URL)
            "Content-Type": "application/octet-stream", "Content-Length": str(path.stat().st_size)})
        try:
            with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310
                response.read()
                version_id = response.headers.get("x-amz-version-id")
        except urllib.error.HTTPError as error:
            raise CliError(f"the upload was refused: {error.code} {error.read()[:300]!r}") from error
    return version_id if version_id and version_id != "null" else None


ACTIVE_STATUSES = ("queued", "running")
RECENT_RUNS = 20


@dataclass(frozen=True)
class UploadedObject:
    """The object version a presigned PUT created, as a run records its input (key relative to the environment)."""

    key: str
    version_id: str | None


def _upload(client: ApiClient, environment: str, arguments: argparse.Namespace) -> ApiResponse:
    path: Path = arguments.file
    if not path.is_file():
        raise CliError(f"no such file: {path}")
    watch: UploadWatch | None = None
    if arguments.wait:  # before the PUT, so the runs that were there already are known
        tasks = all_pages(client, _tasks_path(environment))
        if not tasks.ok:
            return tasks
        watch = UploadWatch.of(client, environment, import_name=arguments.import_name, tasks=tasks.body["items"])
    ticket = client.post(f"/environments/{environment}/uploads",
                         {"import_name": arguments.import_name, "file_name": path.name})
    if not ticket.ok:
        return ticket
    version_id = _put_file(ticket.body["url"], path)
    print(f"uploaded {path} to {ticket.body['key']}" + (f" (version {version_id})" if version_id else ""),
          file=sys.stderr)
    if watch is None:
        return ticket
    uploaded = UploadedObject(key=str(ticket.body["key"]).removeprefix(f"environments/{environment}/"),
                              version_id=version_id)
    return watch.wait(uploaded, timeout=arguments.timeout)


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

    def wait(self, uploaded: UploadedObject, *, timeout: float) -> ApiResponse:
        """The run of ``uploaded`` once it has ended (``CliError`` after ``timeout`` seconds)."""
        if not self.task_ids:
            raise CliError(f"no import task named {self.import_name!r} has AutoImport on: start it with "
                           "`pimtasks tasks start TASK_ID` to import the file")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for task_id in self.task_ids:
                run_id = self._ended_run_of(task_id, uploaded)
                if run_id is not None:
                    return self.client.get(f"/environments/{self.environment}/runs/{run_id}")
            time.sleep(0.5)
        raise CliError(f"no finished upload run within {timeout:.0f} s (see `pimtasks runs list TASK_ID`)")

    def _ended_run_of(self, task_id: str, uploaded: UploadedObject) -> str | None:
        for run in reversed(self._recent_runs(task_id)):  # oldest first
            if run["run_id"] in self.earlier_runs or run["trigger"] != "upload":
                continue
            ended = run["status"] not in ACTIVE_STATUSES
            inputs = [f for f in run.get("files") or [] if f.get("role") == "input"]
            if not inputs and not ended:
                return None  # its input is not known yet: it may be this upload's
            if not inputs or any(_is_uploaded(f, uploaded) for f in inputs):
                return run["run_id"] if ended else None
            self.earlier_runs.add(run["run_id"])  # it imports another file (or another version)
        return None

    def _recent_runs(self, task_id: str) -> list[dict[str, Any]]:
        runs = self.client.get(f"{_tasks_path(self.environment, task_id, 'runs')}?limit={RECENT_RUNS}")
        return list(runs.body.get("items", [])) if runs.ok else []


def _is_uploaded(file: dict[str, Any], uploaded: UploadedObject) -> bool:
    """``file`` (a run's input) is the uploaded object: its key, and its version when both sides know one."""
    version = file.get("version_id")
    return bool(file.get("key") == uploaded.key
                and (version is None or uploaded.version_id is None or version == uploaded.version_id))


Command = Callable[[ApiClient, str, argparse.Namespace], ApiResponse]

COMMANDS: dict[tuple[str, str | None], Command] = {
    ("tasks", "list"): lambda c, env, a: all_pages(c, _tasks_path(env)),
    ("tasks", "show"): lambda c, env, a: c.get(_tasks_path(env, a.task_id)),
    ("tasks", "create"): lambda c, env, a: c.post(_tasks_path(env), _read_definition(a.file)),
    ("tasks", "start"): lambda c, env, a: c.post(_tasks_path(env, a.task_id, "start")),
    ("tasks", "stop"): lambda c, env, a: c.post(_tasks_path(env, a.task_id, "stop")),
    ("tasks", "delete"): lambda c, env, a: c.request("DELETE", _tasks_path(env, a.task_id)),
    ("runs", "list"): lambda c, env, a: c.get(f"{_tasks_path(env, a.task_id, 'runs')}?limit={a.limit}"),
    ("runs", "show"): lambda c, env, a: c.get(f"/environments/{env}/runs/{a.run_id}"),
    ("local", "fire"): lambda c, env, a: c.post(
        f"/_local/fire/{env}/{a.task_id}", {"scheduled_time": a.scheduled_time} if a.scheduled_time else None),
    ("local", "mail"): lambda c, env, a: c.get("/_local/mail"),
    ("upload", None): _upload,
}


# --- rendering -----------------------------------------------------------------------------------


def table(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> str:
    """Rows as an aligned text table with the given (key, heading) columns."""
    if not rows:
        return "(none)"
    cells = [[heading for _, heading in columns]] + [[_cell(row.get(key)) for key, _ in columns] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    return "\n".join("  ".join(value.ljust(width) for value, width in zip(line, widths, strict=True)).rstrip()
                     for line in cells)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def describe_frequency(frequency: dict[str, Any] | None) -> str:
    """``week MON,THU 12:53 Europe/Amsterdam``-style summary of a frequency."""
    if not frequency:
        return "-"
    every = frequency.get("every")
    parts = [str(every)]
    if every == "minutes":
        parts = [f"every {frequency.get('interval')} min"]
    elif every == "hour":
        parts = [f"hourly at :{int(frequency.get('minute', 0)):02d}"]
    elif every == "week":
        parts.append(",".join(frequency.get("days") or []))
    elif every == "month":
        parts.append(f"day {frequency.get('day_of_month')}")
    elif every == "once":
        parts.append(str(frequency.get("date")))
    if frequency.get("time"):
        parts.append(str(frequency["time"]))
    parts.append(str(frequency.get("timezone", "")))
    return " ".join(p for p in parts if p)


def _details(item: dict[str, Any], keys: list[str]) -> str:
    width = max(len(key) for key in keys)
    lines = []
    for key in keys:
        if key not in item:
            continue
        value = item[key]
        text = describe_frequency(value) if key == "frequency" else (
            json.dumps(value, indent=2) if isinstance(value, (dict, list)) else _cell(value))
        text = text.replace("\n", "\n" + " " * (width + 2))
        lines.append(f"{key.ljust(width)}  {text}")
    return "\n".join(lines)


def _render_tasks(body: Any) -> str:
    rows = [{**task, "frequency": describe_frequency(task.get("frequency")),
             "last": (task.get("last_run") or {}).get("status")} for task in body.get("items", [])]
    return table(rows, [("task_id", "TASK ID"), ("type", "TYPE"), ("active", "ACTIVE"), ("sequence_no", "SEQ"),
                        ("frequency", "FREQUENCY"), ("next_run_at", "NEXT RUN"), ("last", "LAST RUN"),
                        ("description", "DESCRIPTION")])


def _render_task(body: Any) -> str:
    return _details(body, ["task_id", "environment", "type", "description", "active", "frequency", "sequence_no",
                           "next_run_at", "notification", "settings", "last_run", "created_at", "updated_at"])


def _render_run(body: Any) -> str:
    """A run as its report reads: the facts, counts on one line, then one line per message and file."""
    from pimtasks.domain.run import RunMessage
    from pimtasks.services.run_report import location_text

    counts = body.get("counts") or {}
    facts = {**body, "counts": ", ".join(f"{name} {counts.get(name, 0)}"
                                         for name in ("read", "created", "updated", "unchanged", "rejected"))}
    text = _details(facts, ["run_id", "task_id", "task_type", "trigger", "status", "scheduled_time", "created_at",
                            "started_at", "ended_at", "progress_text", "counts", "error"])
    messages = [RunMessage.model_validate(m) for m in body.get("messages") or []]
    if messages:
        text += "\n\nmessages:\n" + "\n".join(f"  [{m.level.value}] {location_text(m)}{m.text}" for m in messages)
    if body.get("files"):
        text += "\n\nfiles:\n" + "\n".join(f"  {f['role']}: {f['key']}" for f in body["files"])
    return text


def _render_runs(body: Any) -> str:
    rows = [{**run, "read": (run.get("counts") or {}).get("read")} for run in body.get("items", [])]
    return table(rows, [("run_id", "RUN ID"), ("status", "STATUS"), ("trigger", "TRIGGER"),
                        ("scheduled_time", "SCHEDULED"), ("started_at", "STARTED"), ("ended_at", "ENDED"),
                        ("read", "READ"), ("error", "ERROR")])


def _render_deleted(_: Any) -> str:
    return "deleted"


def _render_fired(body: Any) -> str:
    return (f"fired {body.get('schedule')} for {body.get('scheduled_time')}\n"
            f"-> {body.get('function')}\n{json.dumps(body.get('payload'), indent=2)}")


def _render_mail(body: Any) -> str:
    if not body:
        return "(no e-mails)"
    blocks = []
    for mail in body:
        blocks.append(f"From:    {mail.get('from')}\nTo:      {', '.join(mail.get('to') or [])}\n"
                      f"Date:    {mail.get('timestamp')}\nSubject: {mail.get('subject')}\n\n{mail.get('body')}")
    return ("\n" + "-" * 72 + "\n").join(blocks)


RENDERERS: dict[tuple[str, str | None], Callable[[Any], str]] = {
    ("tasks", "list"): _render_tasks,
    ("tasks", "show"): _render_task,
    ("tasks", "create"): _render_task,
    ("tasks", "start"): _render_run,
    ("tasks", "stop"): _render_run,
    ("tasks", "delete"): _render_deleted,
    ("runs", "list"): _render_runs,
    ("runs", "show"): _render_run,
    ("local", "fire"): _render_fired,
    ("local", "mail"): _render_mail,
    ("upload", None): lambda body: _render_run(body) if "run_id" in (body or {}) else f"uploaded to {body['key']}",
}
