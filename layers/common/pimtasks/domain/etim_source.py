"""What the ETIM API gives a sync, call by call, independent of HTTP: pages, class references, filters, and
the errors a call can end in (the adapter raises them, the worker turns them into a failed run)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pimtasks.domain.etim import EtimEntity, EtimKind

SEARCH_CALLS: dict[EtimKind, str] = {
    EtimKind.GROUP: "Group/Search",
    EtimKind.UNIT: "Unit/Search",
    EtimKind.VALUE: "Value/Search",
    EtimKind.FEATURE: "Feature/Search",
    EtimKind.CLASS: "Class/Search",
}


class EtimApiError(Exception):
    """The ETIM API could not give what a sync needs; the message is for the run report."""


class EtimCredentialsError(EtimApiError):
    """The token endpoint refused the client credentials (wrong client id or secret): never retried."""


class EtimUnavailableError(EtimApiError):
    """A call kept failing (5xx, 429, no connection) past the retry budget; names the call."""


class EtimRefusedError(EtimApiError):
    """A call was refused (4xx other than 429) in a way retrying cannot fix; names the call."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


class EtimShapeError(EtimApiError):
    """An answer that does not match the documented shape; names the call and the field."""


# --- paging ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchFilter:
    """Which part of a kind's list one search asks for (ETIM ``filters`` and the tri-state flags).

    ``groups`` narrows classes (and is how a class list larger than the 30,000 window is partitioned);
    ``deprecated`` and ``local`` split features, values and units the same way.
    """

    groups: tuple[str, ...] | None = None
    deprecated: bool | None = None
    local: bool | None = None

    def to_json(self) -> dict[str, Any]:
        return {"groups": list(self.groups) if self.groups is not None else None, "deprecated": self.deprecated,
                "local": self.local}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SearchFilter:
        groups = data.get("groups")
        return cls(groups=tuple(groups) if groups is not None else None, deprecated=data.get("deprecated"),
                   local=data.get("local"))

    def describe(self) -> str:
        parts = []
        if self.groups is not None:
            parts.append(f"groups {self.groups[0]}..{self.groups[-1]} ({len(self.groups)})" if self.groups
                         else "no groups")
        if self.deprecated is not None:
            parts.append(f"deprecated={str(self.deprecated).lower()}")
        if self.local is not None:
            parts.append(f"local={str(self.local).lower()}")
        return ", ".join(parts) or "all"


@dataclass(frozen=True)
class ClassRef:
    """A class of a release as a listing gives it: enough to ask for its details, plus its texts."""

    code: str
    version: int | None
    description: str | None
    synonyms: tuple[str, ...] = ()


@dataclass
class SearchPage:
    """One page of a search: the entities and how far to advance ``from`` (ETIM's ``pageSize``)."""

    total: int
    advance: int
    entities: list[EtimEntity] = field(default_factory=list)
    classes: list[ClassRef] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.classes) if self.classes else len(self.entities)


@dataclass(frozen=True)
class StoredVersion:
    """One version of an entity to store: its code, content hash and canonical body."""

    code: str
    hash: str
    body: bytes
