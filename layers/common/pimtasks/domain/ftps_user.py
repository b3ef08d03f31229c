"""FTPS users: the accounts clients use to deliver files into their environment's folders.

A user belongs to exactly one environment; its FTPS home shows that environment's ``Uploads``,
``Archived`` and ``Downloads`` folders (``Uploads`` writable, the others read-only), both on the local
gateway and on AWS Transfer Family. Usernames are unique across environments because a login names no
environment.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from pimtasks.domain.identifiers import EnvironmentId

# Transfer Family accepts 3..100 characters of [\w@.-] starting with a word character; we stay inside that.
USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.@-]{2,99}$"
FtpsUsername = Annotated[str, StringConstraints(pattern=USERNAME_PATTERN)]
_USERNAME_RE = re.compile(USERNAME_PATTERN)

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256

FTPS_FOLDERS: tuple[str, ...] = ("Uploads", "Archived", "Downloads")
"""The folders of an environment an FTPS user sees, in this order (``Failed``, ``Reports``... stay hidden)."""

WRITABLE_FOLDER = "Uploads"
"""The only folder an FTPS user may write to (upload, delete, rename, create folders)."""


def is_ftps_username(value: str) -> bool:
    """True when ``value`` is a well-formed FTPS username."""
    return bool(_USERNAME_RE.fullmatch(value))


class FtpsUser(BaseModel):
    """An FTPS account as the services see it, including its login state.

    ``password_hash`` is a self-describing slow hash (see ``pimtasks.services.password_hashing``); it never
    leaves the services: API responses use ``FtpsUserSummary``.
    """

    model_config = ConfigDict(frozen=True, defer_build=True)

    username: FtpsUsername
    environment: EnvironmentId
    password_hash: str = Field(repr=False)
    created_at: dt.datetime
    password_changed_at: dt.datetime
    # Login attempts reserved since the last success or reset (``LoginPolicy``): failures, plus checks still
    # running; ``last_failed_at`` is when the latest of them started. The stored names predate reservation.
    failed_attempts: int = Field(default=0, ge=0)
    last_failed_at: dt.datetime | None = None
    locked_until: dt.datetime | None = None
    last_login_at: dt.datetime | None = None

    def is_locked(self, now: dt.datetime) -> bool:
        """True while a lockout is in force."""
        return self.locked_until is not None and now < self.locked_until


class FtpsUserSummary(BaseModel):
    """What an administrator may see of an FTPS user (never the password or its hash)."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    username: str
    environment: str
    created_at: dt.datetime
    password_changed_at: dt.datetime
    last_login_at: dt.datetime | None = None
    locked_until: dt.datetime | None = Field(
        default=None, description="Set while the account is locked after repeated failed logins"
    )

    @classmethod
    def of(cls, user: FtpsUser, *, now: dt.datetime) -> FtpsUserSummary:
        return cls(
            username=user.username,
            environment=user.environment,
            created_at=user.created_at,
            password_changed_at=user.password_changed_at,
            last_login_at=user.last_login_at,
            locked_until=user.locked_until if user.is_locked(now) else None,
        )


class FtpsCredentials(BaseModel):
    """The answer to creating a user or resetting its password.

    ``password`` is set only when the service generated it, and is shown this once: only its hash is kept.
    """

    model_config = ConfigDict(frozen=True, defer_build=True)

    username: str
    environment: str
    password: str | None = Field(default=None, repr=False)


class FtpsLogin(BaseModel):
    """A successful FTPS login: who, and which environment's folders they get."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    username: str
    environment: EnvironmentId


class LoginPolicy(BaseModel):
    """How repeated failed logins are slowed down and then locked out.

    Every login of an existing user *reserves* an attempt before its password is checked (atomically, in the
    store), so concurrent logins cannot all pass a check of the same count: within a burst at most
    ``max_failures`` passwords are ever checked. An attempt count older than ``failure_window_seconds``
    (since the last attempt) starts again from zero. The answer to the n-th failed attempt is delayed by
    ``first_delay_seconds * 2**(n-1)`` seconds, at most ``max_delay_seconds``. Once the ``max_failures``-th
    attempt is reserved no further login is checked, and when that attempt fails too the account is locked
    for ``lock_seconds`` from then; while locked, every login fails (even with the right password) without the
    password being checked. A successful login, or a password reset, clears the count and any lock.
    """

    model_config = ConfigDict(frozen=True, defer_build=True)

    max_failures: int = Field(default=5, ge=1)
    lock_seconds: float = Field(default=15 * 60, gt=0)
    failure_window_seconds: float = Field(default=15 * 60, gt=0)
    first_delay_seconds: float = Field(default=1.0, ge=0)
    max_delay_seconds: float = Field(default=8.0, ge=0)

    def delay_after(self, failures: int) -> float:
        """Seconds to hold back the answer to the ``failures``-th consecutive failure."""
        if failures <= 0:
            return 0.0
        return min(self.first_delay_seconds * 2 ** min(failures - 1, 16), self.max_delay_seconds)

    def counting_since(self, now: dt.datetime) -> dt.datetime:
        """Attempts before this moment no longer count (the window, measured back from ``now``)."""
        return now - dt.timedelta(seconds=self.failure_window_seconds)

    def attempts_before(self, user: FtpsUser, *, now: dt.datetime) -> int | None:
        """The attempts that still count at ``now``, or None when no attempt may start (locked).

        This is the rule the store's atomic reservation applies (``FtpsUserStore.reserve_attempt``): a lock
        in force, or ``max_failures`` attempts inside the window (the last one may still be being checked),
        refuse; an expired lock or window starts afresh.
        """
        if user.locked_until is not None:
            return None if now < user.locked_until else 0
        if user.last_failed_at is None or user.last_failed_at < self.counting_since(now):
            return 0
        return None if user.failed_attempts >= self.max_failures else user.failed_attempts
