"""Export delivery to remote servers that the tests start on 127.0.0.1: FTPS (pyftpdlib, certificate pinned) and
SFTP (paramiko, host key pinned), each file written under a temporary name and renamed; a refused login or a
wrong host key fails the run naming the host and the server's reply, and the file stays in Downloads/."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from pimtasks.domain.run import RunStatus
from pimtasks.wiring import secret_service

from tests.integration.exports.harness import ENV, ExportStack
from tests.integration.exports.test_export_task import export_task, import_demo_files, published
from tests.support.remote_servers import RunningServer, ftps_server, sftp_server


@pytest.fixture(autouse=True)
def no_retry_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pimtasks.services.remote_delivery.RETRY_DELAYS", (0.0,))


def remote(server: RunningServer, protocol: str, **overrides: Any) -> dict[str, Any]:
    pin = {"certificate_sha256": server.pin} if protocol == "ftps" else {"host_key": server.pin}
    return {"protocol": protocol, "host": "127.0.0.1", "port": server.port, "path": "/inbox",
            "username": server.username, "password": "remote-password", "timeout_seconds": 10, "attempts": 2,
            **pin, **overrides}


def run_export(stack: ExportStack, server: RunningServer, protocol: str, password: str, **overrides: Any) -> Any:
    secret_service().put(environment=ENV, name="remote-password", value=password)
    (server.root / "inbox").mkdir(exist_ok=True)
    task = export_task(stack, f"To {protocol}", format="csv", columns=["article_number", "gross_price"],
                       remote=remote(server, protocol, **overrides))
    return stack.run(task)


def served(tmp_path: Path, protocol: str) -> tuple[Path, AbstractContextManager[RunningServer]]:
    """The directory a server serves, and the server (started on ``with``)."""
    root = tmp_path / "served"
    root.mkdir()
    return root, ftps_server(root, state_dir=tmp_path / "tls") if protocol == "ftps" else sftp_server(root)


@pytest.mark.parametrize("protocol", ["ftps", "sftp"])
def test_the_file_is_delivered_under_its_name_and_stays_in_downloads(stack: ExportStack, tmp_path: Path,
                                                                     protocol: str) -> None:
    import_demo_files(stack)
    root, start = served(tmp_path, protocol)
    with start as server:
        run = run_export(stack, server, protocol, server.password)
    assert run.status is RunStatus.SUCCEEDED, run.messages
    (key,) = published(run)
    name = key.rsplit("/", 1)[1]
    assert sorted(path.name for path in (root / "inbox").iterdir()) == [name]  # no temporary name left
    assert (root / "inbox" / name).read_bytes() == stack.read(key)
    assert any(m.text == f"Delivered {name} to {protocol}://127.0.0.1/inbox/{name}." for m in run.messages)


@pytest.mark.parametrize("protocol", ["ftps", "sftp"])
def test_a_refused_login_fails_the_run_naming_the_host_and_the_reply(stack: ExportStack, tmp_path: Path,
                                                                    protocol: str) -> None:
    import_demo_files(stack)
    root, start = served(tmp_path, protocol)
    with start as server:
        run = run_export(stack, server, protocol, "wrong")
    assert run.status is RunStatus.FAILED
    assert f"{protocol}://127.0.0.1:{server.port}" in (run.error or "")
    assert ("530" if protocol == "ftps" else "Authentication failed") in (run.error or "")
    assert "after 2 attempt(s)" in (run.error or "")
    (key,) = published(run)
    assert stack.read(key)  # the file stays in Downloads
    assert list((root / "inbox").iterdir()) == []


def test_an_sftp_server_with_another_host_key_gets_nothing(stack: ExportStack, tmp_path: Path) -> None:
    import_demo_files(stack)
    _, start = served(tmp_path, "sftp")
    with start as server:
        run = run_export(stack, server, "sftp", server.password,
                         host_key="SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU")
    assert run.status is RunStatus.FAILED
    assert "is not the pinned host_key; nothing was sent" in (run.error or "")
    assert server.logins == []


def test_an_ftps_server_with_another_certificate_gets_no_password(stack: ExportStack, tmp_path: Path) -> None:
    import_demo_files(stack)
    _, start = served(tmp_path, "ftps")
    with start as server:
        run = run_export(stack, server, "ftps", server.password, certificate_sha256="ab" * 32)
    assert run.status is RunStatus.FAILED
    assert "is not the pinned one" in (run.error or "") and server.logins == []
