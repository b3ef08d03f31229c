"""Reading an environment's ETIM model: releases, the class list (paged, searched), one class with its
features, units and values, one feature, value, unit or group; and the small checks imports need.

Every read follows the release's pointer to its current generation (one point read), so a sync that is
still running, or failed, is never seen half. Manifests and entity versions are immutable and addressed by
digest and hash, so this reader keeps the recent ones in memory (per process) without any invalidation.

For product imports (issue 10, item 6): ``class_features(environment=, release=, code=)`` answers "which
features may this class have, with which values and units" and ``contains(...)`` "is this code in the
model"; both are cheap after the first call for a release (a cached manifest and cached class versions).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import OrderedDict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from pimtasks.domain.etim import (
    EtimClass,
    EtimEntity,
    EtimFeature,
    EtimGroup,
    EtimKind,
    EtimUnit,
    EtimValue,
    FeatureRule,
    ManifestEntry,
    ReleaseModel,
    feature_rules_of,
    newest_release,
    parse_entity,
)
from pimtasks.errors import NotFoundError, ValidationFailedError
from pimtasks.services.etim_ports import EtimModelStore

MAX_PAGE_SIZE = 200
_MANIFESTS_KEPT = 8  # a class manifest of 5,500 classes in 3 languages is some 15 MB of objects
_ENTITIES_KEPT = 10_000


class EtimModelNotFoundError(NotFoundError):
    """No model of that release (or none at all) in the environment, or no entity with that code in it."""


@dataclass(frozen=True)
class ClassListing:
    model: ReleaseModel
    language: str
    entries: list[ManifestEntry]
    total: int
    next_token: str | None


@dataclass(frozen=True)
class ClassDetail:
    """A class and everything it refers to, as stored (the API picks the language)."""

    model: ReleaseModel
    language: str
    entity: EtimClass
    group: EtimGroup | None
    features: dict[str, EtimFeature]
    values: dict[str, EtimValue]
    units: dict[str, EtimUnit]


@dataclass(frozen=True)
class EntityDetail:
    model: ReleaseModel
    language: str
    entity: EtimEntity


class EtimModelReader:
    def __init__(self, *, store: EtimModelStore) -> None:
        self._store = store
        self._manifests: OrderedDict[tuple[str, str, EtimKind, str], dict[str, ManifestEntry]] = OrderedDict()
        self._entities: OrderedDict[tuple[str, str, EtimKind, str], EtimEntity] = OrderedDict()
        self._rules: OrderedDict[tuple[str, str, str], dict[str, FeatureRule]] = OrderedDict()

    # --- releases -----------------------------------------------------------------------------------
    def releases(self, *, environment: str) -> list[ReleaseModel]:
        """The environment's synced releases, the newest first."""
        models = self._store.list_releases(environment=environment)
        newest = newest_release([m.release for m in models])
        return sorted(models, key=lambda m: (m.release != newest, m.release))

    def model(self, *, environment: str, release: str | None) -> ReleaseModel:
        """The current generation of ``release`` (default: the newest synced release)."""
        if release is None:
            models = self._store.list_releases(environment=environment)
            release = newest_release([m.release for m in models])
            if release is None:
                raise EtimModelNotFoundError(f"environment {environment} has no ETIM model yet: run an Import ETIM "
                                             "task")
        found = self._store.current(environment=environment, release=release)
        if found is None:
            raise EtimModelNotFoundError(f"environment {environment} has no ETIM model of release {release}")
        return found

    # --- classes ------------------------------------------------------------------------------------
    def list_classes(self, *, environment: str, release: str | None, group: str | None = None,
                     q: str | None = None, language: str | None = None, limit: int = 50,
                     next_token: str | None = None) -> ClassListing:
        """A page of the release's classes in code order, filtered by group and by a text in the language's
        description or synonyms (case-insensitive)."""
        model = self.model(environment=environment, release=release)
        language = self._language(model, language)
        limit = max(1, min(limit, MAX_PAGE_SIZE))
        fingerprint = _fingerprint(group, q, language)
        digest, offset = model.manifests[EtimKind.CLASS], 0
        if next_token:
            digest, offset = _read_token(next_token, model=model, fingerprint=fingerprint)
        try:
            entries = self._manifest(model, EtimKind.CLASS, digest).values()
        except LookupError as gone:  # the generation a token was issued for has been cleaned up since
            raise ValidationFailedError(field="next_token", message="the ETIM model changed since this listing "
                                        "began; list again from the start") from gone
        matching = [entry for entry in entries if _matches(entry, group=group, q=q, language=language)]
        page = matching[offset:offset + limit]
        following = offset + limit
        token = _make_token(model.release, digest, following, fingerprint) if following < len(matching) else None
        return ClassListing(model=model, language=language, entries=page, total=len(matching), next_token=token)

    def class_detail(self, *, environment: str, release: str | None, code: str,
                     language: str | None = None) -> ClassDetail:
        """One class with its group, features, units and values."""
        model = self.model(environment=environment, release=release)
        language = self._language(model, language)
        entity = self._one(model, EtimKind.CLASS, code)
        assert isinstance(entity, EtimClass)
        feature_codes = [f.code for f in entity.features]
        unit_codes = [u for f in entity.features for u in (f.unit, f.unit_imperial) if u]
        value_codes = [v.code for f in entity.features for v in f.values]
        groups = _typed(self._many(model, EtimKind.GROUP, [entity.group] if entity.group else []), EtimGroup)
        return ClassDetail(
            model=model, language=language, entity=entity, group=groups.get(entity.group or ""),
            features=_typed(self._many(model, EtimKind.FEATURE, feature_codes), EtimFeature),
            values=_typed(self._many(model, EtimKind.VALUE, value_codes), EtimValue),
            units=_typed(self._many(model, EtimKind.UNIT, unit_codes), EtimUnit),
        )

    def entity_detail(self, *, environment: str, release: str | None, kind: EtimKind, code: str,
                      language: str | None = None) -> EntityDetail:
        """One feature, value, unit or group."""
        model = self.model(environment=environment, release=release)
        return EntityDetail(model=model, language=self._language(model, language),
                            entity=self._one(model, kind, code))

    # --- for imports ------------------------------------------------------------------------------
    def contains(self, *, environment: str, release: str, kind: EtimKind, code: str) -> bool | None:
        """Whether ``code`` is in the model of ``release``; None when the environment has no such model (no
        model, no check)."""
        model = self._store.current(environment=environment, release=release)
        if model is None:
            return None
        return code in self._manifest(model, kind, model.manifests[kind])

    def class_features(self, *, environment: str, release: str, code: str) -> dict[str, FeatureRule] | None:
        """The features a class of ``release`` has, each with its allowed value codes and unit codes; None when
        there is no model of that release or no such class in it."""
        model = self._store.current(environment=environment, release=release)
        if model is None or code not in self._manifest(model, EtimKind.CLASS, model.manifests[EtimKind.CLASS]):
            return None
        return self.class_rules(model, [code]).get(code)

    def codes(self, model: ReleaseModel, kind: EtimKind) -> Collection[str]:
        """Every code of ``kind`` in ``model`` (the cached manifest's keys: a set-like view, no copy)."""
        return self._manifest(model, kind, model.manifests[kind]).keys()

    def class_rules(self, model: ReleaseModel, codes: Iterable[str]) -> dict[str, dict[str, FeatureRule]]:
        """The feature rules of each class of ``codes`` that is in ``model``, read in batches (then cached by the
        class version's hash, like the entities)."""
        manifest = self._manifest(model, EtimKind.CLASS, model.manifests[EtimKind.CLASS])
        found: dict[str, dict[str, FeatureRule]] = {}
        wanted: list[tuple[str, str]] = []
        for code in dict.fromkeys(codes):
            entry = manifest.get(code)
            if entry is None:
                continue
            cached = self._rules.get((model.environment, model.release, entry.hash))
            if cached is not None:
                found[code] = cached
            else:
                wanted.append((code, entry.hash))
        if wanted:
            bodies = self._store.get_versions(environment=model.environment, release=model.release,
                                              kind=EtimKind.CLASS, refs=wanted)
            for code, hash_ in wanted:
                if code in bodies:
                    found[code] = self._rules[(model.environment, model.release, hash_)] = feature_rules_of(
                        bodies[code])
            while len(self._rules) > _ENTITIES_KEPT:
                self._rules.popitem(last=False)
        return found

    def for_import(self, *, environment: str) -> ImportEtimModel | None:
        """The environment's model as one import run checks against it; None when it has none (no check)."""
        models = {model.release: model for model in self._store.list_releases(environment=environment)}
        if not models:
            return None
        return ImportEtimModel(reader=self, models=models)

    # --- helpers ------------------------------------------------------------------------------------
    def _language(self, model: ReleaseModel, language: str | None) -> str:
        if language is None:
            return model.languages[0]
        spelled = {code.lower(): code for code in model.languages}
        found = spelled.get(language.lower())
        if found is None:
            raise ValidationFailedError(field="language", message=f"the ETIM model of {model.release} has no "
                                        f"{language!r}; it has {', '.join(model.languages)}")
        return found

    def _manifest(self, model: ReleaseModel, kind: EtimKind, digest: str) -> dict[str, ManifestEntry]:
        key = (model.environment, model.release, kind, digest)
        cached = self._manifests.get(key)
        if cached is None:
            entries = self._store.load_manifest(environment=model.environment, release=model.release, kind=kind,
                                                digest=digest)
            cached = {entry.code: entry for entry in entries}
            self._manifests[key] = cached
            while len(self._manifests) > _MANIFESTS_KEPT:
                self._manifests.popitem(last=False)
        else:
            self._manifests.move_to_end(key)
        return cached

    def _one(self, model: ReleaseModel, kind: EtimKind, code: str) -> EtimEntity:
        found = self._many(model, kind, [code]).get(code)
        if found is None:
            raise EtimModelNotFoundError(f"{kind.value} {code} is not in the ETIM model of {model.release}")
        return found

    def _many(self, model: ReleaseModel, kind: EtimKind, codes: Iterable[str]) -> dict[str, EtimEntity]:
        """The current versions of ``codes`` (those in the model), from the cache or in batches."""
        manifest = self._manifest(model, kind, model.manifests[kind])
        found: dict[str, EtimEntity] = {}
        wanted: list[tuple[str, str]] = []
        for code in dict.fromkeys(codes):
            entry = manifest.get(code)
            if entry is None:
                continue
            cached = self._entities.get((model.environment, model.release, kind, entry.hash))
            if cached is not None:
                found[code] = cached
            else:
                wanted.append((code, entry.hash))
        if wanted:
            bodies = self._store.get_versions(environment=model.environment, release=model.release, kind=kind,
                                              refs=wanted)
            for code, hash_ in wanted:
                if code in bodies:
                    entity = parse_entity(kind, bodies[code])
                    found[code] = entity
                    self._entities[(model.environment, model.release, kind, hash_)] = entity
            while len(self._entities) > _ENTITIES_KEPT:
                self._entities.popitem(last=False)
        return found



class ImportEtimModel:
    """An environment's ETIM models as one import run sees them (``imports.etim_check.EtimReference``).

    The releases are read once per run; each release's code sets are the reader's cached manifests, and a
    class's feature rules are read in batches the first time a batch of rows names the class, then kept for
    the run.
    """

    def __init__(self, *, reader: EtimModelReader, models: dict[str, ReleaseModel]) -> None:
        self._reader = reader
        self._models = models
        self._rules: dict[tuple[str, str], dict[str, FeatureRule] | None] = {}
        self._codes: dict[tuple[str, EtimKind], Collection[str] | None] = {}
        self.default_release = newest_release(list(models))

    @property
    def releases(self) -> list[str]:
        return sorted(self._models)

    def codes(self, release: str, kind: EtimKind) -> Collection[str] | None:
        """The codes of ``kind`` in the model of ``release``; None when there is no such model."""
        key = (release, kind)
        if key not in self._codes:
            model = self._models.get(release)
            self._codes[key] = None if model is None else self._reader.codes(model, kind)
        return self._codes[key]

    def class_rules(self, release: str, codes: Iterable[str]) -> dict[str, dict[str, FeatureRule] | None]:
        """Feature rules by class code (None for a class not in the release), for the given classes."""
        model = self._models.get(release)
        wanted = [code for code in dict.fromkeys(codes) if (release, code) not in self._rules]
        if model is not None and wanted:
            found = self._reader.class_rules(model, wanted)
            for code in wanted:
                self._rules[(release, code)] = found.get(code)
        return {code: self._rules.get((release, code)) for code in codes}


def _typed(found: dict[str, EtimEntity], kind: type[Any]) -> dict[str, Any]:
    return {code: entity for code, entity in found.items() if isinstance(entity, kind)}


def _matches(entry: ManifestEntry, *, group: str | None, q: str | None, language: str) -> bool:
    summary = entry.summary
    if summary is None:
        return group is None and not q
    if group is not None and summary.group != group:
        return False
    if q:
        needle = q.lower()
        texts = [summary.descriptions.get(language) or "", *summary.synonyms.get(language, [])]
        return any(needle in text.lower() for text in texts)
    return True


def _fingerprint(group: str | None, q: str | None, language: str) -> str:
    return hashlib.sha256(json.dumps([group, q, language]).encode()).hexdigest()[:12]


def _make_token(release: str, digest: str, offset: int, fingerprint: str) -> str:
    data = {"r": release, "m": digest, "o": offset, "f": fingerprint}
    return base64.urlsafe_b64encode(json.dumps(data, sort_keys=True).encode()).decode().rstrip("=")


def _read_token(token: str, *, model: ReleaseModel, fingerprint: str) -> tuple[str, int]:
    """The manifest digest and offset a page token continues from; it must be one of this listing's."""
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        release, digest, offset, issued_for = data["r"], str(data["m"]), int(data["o"]), data["f"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValidationFailedError(field="next_token", message="not a token this API issued") from exc
    if release != model.release or issued_for != fingerprint or offset < 0:
        raise ValidationFailedError(field="next_token", message="not a token of this listing (same release, group, "
                                    "q and language)")
    if digest not in (model.manifests[EtimKind.CLASS], model.previous.get(EtimKind.CLASS)):
        raise ValidationFailedError(field="next_token", message="the ETIM model changed since this listing began; "
                                    "list again from the start")
    return digest, offset
