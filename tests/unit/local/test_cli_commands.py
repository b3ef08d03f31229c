"""The CLI covers the API: every operation has a command, every command sends its operation, as documented.

Each command is run against a recording stand-in of the API (``tests.support.recording_api``), so what is
checked is the request that really leaves the CLI: method, path (placeholders URL-quoted), query and body.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pimtasks_local import cli
from pimtasks_local.cli_api import GREEDY_PARAMETERS, OPERATIONS, OTHER_OPERATIONS, Operation, Option
from pimtasks_local.cli_completion import SCRIPTS

from tests.support.recording_api import RecordedRequest, RecordingApi, recording_api

ROOT = Path(__file__).resolve().parents[3]
HTTP_METHODS = ("get", "put", "post", "patch", "delete")
PATH_VALUE = "T 1/ä"  # a path value with a space, a slash and a non-ASCII letter: each must arrive quoted
DOCUMENT = {"description": "from a file", "active": True}


def api_operations() -> set[tuple[str, str]]:
    document = json.loads((ROOT / "openapi.json").read_text(encoding="utf-8"))
    return {(method.upper(), path) for path, item in document["paths"].items()
            for method in item if method in HTTP_METHODS}


def test_every_api_operation_has_a_command() -> None:
    commands = {(operation.method, operation.path) for operation in OPERATIONS} | set(OTHER_OPERATIONS)

    assert sorted(api_operations() - commands) == []


def test_every_command_calls_an_operation_the_api_has() -> None:
    commands = {(operation.method, operation.path) for operation in OPERATIONS} | set(OTHER_OPERATIONS)

    assert sorted(commands - api_operations()) == []


@pytest.fixture(scope="module")
def api() -> Iterator[RecordingApi]:
    with recording_api() as running:
        yield running


def argument_values(operation: Operation, files: Path) -> list[str]:
    """The command line after the command words: a value for each path placeholder and each argument it
    needs (files for FILE and --*-file options), so the command sends its request."""
    values = [PATH_VALUE for name in operation.path_parameters]
    for option in operation.options:
        values += option_values(option, files)
    return values


def option_values(option: Option, files: Path) -> list[str]:
    positional = not option.flags[0].startswith("-")
    if option.kwargs.get("type") is Path:
        document = files / "document.json"
        document.write_text(json.dumps(DOCUMENT), encoding="utf-8")
        return [str(document)] if positional else [option.flags[0], str(document)]
    if positional:
        return [] if option.kwargs.get("nargs") == "*" else ["000002"]
    if option.kwargs.get("required"):
        return [option.flags[0], "a value"]
    return []


def run(api: RecordingApi, words: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    status = cli.main(["--api-url", api.url, "--api-key", "key-1", "--env", "000001", "--json", *words], out=out)
    return status, out.getvalue()


def quoted_value(name: str) -> str:
    """PATH_VALUE as the URL carries it: a greedy parameter (a file key) keeps its slashes."""
    return urllib.parse.quote(PATH_VALUE, safe="/" if name in GREEDY_PARAMETERS else "")


def expected_path(operation: Operation) -> str:
    quoted = urllib.parse.quote(PATH_VALUE, safe="")
    return operation.path.replace("{env}", "000001") if not operation.positional_env else \
        operation.path.replace("{env}", quoted)


def presigned_ticket(api: RecordingApi, operation: Operation) -> None:
    """``files get`` downloads from the URL the API answers: a URL of the stand-in."""
    path = expected_path(operation).replace("{file_key}", quoted_value("file_key"))
    api.answers[("GET", path)] = (200, {"url": f"{api.url}/presigned/file.csv", "key": "Reports/file.csv"})


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda o: f"{o.group} {o.name}".strip())
def test_each_command_sends_its_operation(operation: Operation, api: RecordingApi, tmp_path: Path) -> None:
    api.requests.clear()
    if "{file_key}" in operation.path:
        presigned_ticket(api, operation)
    words = [operation.group, *([operation.name] if operation.name else []), *argument_values(operation, tmp_path)]

    status, _ = run(api, words)

    assert status == 0
    sent = api.requests[0]
    expected = expected_path(operation)
    for name in operation.path_parameters:
        expected = expected.replace(f"{{{name}}}", quoted_value(name))
    assert (sent.method, sent.path) == (operation.method, expected)
    assert sent.headers.get("x-api-key") == "key-1"
    if operation.paging is not None:
        assert "limit=" in sent.query
    if operation.method in ("POST", "PUT", "PATCH") and operation.body is not None and any(
            option.kwargs.get("type") is Path and not option.flags[0].startswith("-")
            for option in operation.options):
        assert sent.body == DOCUMENT


def test_a_paged_listing_follows_the_next_token_until_the_limit(api: RecordingApi) -> None:
    api.requests.clear()
    path = "/environments/000001/tasks/T1/runs"

    def page(request: RecordedRequest) -> tuple[int, Any]:  # pages of at most 15, as the API may cut them
        size = min(15, int(urllib.parse.parse_qs(request.query)["limit"][0]))
        return 200, {"items": [{"run_id": "R1"}] * size, "next_token": "more"}

    api.answers[("GET", path)] = page

    status, out = run(api, ["runs", "list", "T1", "--limit", "40"])

    del api.answers[("GET", path)]
    assert status == 0
    assert len(json.loads(out)["items"]) == 40
    assert [urllib.parse.parse_qs(r.query).get("next_token") for r in api.requests] == [None, ["more"], ["more"]]
    assert [urllib.parse.parse_qs(r.query)["limit"] for r in api.requests] == [["40"], ["25"], ["10"]]


def test_patch_sends_a_merge_patch_of_the_file_and_the_assignments(api: RecordingApi, tmp_path: Path) -> None:
    api.requests.clear()
    patch = tmp_path / "patch.yaml"
    patch.write_text("description: Weekly import of sales conditions for APAC\nsettings:\n  target: products\n",
                     encoding="utf-8")

    status, _ = run(api, ["tasks", "patch", "T1", str(patch), "--set", "settings.auto_import=true",
                          "--set", "active=false"])

    assert status == 0
    sent = api.requests[0]
    assert sent.headers["content-type"] == "application/merge-patch+json"
    assert sent.body == {"description": "Weekly import of sales conditions for APAC", "active": False,
                         "settings": {"target": "products", "auto_import": True}}


def test_a_refusal_prints_the_api_message_and_exits_1(api: RecordingApi, capsys: pytest.CaptureFixture[str]) -> None:
    api.answers[("GET", "/environments/000001/tasks/T9")] = (404, {"message": "task T9 not found"})

    status, _ = run(api, ["tasks", "show", "T9"])

    del api.answers[("GET", "/environments/000001/tasks/T9")]
    assert status == 1
    assert "404: task T9 not found" in capsys.readouterr().err


def test_an_unreadable_task_file_is_a_usage_error(api: RecordingApi, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "task.yaml"
    broken.write_text("description: [unclosed\n", encoding="utf-8")

    status, _ = run(api, ["tasks", "create", str(broken)])

    assert status == 2
    assert f"{broken} is not valid YAML" in capsys.readouterr().err


def commands_of(parser: argparse.ArgumentParser, words: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    children = next((action.choices for action in parser._actions
                     if isinstance(action, argparse._SubParsersAction)), None)
    if not children:
        yield words
        return
    for name, child in children.items():
        yield from commands_of(child, (*words, name))


COMMANDS = sorted(commands_of(cli._parser()[0]))


@pytest.mark.parametrize("words", COMMANDS, ids=" ".join)
def test_every_command_has_help(words: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ended:
        cli.main([*words, "--help"])

    assert ended.value.code == 0
    assert capsys.readouterr().out.startswith("usage: pimtasks")


def completion(shell: str) -> str:
    out = io.StringIO()
    assert cli.main(["completion", shell], out=out) == 0
    return out.getvalue()


@pytest.mark.parametrize("shell", sorted(SCRIPTS))
def test_completion_names_every_command(shell: str) -> None:
    script = completion(shell)

    for words in COMMANDS:
        assert all(word in script for word in words), words


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completes_the_command_words(tmp_path: Path) -> None:
    """The script as bash runs it: ``pimtasks ta<TAB>`` and ``pimtasks tasks st<TAB>``."""
    script = tmp_path / "pimtasks.bash"
    script.write_text(completion("bash"), encoding="utf-8")

    def complete(*words: str) -> list[str]:
        line = " ".join(("pimtasks", *words))
        probe = (f"source {script}; COMP_WORDS=({line}); COMP_CWORD={len(words)}; COMP_LINE='{line}'; "
                 f"COMP_POINT=${{#COMP_LINE}}; _pimtasks pimtasks '{words[-1]}' '{('pimtasks', *words)[-2]}'; "
                 "printf '%s\\n' \"${COMPREPLY[@]}\"")
        done = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, timeout=30, check=True)
        return done.stdout.split()

    assert complete("ta") == ["tasks"]
    assert sorted(complete("tasks", "st")) == ["start", "stop"]


def test_runs_show_says_how_many_messages_were_not_stored(api: RecordingApi) -> None:
    path = "/environments/000001/runs/R1"
    body: dict[str, Any] = {"run_id": "R1", "status": "partially_succeeded", "counts": {"read": 3, "rejected": 1},
                            "messages": [{"level": "error", "text": "price is not a number", "row": 3,
                                          "column": "gross_price"}], "messages_truncated": 41}
    api.answers[("GET", path)] = (200, body)
    out = io.StringIO()

    status = cli.main(["--api-url", api.url, "--api-key", "k", "runs", "show", "R1"], out=out)

    del api.answers[("GET", path)]
    assert status == 0
    assert "price is not a number" in out.getvalue()
    assert "41 more messages not stored" in out.getvalue()
