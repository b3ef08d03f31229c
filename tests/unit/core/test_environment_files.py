"""Keys of an environment's files: which can name a file, and the one way a run links its files."""

from __future__ import annotations

import datetime as dt

import pytest
from pimtasks.api.models import RunOut, file_href
from pimtasks.domain.environment_files import FOLDER_NAMES, environment_key, file_key_problem
from pimtasks.domain.run import Run, RunFileRole, RunStatus, Trigger
from pimtasks.domain.task import Task
from pimtasks.services.run_job import RunJob

NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("key", [
    "Reports/Sales conditions APAC/run1/prijslijst é.xlsx.report.txt",
    "Downloads/Export \N{EN DASH} weekly/products 2026-12-02.xlsx",
    "Archived/x/2026/12/run/..hidden",  # dots inside a name are a name
])
def test_keys_of_files_are_taken_as_they_are(key: str) -> None:
    assert file_key_problem(key) is None
    assert environment_key("000001", key) == f"environments/000001/{key}"


@pytest.mark.parametrize(("key", "problem"), [
    ("", "is empty"),
    ("/environments/000002/Reports/x", "is absolute"),
    ("Reports/../../000002/Reports/x", "'..' segment"),
    ("Reports/./x", "'..' segment"),
    ("Reports//x", "empty"),
    ("Reports/x/", "empty"),
    ("Reports\\..\\x", "backslash"),
    ("Reports/x\n.csv", "control or invisible"),
    ("Reports/\u200bx.csv", "control or invisible"),
    ("Reports/\x00", "control or invisible"),
    ("Reports/" + "é" * 500, "longer than 900 bytes"),
])
def test_keys_that_could_leave_the_environment_say_why(key: str, problem: str) -> None:
    found = file_key_problem(key)
    assert found is not None and problem in found


def test_a_folder_may_end_in_a_slash_but_never_climb() -> None:
    assert file_key_problem("Reports/x/", folder=True) is None
    assert file_key_problem("Reports/../", folder=True) is not None


def test_the_folders_are_those_of_the_domain() -> None:
    assert FOLDER_NAMES == ("Uploads", "Archived", "Failed", "Reports", "Downloads", "Attachments", "Invoices",
                            "Feeds")


class _Clock:
    def now(self) -> dt.datetime:
        return NOW

    def sleep(self, seconds: float) -> None:
        del seconds


def _job() -> RunJob:
    task = Task.model_validate({
        "task_id": "a" * 32, "environment": "000001", "version": 1, "created_at": NOW, "updated_at": NOW,
        "schedule_anchor": NOW,
        "spec": {"type": "import", "description": "Import", "frequency": {"every": "day", "time": "06:00"},
                 "settings": {"import_name": "Sales conditions APAC"}}})
    run = Run(run_id="b" * 32, environment="000001", task_id=task.task_id, task_type="export",
              trigger=Trigger.MANUAL, status=RunStatus.RUNNING, created_at=NOW)
    return RunJob(task=task, run=run, runs=None, clock=_Clock(), secrets=None,  # type: ignore[arg-type]
                  remaining_ms=lambda: 60_000, heartbeat_seconds=5, lease_seconds=60,
                  continuation_margin_seconds=10)


def test_a_worker_links_a_file_once_and_the_run_json_links_its_download() -> None:
    # given a run, when its worker links its published output (twice, as a continued run may)
    job = _job()
    job.add_file(role=RunFileRole.OUTPUT, key="Downloads/Weekly export/products é.xlsx")
    job.add_file(role=RunFileRole.OUTPUT, key="Downloads/Weekly export/products é.xlsx")
    # then the run has it once, and its JSON links the files API's download of it
    shown = RunOut.from_run(job.run).model_dump(mode="json")["files"]
    assert shown == [{"role": "output", "key": "Downloads/Weekly export/products é.xlsx", "version_id": None,
                      "href": "/environments/000001/files/Downloads/Weekly%20export/products%20%C3%A9.xlsx"}]
    assert shown[0]["href"] == file_href("000001", "Downloads/Weekly export/products é.xlsx")


def test_a_full_object_key_is_a_workers_mistake() -> None:
    with pytest.raises(ValueError, match="relative to the environment"):
        _job().add_file(role=RunFileRole.OUTPUT, key="environments/000001/Downloads/x.csv")


def test_a_key_is_read_decoded_as_api_gateway_hands_it_over(monkeypatch: pytest.MonkeyPatch) -> None:
    """REST API events: ``path`` as the client sent it (percent-encoded), ``pathParameters`` decoded."""
    from pimtasks.api import routes_files
    from pimtasks.api.app import resolver
    from pimtasks.services.environment_files import DownloadTicket
    from pimtasks_local.functions import lambda_context

    asked: list[str] = []

    class _Files:
        def download(self, *, environment: str, key: str, version_id: str | None = None) -> DownloadTicket:
            asked.append(key)
            return DownloadTicket(url="https://s3.example/x", expires_at=NOW, key=key, version_id=version_id,
                                  size=1, last_modified=NOW)

    monkeypatch.setattr(routes_files, "files_service", _Files)
    key = "Reports/Sales conditions APAC/run1/prijslijst é.csv"
    event = {"resource": "/environments/{env}/files/{file_key+}", "httpMethod": "GET",
             "path": "/environments/000001/files/Reports/Sales%20conditions%20APAC/run1/prijslijst%20%C3%A9.csv",
             "pathParameters": {"env": "000001", "file_key": key}, "headers": {}, "multiValueHeaders": {},
             "queryStringParameters": None, "multiValueQueryStringParameters": None, "body": None,
             "isBase64Encoded": False, "requestContext": {"stage": "v1", "path": "/v1/environments/000001/files/x",
                                                          "authorizer": {"key_id": "k1", "environments": "000001"}}}
    reply = resolver.resolve(event, lambda_context("pimtasks-api", timeout_seconds=29))
    assert reply["statusCode"] == 200, reply["body"]
    assert asked == [key]
