"""The ``pimtasks`` commands that are one API operation each, as a table.

An ``Operation`` names its command words, the API's method and path (as openapi.json writes it), the
options that become query parameters, how the request body is made, and how the answer prints. Path
placeholders become positional arguments (``{task_id}`` -> ``TASK_ID``), except ``{env}``, which is the
``--env`` option. A unit test checks this table against openapi.json both ways, so an API operation without
a command (or a command whose operation is gone) fails the build instead of going unnoticed.
"""

from __future__ import annotations

import argparse
import getpass
import json
import re
import sys
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pimtasks_local import cli_render as render
from pimtasks_local.http_client import ApiClient, ApiResponse

MAX_PAGE_SIZE = 100
GREEDY_PARAMETERS = ("file_key",)
"""Path placeholders that hold slashes (a file key): quoted segment by segment, as the API routes them."""
MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}


class CliError(Exception):
    """A usage or input problem, printed without a traceback (exit status 2)."""


@dataclass(frozen=True)
class Option:
    """A command option: argparse's flags and keywords, and the query parameter it fills (if any)."""

    flags: tuple[str, ...]
    query: str | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def dest(self) -> str:
        return str(self.kwargs.get("dest") or self.flags[0].lstrip("-").replace("-", "_"))


@dataclass(frozen=True)
class Paging:
    """A listing the CLI pages through: ``--limit`` items in all (default ``default_limit``; None: every
    item), from ``--cursor``, following the answer's next token in the query parameter ``cursor_param``."""

    default_limit: int | None
    cursor_param: str = "next_token"
    lists: tuple[str, ...] = ("items",)
    """The answer's lists that pages add up (a folder listing has its files and its subfolders)."""


BodyBuilder = Callable[[argparse.Namespace], Any]


@dataclass(frozen=True)
class Operation:
    """``pimtasks GROUP NAME ...``: one call of ``METHOD path``."""

    group: str
    name: str
    method: str
    path: str
    help: str
    render: render.Renderer = render.render_any
    options: tuple[Option, ...] = ()
    body: BodyBuilder | None = None
    headers: dict[str, str] = field(default_factory=dict)
    paging: Paging | None = None
    positional_env: bool = False  # ``environments show [ENV]``: the environment as a word, not --env

    @property
    def path_parameters(self) -> list[str]:
        """The path's placeholders filled from positional arguments, in order."""
        names = re.findall(r"{(\w+)}", self.path)
        return [name for name in names if name != "env" or self.positional_env]

    def url(self, environment: str, arguments: argparse.Namespace) -> str:
        """The path with its placeholders filled in (each URL-quoted) and the query of the given options."""
        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            text = environment if name == "env" else str(getattr(arguments, name))
            return urllib.parse.quote(text, safe="/" if name in GREEDY_PARAMETERS else "")

        path = re.sub(r"{(\w+)}", value, self.path)
        query = query_of(self.options, arguments)
        return f"{path}?{urllib.parse.urlencode(query)}" if query else path

    def call(self, client: ApiClient, environment: str, arguments: argparse.Namespace) -> ApiResponse:
        """Send the request (every page of it, for a paged listing)."""
        url = self.url(environment, arguments)
        if self.paging is not None:
            limit = None if arguments.all else (arguments.limit or self.paging.default_limit)
            return pages(client, url, limit=limit, cursor=arguments.cursor, cursor_param=self.paging.cursor_param,
                         lists=self.paging.lists)
        body = self.body(arguments) if self.body is not None else None
        return client.request(self.method, url, body, headers=self.headers or None)


def query_of(options: tuple[Option, ...], arguments: argparse.Namespace) -> list[tuple[str, str]]:
    """The query parameters of the options given (repeated options repeat the parameter)."""
    query: list[tuple[str, str]] = []
    for option in options:
        given = getattr(arguments, option.dest, None)
        if option.query is None or given is None:
            continue
        for value in given if isinstance(given, list) else [given]:
            if option.query == "*":  # FIELD=VALUE filters: the field is the parameter
                name, _, text = str(value).partition("=")
                query.append((name, text))
            else:
                query.append((option.query, str(value)))
    return query


def pages(client: ApiClient, url: str, *, limit: int | None, cursor: str | None = None,
          cursor_param: str = "next_token", lists: tuple[str, ...] = ("items",)) -> ApiResponse:
    """Up to ``limit`` items (all when None) of a paged listing from ``cursor`` on, its pages followed, as one
    answer whose ``next_token`` continues where it stopped (or the first failed page's answer). The ``lists``
    after the first (``items``) are added up too, and count towards ``limit``."""
    items: list[Any] = []
    others: dict[str, list[Any]] = {name: [] for name in lists[1:]}
    first: dict[str, Any] | None = None
    token = cursor
    separator = "&" if "?" in url else "?"
    while True:
        shown = len(items) + sum(len(values) for values in others.values())
        size = MAX_PAGE_SIZE if limit is None else max(1, min(MAX_PAGE_SIZE, limit - shown))
        query = {"limit": str(size), **({cursor_param: token} if token else {})}
        page = client.get(f"{url}{separator}{urllib.parse.urlencode(query)}")
        if not page.ok:
            return page
        first = first if first is not None else dict(page.body)
        items.extend(page.body.get(lists[0], []))
        for name, values in others.items():
            values.extend(page.body.get(name, []))
        token = page.body.get("next_token") or page.body.get("next_cursor")
        shown = len(items) + sum(len(values) for values in others.values())
        if not token or (limit is not None and shown >= limit):
            return ApiResponse(page.status, {**first, lists[0]: items, **others, "next_token": token or None},
                               page.headers)


# --- request bodies ------------------------------------------------------------------------------------------


def read_document(path: Path) -> Any:
    """A .json or .yaml/.yml file (``-``: JSON or YAML from stdin), parsed."""
    name = "stdin" if str(path) == "-" else str(path)
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except OSError as error:
        raise CliError(f"cannot read {path}: {error}") from error
    if str(path) == "-" or path.suffix.lower() in (".yaml", ".yml"):
        import yaml  # type: ignore[import-untyped, unused-ignore]

        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise CliError(f"{name} is not valid YAML: {error}") from error
    try:
        return json.loads(text)
    except ValueError as error:
        raise CliError(f"{name} is not valid JSON: {error}") from error


def read_secret(path: Path | None, *, what: str) -> str:
    """A secret from a file (``-``: stdin), else typed at a prompt: never from the command line, where
    ``ps`` and the shell history would keep it. One trailing newline is dropped."""
    if path is None:
        if not sys.stdin.isatty():
            return sys.stdin.read().removesuffix("\n")
        return getpass.getpass(f"{what}: ")
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except OSError as error:
        raise CliError(f"cannot read {path}: {error}") from error
    return text.removesuffix("\n")


def assignment(text: str) -> tuple[list[str], Any]:
    """``settings.auto_import=true`` -> (["settings", "auto_import"], True): the value as JSON when it is
    JSON (numbers, true/false/null, objects), else as the string it is."""
    name, equals, raw = text.partition("=")
    if not equals or not name:
        raise argparse.ArgumentTypeError(f"not FIELD=VALUE: {text!r}")
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    return name.split("."), value


def _patch_body(arguments: argparse.Namespace) -> dict[str, Any]:
    """A merge patch from FILE and the ``--set`` assignments (applied over the file's fields)."""
    patch = read_document(arguments.file) if arguments.file is not None else {}
    if not isinstance(patch, dict):
        raise CliError(f"{arguments.file} must hold an object of the fields to change")
    for names, value in arguments.set or []:
        target = patch
        for name in names[:-1]:
            target = target.setdefault(name, {})
            if not isinstance(target, dict):
                raise CliError(f"--set {'.'.join(names)}: {name} is not an object")
        target[names[-1]] = value
    if not patch:
        raise CliError("nothing to change: give a FILE or --set FIELD=VALUE")
    return patch


def _password_body(arguments: argparse.Namespace) -> dict[str, Any]:
    """A given password (from a file or stdin), or none, which has the API generate one."""
    body: dict[str, Any] = {"username": arguments.username} if arguments.command == "create" else {}
    if arguments.password_file is not None:
        body["password"] = read_secret(arguments.password_file, what="password")
    return body


# --- the table -----------------------------------------------------------------------------------------------

TASK = "/environments/{env}/tasks/{task_id}"
ETIM_RELEASE = Option(("--release",), "release", {"help": "e.g. ETIM-9.0 (default: the newest)"})
ETIM_LANGUAGE = Option(("--language",), "language", {"help": "e.g. EN, nl-NL (default: the environment's)"})
FILE_ARGUMENT = Option(("file",), kwargs={"type": Path, "metavar": "FILE",
                                          "help": "a .json or .yaml file (- for stdin)"})
PASSWORD_FILE = Option(("--password-file",), kwargs={
    "type": Path, "metavar": "PATH", "help": "read the password from PATH (- for stdin); omit it to have a "
                                             "strong one generated and shown once"})


def _etim_entity(kind: str, plural: str, text: str) -> Operation:
    return Operation("etim", kind, "GET", f"/environments/{{env}}/etim/{plural}/{{code}}", text,
                     options=(ETIM_RELEASE, ETIM_LANGUAGE))


OPERATIONS: tuple[Operation, ...] = (
    Operation("health", "", "GET", "/health", "whether the API answers (no key needed)"),
    # environments and keys
    Operation("environments", "list", "GET", "/environments", "the environments this key may use"),
    Operation("environments", "show", "GET", "/environments/{env}", "one environment (default: --env)",
              positional_env=True),
    Operation("environments", "create", "POST", "/environments", "create an environment (admin key)",
              options=(Option(("environment",), kwargs={"help": "six digits, e.g. 000002"}),
                       Option(("--name",), kwargs={"required": True}),
                       Option(("--timezone",), kwargs={"help": "IANA name (default: Europe/Amsterdam)"})),
              body=lambda a: {"environment": a.environment, "name": a.name,
                              **({"timezone": a.timezone} if a.timezone else {})}),
    Operation("api-keys", "list", "GET", "/api-keys", "API keys, without their secrets (admin key)"),
    Operation("api-keys", "create", "POST", "/api-keys", "issue an API key bound to environments (admin key)",
              render=render.render_shown_once("API key"),
              options=(Option(("environments",), kwargs={"nargs": "*", "metavar": "ENVIRONMENT"}),
                       Option(("--admin",), kwargs={"action": "store_true", "help": "may manage keys and "
                                                    "environments"}),
                       Option(("--description",), kwargs={"default": ""})),
              body=lambda a: {"environments": a.environments, "admin": a.admin, "description": a.description}),
    Operation("api-keys", "delete", "DELETE", "/api-keys/{key_id}", "revoke an API key (admin key)",
              render=render.render_done("revoked")),
    # secrets and FTPS users
    Operation("secrets", "list", "GET", "/environments/{env}/secrets", "the names of the environment's secrets"),
    Operation("secrets", "set", "PUT", "/environments/{env}/secrets/{name}",
              "set a secret; its value is read from --value-file, stdin or a prompt (never an argument)",
              options=(Option(("--value-file",), kwargs={"type": Path, "metavar": "PATH",
                                                         "help": "read the value from PATH (- for stdin)"}),),
              body=lambda a: {"value": read_secret(a.value_file, what=f"value of secret {a.name}")}),
    Operation("secrets", "delete", "DELETE", "/environments/{env}/secrets/{name}", "delete a secret",
              render=render.render_done("deleted")),
    Operation("ftps-users", "list", "GET", "/environments/{env}/ftps-users", "the environment's FTPS users"),
    Operation("ftps-users", "create", "POST", "/environments/{env}/ftps-users", "create an FTPS user",
              render=render.render_shown_once("password"),
              options=(Option(("username",)), PASSWORD_FILE), body=_password_body),
    Operation("ftps-users", "delete", "DELETE", "/environments/{env}/ftps-users/{username}",
              "delete an FTPS user", render=render.render_done("deleted")),
    Operation("ftps-users", "reset-password", "POST", "/environments/{env}/ftps-users/{username}/reset-password",
              "set a new password", render=render.render_shown_once("password"), options=(PASSWORD_FILE,),
              body=_password_body),
    # tasks and runs
    Operation("tasks", "list", "GET", "/environments/{env}/tasks", "the environment's tasks",
              render=render.render_tasks, paging=Paging(default_limit=None)),
    Operation("tasks", "show", "GET", TASK, "one task", render=render.render_task),
    Operation("tasks", "create", "POST", "/environments/{env}/tasks", "create a task from a .json or .yaml file",
              render=render.render_task, options=(FILE_ARGUMENT,), body=lambda a: read_document(a.file)),
    Operation("tasks", "update", "PUT", TASK, "replace a task's definition with a .json or .yaml file",
              render=render.render_task, options=(FILE_ARGUMENT,), body=lambda a: read_document(a.file)),
    Operation("tasks", "patch", "PATCH", TASK,
              "change some fields: a JSON merge patch from FILE and/or --set FIELD=VALUE",
              render=render.render_task, headers=MERGE_PATCH, body=_patch_body,
              options=(Option(("file",), kwargs={"type": Path, "nargs": "?", "metavar": "FILE",
                                                 "help": "a .json or .yaml patch (- for stdin)"}),
                       Option(("--set",), kwargs={"type": assignment, "action": "append", "metavar": "FIELD=VALUE",
                                                  "help": "e.g. settings.auto_import=true (repeatable; "
                                                          "VALUE is JSON when it parses as JSON)"}))),
    Operation("tasks", "activate", "PATCH", TASK, "activate a task (its schedule runs)",
              render=render.render_task, headers=MERGE_PATCH, body=lambda a: {"active": True}),
    Operation("tasks", "deactivate", "PATCH", TASK, "deactivate a task (its schedule is paused)",
              render=render.render_task, headers=MERGE_PATCH, body=lambda a: {"active": False}),
    Operation("tasks", "delete", "DELETE", TASK, "delete a task and its schedule",
              render=render.render_done("deleted")),
    Operation("tasks", "start", "POST", f"{TASK}/start", "start a run now (--wait: follow it to its end)",
              render=render.render_run),
    Operation("tasks", "stop", "POST", f"{TASK}/stop", "stop the active run", render=render.render_run),
    Operation("runs", "list", "GET", f"{TASK}/runs", "a task's runs, newest first", render=render.render_runs,
              paging=Paging(default_limit=20)),
    Operation("runs", "show", "GET", "/environments/{env}/runs/{run_id}", "one run, with its messages",
              render=render.render_run),
    # catalog
    Operation("catalog", "list", "GET", "/environments/{env}/catalog/{entity}",
              "catalog records (ENTITY: products, sales_conditions, attachments or users) in change order",
              paging=Paging(50, "cursor"),
              options=(Option(("--changed-since",), "changed_since",
                              {"metavar": "RFC3339", "help": "only what changed at or after this time (e.g. "
                                                             "2026-12-01T00:00:00Z), removals included"}),
                       Option(("--filter",), "*", {"action": "append", "metavar": "FIELD=VALUE",
                                                  "help": "only records whose FIELD is VALUE (repeatable)"}))),
    Operation("catalog", "show", "GET", "/environments/{env}/catalog/{entity}/{record_id}",
              "one catalog record (RECORD_ID as `catalog list` shows it: a product's article number, a user's "
              "user_id); a product with its sales conditions and attachments"),
    Operation("catalog", "delete", "DELETE", "/environments/{env}/catalog/{entity}/{record_id}",
              "remove one catalog record (deltas list the removal, as they do a full import's)",
              render=render.render_done("removed")),
    Operation("catalog", "fields", "GET", "/catalog/fields", "the catalog fields an import's layout can map, with "
              "their types, meanings and rules", render=render.render_catalog_fields,
              options=(Option(("--target",), "target", {
                  "choices": ["products", "sales_conditions", "attachments", "users"],
                  "help": "one import target (default: every target)"}),)),
    # invoices (Import Art-Connect invoices)
    Operation("invoices", "list", "GET", "/environments/{env}/invoices", "received invoices, newest first",
              paging=Paging(20),
              options=(Option(("--supplier-gln",), "supplier_gln", {"metavar": "GLN", "help": "only this seller's"}),
                       Option(("--date-from",), "date_from", {"metavar": "YYYY-MM-DD", "help": "invoice date from"}),
                       Option(("--date-to",), "date_to", {"metavar": "YYYY-MM-DD", "help": "invoice date up to"}))),
    Operation("invoices", "show", "GET", "/environments/{env}/invoices/{invoice_id}",
              "an invoice with its lines, checks and the key of its raw XML"),
    # files
    Operation("files", "list", "GET", "/environments/{env}/files",
              "a folder of the environment's files: its files and subfolders (no --folder: the folders)",
              render=render.render_files, paging=Paging(default_limit=None, lists=("items", "folders")),
              options=(Option(("--folder",), "folder", {"help": "Uploads, Archived, Failed, Reports, Downloads, "
                                                                "Attachments, Invoices, Feeds, or a folder "
                                                                "below one"}),
                       Option(("--recursive",), "recursive", {"action": "store_const", "const": "true",
                                                              "help": "every file below the folder"}))),
    Operation("files", "get", "GET", "/environments/{env}/files/{file_key}",
              "download a file (FILE_KEY as runs and `files list` name it) into -o PATH, else ./<its name>",
              render=render.render_saved,
              options=(Option(("-o", "--output"), kwargs={"type": Path, "metavar": "PATH",
                                                          "help": "where to save it (- for stdout)"}),
                       Option(("--url-only",), kwargs={"action": "store_true",
                                                       "help": "print the presigned URL, download nothing"}))),
    # ETIM
    Operation("etim", "releases", "GET", "/environments/{env}/etim/releases", "the ETIM releases the "
                                                                              "environment has"),
    Operation("etim", "classes", "GET", "/environments/{env}/etim/classes", "ETIM classes", paging=Paging(50),
              options=(ETIM_RELEASE, ETIM_LANGUAGE,
                       Option(("--group",), "group", {"metavar": "GROUP-CODE", "dest": "group_code"}),
                       Option(("--search",), "q", {"help": "words in descriptions and synonyms"}))),
    _etim_entity("class", "classes", "an ETIM class with its features, units and values"),
    _etim_entity("feature", "features", "an ETIM feature"),
    _etim_entity("value", "values", "an ETIM value"),
    _etim_entity("unit", "units", "an ETIM unit"),
    _etim_entity("group", "groups", "an ETIM group"),
    # Feeds: their tokens (the feeds themselves are read by channels with the token, see OTHER_OPERATIONS)
    Operation("feeds", "token", "POST", "/environments/{env}/feeds/{feed}/token",
              "create or rotate a feed's token (shown once; the previous one stops working)"),
    Operation("feeds", "revoke-token", "DELETE", "/environments/{env}/feeds/{feed}/token", "revoke a feed's token"),
)
"""Operations the CLI also calls outside this table: the upload ticket (``pimtasks upload``), see
``OTHER_OPERATIONS``."""

OTHER_OPERATIONS: dict[tuple[str, str], str] = {
    ("POST", "/environments/{env}/uploads"): "pimtasks upload IMPORT FILE",
    # Read by channels with the feed's token, not an API key: curl -H "Authorization: Bearer $FEED_TOKEN" ...
    ("GET", "/feeds/{env}/{feed}"): "a channel, with the feed token",
    ("GET", "/feeds/{env}/{feed}/file"): "a channel, with the feed token",
}
