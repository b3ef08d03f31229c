"""The console's static files on the local API port: what is served, with which headers, and what never is."""

from __future__ import annotations

from pathlib import Path

import pytest
from pimtasks_local.console_files import ConsoleFiles
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request


@pytest.fixture
def files(tmp_path: Path) -> ConsoleFiles:
    root = tmp_path / "console"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>console</title>")
    (root / "assets" / "app.js").write_text("export const x = 1;")
    (root / ".secret").write_text("no")
    (tmp_path / "outside.txt").write_text("no")
    return ConsoleFiles(root)


def get(files: ConsoleFiles, path: str, method: str = "GET") -> tuple[int, str, dict[str, str]] | None:
    request = Request(EnvironBuilder(path=path, method=method).get_environ())
    response = files.response(request)
    if response is None:
        return None
    return response.status_code, response.get_data(as_text=True), dict(response.headers)


def test_the_root_is_the_console_and_modules_are_javascript(files: ConsoleFiles) -> None:
    root = get(files, "/")
    assert root is not None and root[0] == 200 and "<title>console</title>" in root[1]
    assert root[2]["Content-Type"].startswith("text/html")
    script = get(files, "/assets/app.js")
    assert script is not None and script[2]["Content-Type"].startswith("text/javascript")  # modules need it


def test_every_file_carries_the_security_headers(files: ConsoleFiles) -> None:
    answer = get(files, "/")
    assert answer is not None
    headers = answer[2]
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/../outside.txt", "/assets/../../outside.txt", "/.secret", "/assets/nope.js",
                                  "/assets", "/%2e%2e/outside.txt", "/assets/..%2f..%2foutside.txt"])
def test_nothing_outside_the_console_or_hidden_is_served(files: ConsoleFiles, path: str) -> None:
    assert get(files, path) is None


def test_only_reads_are_answered(files: ConsoleFiles) -> None:
    assert get(files, "/", method="POST") is None
    head = get(files, "/assets/app.js", method="HEAD")
    assert head is not None and head[0] == 200 and head[1] == "" and head[2]["Content-Length"] == "19"
