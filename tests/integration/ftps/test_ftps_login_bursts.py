"""Parallel login bursts against one FTPS account: the attempt counter is atomic (moto server mode), so of 30
simultaneous wrong passwords exactly five are checked, and the account is then locked, even for the right one."""

from __future__ import annotations

import ftplib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from pimtasks.services.ftps_users import FtpsLoginFailedError

from tests.integration.ftps.conftest import Ftps
from tests.integration.ftps.harness import CountingHasher, ReusingFTP_TLS, connect, logged_in, tls_context

BURST = 30


def _at_once(count: int, attempt: Callable[[int, threading.Barrier], str]) -> list[str]:
    """Run ``attempt(n, barrier)`` in ``count`` threads; each waits at the barrier right before it logs in."""
    barrier = threading.Barrier(count, timeout=120)
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(lambda n: attempt(n, barrier), range(count)))


def test_a_burst_against_the_user_service_gets_five_checks_and_locks(ftps_for_bursts: Ftps,
                                                                     hasher: CountingHasher) -> None:
    users, alice = ftps_for_bursts.users, ftps_for_bursts.alice

    def wrong_password(n: int, barrier: threading.Barrier) -> str:
        barrier.wait()
        try:
            users.authenticate(username=alice.username, password=f"wrong guess {n}", source_ip="192.0.2.7")
        except FtpsLoginFailedError:
            return "refused"
        return "accepted"

    # Given 30 wrong passwords at the same moment, each in its own thread and DynamoDB connection
    outcomes = _at_once(BURST, wrong_password)

    # Then all are refused, exactly five passwords were checked, and the account is locked
    assert outcomes == ["refused"] * BURST
    assert hasher.checks == 5
    summary = next(u for u in users.list_users("000001") if u.username == alice.username)
    assert summary.locked_until is not None
    # And the right password is refused as well, without a check
    with pytest.raises(FtpsLoginFailedError):
        users.authenticate(username=alice.username, password=alice.password, source_ip="192.0.2.7")
    assert hasher.checks == 5


def test_an_ftps_burst_locks_at_five_and_refuses_the_right_password_until_the_lock_ends(
        ftps_for_bursts: Ftps, hasher: CountingHasher) -> None:
    ftps, alice = ftps_for_bursts, ftps_for_bursts.alice

    def wrong_password(n: int, barrier: threading.Barrier) -> str:
        ftp = ReusingFTP_TLS(context=tls_context(ftps.certificate), timeout=120)
        try:
            ftp.connect("127.0.0.1", ftps.port)
            ftp.auth()
            ftp.sendcmd(f"USER {alice.username}")
            barrier.wait()  # every session is secured and named its user: only PASS is left
            try:
                return ftp.sendcmd(f"PASS wrong-guess-{n}")
            except ftplib.error_perm as refused:
                return str(refused)[:3]
        finally:
            ftp.close()

    # Given 30 FTPS sessions sending a wrong password at the same moment
    replies = _at_once(BURST, wrong_password)

    # Then every one is answered 530, and only five passwords were checked
    assert replies == ["530"] * BURST
    assert hasher.checks == 5

    # And the right password is refused, unchecked, while the lock lasts
    with pytest.raises(ftplib.error_perm, match="530"):
        connect(ftps.port, ftps.certificate, username=alice.username, password=alice.password)
    assert hasher.checks == 5
    locked = next(u for u in ftps.users.list_users("000001") if u.username == alice.username).locked_until
    assert locked is not None and (locked - ftps.clock.now()).total_seconds() == 15 * 60

    # And after the 15 minutes of the lock the right password logs in
    ftps.clock.advance(minutes=15, seconds=1)
    with logged_in(ftps.port, ftps.certificate, username=alice.username, password=alice.password) as ftp:
        assert ftp.pwd() == "/"
    assert hasher.checks == 6
