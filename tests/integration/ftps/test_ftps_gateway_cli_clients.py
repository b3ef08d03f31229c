"""The local FTPS gateway with command-line clients from Debian packages: curl and lftp.

Both must cope with what AWS Transfer Family demands (explicit TLS, protected data channel, TLS session
reuse on data connections). A missing client is installed with apt-get when the tests run as root
(set PIMTASKS_NO_APT=1 to forbid that), otherwise its tests are skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.integration.ftps.conftest import Account, Ftps

TIMEOUT = 120
_install_attempts: dict[str, str | None] = {}


def _client(program: str) -> str:
    """The path of ``program``, installing its Debian package once if allowed; skips the test otherwise."""
    found = shutil.which(program)
    if found:
        return found
    if program not in _install_attempts:
        _install_attempts[program] = _apt_install(program)
    reason = _install_attempts[program]
    found = shutil.which(program)
    if found is None:
        pytest.skip(f"{program} is not installed and could not be installed: {reason}")
    return found


def _apt_install(package: str) -> str | None:
    if os.environ.get("PIMTASKS_NO_APT"):
        return "PIMTASKS_NO_APT is set"
    if not shutil.which("apt-get") or os.geteuid() != 0:
        return "apt-get needs root on a Debian system"
    completed = subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", package],
                               capture_output=True, text=True, timeout=600,
                               env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    return None if completed.returncode == 0 else completed.stderr[-500:]


# --- curl -------------------------------------------------------------------------------------------


def _curl(ftps: Ftps, account: Account, path: str, *args: str,
          ssl_required: bool = True) -> subprocess.CompletedProcess[str]:
    url = f"ftp://127.0.0.1:{ftps.port}{path}"
    command = [_client("curl"), "--silent", "--show-error", "--user", f"{account.username}:{account.password}",
               "--cacert", str(ftps.certificate), *(["--ssl-reqd"] if ssl_required else []), *args, url]
    return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT)


def test_curl_uploads_lists_downloads_resumes_renames_and_deletes(ftps: Ftps, tmp_path: Path) -> None:
    source = tmp_path / "articles.csv"
    source.write_bytes(b"article;description\n" + b"1001;Pipe 15mm copper\n" * 5000)
    body = source.read_bytes()

    upload = _curl(ftps, ftps.alice, "/Uploads/Articles/articles.csv", "--ftp-create-dirs", "-T", str(source))
    assert upload.returncode == 0, upload.stderr
    assert ftps.bucket.read("environments/000001/Uploads/Articles/articles.csv") == body

    listing = _curl(ftps, ftps.alice, "/Uploads/Articles/")
    assert listing.returncode == 0, listing.stderr
    assert "articles.csv" in listing.stdout and str(len(body)) in listing.stdout

    downloaded = tmp_path / "down.csv"
    download = _curl(ftps, ftps.alice, "/Uploads/Articles/articles.csv", "-o", str(downloaded))
    assert download.returncode == 0, download.stderr
    assert downloaded.read_bytes() == body

    partial = tmp_path / "partial.csv"
    partial.write_bytes(body[:40_000])
    resumed = _curl(ftps, ftps.alice, "/Uploads/Articles/articles.csv", "-C", "-", "-o", str(partial))
    assert resumed.returncode == 0, resumed.stderr
    assert partial.read_bytes() == body

    renamed = _curl(ftps, ftps.alice, "/", "-Q", "RNFR /Uploads/Articles/articles.csv",
                    "-Q", "RNTO /Uploads/Articles/articles-2026.csv")
    assert renamed.returncode == 0, renamed.stderr
    assert ftps.bucket.keys("environments/000001/Uploads/Articles/a") == [
        "environments/000001/Uploads/Articles/articles-2026.csv"]

    deleted = _curl(ftps, ftps.alice, "/", "-Q", "DELE /Uploads/Articles/articles-2026.csv")
    assert deleted.returncode == 0, deleted.stderr
    assert ftps.bucket.keys("environments/000001/Uploads/Articles/a") == []


def test_curl_with_a_wrong_password_is_refused(ftps: Ftps) -> None:
    wrong = Account(username=ftps.alice.username, password="not-the-password", environment="000001")
    result = _curl(ftps, wrong, "/")
    assert result.returncode == 67  # CURLE_LOGIN_DENIED


def test_curl_without_tls_is_refused(ftps: Ftps) -> None:
    result = _curl(ftps, ftps.alice, "/", ssl_required=False)
    assert result.returncode != 0
    assert ftps.bucket.keys() == []


@pytest.mark.parametrize("path", ["/../000002/Uploads/Imp/secret.csv", "/%2e%2e/000002/Uploads/Imp/secret.csv",
                                  "/environments/000002/Uploads/Imp/secret.csv",
                                  "/Uploads/%2e%2e/%2e%2e/000002/Uploads/Imp/secret.csv"])
def test_curl_cannot_reach_another_environment(ftps: Ftps, path: str, tmp_path: Path) -> None:
    ftps.bucket.put("environments/000002/Uploads/Imp/secret.csv", b"bob's prices")
    target = tmp_path / "stolen.csv"
    result = _curl(ftps, ftps.alice, path, "--path-as-is", "-o", str(target))
    assert result.returncode != 0
    assert not target.exists() or target.read_bytes() == b""


def test_curl_cannot_write_to_archived(ftps: Ftps, tmp_path: Path) -> None:
    source = tmp_path / "a.csv"
    source.write_bytes(b"x")
    result = _curl(ftps, ftps.alice, "/Archived/Imp/a.csv", "--ftp-create-dirs", "-T", str(source))
    assert result.returncode != 0
    assert ftps.bucket.keys() == []


# --- lftp -------------------------------------------------------------------------------------------


def _lftp(ftps: Ftps, account: Account, *commands: str) -> subprocess.CompletedProcess[str]:
    script = "; ".join([
        f"set ssl:ca-file {ftps.certificate}", "set ftp:ssl-force true", "set ftp:ssl-protect-data true",
        "set ftp:ssl-allow true", "set net:max-retries 1", "set net:reconnect-interval-base 1",
        "set net:timeout 30", "set xfer:clobber true",
        f"open -u {account.username},{account.password} -p {ftps.port} 127.0.0.1", *commands,
    ])
    return subprocess.run([_client("lftp"), "-c", script], capture_output=True, text=True, timeout=TIMEOUT)


def test_lftp_uploads_lists_downloads_resumes_renames_and_deletes(ftps: Ftps, tmp_path: Path) -> None:
    source = tmp_path / "prices.csv"
    source.write_bytes(b"article;price\n" + b"1001;12.50\n" * 20000)
    body = source.read_bytes()
    partial = tmp_path / "partial.csv"
    partial.write_bytes(body[:50_000])
    whole = tmp_path / "whole.csv"

    result = _lftp(ftps, ftps.alice,
                   "mkdir /Uploads/Prices", f"put {source} -o /Uploads/Prices/prices.csv", "cls -l /Uploads/Prices",
                   f"get /Uploads/Prices/prices.csv -o {whole}",
                   f"get -c /Uploads/Prices/prices.csv -o {partial}",
                   "mv /Uploads/Prices/prices.csv /Uploads/Prices/prices-2026.csv")
    assert result.returncode == 0, result.stderr
    assert "prices.csv" in result.stdout
    assert whole.read_bytes() == body
    assert partial.read_bytes() == body
    assert ftps.bucket.read("environments/000001/Uploads/Prices/prices-2026.csv") == body

    removed = _lftp(ftps, ftps.alice, "rm /Uploads/Prices/prices-2026.csv", "rmdir /Uploads/Prices")
    assert removed.returncode == 0, removed.stderr
    assert ftps.bucket.keys("environments/000001/") == []


def test_lftp_many_uploads_in_one_session_all_land_whole(ftps: Ftps, tmp_path: Path) -> None:
    # Every put is a data connection that resumes the control session and ends with close_notify; none
    # may be cut short (TLS 1.3 post-handshake tickets made lftp reset some of them, see tls.py).
    source = tmp_path / "lines.csv"
    source.write_bytes(b"article;price\n" + b"1001;12.50\n" * 16000)
    puts = [f"put {source} -o /Uploads/Batch/lines-{i}.csv" for i in range(12)]
    result = _lftp(ftps, ftps.alice, "mkdir /Uploads/Batch", *puts)
    assert result.returncode == 0, result.stderr
    stored = [k for k in ftps.bucket.keys("environments/000001/Uploads/Batch/") if k.endswith(".csv")]
    assert len(stored) == 12
    assert all(ftps.bucket.read(key) == source.read_bytes() for key in stored)


def test_lftp_with_a_wrong_password_is_refused(ftps: Ftps) -> None:
    wrong = Account(username=ftps.alice.username, password="not-the-password", environment="000001")
    result = _lftp(ftps, wrong, "cls /")
    assert result.returncode != 0
    assert "Login" in result.stderr or "530" in result.stderr


def test_lftp_cannot_leave_the_environment(ftps: Ftps, tmp_path: Path) -> None:
    ftps.bucket.put("environments/000002/Uploads/Imp/secret.csv", b"bob's prices")
    target = tmp_path / "stolen.csv"
    attempts = ("cd ../000002/Uploads", "cd /environments/000002", f"get /../000002/Uploads/Imp/secret.csv -o {target}")
    for command in attempts:
        result = _lftp(ftps, ftps.alice, command)
        assert result.returncode != 0, command
    assert not target.exists()
