"""Environments and API keys: creating them, and recognising a caller from its key.

Keys look like ``ptk_<key_id>_<secret>``. Only a SHA-256 of the whole key is stored: the secret part has
256 bits of entropy, so a fast hash is enough (a slow password hash would only add authorizer latency).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Protocol

from pimtasks.clock import Clock
from pimtasks.domain.environment import ApiKey, Environment, Principal
from pimtasks.domain.frequency import DEFAULT_TIMEZONE
from pimtasks.domain.identifiers import is_environment_id
from pimtasks.errors import (
    AccessDeniedError,
    AuthenticationError,
    ConflictError,
    NotFoundError,
    ValidationFailedError,
)

KEY_PREFIX = "ptk"


class AdminStore(Protocol):
    def create_environment(self, environment: Environment) -> None: ...
    def find_environment(self, environment: str) -> Environment | None: ...
    def get_environment(self, environment: str) -> Environment: ...
    def list_environments(self) -> list[Environment]: ...
    def put_api_key(self, key: ApiKey) -> None: ...
    def find_api_key(self, key_id: str) -> ApiKey | None: ...
    def list_api_keys(self) -> list[ApiKey]: ...
    def delete_api_key(self, key_id: str) -> None: ...


@dataclass(frozen=True)
class IssuedApiKey:
    """A freshly issued key: ``api_key`` is shown once and never stored."""

    key_id: str
    api_key: str
    key: ApiKey


def hash_api_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def parse_key_id(api_key: str) -> str | None:
    parts = api_key.split("_")
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1].isalnum():
        return None
    return parts[1]


class AccessService:
    def __init__(self, *, store: AdminStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def create_environment(self, *, environment: str, name: str, timezone: str = DEFAULT_TIMEZONE) -> Environment:
        if not is_environment_id(environment):
            raise ValidationFailedError(field="environment", message="must be a 6-digit number such as 000001")
        created = Environment(environment=environment, name=name, timezone=timezone, created_at=self._clock.now())
        self._store.create_environment(created)
        return created

    def get_environment(self, environment: str) -> Environment:
        return self._store.get_environment(environment)

    def list_environments(self, principal: Principal) -> list[Environment]:
        return [env for env in self._store.list_environments() if principal.may_access(env.environment)]

    def issue_api_key(self, *, environments: list[str], admin: bool = False, description: str = "") -> IssuedApiKey:
        for environment in environments:
            if self._store.find_environment(environment) is None:
                raise ValidationFailedError(field="environments", message=f"environment {environment} does not exist")
        if not environments and not admin:
            raise ValidationFailedError(field="environments", message="a non-admin key needs at least one environment")
        key_id = secrets.token_hex(8)
        api_key = f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32).replace('_', '-')}"
        stored = ApiKey(
            key_id=key_id,
            key_hash=hash_api_key(api_key),
            environments=tuple(sorted(set(environments))),
            admin=admin,
            description=description,
            created_at=self._clock.now(),
        )
        self._store.put_api_key(stored)
        return IssuedApiKey(key_id=key_id, api_key=api_key, key=stored)

    def list_api_keys(self) -> list[ApiKey]:
        return self._store.list_api_keys()

    def revoke_api_key(self, key_id: str, *, caller: Principal) -> None:
        """Revoke a key; ``ConflictError`` for the caller's own key or the last admin key (either would lock
        the administrators out: no admin key, no way to issue one through the API)."""
        if key_id == caller.key_id:
            raise ConflictError(f"API key {key_id} is the key making this call and cannot revoke itself; "
                                "revoke it with another admin key")
        target = self._store.find_api_key(key_id)
        if target is None:
            raise NotFoundError(f"API key {key_id} not found")
        if target.admin and not any(key.admin and key.key_id != key_id for key in self._store.list_api_keys()):
            raise ConflictError(f"API key {key_id} is the last admin key; issue another admin key before "
                                "revoking it")
        self._store.delete_api_key(key_id)

    def authenticate(self, api_key: str | None) -> Principal:
        """The caller behind a key; ``AuthenticationError`` for a missing, malformed or unknown key."""
        if not api_key:
            raise AuthenticationError("no API key")
        key_id = parse_key_id(api_key.strip())
        stored = self._store.find_api_key(key_id) if key_id else None
        if stored is None or not hmac.compare_digest(stored.key_hash, hash_api_key(api_key.strip())):
            raise AuthenticationError("unknown API key")
        return Principal(key_id=stored.key_id, environments=stored.environments, admin=stored.admin)


def require_environment_access(principal: Principal, environment: str) -> None:
    """Defence in depth behind the authorizer's policy: the key must be bound to the environment."""
    if not principal.may_access(environment):
        raise AccessDeniedError(f"this API key is not bound to environment {environment}")


def require_admin(principal: Principal) -> None:
    if not principal.admin:
        raise AccessDeniedError("this operation needs an admin API key")


def ensure_environment_exists(store: AdminStore, environment: str) -> Environment:
    found = store.find_environment(environment)
    if found is None:
        raise NotFoundError(f"environment {environment} not found")
    return found
