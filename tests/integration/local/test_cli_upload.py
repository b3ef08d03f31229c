"""``pimtasks upload ... --wait`` against a running local stack: each upload shows the run of its own object.

The stack is started once for this module on free ports (``launched_stack``; a few seconds). An import task
of its own ("CLI uploads", AutoImport on, standard layout) keeps the demo tasks out of it.
"""

from __future__ import annotations

import io
import json
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pimtasks_local import cli, cli_runs
from pimtasks_local.http_client import ApiClient
from pimtasks_local.launcher import LaunchError, launched_stack

pytestmark = pytest.mark.slow

IMPORT_NAME = "CLI uploads"
WEEKLY = {"every": "week", "days": ["MON"], "time": "12:53", "timezone": "Europe/Amsterdam"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A running local stack with an AutoImport task for ``IMPORT_NAME``; yields its ``stack.json``."""
    try:
        with launched_stack(tmp_path_factory.mktemp("local-stack")) as launched:
            api = ApiClient(launched.state["api_url"], api_key=launched.state["admin_api_key"])
            created = api.post("/environments/000001/tasks", {
                "type": "import", "description": "Products uploaded with the CLI", "frequency": WEEKLY,
                "notification": {"emails": [], "when": "never"},
                "settings": {"import_name": IMPORT_NAME, "target": "products", "auto_import": True}})
            assert created.status == 201, created.body
            yield launched.state
    except LaunchError as error:
        pytest.fail(str(error))


def products_csv(path: Path, *, rows: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["article_number;description_nl;gross_price"] + [f"{path.stem}-{n};Lamp {n};{n},50" for n in range(rows)]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def upload_and_wait(stack: dict[str, Any], path: Path) -> dict[str, Any]:
    """``pimtasks upload IMPORT_NAME path --wait --json``: the run it printed."""
    out = io.StringIO()
    status = cli.main(["--api-url", stack["api_url"], "--api-key", stack["admin_api_key"], "--json",
                       "upload", IMPORT_NAME, str(path), "--wait", "--timeout", "60"], out=out)
    assert status == 0
    run: dict[str, Any] = json.loads(out.getvalue())
    return run


def input_files(run: dict[str, Any]) -> list[str]:
    return [f["key"] for f in run["files"] if f["role"] == "input"]


def test_two_quick_uploads_each_wait_for_their_own_run(stack: dict[str, Any], tmp_path: Path) -> None:
    # given two files uploaded to the same import at the same moment (the second run waits for the first)
    first = products_csv(tmp_path / "quick-a.csv", rows=1)
    second = products_csv(tmp_path / "quick-b.csv", rows=2)
    runs: dict[str, dict[str, Any]] = {}

    def upload(path: Path) -> None:
        runs[path.name] = upload_and_wait(stack, path)

    threads = [threading.Thread(target=upload, args=(path,)) for path in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)

    # then each --wait printed the run that imported its own file
    assert set(runs) == {"quick-a.csv", "quick-b.csv"}
    assert input_files(runs["quick-a.csv"]) == [f"Uploads/{IMPORT_NAME}/quick-a.csv"]
    assert input_files(runs["quick-b.csv"]) == [f"Uploads/{IMPORT_NAME}/quick-b.csv"]
    assert (runs["quick-a.csv"]["counts"]["read"], runs["quick-b.csv"]["counts"]["read"]) == (1, 2)


def test_uploading_the_same_name_again_at_once_shows_the_new_run(stack: dict[str, Any], tmp_path: Path) -> None:
    # given a file uploaded and imported, then a new version of it uploaded right after
    run_one = upload_and_wait(stack, products_csv(tmp_path / "one" / "again.csv", rows=1))
    run_two = upload_and_wait(stack, products_csv(tmp_path / "two" / "again.csv", rows=3))

    # then the second --wait shows the second version's run, not the first one that just ended
    assert run_one["run_id"] != run_two["run_id"]
    assert (run_one["counts"]["read"], run_two["counts"]["read"]) == (1, 3)


def test_without_a_version_id_the_new_run_of_the_key_is_shown(
    stack: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a bucket that gives no version ids (the PUT's answer is dropped)
    put_file = cli_runs.put_file
    monkeypatch.setattr(cli_runs, "put_file", lambda url, path: put_file(url, path) and None)

    run_one = upload_and_wait(stack, products_csv(tmp_path / "one" / "unversioned.csv", rows=2))
    run_two = upload_and_wait(stack, products_csv(tmp_path / "two" / "unversioned.csv", rows=4))

    # then the key and "not there before the upload" still tell the runs apart
    assert run_one["run_id"] != run_two["run_id"]
    assert (run_one["counts"]["read"], run_two["counts"]["read"]) == (2, 4)


def test_several_files_in_one_upload_each_show_their_own_run(stack: dict[str, Any], tmp_path: Path) -> None:
    # given three files, one of them with a price the catalog rejects
    good = [products_csv(tmp_path / f"batch-{n}.csv", rows=n + 1) for n in range(2)]
    bad = tmp_path / "batch-bad.csv"
    bad.write_text("article_number;gross_price\r\nbatch-bad-1;not a price\r\n", encoding="utf-8")
    out = io.StringIO()
    # when they are uploaded with one command and waited for
    status = cli.main(["--api-url", stack["api_url"], "--api-key", stack["admin_api_key"], "--json",
                       "upload", IMPORT_NAME, *map(str, [*good, bad]), "--wait", "--timeout", "60"], out=out)
    runs = json.loads(out.getvalue())["items"]
    # then each file has its run, in the order given, and the exit status says the third failed (its only row
    # was rejected)
    assert [input_files(run) for run in runs] == [[f"Uploads/{IMPORT_NAME}/{path.name}"] for path in [*good, bad]]
    assert [run["counts"]["created"] for run in runs[:2]] == [1, 2]
    assert runs[2]["status"] == "failed" and "not a price" in json.dumps(runs[2]["messages"]), runs[2]
    assert status == 1


def test_two_files_of_one_name_are_refused_before_anything_is_uploaded(stack: dict[str, Any],
                                                                       tmp_path: Path) -> None:
    one, two = products_csv(tmp_path / "a" / "same.csv", rows=1), products_csv(tmp_path / "b" / "same.csv", rows=1)
    status = cli.main(["--api-url", stack["api_url"], "--api-key", stack["admin_api_key"],
                       "upload", IMPORT_NAME, str(one), str(two)], out=io.StringIO())
    assert status == 2
    listed = ApiClient(stack["api_url"], api_key=stack["admin_api_key"]).get(
        f"/environments/000001/files?folder={urllib.parse.quote(f'Uploads/{IMPORT_NAME}')}")
    assert "same.csv" not in json.dumps(listed.body)
