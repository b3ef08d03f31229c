"""`runs show` reads a run as its report does: an export's counts are what it selected, wrote and skipped."""
from __future__ import annotations

from pimtasks_local.cli_render import render_run, render_runs


def counts_line(run: dict) -> str:
    return next(line for line in render_run(run).splitlines() if line.strip().startswith("counts"))


def test_an_import_run_shows_what_it_read_and_did() -> None:
    line = counts_line({"run_id": "R1", "task_type": "import", "status": "succeeded",
                        "counts": {"read": 26, "created": 24, "updated": 0, "unchanged": 0, "rejected": 2}})
    assert "read 26, created 24, updated 0, unchanged 0, rejected 2" in line
    assert "selected" not in line and "removed" not in line


def test_a_full_import_that_removed_records_shows_how_many() -> None:
    line = counts_line({"task_type": "import", "counts": {"read": 3, "created": 0, "removed": 5}})
    assert line.endswith("rejected 0, removed 5")


def test_an_export_run_shows_selected_written_skipped_not_import_counts() -> None:
    line = counts_line({"run_id": "R2", "task_type": "export", "status": "succeeded",
                        "counts": {"read": 0, "created": 0, "selected": 10, "written": 9, "skipped": 1}})
    assert "selected 10, written 9, skipped 1" in line
    assert "read" not in line and "created" not in line


def test_an_outward_run_that_selected_nothing_still_reads_as_an_export() -> None:
    for task_type in ("feed", "export_artconnect", "export_artconnect_users"):
        line = counts_line({"task_type": task_type, "counts": {"read": 0, "created": 0}})
        assert "selected 0, written 0, skipped 0" in line, task_type


def test_a_users_export_shows_the_removals_it_sent() -> None:
    line = counts_line({"task_type": "export_artconnect_users", "counts": {"selected": 3, "written": 3, "removed": 1}})
    assert line.endswith("selected 3, written 3, skipped 0, removed 1")


def test_a_magento_run_counts_what_it_did_in_the_shop() -> None:
    line = counts_line({"task_type": "magento", "counts": {"read": 5, "created": 2, "updated": 3}})
    assert "read 5, created 2, updated 3, unchanged 0, rejected 0" in line


def test_show_gives_a_long_error_whole() -> None:
    error = "the remote server sftp.example.net refused the login: " + "x" * 300
    assert error in render_run({"task_type": "export", "status": "failed", "error": error, "counts": {}})


def test_runs_list_shows_what_an_import_read_and_what_an_export_wrote() -> None:
    body = {"items": [
        {"run_id": "r-import", "status": "succeeded", "task_type": "import", "counts": {"read": 1200, "created": 3}},
        {"run_id": "r-export", "status": "succeeded", "task_type": "export", "counts": {"selected": 41, "written": 40}},
        {"run_id": "r-feed", "status": "succeeded", "task_type": "feed", "counts": {}},
    ]}
    lines = {line.split()[0]: line for line in render_runs(body).splitlines()[1:] if line.strip()}
    assert "RECORDS" in render_runs(body).splitlines()[0]
    assert "read 1200" in lines["r-import"]
    assert "written 40" in lines["r-export"] and "selected" not in lines["r-export"]
    assert "written 0" in lines["r-feed"]
