"""What the ETIM sync and the model reader need from the outside world.

``EtimSource`` is the ETIM API v2 seen page by page (``adapters.etim_api`` implements it over HTTP); the
paging strategy (partitions, the 30,000 window, batches) is the services' business, so it can be resumed from
a checkpoint and tested without HTTP. ``EtimModelStore`` is where the model lives (``adapters.etim_repository``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from pimtasks.domain.etim import EtimClass, EtimKind, ManifestEntry, ReleaseModel
from pimtasks.domain.etim_source import ClassRef, SearchFilter, SearchPage, StoredVersion


class EtimSource(Protocol):
    """The ETIM API, call by call. Every method raises ``EtimApiError`` subclasses only."""

    def allowed_languages(self) -> list[str]:
        """``Misc/LanguagesAllowed``: the language codes the account may use."""
        ...

    def releases(self) -> list[str]:
        """``Misc/Releases``: the release names."""
        ...

    def search(self, *, kind: EtimKind, release: str, language: str, search_filter: SearchFilter,
               offset: int, size: int) -> SearchPage:
        """One page of ``<Kind>/Search``; for classes the listing (``ClassRef``), else the entities in
        ``language`` (one language's texts each)."""
        ...

    def class_details(self, *, refs: Sequence[ClassRef], language: str) -> list[EtimClass]:
        """``Class/DetailsMany`` for the given classes: their structure and texts in ``language``."""
        ...

    @property
    def requests_made(self) -> int:
        """HTTP requests sent so far (token requests and retries included)."""
        ...


# --- the stored model --------------------------------------------------------------------------------


class EtimModelStore(Protocol):
    """The model of each (environment, release): immutable entity versions, manifests, and a pointer."""

    def current(self, *, environment: str, release: str) -> ReleaseModel | None: ...

    def list_releases(self, *, environment: str) -> list[ReleaseModel]: ...

    def load_manifest(self, *, environment: str, release: str, kind: EtimKind, digest: str) -> list[ManifestEntry]:
        """The entries of one manifest; ``LookupError`` when it is not stored (any more)."""
        ...

    def put_manifest(self, *, environment: str, release: str, kind: EtimKind, digest: str,
                     entries: Sequence[ManifestEntry]) -> int:
        """Store a manifest (idempotent); returns the items written."""
        ...

    def delete_manifest(self, *, environment: str, release: str, kind: EtimKind, digest: str) -> None: ...

    def put_versions(self, *, environment: str, release: str, kind: EtimKind,
                     versions: Sequence[StoredVersion]) -> int:
        """Store entity versions (idempotent: a version is addressed by its hash); returns the items written."""
        ...

    def get_versions(self, *, environment: str, release: str, kind: EtimKind,
                     refs: Sequence[tuple[str, str]]) -> dict[str, bytes]:
        """Bodies by code for the given (code, hash) pairs (missing ones are left out)."""
        ...

    def switch(self, model: ReleaseModel, *, expected_generation: str | None) -> bool:
        """Make ``model`` the current generation if the current one is still ``expected_generation``."""
        ...

    def put_stage(self, *, environment: str, release: str, run_id: str, state: dict[str, Any]) -> None:
        """Keep a sync's unfinished state for its next invocation (only when it must continue later)."""
        ...

    def load_stage(self, *, environment: str, release: str, run_id: str) -> dict[str, Any] | None:
        """The state ``put_stage`` kept (None when none was kept, or it was not kept whole)."""
        ...

    def delete_stage(self, *, environment: str, release: str, run_id: str) -> None: ...
