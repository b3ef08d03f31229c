"""Credentials of outside systems: write-only through the API. Values go to the secret store; the API can
list which names exist and when they were set, never read a value back."""

from __future__ import annotations

from typing import Any, Protocol

from pimtasks.clock import Clock, iso
from pimtasks.domain.identifiers import REDACTED_SECRET_REF, is_reserved_secret_name
from pimtasks.errors import ValidationFailedError


class SecretWriter(Protocol):
    def put(self, *, environment: str, name: str, value: str) -> None: ...
    def delete(self, *, environment: str, name: str) -> None: ...


class SecretIndex(Protocol):
    def record_secret(self, *, environment: str, name: str, updated_at: str) -> None: ...
    def forget_secret(self, *, environment: str, name: str) -> None: ...
    def list_secrets(self, *, environment: str) -> list[dict[str, Any]]: ...


class SecretService:
    def __init__(self, *, store: SecretWriter, index: SecretIndex, clock: Clock) -> None:
        self._store = store
        self._index = index
        self._clock = clock

    def put(self, *, environment: str, name: str, value: str) -> dict[str, Any]:
        if is_reserved_secret_name(name):
            raise ValidationFailedError(field="name", message=f"{REDACTED_SECRET_REF!r} is reserved: the API shows it "
                                                              "in place of a credential that names no secret")
        self._store.put(environment=environment, name=name, value=value)
        updated_at = iso(self._clock.now())
        self._index.record_secret(environment=environment, name=name, updated_at=updated_at)
        return {"name": name, "updated_at": updated_at}

    def delete(self, *, environment: str, name: str) -> None:
        self._store.delete(environment=environment, name=name)
        self._index.forget_secret(environment=environment, name=name)

    def list(self, *, environment: str) -> list[dict[str, Any]]:
        return sorted(self._index.list_secrets(environment=environment), key=lambda s: s["name"])
