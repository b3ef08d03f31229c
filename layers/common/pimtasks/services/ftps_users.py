"""FTPS users: administration (create, list, delete, reset password) and login with lockout.

``authenticate`` is the one login decision for both FTPS front ends: the local gateway and the AWS Transfer
Family identity provider Lambda (``functions/ftps_identity``). The lockout rules are ``LoginPolicy``'s:
failures are slowed down progressively, then the account is locked for a while; the caller applies the
delay that ``FtpsLoginFailedError.delay_seconds`` names, because only it knows how to wait without
blocking others.

Each login reserves its attempt in the store *before* the password is checked (one conditional write), so
parallel guesses cannot all be checked against the same count: of any burst at most
``LoginPolicy.max_failures`` passwords are checked, and every later login, the right password included, is
refused until the lock ends or the password is reset.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Protocol

from pimtasks.clock import Clock
from pimtasks.domain.ftps_user import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    FtpsCredentials,
    FtpsLogin,
    FtpsUser,
    FtpsUserSummary,
    LoginPolicy,
    is_ftps_username,
)
from pimtasks.domain.identifiers import is_environment_id
from pimtasks.errors import AuthenticationError, NotFoundError, ValidationFailedError
from pimtasks.observability import logger
from pimtasks.services.password_hashing import ScryptPasswordHasher
from pimtasks.services.ports import EnvironmentLookup

_GENERATED_PASSWORD_BYTES = 18  # 24 URL-safe characters, 144 bits
_RESERVATION_TRIES = 3  # a reservation lost to a concurrent change is tried again on a fresh read


class FtpsUserStore(Protocol):
    """Persistence of FTPS users (``pimtasks.adapters.ftps_user_repository``)."""

    def create(self, user: FtpsUser) -> None: ...
    def find(self, username: str) -> FtpsUser | None: ...
    def list_for_environment(self, environment: str) -> list[FtpsUser]: ...
    def delete(self, *, environment: str, username: str) -> None: ...
    def set_password(self, *, environment: str, username: str, password_hash: str, changed_at: dt.datetime) -> None: ...
    def reserve_attempt(self, *, username: str, at: dt.datetime, counting_since: dt.datetime,
                        max_attempts: int) -> int | None: ...
    def lock(self, *, username: str, until: dt.datetime, max_attempts: int) -> None: ...
    def record_success(self, *, username: str, at: dt.datetime, source_ip: str,
                       password_hash: str | None = None) -> None: ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...
    def verify(self, password: str, hashed: str) -> bool: ...
    def needs_rehash(self, hashed: str) -> bool: ...


class FtpsLoginFailedError(AuthenticationError):
    """A refused FTPS login. The message is the same whatever the reason, so it tells a guesser nothing.

    ``delay_seconds`` is how long the caller should hold the answer back; ``locked_until`` is set when the
    account is (now) locked, for logs and operators only.
    """

    def __init__(self, *, delay_seconds: float, locked_until: dt.datetime | None = None) -> None:
        super().__init__("authentication failed")
        self.delay_seconds = delay_seconds
        self.locked_until = locked_until


class FtpsUserService:
    """Administration and authentication of FTPS users."""

    def __init__(self, *, store: FtpsUserStore, clock: Clock, environments: EnvironmentLookup | None = None,
                 hasher: PasswordHasher | None = None, policy: LoginPolicy | None = None) -> None:
        self._store = store
        self._clock = clock
        self._environments = environments
        self._hasher = hasher or ScryptPasswordHasher()
        self.policy = policy or LoginPolicy()
        self._decoy_hash: str | None = None

    # --- administration -------------------------------------------------------------------------
    def create_user(self, *, environment: str, username: str, password: str | None = None) -> FtpsCredentials:
        """Create a user of ``environment``; without ``password`` one is generated and returned once.

        Raises ``ValidationFailedError`` for a malformed environment, username or password, and
        ``ConflictError`` when the username is taken (in any environment).
        """
        self._check_environment(environment)
        if not is_ftps_username(username):
            raise ValidationFailedError(field="username", message="3 to 100 characters: letters, digits and _ . @ -, "
                                                                  "starting with a letter or digit")
        chosen, generated = self._password_or_generated(password)
        now = self._clock.now()
        self._store.create(FtpsUser(username=username, environment=environment, password_hash=self._hasher.hash(chosen),
                                    created_at=now, password_changed_at=now))
        logger.info("ftps user created", extra={"environment": environment, "ftps_user": username})
        return FtpsCredentials(username=username, environment=environment, password=generated)

    def list_users(self, environment: str) -> list[FtpsUserSummary]:
        """The users of ``environment``, by username."""
        self._check_environment(environment)
        now = self._clock.now()
        users = sorted(self._store.list_for_environment(environment), key=lambda user: user.username)
        return [FtpsUserSummary.of(user, now=now) for user in users]

    def delete_user(self, *, environment: str, username: str) -> None:
        """Delete a user; ``NotFoundError`` when ``environment`` has no such user."""
        self._store.delete(environment=environment, username=username)
        logger.info("ftps user deleted", extra={"environment": environment, "ftps_user": username})

    def reset_password(self, *, environment: str, username: str, password: str | None = None) -> FtpsCredentials:
        """Set a new password (generated and returned once when not given); also lifts a lockout."""
        chosen, generated = self._password_or_generated(password)
        self._store.set_password(environment=environment, username=username,
                                 password_hash=self._hasher.hash(chosen), changed_at=self._clock.now())
        logger.info("ftps password reset", extra={"environment": environment, "ftps_user": username})
        return FtpsCredentials(username=username, environment=environment, password=generated)

    # --- login ----------------------------------------------------------------------------------
    def authenticate(self, *, username: str, password: str, source_ip: str) -> FtpsLogin:
        """The environment of ``username`` if ``password`` is right and the account is not locked.

        Raises ``FtpsLoginFailedError`` otherwise (unknown user, wrong password, locked account).
        """
        now = self._clock.now()
        user = self._store.find(username) if is_ftps_username(username) else None
        if user is None:
            self._spend_verification(password)
            self._log_refusal(username=username, source_ip=source_ip, reason="unknown user")
            raise FtpsLoginFailedError(delay_seconds=self.policy.delay_after(1))
        attempt = self._reserve_attempt(user, now=now)
        if attempt is None:
            # No check at all, so a lock costs an attacker's burst no hashing; the answer waits the longest
            # delay, which is also longer than a check would take.
            self._log_refusal(username=username, source_ip=source_ip, reason="locked")
            raise FtpsLoginFailedError(delay_seconds=self.policy.max_delay_seconds, locked_until=user.locked_until)
        if not password or not self._hasher.verify(password, user.password_hash):
            locked_until = self._lock_after(attempt, username=username, now=now)
            self._log_refusal(username=username, source_ip=source_ip, reason="wrong password", failures=attempt)
            raise FtpsLoginFailedError(delay_seconds=self.policy.delay_after(attempt), locked_until=locked_until)
        upgraded = self._hasher.hash(password) if self._hasher.needs_rehash(user.password_hash) else None
        self._store.record_success(username=username, at=now, source_ip=source_ip, password_hash=upgraded)
        logger.info("ftps login", extra={"environment": user.environment, "ftps_user": username,
                                         "source_ip": source_ip})
        return FtpsLogin(username=user.username, environment=user.environment)

    def _reserve_attempt(self, user: FtpsUser, *, now: dt.datetime) -> int | None:
        """The number of this login's attempt, counted atomically in the store; None when none may start."""
        current: FtpsUser | None = user
        for _ in range(_RESERVATION_TRIES):
            if current is None or self.policy.attempts_before(current, now=now) is None:
                return None
            attempt = self._store.reserve_attempt(username=current.username, at=now,
                                                  counting_since=self.policy.counting_since(now),
                                                  max_attempts=self.policy.max_failures)
            if attempt is not None:
                return attempt
            current = self._store.find(current.username)  # changed meanwhile: decide on what is stored now
        return None  # still contended after a few tries: refuse rather than check unreserved

    def _lock_after(self, attempt: int, *, username: str, now: dt.datetime) -> dt.datetime | None:
        """Lock the account when the failed ``attempt`` was the last one allowed; the lock's end, if any."""
        if attempt < self.policy.max_failures:
            return None
        until = now + dt.timedelta(seconds=self.policy.lock_seconds)
        self._store.lock(username=username, until=until, max_attempts=self.policy.max_failures)
        return until

    # --- helpers --------------------------------------------------------------------------------
    def _spend_verification(self, password: str) -> None:
        """Verify against a decoy, so refusing an unknown user takes as long as a wrong password."""
        if self._decoy_hash is None:
            self._decoy_hash = self._hasher.hash(secrets.token_urlsafe(_GENERATED_PASSWORD_BYTES))
        self._hasher.verify(password, self._decoy_hash)

    def _check_environment(self, environment: str) -> None:
        if not is_environment_id(environment):
            raise ValidationFailedError(field="environment", message="must be a 6-digit number such as 000001")
        if self._environments is not None and self._environments.find_environment(environment) is None:
            raise NotFoundError(f"environment {environment} not found")

    @staticmethod
    def _password_or_generated(password: str | None) -> tuple[str, str | None]:
        if password is None:
            generated = secrets.token_urlsafe(_GENERATED_PASSWORD_BYTES)
            return generated, generated
        if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
            raise ValidationFailedError(field="password", message=f"must be {MIN_PASSWORD_LENGTH} to "
                                        f"{MAX_PASSWORD_LENGTH} characters (or omitted to generate one)")
        if any(ord(c) < 32 or ord(c) == 127 for c in password):
            raise ValidationFailedError(field="password", message="must not contain control characters")
        return password, None

    @staticmethod
    def _log_refusal(*, username: str, source_ip: str, reason: str, failures: int | None = None) -> None:
        # The username as typed may be anything (even a mistyped password): log it only when well-formed.
        shown = username if is_ftps_username(username) else "<malformed>"
        logger.warning("ftps login refused", extra={"ftps_user": shown, "source_ip": source_ip, "reason": reason,
                                                    "failures": failures})
