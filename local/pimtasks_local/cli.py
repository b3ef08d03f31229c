"""``pimtasks``: the command line client of the pimtasks API (deployed, or the local stack).

    pimtasks tasks list | show | create | update | patch | activate | deactivate | delete | start | stop
    pimtasks runs list TASK_ID | show RUN_ID          pimtasks upload IMPORT FILE... [--wait]
    pimtasks files list [--folder F] | get KEY [-o PATH]
    pimtasks environments | api-keys | secrets | ftps-users | catalog | invoices | etim ...
    pimtasks local fire TASK_ID | local mail          pimtasks completion bash|zsh    pimtasks --version

Most commands are one API operation each (the table in ``cli_api``); ``pimtasks COMMAND --help`` says
which. Where to connect: ``--api-url``/``--api-key``, else ``PIMTASKS_API_URL``/``PIMTASKS_API_KEY``, else
the ``stack.json`` of a running local stack (``--state-dir``/``PIMTASKS_STATE_DIR``, as given to
``python -m pimtasks_local``; else ``.pimtasks/local`` here or above), else ``http://127.0.0.1:8080``.
``--json`` prints the API's JSON; otherwise tables.

Exit status: 0 done; 1 the API refused (its message is printed), it could not be reached, or a run waited
for failed or was stopped; 2 a usage or input error; 3 a run waited for partially succeeded (some rows
rejected); 130 interrupted (a run waited for goes on).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Any, TextIO

from pimtasks_local import cli_render as render
from pimtasks_local.cli_api import OPERATIONS, CliError, Operation, pages
from pimtasks_local.cli_completion import SCRIPTS
from pimtasks_local.cli_files import get_file
from pimtasks_local.cli_runs import put_file, start, upload
from pimtasks_local.http_client import ApiClient, ApiResponse
from pimtasks_local.stack_state import DEFAULT_STATE_DIR, find_state

DEFAULT_API_URL = "http://127.0.0.1:8080"
DEFAULT_ENVIRONMENT = "000001"
TASK_PAGE_SIZE = 100
EXIT_FAILED_RUN = {"failed": 1, "cancelled": 1, "partially_succeeded": 3}

# Kept under their former names: the benchmarks and older tests import them from here.
table = render.table
describe_frequency = render.describe_frequency
_put_file = put_file

Command = Callable[[ApiClient, str, argparse.Namespace], ApiResponse]


@dataclass(frozen=True)
class CustomCommand:
    """A command that is not a single API call (``cli_runs``), or not an API call at all."""

    run: Command
    render: render.Renderer


def all_pages(client: ApiClient, path: str, *, page_size: int = TASK_PAGE_SIZE) -> ApiResponse:
    """Every item of a paged listing: its pages followed through ``next_token``, as one answer (or the first
    failed page's answer)."""
    del page_size  # pages() asks for the largest page the API gives
    return pages(client, path, limit=None)


def _version() -> str:
    try:
        return metadata.version("pimtasks")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


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
    options.add_argument("--state-dir", type=Path, metavar="DIR",
                         help="the local stack's state directory, as given to `python -m pimtasks_local "
                              f"--state-dir` (env PIMTASKS_STATE_DIR, else {DEFAULT_STATE_DIR} here or above)",
                         **unset)
    options.add_argument("--json", action="store_true", help="print the API's JSON", **unset)
    return options


def _add_operation(commands: Any, operation: Operation, common: list[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(operation.name, help=operation.help, parents=common,
                                 description=f"{operation.help}.\nAPI: {operation.method} {operation.path}",
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_arguments(parser, operation)


def _add_arguments(parser: argparse.ArgumentParser, operation: Operation) -> None:
    for name in operation.path_parameters:
        if name == "env":
            parser.add_argument("env_word", nargs="?", metavar="ENVIRONMENT", help="default: --env")
        else:
            parser.add_argument(name, metavar=name.upper())
    for option in operation.options:
        parser.add_argument(*option.flags, **option.kwargs)
    if operation.paging is not None:
        default = operation.paging.default_limit
        parser.add_argument("--limit", type=_positive, metavar="N",
                            help=f"show at most N items (default: {default or 'all'}), following the pages")
        parser.add_argument("--all", action="store_true", help="every item, however many pages")
        parser.add_argument("--cursor", metavar="TOKEN", help="continue where an earlier listing stopped")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"not a positive number: {text!r}")
    return value


def _parser() -> tuple[argparse.ArgumentParser, dict[tuple[str, str], Operation | CustomCommand]]:
    parser = argparse.ArgumentParser(prog="pimtasks", description="Manage pimtasks periodic tasks and runs.",
                                     parents=[_global_options(with_defaults=True)])
    parser.add_argument("--version", action="version", version=f"pimtasks {_version()}")
    common = [_global_options(with_defaults=False)]
    groups = parser.add_subparsers(dest="group", required=True, metavar="COMMAND")
    handlers: dict[tuple[str, str], Operation | CustomCommand] = {}
    group_parsers: dict[str, Any] = {}
    for operation in OPERATIONS:
        handlers[(operation.group, operation.name)] = operation
        if not operation.name:  # a one-word command (`pimtasks health`)
            _add_arguments(groups.add_parser(operation.group, help=operation.help, parents=common), operation)
            continue
        if operation.group not in group_parsers:
            group_parsers[operation.group] = groups.add_parser(operation.group, help=_GROUP_HELP[operation.group]) \
                .add_subparsers(dest="command", required=True, metavar="COMMAND")
        _add_operation(group_parsers[operation.group], operation, common)
    _add_custom_commands(groups, group_parsers, common, handlers)
    return parser, handlers


_GROUP_HELP = {
    "tasks": "periodic task definitions", "runs": "runs of tasks", "environments": "environments (tenants)",
    "api-keys": "API keys (admin key)", "secrets": "credentials task settings name (write-only)",
    "ftps-users": "FTPS users that deliver files",
    "catalog": "the catalog: its records (read, remove) and the fields a layout can map",
    "etim": "the ETIM model of the environment", "invoices": "invoices received from Art-Connect",
    "files": "the environment's files (folders, downloads)",
    "feeds": "feed tokens (channels read the feeds with them)",
    "local": "the local stack only",
}


def _add_custom_commands(groups: Any, group_parsers: dict[str, Any], common: list[argparse.ArgumentParser],
                         handlers: dict[tuple[str, str], Operation | CustomCommand]) -> None:
    """The commands that are more than (or other than) one API call."""
    start_parser = group_parsers["tasks"].choices["start"]
    start_parser.add_argument("--wait", action="store_true", help="follow the run, showing its progress, until "
                                                                  "it ends; exit non-zero when it failed")
    start_parser.add_argument("--timeout", type=float, metavar="SECONDS", help="stop waiting after SECONDS "
                                                                              "(default: as long as the run takes)")
    handlers[("tasks", "start")] = CustomCommand(start, render.render_run)
    files_get = handlers[("files", "get")]
    assert isinstance(files_get, Operation)
    handlers[("files", "get")] = CustomCommand(partial(get_file, files_get), files_get.render)

    up = groups.add_parser("upload", parents=common,
                           help="upload files into an import's Uploads folder (presigned PUT)")
    up.add_argument("import_name", help="the import (its folder under Uploads/), e.g. 'Sales conditions APAC'")
    up.add_argument("files", type=Path, nargs="+", metavar="FILE")
    up.add_argument("--wait", action="store_true", help="follow the AutoImport run of each upload, showing "
                                                        "its progress, until it ends; exit non-zero when one failed")
    up.add_argument("--timeout", type=float, metavar="SECONDS",
                    help="stop waiting for a run after SECONDS (default: as long as the run takes)")
    handlers[("upload", "")] = CustomCommand(upload, _render_uploads)

    local = groups.add_parser("local", help=_GROUP_HELP["local"]).add_subparsers(dest="command", required=True,
                                                                                metavar="COMMAND")
    fire = local.add_parser("fire", help="fire a task's schedule now, as EventBridge Scheduler would",
                            parents=common)
    fire.add_argument("task_id", metavar="TASK_ID")
    fire.add_argument("--scheduled-time", help="the <aws.scheduler.scheduled-time> to send (default: this minute)")
    handlers[("local", "fire")] = CustomCommand(lambda c, env, a: c.post(
        f"/_local/fire/{env}/{a.task_id}", {"scheduled_time": a.scheduled_time} if a.scheduled_time else None),
        render.render_fired)
    local.add_parser("mail", help="the e-mails the emulator's SES accepted", parents=common)
    handlers[("local", "mail")] = CustomCommand(lambda c, env, a: c.get("/_local/mail"), render.render_mail)

    completion = groups.add_parser("completion", help="print a shell completion script",
                                   description="bash: `source <(pimtasks completion bash)` (or save it into "
                                               "/etc/bash_completion.d/); zsh: `source <(pimtasks completion zsh)` "
                                               "in ~/.zshrc")
    completion.add_argument("shell", choices=sorted(SCRIPTS))


@dataclass(frozen=True)
class Connection:
    api_url: str
    api_key: str | None
    environment: str


def connection(arguments: argparse.Namespace) -> Connection:
    """Where to send requests, and with which key (see the module docstring for the order)."""
    state_dir = arguments.state_dir or (Path(os.environ["PIMTASKS_STATE_DIR"])
                                        if os.environ.get("PIMTASKS_STATE_DIR") else None)
    api_url = arguments.api_url or os.environ.get("PIMTASKS_API_URL")
    api_key = arguments.api_key or os.environ.get("PIMTASKS_API_KEY")
    state = None if (api_url and api_key) else find_state(state_dir=state_dir)
    if state is None and state_dir is not None and not (api_url and api_key):
        raise CliError(f"no local stack is running with state directory {state_dir} (start it with "
                       f"`python -m pimtasks_local --state-dir {state_dir}`, or give --api-url and --api-key)")
    state = state or {}
    return Connection(api_url=api_url or state.get("api_url") or DEFAULT_API_URL,
                      api_key=api_key or state.get("admin_api_key"),
                      environment=arguments.env or os.environ.get("PIMTASKS_ENVIRONMENT") or DEFAULT_ENVIRONMENT)


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Run one command; returns the exit status."""
    out = out or sys.stdout
    parser, handlers = _parser()
    arguments = parser.parse_args(argv)
    if arguments.group == "completion":
        print(SCRIPTS[arguments.shell](parser), file=out, end="")
        return 0
    handler = handlers[(arguments.group, getattr(arguments, "command", None) or "")]
    where = Connection(api_url=DEFAULT_API_URL, api_key=None, environment=DEFAULT_ENVIRONMENT)
    try:
        where = connection(arguments)
        client = ApiClient(where.api_url, api_key=where.api_key)
        environment = getattr(arguments, "env_word", None) or where.environment
        response = (handler.run(client, environment, arguments) if isinstance(handler, CustomCommand)
                    else handler.call(client, environment, arguments))
    except CliError as error:
        print(f"pimtasks: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"pimtasks: cannot reach {where.api_url}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("pimtasks: interrupted (a run started goes on)", file=sys.stderr)
        return 130
    if not response.ok:
        print(f"pimtasks: {response.status}: {response.error_message}", file=sys.stderr)
        return 1
    _print(_text(response.body, arguments, handler.render), out)
    if isinstance(handler, Operation) and handler.paging is not None and response.body.get("next_token") \
            and not arguments.json:
        print(f"(more: add --cursor {response.body['next_token']})", file=sys.stderr)
    return _exit_status(arguments, response.body)


def _text(body: Any, arguments: argparse.Namespace, renderer: render.Renderer) -> str:
    if arguments.json:
        return json.dumps(body, indent=2) if body is not None else ""
    return renderer(body)


def _print(text: str, out: TextIO) -> None:
    if not text:
        return
    try:
        print(text, file=out)
    except BrokenPipeError:  # `pimtasks ... | head` closed the pipe: not an error
        sys.stderr.close()


def _render_uploads(body: Any) -> str:
    """``upload``: the run of each file (``--wait``), else where each went."""
    def one(item: Any) -> str:
        return render.render_run(item) if "run_id" in (item or {}) else f"uploaded to {item['key']}"
    items = body["items"] if isinstance(body, dict) and "items" in body else [body]
    return ("\n\n" if any("run_id" in (item or {}) for item in items) else "\n").join(one(item) for item in items)


def _exit_status(arguments: argparse.Namespace, body: Any) -> int:
    """Non-zero when a run was waited for and did not succeed (see the module docstring); of several runs
    (``upload`` of several files), a failed one before a partially succeeded one."""
    if not getattr(arguments, "wait", False) or not isinstance(body, dict):
        return 0
    runs = body["items"] if "items" in body and "run_id" not in body else [body]
    statuses = []
    for run in runs:
        status = EXIT_FAILED_RUN.get(str(run.get("status")), 0)
        if status:
            print(f"pimtasks: run {run.get('run_id')} {run.get('status')}" +
                  (f": {run['error']}" if run.get("error") else ""), file=sys.stderr)
        statuses.append(status)
    return 1 if 1 in statuses else max(statuses, default=0)
