"""The local FTPS gateway obeys each import task's ftps_upload setting (a real ftplib client over TLS)."""

from __future__ import annotations

import ftplib
import io
import time
from typing import Any

import pytest
from pimtasks.adapters.task_repository import TaskRepository
from pimtasks.domain.identifiers import new_task_id
from pimtasks.domain.task import Task

from tests.integration.core.specs import weekly_import
from tests.integration.ftps.conftest import IMPORTS_TTL_SECONDS, Ftps
from tests.integration.ftps.harness import logged_in

LOCKED_REPLY = r"^550 FTPS upload is off for import 'Locked' \(its import task has ftps_upload false\)"


def add_import(tasks: TaskRepository, ftps: Ftps, import_name: str, **settings: Any) -> Task:
    now = ftps.clock.now()
    spec = weekly_import(description=f"Import {import_name}",
                         settings={"import_name": import_name, "auto_import": True, **settings})
    task = Task(task_id=new_task_id(), environment="000001", spec=spec, created_at=now, updated_at=now, version=1,
                schedule_anchor=now)
    tasks.create(task)
    return task


def set_ftps_upload(tasks: TaskRepository, task: Task, value: bool) -> None:
    settings = task.spec.settings.model_copy(update={"ftps_upload": value})
    changed = task.model_copy(update={"spec": task.spec.model_copy(update={"settings": settings}),
                                      "version": task.version + 1})
    tasks.replace(changed, expected_version=task.version)


def test_an_upload_into_an_import_with_ftps_upload_off_is_refused(ftps_with_imports: Ftps,
                                                                  tasks_table: TaskRepository) -> None:
    # Given an import with manual and FTPS upload off and AutoImport on, and one open to FTPS
    ftps = ftps_with_imports
    add_import(tasks_table, ftps, "Locked", manual_upload=False, ftps_upload=False)
    add_import(tasks_table, ftps, "Sales conditions APAC", ftps_upload=True)

    with logged_in(ftps.port, ftps.certificate, username=ftps.alice.username, password=ftps.alice.password) as ftp:
        # When the client stores a file into the locked import's folder
        with pytest.raises(ftplib.error_perm, match=LOCKED_REPLY):
            ftp.storbinary("STOR /Uploads/Locked/prices.csv", io.BytesIO(b"article;price\n1;2\n"))
        # Then the session goes on, and the open import takes the same file
        reply = ftp.storbinary("STOR /Uploads/Sales conditions APAC/prices.csv", io.BytesIO(b"article;price\n1;2\n"))

    assert reply.startswith("226")
    key = "environments/000001/Uploads/Sales conditions APAC/prices.csv"
    assert ftps.bucket.keys() == [key]  # nothing reached the locked folder, so no AutoImport either
    assert [k for _, k in ftps.bucket.created_events()] == [key]


def test_every_way_of_writing_into_a_locked_import_is_refused(ftps_with_imports: Ftps,
                                                              tasks_table: TaskRepository) -> None:
    ftps = ftps_with_imports
    add_import(tasks_table, ftps, "Locked", ftps_upload=False)
    add_import(tasks_table, ftps, "Products", ftps_upload=True)
    ftps.bucket.put("environments/000001/Uploads/Locked/manual.csv", b"a manual upload")
    ftps.bucket.put("environments/000001/Uploads/Products/p.csv", b"p")
    ftps.bucket.created_events()

    with logged_in(ftps.port, ftps.certificate, username=ftps.alice.username, password=ftps.alice.password) as ftp:
        for attempt in (
            lambda: ftp.mkd("/Uploads/Locked/sub"),
            lambda: ftp.rename("/Uploads/Products/p.csv", "/Uploads/Locked/p.csv"),  # renaming into it
            lambda: ftp.rename("/Uploads/Locked/manual.csv", "/Uploads/Products/manual.csv"),  # or out of it
            lambda: ftp.delete("/Uploads/Locked/manual.csv"),
        ):
            with pytest.raises(ftplib.error_perm, match=LOCKED_REPLY):
                attempt()
        with pytest.raises(ftplib.error_perm, match=r"^500"):  # appending is not offered at all
            ftp.storbinary("APPE /Uploads/Locked/manual.csv", io.BytesIO(b"x"))
        with pytest.raises(ftplib.error_perm, match=r"^550 no import task named 'Elsewhere'"):
            ftp.storbinary("STOR /Uploads/Elsewhere/x.csv", io.BytesIO(b"x"))
        with pytest.raises(ftplib.error_perm, match=r"^550 no import task named 'Elsewhere'"):
            ftp.mkd("/Uploads/Elsewhere")
        # reading what is there stays allowed
        received = io.BytesIO()
        ftp.retrbinary("RETR /Uploads/Locked/manual.csv", received.write)

    assert received.getvalue() == b"a manual upload"
    assert sorted(ftps.bucket.keys()) == ["environments/000001/Uploads/Locked/manual.csv",
                                          "environments/000001/Uploads/Products/p.csv"]
    assert ftps.bucket.created_events() == []


def test_listings_show_every_import_folder_writable_only_when_open_to_ftps(ftps_with_imports: Ftps,
                                                                          tasks_table: TaskRepository) -> None:
    ftps = ftps_with_imports
    add_import(tasks_table, ftps, "Locked", ftps_upload=False)
    add_import(tasks_table, ftps, "Products", ftps_upload=True)
    add_import(tasks_table, ftps, "Manual only")  # the defaults: manual on, FTPS off
    ftps.bucket.put("environments/000001/Uploads/Locked/manual.csv", b"x")

    with logged_in(ftps.port, ftps.certificate, username=ftps.alice.username, password=ftps.alice.password) as ftp:
        facts = dict(ftp.mlsd("/Uploads"))
        inside = dict(ftp.mlsd("/Uploads/Locked"))
        ftp.cwd("/Uploads/Manual only")  # an empty import folder exists, so the refusal below can say why
        with pytest.raises(ftplib.error_perm, match=r"^550 FTPS upload is off for import 'Manual only'"):
            ftp.storbinary("STOR a.csv", io.BytesIO(b"a"))

    assert sorted(facts) == ["Locked", "Manual only", "Products"]
    assert "c" in facts["Products"]["perm"]
    assert "c" not in facts["Locked"]["perm"] and "c" not in facts["Manual only"]["perm"]
    assert inside["manual.csv"]["perm"] == "r"


def test_switching_ftps_upload_takes_effect_without_restarting_the_gateway(ftps_with_imports: Ftps,
                                                                          tasks_table: TaskRepository) -> None:
    ftps = ftps_with_imports
    task = add_import(tasks_table, ftps, "Locked", ftps_upload=False)
    with logged_in(ftps.port, ftps.certificate, username=ftps.alice.username, password=ftps.alice.password) as ftp:
        with pytest.raises(ftplib.error_perm, match=LOCKED_REPLY):
            ftp.storbinary("STOR /Uploads/Locked/a.csv", io.BytesIO(b"a"))

        # When an administrator switches FTPS upload on, the same session may upload once the cache expired
        set_ftps_upload(tasks_table, task, True)
        time.sleep(IMPORTS_TTL_SECONDS + 0.2)
        assert ftp.storbinary("STOR /Uploads/Locked/a.csv", io.BytesIO(b"a")).startswith("226")

    assert ftps.bucket.keys() == ["environments/000001/Uploads/Locked/a.csv"]


def test_another_environments_imports_do_not_open_folders(ftps_with_imports: Ftps,
                                                         tasks_table: TaskRepository) -> None:
    ftps = ftps_with_imports
    add_import(tasks_table, ftps, "Products", ftps_upload=True)  # of environment 000001
    with (logged_in(ftps.port, ftps.certificate, username=ftps.bob.username, password=ftps.bob.password) as ftp,
          pytest.raises(ftplib.error_perm, match=r"^550 no import task named 'Products'")):
        ftp.storbinary("STOR /Uploads/Products/p.csv", io.BytesIO(b"p"))
    assert ftps.bucket.keys() == []
