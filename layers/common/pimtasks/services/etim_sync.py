"""One sync of an environment's ETIM model of a release from the ETIM API: stage, then switch.

Order of work (each step a safe point where Stop and the Lambda time budget are honoured):

1. **Before any data**: the account's allowed languages (``Misc/LanguagesAllowed``) against the task's, and
   the release (the task's, checked against ``Misc/Releases``, or the newest there). A language the account
   may not use fails the run here, naming it and the allowed set.
2. **Groups, units, values, features**, each kind in every language: its search list paged whole (see
   ``etim_paging``), the languages' texts merged per code; then the kind's changes are decided against the
   current generation, the new versions stored, and the kind's manifest stored (only if it differs).
3. **Classes**: first the other languages' texts (``Class/Search``, light pages of 1000), then the first
   language's listing page by page, each page's structure fetched with ``Class/DetailsMany`` in batches;
   each class is decided and its new version stored as it comes, so memory stays bounded.
4. **Switch**: the release's pointer moves to the new manifests in one conditional write. Nothing changed:
   nothing is written at all. Until the switch, readers see the previous generation, whole.

The checkpoint names the kind, the language, the listing position (partition and ``from``) and what every
finished kind produced; the unfinished kind's texts and decisions are staged in the store only when the run
must continue in a fresh invocation (a normal run stages nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from pimtasks.clock import Clock, iso
from pimtasks.domain.etim import (
    ENTITY_TYPES,
    SYNC_ORDER,
    ChangeCounts,
    EtimClass,
    EtimEntity,
    EtimKind,
    EtimUnit,
    ManifestEntry,
    ReleaseModel,
    generation_of,
    newest_release,
)
from pimtasks.domain.etim_source import (
    ClassRef,
    EtimRefusedError,
    EtimShapeError,
    SearchFilter,
    SearchPage,
    StoredVersion,
)
from pimtasks.observability import logger
from pimtasks.services.etim_changes import KindChanges
from pimtasks.services.etim_paging import MAX_SIZE, ListingPosition, pages
from pimtasks.services.etim_ports import EtimModelStore, EtimSource
from pimtasks.services.run_job import ContinueLater

DETAILS_BATCH = 100
"""Classes per ``Class/DetailsMany`` call (halved while the API refuses a batch as too large)."""
WRITE_SLICE = 500
MAX_WARNINGS = 20
_WEIGHTS = {EtimKind.GROUP: 0.02, EtimKind.UNIT: 0.02, EtimKind.VALUE: 0.16, EtimKind.FEATURE: 0.12,
            EtimKind.CLASS: 0.68}


class EtimSyncError(Exception):
    """The sync cannot go on for a reason of the task or the environment (language, release, a rival sync)."""


class SyncJob(Protocol):
    """What the sync needs of its run (``RunJob`` is one)."""

    @property
    def checkpoint(self) -> dict[str, Any] | None: ...

    def keep_alive(self, checkpoint: dict[str, Any] | None = None) -> None: ...

    def progress(self, fraction: float | None, text: str | None = None) -> None: ...


class KindDone(BaseModel):
    digest: str
    entities: int
    counts: ChangeCounts


class SyncCheckpoint(BaseModel):
    """Where a sync is (stored with the run between invocations)."""

    release: str
    release_source: Literal["task", "newest"]
    languages: list[str]
    base_generation: str | None = None
    base_manifests: dict[EtimKind, str] = Field(default_factory=dict)
    base_previous: dict[EtimKind, str] = Field(default_factory=dict)
    done: dict[EtimKind, KindDone] = Field(default_factory=dict)
    kind: EtimKind = EtimKind.GROUP
    phase: Literal["texts", "details"] = "texts"
    language_index: int = 0
    listing: dict[str, Any] | None = None
    plans: dict[EtimKind, list[dict[str, Any]]] = Field(default_factory=dict)
    details_batch: int = DETAILS_BATCH
    requests: int = 0
    written: int = 0
    warnings: list[str] = Field(default_factory=list)
    warnings_more: int = 0
    missing: dict[str, list[str]] = Field(default_factory=dict, description="'<kind> <code>' -> classes using it")
    missing_more: int = 0


@dataclass
class SyncResult:
    """What a finished sync did, for the run report."""

    release: str
    release_source: str
    languages: list[str]
    counts: dict[EtimKind, ChangeCounts]
    entities: dict[EtimKind, int]
    switched: bool
    generation: str | None
    items_written: int
    requests: int
    warnings: list[str] = field(default_factory=list)
    warnings_more: int = 0


class EtimSync:
    """Syncs one (environment, release) for one run; build one per invocation."""

    def __init__(self, *, source: EtimSource, store: EtimModelStore, clock: Clock, environment: str,
                 languages: Sequence[str], release: str | None, run_id: str, task_id: str | None = None,
                 page_size: int = MAX_SIZE, details_batch: int = DETAILS_BATCH) -> None:
        self._source = source
        self._store = store
        self._clock = clock
        self._environment = environment
        self._languages = list(languages)
        self._release_setting = release
        self._run_id = run_id
        self._task_id = task_id
        self._page_size = page_size
        self._details_batch = details_batch
        self._state: SyncCheckpoint | None = None
        self._previous: dict[EtimKind, dict[str, ManifestEntry]] = {}
        self._known: dict[EtimKind, set[str]] = {}
        self._requests_before = 0

    @property
    def state(self) -> SyncCheckpoint | None:
        """Where the sync is (None before the checks of step 1 passed)."""
        return self._state

    def run(self, job: SyncJob) -> SyncResult:
        """Sync (or go on syncing from ``job.checkpoint``) and switch; raises ``EtimApiError`` / ``EtimSyncError``."""
        resumed = job.checkpoint is not None
        state = SyncCheckpoint.model_validate(job.checkpoint) if job.checkpoint else self._prepare()
        self._state = state
        self._requests_before = state.requests
        if not resumed:
            job.keep_alive(self._checkpoint())
        stage = self._resume_stage() if resumed else None
        for kind in SYNC_ORDER:
            if kind in state.done:
                continue
            state.kind = kind
            if kind is EtimKind.CLASS:
                self._sync_classes(job, stage)
            else:
                self._sync_kind(job, kind, stage)
            stage = None
        return self._switch()

    def cleanup(self) -> None:
        """Forget a staged state (the run ended, however)."""
        if self._state is not None:
            self._store.delete_stage(environment=self._environment, release=self._state.release, run_id=self._run_id)

    # --- step 1 -------------------------------------------------------------------------------------
    def _prepare(self) -> SyncCheckpoint:
        allowed = self._source.allowed_languages()
        allowed_keys = {code.lower() for code in allowed}
        refused = [language for language in self._languages if language.lower() not in allowed_keys]
        if refused:
            word = "language" if len(refused) == 1 else "languages"
            raise EtimSyncError(f"the ETIM account may not use {word} {', '.join(refused)}; it may use "
                                f"{', '.join(allowed) or 'no language at all'} (Misc/LanguagesAllowed); nothing "
                                "was changed")
        offered = self._source.releases()
        if self._release_setting:
            spelled = {name.lower(): name for name in offered}
            release = spelled.get(self._release_setting.lower())
            if release is None:
                raise EtimSyncError(f"the ETIM API does not offer release {self._release_setting} (Misc/Releases: "
                                    f"{', '.join(offered) or 'none'}); nothing was changed")
            source: Literal["task", "newest"] = "task"
        else:
            newest = newest_release(offered)
            if newest is None:
                raise EtimSyncError("Misc/Releases returned no release; nothing was changed")
            release, source = newest, "newest"
        base = self._store.current(environment=self._environment, release=release)
        return SyncCheckpoint(release=release, release_source=source, languages=self._languages,
                              base_generation=base.generation if base else None,
                              base_manifests=dict(base.manifests) if base else {},
                              base_previous=dict(base.previous) if base else {})

    # --- safe points and continuation ---------------------------------------------------------------
    def _checkpoint(self) -> dict[str, Any]:
        state = self._require_state()
        state.requests = self._requests_before + self._source.requests_made
        return state.model_dump(mode="json")

    def _safe_point(self, job: SyncJob, stage: Callable[[], dict[str, Any]]) -> None:
        """Checkpoint; when the run must continue later, keep the unfinished kind's state (``stage()``) first."""
        try:
            job.keep_alive(self._checkpoint())
        except ContinueLater:
            state = self._require_state()
            self._store.put_stage(environment=self._environment, release=state.release, run_id=self._run_id,
                                  state={"kind": state.kind.value, **stage()})
            raise

    def _resume_stage(self) -> dict[str, Any] | None:
        """The staged state of the unfinished kind; without it that kind starts again from its beginning."""
        state = self._require_state()
        mid_kind = state.listing is not None or state.language_index > 0 or state.phase == "details"
        if not mid_kind:
            return None
        stage = self._store.load_stage(environment=self._environment, release=state.release, run_id=self._run_id)
        if stage is None or stage.get("kind") != state.kind.value:
            logger.info("no staged state: the ETIM kind starts again", extra={"kind": state.kind.value})
            state.listing, state.language_index, state.phase = None, 0, "texts"
            return None
        return stage

    # --- step 2 -------------------------------------------------------------------------------------
    def _sync_kind(self, job: SyncJob, kind: EtimKind, stage: dict[str, Any] | None) -> None:
        state = self._require_state()
        merged: dict[str, dict[str, Any]] = dict(stage["merged"]) if stage else {}
        for index in range(state.language_index, len(state.languages)):
            language = state.languages[index]
            for page in self._pages(job, kind, language, index):
                for entity in page.entities:
                    _merge(merged, entity)
                self._safe_point(job, lambda: {"merged": merged})
            self._next_language(index)
            self._safe_point(job, lambda: {"merged": merged})
        changes = KindChanges(kind=kind, previous=self._previous_entries(kind))
        versions = [v for v in (changes.add(_entity(kind, row)) for row in merged.values()) if v]
        merged.clear()
        self._store_versions(job, kind, versions)
        self._finish_kind(job, kind, changes)

    def _pages(self, job: SyncJob, kind: EtimKind, language: str, index: int) -> Iterator[SearchPage]:
        """The pages of ``kind`` in ``language``, from the checkpointed position (or the kind's plan)."""
        state = self._require_state()
        if state.listing is not None:
            position = ListingPosition.from_json(state.listing)
        elif kind in state.plans:
            position = ListingPosition.from_json({"plan": state.plans[kind], "index": 0, "offset": 0,
                                                  "resolved": True})
        else:
            position = ListingPosition()
        groups = sorted(self._known_codes(EtimKind.GROUP)) if kind is EtimKind.CLASS else ()

        def fetch(part: SearchFilter, offset: int, size: int) -> Any:
            return self._source.search(kind=kind, release=state.release, language=language, search_filter=part,
                                       offset=offset, size=size)

        for page, after in pages(kind=kind, fetch=fetch, position=position, groups=groups,
                                 page_size=self._page_size, context=f" ({language})"):
            state.listing = after.to_json()
            if after.resolved:
                state.plans[kind] = [p.to_json() for p in after.plan]
            job.progress(*self._progress(kind, index, after.offset, page.total))
            yield page

    def _next_language(self, index: int) -> None:
        state = self._require_state()
        state.language_index = index + 1
        state.listing = None

    def _store_versions(self, job: SyncJob, kind: EtimKind, versions: list[StoredVersion]) -> None:
        state = self._require_state()
        for start in range(0, len(versions), WRITE_SLICE):
            state.written += self._store.put_versions(environment=self._environment, release=state.release,
                                                      kind=kind, versions=versions[start:start + WRITE_SLICE])
            job.keep_alive()

    def _finish_kind(self, job: SyncJob, kind: EtimKind, changes: KindChanges) -> None:
        state = self._require_state()
        entries, digest = changes.finish()
        if digest != state.base_manifests.get(kind):
            state.written += self._store.put_manifest(environment=self._environment, release=state.release,
                                                      kind=kind, digest=digest, entries=entries)
        state.done[kind] = KindDone(digest=digest, entities=len(entries), counts=changes.counts)
        self._known[kind] = {entry.code for entry in entries}
        self._previous.pop(kind, None)
        state.language_index, state.listing, state.phase = 0, None, "texts"
        job.keep_alive(self._checkpoint())

    # --- step 3 -------------------------------------------------------------------------------------
    def _sync_classes(self, job: SyncJob, stage: dict[str, Any] | None) -> None:
        state = self._require_state()
        kind = EtimKind.CLASS
        texts: dict[str, dict[str, list[Any]]] = dict(stage["texts"]) if stage else {}
        changes = KindChanges(kind=kind, previous=self._previous_entries(kind))
        if stage and "changes" in stage:
            changes.load(stage["changes"])
        if state.phase == "texts":
            if state.language_index == 0:
                state.language_index = 1  # the first language's texts come with the listing of step 3b
            for index in range(state.language_index, len(state.languages)):
                language = state.languages[index]
                for page in self._pages(job, kind, language, index):
                    for ref in page.classes:
                        texts.setdefault(ref.code, {})[language] = [ref.description, list(ref.synonyms)]
                    self._safe_point(job, lambda: {"texts": texts})
                self._next_language(index)
                self._safe_point(job, lambda: {"texts": texts})
            state.phase, state.language_index, state.listing = "details", 0, None
            self._safe_point(job, lambda: {"texts": texts})
        language = state.languages[0]
        for page in self._pages(job, kind, language, 0):
            refs = list({ref.code: ref for ref in page.classes}.values())
            versions = []
            for detail in self._details(refs, language):
                entity = self._complete(detail, texts)
                self._check_references(entity)
                if (version := changes.add(entity)) is not None:
                    versions.append(version)
            self._store_versions(job, kind, versions)
            self._safe_point(job, lambda: {"texts": texts, "changes": changes.to_json()})
        self._report_missing()
        self._finish_kind(job, kind, changes)

    def _details(self, refs: list[ClassRef], language: str) -> list[EtimClass]:
        """``Class/DetailsMany`` for ``refs`` in batches. The document names no batch limit, so a server's is
        learnt: a batch refused as too large is halved, a batch answered only in part is asked again in
        batches of what it answered. A class no batch of one returns fails the sync (it would be lost)."""
        state = self._require_state()
        found: dict[str, EtimClass] = {}
        pending = list(refs)
        while pending:
            batch = pending[:state.details_batch]
            try:
                answered = self._source.class_details(refs=batch, language=language)
            except EtimRefusedError as refused:
                if refused.status not in (400, 413) or len(batch) == 1:
                    raise
                state.details_batch = max(1, len(batch) // 2)
                logger.info("Class/DetailsMany batch refused; asking for fewer", extra={"batch": state.details_batch})
                continue
            wanted = {ref.code for ref in batch}
            got = {cls.code: cls for cls in answered if cls.code in wanted and cls.code not in found}
            found.update(got)
            missing = [ref for ref in batch if ref.code not in found]
            pending = pending[len(batch):]
            if not missing:
                continue
            if got:
                state.details_batch = min(state.details_batch, len(got))
            elif len(batch) > 1:
                state.details_batch = max(1, len(batch) // 2)
            else:
                ref = missing[0]
                raise EtimShapeError(f"Class/DetailsMany ({language}) did not return {ref.code} (version "
                                     f"{ref.version}), which Class/Search listed for {state.release}")
            pending = missing + pending
        return [found[ref.code] for ref in refs]

    def _complete(self, detail: EtimClass, texts: dict[str, dict[str, list[Any]]]) -> EtimClass:
        """The class with the other languages' texts added (taken out of ``texts``: each is used once)."""
        others = texts.pop(detail.code, {})
        if not others:
            return detail
        descriptions = dict(detail.descriptions)
        synonyms = dict(detail.synonyms)
        for language, (description, words) in others.items():
            descriptions[language] = description
            synonyms[language] = list(words)
        return detail.model_copy(update={"descriptions": descriptions, "synonyms": synonyms})

    def _check_references(self, entity: EtimClass) -> None:
        """Note codes a class uses that their kind's own list did not give (the class keeps them)."""
        state = self._require_state()
        used = [(EtimKind.GROUP, entity.group)] if entity.group else []
        for feature in entity.features:
            used.append((EtimKind.FEATURE, feature.code))
            used.extend((EtimKind.UNIT, unit) for unit in (feature.unit, feature.unit_imperial) if unit)
            used.extend((EtimKind.VALUE, value.code) for value in feature.values)
        for kind, code in used:
            if code in self._known_codes(kind):
                continue
            key = f"{kind.value} {code}"
            if key in state.missing:
                if len(state.missing[key]) < 3 and entity.code not in state.missing[key]:
                    state.missing[key].append(entity.code)
            elif len(state.missing) < MAX_WARNINGS:
                state.missing[key] = [entity.code]
            else:
                state.missing_more += 1

    def _report_missing(self) -> None:
        state = self._require_state()
        for key, classes in sorted(state.missing.items()):
            kind, code = key.split(" ", 1)
            state.warnings.append(f"{code} is used by class {', '.join(classes)} but is not in the {kind} list of "
                                  "the ETIM API (the class keeps the code)")
        state.warnings_more += state.missing_more

    # --- step 4 -------------------------------------------------------------------------------------
    def _switch(self) -> SyncResult:
        state = self._require_state()
        manifests = {kind: state.done[kind].digest for kind in SYNC_ORDER}
        counts = {kind: state.done[kind].counts for kind in SYNC_ORDER}
        entities = {kind: state.done[kind].entities for kind in SYNC_ORDER}
        switched = manifests != state.base_manifests
        generation = generation_of(manifests)
        if switched:
            model = ReleaseModel(environment=self._environment, release=state.release, generation=generation,
                                 manifests=manifests, previous=state.base_manifests, entities=entities,
                                 changes=counts, languages=state.languages, synced_at=iso(self._clock.now()),
                                 run_id=self._run_id, task_id=self._task_id)
            if not self._store.switch(model, expected_generation=state.base_generation):
                raise EtimSyncError(f"another sync of {state.release} in this environment switched the model while "
                                    "this one ran; nothing of this run became visible, run it again")
            state.written += 1
            self._forget_old_manifests(manifests)
        return SyncResult(release=state.release, release_source=state.release_source, languages=state.languages,
                          counts=counts, entities=entities, switched=switched, generation=generation,
                          items_written=state.written, requests=self._requests_before + self._source.requests_made,
                          warnings=list(state.warnings), warnings_more=state.warnings_more)

    def _forget_old_manifests(self, manifests: dict[EtimKind, str]) -> None:
        """Manifests of the generation before the previous one are not needed any more (the previous one stays
        for readers that were paging through it when the switch came). Best effort: a leftover costs storage."""
        state = self._require_state()
        for kind, digest in state.base_previous.items():
            if digest in (manifests.get(kind), state.base_manifests.get(kind)):
                continue
            try:
                self._store.delete_manifest(environment=self._environment, release=state.release, kind=kind,
                                            digest=digest)
            except Exception:  # noqa: BLE001 (clean-up only; the switch is done)
                logger.warning("could not delete an old ETIM manifest", extra={"kind": kind.value})

    # --- helpers ------------------------------------------------------------------------------------
    def _previous_entries(self, kind: EtimKind) -> dict[str, ManifestEntry]:
        state = self._require_state()
        if kind not in self._previous:
            digest = state.base_manifests.get(kind)
            entries = self._store.load_manifest(environment=self._environment, release=state.release, kind=kind,
                                                digest=digest) if digest else []
            self._previous[kind] = {entry.code: entry for entry in entries}
        return self._previous[kind]

    def _known_codes(self, kind: EtimKind) -> set[str]:
        state = self._require_state()
        if kind not in self._known and kind in state.done:
            entries = self._store.load_manifest(environment=self._environment, release=state.release, kind=kind,
                                                digest=state.done[kind].digest)
            self._known[kind] = {entry.code for entry in entries}
        return self._known.get(kind, set())

    def _progress(self, kind: EtimKind, index: int, offset: int, total: int) -> tuple[float, str]:
        """How far the sync is (0..1) and what it is doing, for the run's progress."""
        state = self._require_state()
        done = sum(_WEIGHTS[k] for k in state.done)
        within = (index + (min(offset / total, 1.0) if total else 1.0)) / max(len(state.languages), 1)
        if kind is EtimKind.CLASS:
            phase = "details" if state.phase == "details" else "texts"
            text = f"ETIM {state.release}: classes, {phase} ({state.languages[index]}, {min(offset, total)} of {total})"
        else:
            text = f"ETIM {state.release}: {kind.plural} ({state.languages[index]}, {min(offset, total)} of {total})"
        return min(done + _WEIGHTS[kind] * within, 0.99), text

    def _require_state(self) -> SyncCheckpoint:
        if self._state is None:
            raise RuntimeError("the sync has not started")
        return self._state


def _merge(merged: dict[str, dict[str, Any]], entity: EtimEntity) -> None:
    """Add one language's texts of ``entity``; what does not depend on language is the first answer's."""
    row = merged.get(entity.code)
    if row is None:
        merged[entity.code] = entity.model_dump(mode="json")
        return
    row["descriptions"].update(entity.descriptions)
    if isinstance(entity, EtimUnit):
        row["abbreviations"].update(entity.abbreviations)


def _entity(kind: EtimKind, row: dict[str, Any]) -> EtimEntity:
    entity = ENTITY_TYPES[kind].model_validate(row)
    return entity  # type: ignore[return-value]
