"""FTPS users: administration rules, password hashing and the login/lockout policy (no AWS)."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from pimtasks.domain.environment import Environment
from pimtasks.domain.ftps_user import FtpsUser, LoginPolicy
from pimtasks.errors import ConflictError, NotFoundError, ValidationFailedError
from pimtasks.services.ftps_users import FtpsLoginFailedError, FtpsUserService
from pimtasks.services.password_hashing import ScryptParameters, ScryptPasswordHasher

START = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
# Cheap scrypt parameters keep the unit tests fast; the production default is tested separately below.
FAST_HASHER = ScryptPasswordHasher(ScryptParameters(n=2**10, r=8, p=1))


class Clock:
    def __init__(self) -> None:
        self.current = START

    def now(self) -> dt.datetime:
        return self.current

    def sleep(self, seconds: float) -> None:
        self.current += dt.timedelta(seconds=seconds)


class MemoryStore:
    """An in-memory FtpsUserStore with the same contract as the DynamoDB repository."""

    def __init__(self) -> None:
        self.users: dict[str, FtpsUser] = {}
        self.successes: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def create(self, user: FtpsUser) -> None:
        if user.username in self.users:
            raise ConflictError("taken")
        self.users[user.username] = user

    def find(self, username: str) -> FtpsUser | None:
        return self.users.get(username)

    def list_for_environment(self, environment: str) -> list[FtpsUser]:
        return [u for u in self.users.values() if u.environment == environment]

    def _owned(self, environment: str, username: str) -> FtpsUser:
        user = self.users.get(username)
        if user is None or user.environment != environment:
            raise NotFoundError(username)
        return user

    def delete(self, *, environment: str, username: str) -> None:
        self._owned(environment, username)
        del self.users[username]

    def set_password(self, *, environment: str, username: str, password_hash: str, changed_at: dt.datetime) -> None:
        user = self._owned(environment, username)
        self.users[username] = user.model_copy(update={
            "password_hash": password_hash, "password_changed_at": changed_at, "failed_attempts": 0,
            "locked_until": None, "last_failed_at": None})

    def reserve_attempt(self, *, username: str, at: dt.datetime, counting_since: dt.datetime,
                        max_attempts: int) -> int | None:
        # The DynamoDB repository's two conditional updates, applied under one lock (atomic, as there).
        with self._lock:
            user = self.users.get(username)
            if user is None:
                return None
            recent = user.last_failed_at is not None and user.last_failed_at >= counting_since
            if user.locked_until is None and recent and user.failed_attempts < max_attempts:
                attempts = user.failed_attempts + 1
            elif (user.locked_until is not None and user.locked_until <= at) or (
                    user.locked_until is None and not recent):
                attempts = 1
            else:
                return None
            self.users[username] = user.model_copy(update={"failed_attempts": attempts, "last_failed_at": at,
                                                           "locked_until": None})
            return attempts

    def lock(self, *, username: str, until: dt.datetime, max_attempts: int) -> None:
        with self._lock:
            user = self.users.get(username)
            if user is not None and user.failed_attempts >= max_attempts:
                self.users[username] = user.model_copy(update={"locked_until": until})

    def record_success(self, *, username: str, at: dt.datetime, source_ip: str,
                       password_hash: str | None = None) -> None:
        update: dict[str, object] = {"failed_attempts": 0, "locked_until": None, "last_failed_at": None,
                                     "last_login_at": at}
        if password_hash:
            update["password_hash"] = password_hash
        with self._lock:
            self.users[username] = self.users[username].model_copy(update=update)
            self.successes.append((username, source_ip))


class Environments:
    def find_environment(self, environment: str) -> Environment | None:
        known = {"000001", "000002"}
        return Environment(environment=environment, name="x", created_at=START) if environment in known else None


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def service(store: MemoryStore, clock: Clock) -> FtpsUserService:
    return FtpsUserService(store=store, clock=clock, environments=Environments(), hasher=FAST_HASHER)


def _login(service: FtpsUserService, username: str, password: str) -> str:
    return service.authenticate(username=username, password=password, source_ip="192.0.2.10").environment


# --- administration ------------------------------------------------------------------------------


def test_a_created_user_logs_into_its_environment_and_its_password_is_kept_only_as_a_hash(
        service: FtpsUserService, store: MemoryStore) -> None:
    issued = service.create_user(environment="000001", username="supplier.acme", password="a long passphrase")
    assert issued.password is None  # chosen passwords are never echoed
    assert "a long passphrase" not in store.users["supplier.acme"].password_hash
    assert store.users["supplier.acme"].password_hash.startswith("scrypt$")
    assert _login(service, "supplier.acme", "a long passphrase") == "000001"


def test_a_generated_password_is_returned_once_and_works(service: FtpsUserService) -> None:
    issued = service.create_user(environment="000002", username="feed-bot")
    assert issued.password and len(issued.password) >= 20
    assert _login(service, "feed-bot", issued.password) == "000002"
    assert all(not hasattr(summary, "password") and not hasattr(summary, "password_hash")
               for summary in service.list_users("000002"))


def test_usernames_are_unique_across_environments(service: FtpsUserService) -> None:
    service.create_user(environment="000001", username="shared-name")
    with pytest.raises(ConflictError):
        service.create_user(environment="000002", username="shared-name")


@pytest.mark.parametrize(("field", "kwargs"), [
    ("username", {"username": "ab"}),
    ("username", {"username": "../etc"}),
    ("username", {"username": "has space"}),
    ("password", {"username": "valid-user", "password": "short"}),
    ("password", {"username": "valid-user", "password": "long enough but\nhas a newline"}),
    ("environment", {"username": "valid-user", "environment": "1"}),
])
def test_invalid_input_is_refused_with_the_field(service: FtpsUserService, field: str, kwargs: dict[str, str]) -> None:
    arguments = {"environment": "000001", **kwargs}
    with pytest.raises(ValidationFailedError) as refused:
        service.create_user(**arguments)
    assert refused.value.field == field


def test_users_of_an_unknown_environment_cannot_be_created(service: FtpsUserService) -> None:
    with pytest.raises(NotFoundError):
        service.create_user(environment="000009", username="someone")


def test_an_environment_lists_deletes_and_resets_only_its_own_users(service: FtpsUserService) -> None:
    service.create_user(environment="000001", username="alice-1")
    service.create_user(environment="000001", username="alice-0")
    service.create_user(environment="000002", username="bob-0")
    assert [u.username for u in service.list_users("000001")] == ["alice-0", "alice-1"]
    with pytest.raises(NotFoundError):
        service.delete_user(environment="000001", username="bob-0")
    with pytest.raises(NotFoundError):
        service.reset_password(environment="000001", username="bob-0")
    service.delete_user(environment="000002", username="bob-0")
    assert service.list_users("000002") == []


def test_reset_password_replaces_the_old_one(service: FtpsUserService) -> None:
    service.create_user(environment="000001", username="alice", password="first password!")
    reset = service.reset_password(environment="000001", username="alice")
    assert reset.password
    with pytest.raises(FtpsLoginFailedError):
        _login(service, "alice", "first password!")
    assert _login(service, "alice", reset.password) == "000001"


# --- login policy --------------------------------------------------------------------------------


def test_failures_are_slowed_down_progressively_then_the_account_locks(service: FtpsUserService,
                                                                        clock: Clock) -> None:
    service.create_user(environment="000001", username="alice", password="the right password")
    delays = []
    for _ in range(5):
        with pytest.raises(FtpsLoginFailedError) as refused:
            _login(service, "alice", "a wrong password")
        delays.append(refused.value.delay_seconds)
    assert delays == [1.0, 2.0, 4.0, 8.0, 8.0]
    assert refused.value.locked_until == START + dt.timedelta(minutes=15)

    # Locked: even the right password fails, and the list shows the lock
    with pytest.raises(FtpsLoginFailedError):
        _login(service, "alice", "the right password")
    assert service.list_users("000001")[0].locked_until == START + dt.timedelta(minutes=15)

    # After the lock, a fresh start: the right password works and clears the count
    clock.sleep(15 * 60)
    assert _login(service, "alice", "the right password") == "000001"
    assert service.list_users("000001")[0].locked_until is None


def test_failures_spread_out_beyond_the_window_never_lock(service: FtpsUserService, clock: Clock) -> None:
    service.create_user(environment="000001", username="alice", password="the right password")
    for _ in range(8):
        with pytest.raises(FtpsLoginFailedError) as refused:
            _login(service, "alice", "a wrong password")
        assert refused.value.locked_until is None
        clock.sleep(16 * 60)
    assert _login(service, "alice", "the right password") == "000001"


def test_a_success_resets_the_failure_count(service: FtpsUserService) -> None:
    service.create_user(environment="000001", username="alice", password="the right password")
    for _ in range(4):
        with pytest.raises(FtpsLoginFailedError):
            _login(service, "alice", "a wrong password")
    _login(service, "alice", "the right password")
    with pytest.raises(FtpsLoginFailedError) as refused:
        _login(service, "alice", "a wrong password")
    assert refused.value.delay_seconds == 1.0 and refused.value.locked_until is None


def test_a_password_reset_lifts_a_lock(service: FtpsUserService) -> None:
    service.create_user(environment="000001", username="alice", password="the right password")
    for _ in range(5):
        with pytest.raises(FtpsLoginFailedError):
            _login(service, "alice", "a wrong password")
    service.reset_password(environment="000001", username="alice", password="a brand new password")
    assert _login(service, "alice", "a brand new password") == "000001"


def test_unknown_and_malformed_usernames_fail_like_a_wrong_password(service: FtpsUserService) -> None:
    for username in ("nobody", "x", "../../etc/passwd", ""):
        with pytest.raises(FtpsLoginFailedError) as refused:
            _login(service, username, "whatever")
        assert str(refused.value) == "authentication failed"
        assert refused.value.delay_seconds == 1.0


def test_an_empty_password_never_matches(service: FtpsUserService) -> None:
    service.create_user(environment="000001", username="alice", password="the right password")
    with pytest.raises(FtpsLoginFailedError):
        _login(service, "alice", "")


def test_a_hash_made_with_older_parameters_is_upgraded_at_the_next_login(store: MemoryStore, clock: Clock) -> None:
    old = FtpsUserService(store=store, clock=clock, hasher=ScryptPasswordHasher(ScryptParameters(n=2**9)))
    old.create_user(environment="000001", username="alice", password="the right password")
    new = FtpsUserService(store=store, clock=clock, hasher=FAST_HASHER)
    _login(new, "alice", "the right password")
    assert store.users["alice"].password_hash.startswith("scrypt$n=1024,")
    assert _login(new, "alice", "the right password") == "000001"


class CountingHasher:
    """FAST_HASHER, counting the password checks; ``hold`` (when set) keeps each check waiting until released."""

    def __init__(self) -> None:
        self.checks = 0
        self.hold: threading.Event | None = None
        self.checking = threading.Event()
        self._lock = threading.Lock()

    def hash(self, password: str) -> str:
        return FAST_HASHER.hash(password)

    def verify(self, password: str, hashed: str) -> bool:
        with self._lock:
            self.checks += 1
        self.checking.set()
        if self.hold is not None:
            self.hold.wait(timeout=30)
        return FAST_HASHER.verify(password, hashed)

    def needs_rehash(self, hashed: str) -> bool:
        return FAST_HASHER.needs_rehash(hashed)


def _burst(service: FtpsUserService, username: str, passwords: list[str]) -> list[str]:
    """Log in with every password at once (one thread each); the environment or "refused", per login."""
    start = threading.Barrier(len(passwords))

    def attempt(password: str) -> str:
        start.wait()
        try:
            return _login(service, username, password)
        except FtpsLoginFailedError:
            return "refused"

    with ThreadPoolExecutor(max_workers=len(passwords)) as pool:
        return list(pool.map(attempt, passwords))


def test_a_burst_of_parallel_wrong_passwords_gets_five_checks_then_even_the_right_one_is_refused(
        store: MemoryStore, clock: Clock) -> None:
    hasher = CountingHasher()
    service = FtpsUserService(store=store, clock=clock, environments=Environments(), hasher=hasher)
    service.create_user(environment="000001", username="alice", password="the right password")

    # Given 30 wrong passwords sent at the same moment
    outcomes = _burst(service, "alice", [f"wrong guess {n}" for n in range(30)])

    # Then exactly five were checked, all were refused, and the account is locked for 15 minutes
    assert outcomes == ["refused"] * 30
    assert hasher.checks == 5
    assert service.list_users("000001")[0].locked_until == START + dt.timedelta(minutes=15)

    # And the right password is refused without being checked while the lock lasts
    with pytest.raises(FtpsLoginFailedError) as refused:
        _login(service, "alice", "the right password")
    assert refused.value.delay_seconds == service.policy.max_delay_seconds
    assert hasher.checks == 5

    # And once the lock has expired the right password works and clears the count
    clock.sleep(15 * 60)
    assert _login(service, "alice", "the right password") == "000001"
    assert store.users["alice"].failed_attempts == 0 and store.users["alice"].locked_until is None


def test_the_right_password_is_refused_while_the_last_allowed_attempt_is_being_checked(
        store: MemoryStore, clock: Clock) -> None:
    hasher = CountingHasher()
    service = FtpsUserService(store=store, clock=clock, environments=Environments(), hasher=hasher)
    service.create_user(environment="000001", username="alice", password="the right password")
    for _ in range(4):
        with pytest.raises(FtpsLoginFailedError):
            _login(service, "alice", "a wrong password")

    # Given the fifth (last allowed) attempt is being checked
    hasher.hold, hasher.checking = threading.Event(), threading.Event()
    with ThreadPoolExecutor(max_workers=1) as pool:
        fifth = pool.submit(_login, service, "alice", "a wrong password")
        assert hasher.checking.wait(timeout=30)
        # When the right password arrives meanwhile, then it is refused without a check of its own
        with pytest.raises(FtpsLoginFailedError):
            _login(service, "alice", "the right password")
        assert hasher.checks == 5
        hasher.hold.set()
        with pytest.raises(FtpsLoginFailedError) as refused:
            fifth.result(timeout=30)
    # And the fifth failure locks the account for the documented 15 minutes
    assert refused.value.locked_until == START + dt.timedelta(minutes=15)


def test_a_right_password_in_the_last_allowed_attempt_still_logs_in(service: FtpsUserService) -> None:
    service.create_user(environment="000001", username="alice", password="the right password")
    for _ in range(4):
        with pytest.raises(FtpsLoginFailedError):
            _login(service, "alice", "a wrong password")
    assert _login(service, "alice", "the right password") == "000001"


class ContendedStore(MemoryStore):
    """Loses the first reservation, as when another login changed the user between read and write."""

    def __init__(self) -> None:
        super().__init__()
        self.lost = 0

    def reserve_attempt(self, *, username: str, at: dt.datetime, counting_since: dt.datetime,
                        max_attempts: int) -> int | None:
        if self.lost == 0:
            self.lost += 1
            return None
        return super().reserve_attempt(username=username, at=at, counting_since=counting_since,
                                       max_attempts=max_attempts)


def test_a_reservation_lost_to_a_concurrent_change_is_tried_again(clock: Clock) -> None:
    store = ContendedStore()
    service = FtpsUserService(store=store, clock=clock, hasher=FAST_HASHER)
    service.create_user(environment="000001", username="alice", password="the right password")
    assert _login(service, "alice", "the right password") == "000001"
    assert store.lost == 1


@pytest.mark.parametrize(("state", "expected"), [
    ({}, 0),  # never failed
    ({"failed_attempts": 3, "last_failed_at": START - dt.timedelta(minutes=14)}, 3),
    ({"failed_attempts": 3, "last_failed_at": START - dt.timedelta(minutes=16)}, 0),  # window passed
    ({"failed_attempts": 5, "last_failed_at": START - dt.timedelta(seconds=1)}, None),  # last check running
    ({"failed_attempts": 5, "last_failed_at": START, "locked_until": START + dt.timedelta(seconds=1)}, None),
    ({"failed_attempts": 5, "last_failed_at": START, "locked_until": START}, 0),  # lock over
])
def test_the_attempts_that_still_count(state: dict[str, object], expected: int | None) -> None:
    user = FtpsUser(username="alice", environment="000001", password_hash="x", created_at=START,
                    password_changed_at=START).model_copy(update=state)
    assert LoginPolicy().attempts_before(user, now=START) == expected


def test_the_policy_delays_and_windows() -> None:
    policy = LoginPolicy()
    assert [policy.delay_after(n) for n in range(0, 7)] == [0.0, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert policy.max_failures == 5 and policy.lock_seconds == 900


# --- hashing -------------------------------------------------------------------------------------


def test_the_default_hash_is_scrypt_with_a_random_salt_and_verifies_in_constant_time() -> None:
    hasher = ScryptPasswordHasher()
    first, second = hasher.hash("same password"), hasher.hash("same password")
    assert first != second  # salted
    assert first.startswith("scrypt$n=32768,r=8,p=1$")
    assert hasher.verify("same password", first) and not hasher.verify("other password", first)
    assert not hasher.needs_rehash(first)


@pytest.mark.parametrize("stored", ["", "plain", "scrypt$n=3,r=8,p=1$AAAA$AAAA", "md5$x$y$z", "scrypt$n=x$y$z"])
def test_a_malformed_stored_hash_never_matches(stored: str) -> None:
    assert not FAST_HASHER.verify("anything", stored)
    assert FAST_HASHER.needs_rehash(stored)
