"""moto's backends as a pickle: what a snapshot of the emulator holds, and how it goes back into moto.

- ``backend_dicts()``: moto's ``BackendDict`` of every service this process used (shard iterators and
  moto's own admin state excepted).
- ``dump_backends(file)`` / ``load_backends(file, bodies=...)`` + ``install(...)``: every account's and
  region's backend of those services, pickled with reducers for what plain pickling gets wrong or cannot do:
  dict and list subclasses that change how items are added (an S3 version list would be wrapped again, a
  DynamoDB item re-sized on every attribute), locks, KMS private keys, moto's ``MISSING``, references to
  moto's live ``BackendDict`` objects, and S3 keys, whose bodies are files of their own.
- ``S3Bodies``: those files, one per S3 key (each version, delete markers' keys), written once, as moto's
  bodies never change after the key is made. Unfinished multipart uploads are left out.
"""

from __future__ import annotations

import copyreg
import importlib
import os
import pickle
import shutil
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path
from types import ModuleType
from typing import IO, Any

PARTIAL_SUFFIX = ".partial"
_COPY_CHUNK = 1024 * 1024
_BODY_ATTRIBUTE = "_pimtasks_blob"
"""Set on a moto S3 key once its body is saved (bodies never change after creation)."""
_SKIPPED_SERVICES = frozenset({"dynamodbstreams", "moto_api"})
"""Not worth keeping: shard iterators (every poller asks for fresh ones) and moto's own admin state."""
_BASE_BACKEND_DICT_ATTRIBUTES = frozenset({"backend", "service_name", "_use_boto3_regions", "_additional_regions",
                                           "_id"})
_NEW_OBJECT = copyreg.__newobj__  # type: ignore[attr-defined]
"""As the callable of a reduce tuple: pickle makes the object with ``cls.__new__(cls)`` (no ``__init__``)."""

_restoring_bodies: ContextVar[Path] = ContextVar("_restoring_bodies")


class SnapshotError(RuntimeError):
    """A snapshot cannot be written or restored (the message says why and what to do)."""


def backend_dicts() -> list[Any]:
    """moto's ``BackendDict`` of every service used in this process (one per service)."""
    from moto.core.base_backend import BackendDict

    unique: dict[int, Any] = {}
    for backend_dict in list(BackendDict._instances):  # type: ignore[misc]
        unique.setdefault(id(backend_dict), backend_dict)
    return [b for b in unique.values() if b.service_name not in _SKIPPED_SERVICES]


def _location(backend_dict: Any) -> tuple[str, str]:
    """(module, attribute) under which moto keeps ``backend_dict`` (e.g. ``moto.s3.models``, ``s3_backends``)."""
    module = sys.modules[backend_dict.backend.__module__]
    for name, value in vars(module).items():
        if value is backend_dict:
            return module.__name__, name
    raise SnapshotError(f"cannot find where moto keeps the {backend_dict.service_name} backends")


def _live_backend_dict(module: str, attribute: str) -> Any:
    return getattr(importlib.import_module(module), attribute)


def _live_account_backend(module: str, attribute: str, account_id: str) -> Any:
    return _live_backend_dict(module, attribute)[account_id]


def _set_mapping_state(mapping: dict[Any, Any], state: tuple[dict[Any, Any], dict[str, Any] | None]) -> None:
    items, attributes = state
    dict.update(mapping, items)
    if attributes:
        mapping.__dict__.update(attributes)


def _set_list_state(sequence: list[Any], state: tuple[list[Any], dict[str, Any] | None]) -> None:
    items, attributes = state
    list.extend(sequence, items)
    if attributes:
        sequence.__dict__.update(attributes)


def _reduce_mapping(mapping: dict[Any, Any]) -> tuple[Any, ...]:
    # Unpickling a dict subclass calls its own __setitem__ for every item: moto's _VersionedKeyStore
    # would wrap each S3 version list in another list, and LimitedSizeDict sizes the whole item on every
    # attribute (minutes for a catalog). The items are put back with dict's own update instead.
    items = dict(dict.items(mapping))
    return (_NEW_OBJECT, (type(mapping),), (items, getattr(mapping, "__dict__", None) or None),
            None, None, _set_mapping_state)


def _reduce_list(sequence: list[Any]) -> tuple[Any, ...]:
    # The same for list subclasses with their own append/extend (the SES outbox stamps arrival times).
    return (_NEW_OBJECT, (type(sequence),), (list(list.__iter__(sequence)),
            getattr(sequence, "__dict__", None) or None), None, None, _set_list_state)


def _reduce_lock(lock: Any) -> tuple[Any, ...]:
    return (threading.RLock if "RLock" in type(lock).__name__ else threading.Lock), ()


def _load_private_key(der: bytes) -> Any:
    from cryptography.hazmat.primitives import serialization

    return serialization.load_der_private_key(der, password=None)


def _reduce_private_key(key: Any) -> tuple[Any, ...]:
    from cryptography.hazmat.primitives import serialization

    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return _load_private_key, (der,)


def _moto_missing() -> Any:
    from moto.core.constants import MISSING

    return MISSING


def _set_key_state(key: Any, state: tuple[dict[str, Any], str]) -> None:
    attributes, blob = state
    key.__dict__.update(attributes)
    key.lock = threading.Lock()
    key._value_buffer = tempfile.SpooledTemporaryFile(max_size=key._max_buffer_size)  # noqa: SIM115 (the key owns it)
    if blob:
        with (_restoring_bodies.get() / blob).open("rb") as body:
            shutil.copyfileobj(body, key._value_buffer, _COPY_CHUNK)
    if key.__dict__.get("disposed"):
        key._value_buffer.close()


def _reduce_s3_key(key: Any) -> tuple[Any, ...]:
    blob = key.__dict__.get(_BODY_ATTRIBUTE)
    if blob is None:
        raise SnapshotError(f"the body of S3 object {key.bucket_name}/{key.name} was not saved")
    attributes = {name: value for name, value in key.__dict__.items() if name not in ("_value_buffer", "lock")}
    return _NEW_OBJECT, (type(key),), (attributes, blob), None, None, _set_key_state


def _own_container_types() -> tuple[list[type], list[type]]:
    """Dict and list subclasses (of moto and of this package) that override how items are added."""
    mappings: list[type] = []
    sequences: list[type] = []
    modules: list[ModuleType] = [m for name, m in list(sys.modules.items())
                                 if m is not None and name.startswith(("moto.", "pimtasks_local."))]
    for module in modules:
        for value in list(vars(module).values()):
            if not isinstance(value, type) or value.__module__ != module.__name__:
                continue
            if issubclass(value, dict) and value.__setitem__ is not dict.__setitem__:
                mappings.append(value)
            elif issubclass(value, list) and (value.append is not list.append or value.extend is not list.extend):
                sequences.append(value)
    return mappings, sequences


def _private_key_types() -> list[type]:
    try:
        from cryptography.hazmat.bindings._rust import openssl
    except ImportError:  # another cryptography layout: KMS keys then fail to pickle, loudly
        return []
    names = (("rsa", "RSAPrivateKey"), ("ec", "ECPrivateKey"), ("ed25519", "Ed25519PrivateKey"))
    return [getattr(getattr(openssl, module), name) for module, name in names
            if hasattr(getattr(openssl, module, None), name)]


def _dispatch_table(backends: list[Any]) -> dict[type, Callable[[Any], Any]]:
    from moto.core.base_backend import AccountSpecificBackend
    from moto.core.constants import MISSING
    from moto.s3.models import FakeKey, MultipartDict

    table: dict[type, Callable[[Any], Any]] = dict(copyreg.dispatch_table)
    mappings, sequences = _own_container_types()
    table.update({cls: _reduce_mapping for cls in mappings})
    table.update({cls: _reduce_list for cls in sequences})
    table[type(threading.Lock())] = _reduce_lock
    table[type(threading.RLock())] = _reduce_lock
    table.update({cls: _reduce_private_key for cls in _private_key_types()})
    table[type(MISSING)] = lambda _missing: (_moto_missing, ())
    table[FakeKey] = _reduce_s3_key
    # Unfinished multipart uploads (FTPS deliveries under way) are left out: nobody can finish them after a
    # restart, and saving their parts would write every big delivery twice.
    table[MultipartDict] = lambda _uploads: (MultipartDict, ())
    locations = {id(b): _location(b) for b in backends}

    def live_backend_dict(backend_dict: Any) -> tuple[Any, ...]:
        return _live_backend_dict, locations.get(id(backend_dict)) or _location(backend_dict)

    def live_account_backend(account: Any) -> tuple[Any, ...]:
        owner = next(b for b in backends if b.get(account.account_id) is account)
        return _live_account_backend, (*(locations.get(id(owner)) or _location(owner)), account.account_id)

    for backend_dict in backends:
        table[type(backend_dict)] = live_backend_dict
    table[AccountSpecificBackend] = live_account_backend
    return table


def _payload(backends: list[Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """Every backend by (module, attribute) -> {account: {region: backend}}, plus the dict's own attributes."""
    payload: dict[tuple[str, str], dict[str, Any]] = {}
    for backend_dict in backends:
        payload[_location(backend_dict)] = {
            "accounts": {account: dict(dict.items(regions)) for account, regions in dict.items(backend_dict)},
            # e.g. S3's bucket -> account map, which lives on the BackendDict itself
            "attributes": {k: v for k, v in vars(backend_dict).items() if k not in _BASE_BACKEND_DICT_ATTRIBUTES},
        }
    return payload


# --- S3 bodies -----------------------------------------------------------------------------------


def _s3_keys() -> Iterator[Any]:
    """Every S3 key a snapshot holds: each version, delete markers' keys, and the parts a completed multipart
    upload keeps (moto has disposed of their bodies). Unfinished multipart uploads are not kept at all."""
    from moto.s3.models import FakeDeleteMarker, FakeKey, s3_backends

    for regions in list(dict.values(s3_backends)):
        for backend in list(dict.values(regions)):
            buckets = [*getattr(backend, "buckets", {}).values(), *getattr(backend, "table_buckets", {}).values()]
            for bucket in buckets:
                for _name, versions in bucket.keys.iterlists():
                    for version in list(versions):
                        key = version.key if isinstance(version, FakeDeleteMarker) else version
                        if isinstance(key, FakeKey):
                            yield key
                            if key.multipart is not None:
                                yield from list(key.multipart.parts.values())


class S3Bodies:
    """S3 bodies as files of their own in ``directory``, one per key, written once."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._known: set[str] | None = None

    def known(self) -> set[str]:
        if self._known is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._known = {p.name for p in self.directory.iterdir() if not p.name.endswith(PARTIAL_SUFFIX)}
        return self._known

    def save_new(self, *, settled_only: bool) -> set[str]:
        """Write the body of every key that has none saved yet; returns the blob names of all keys.

        ``settled_only`` skips keys whose ETag moto has not computed yet: moto reads such a body
        without the key's lock, so those are saved while requests are held (the second pass).
        """
        known = self.known()
        names: set[str] = set()
        for key in _s3_keys():
            name = key.__dict__.get(_BODY_ATTRIBUTE)
            if name is not None and (name == "" or name in known):
                names.add(name)
                continue
            if settled_only and key._etag is None:
                continue
            name = self._save(key)
            if name is not None:
                names.add(name)
        names.discard("")
        return names

    def _save(self, key: Any) -> str | None:
        if key.disposed:
            key.__dict__[_BODY_ATTRIBUTE] = ""
            return ""
        name = uuid.uuid4().hex
        partial = self.directory / f"{name}{PARTIAL_SUFFIX}"
        try:
            with key.lock, partial.open("wb") as out:
                key._value_buffer.seek(0)
                shutil.copyfileobj(key._value_buffer, out, _COPY_CHUNK)
                out.flush()
                os.fsync(out.fileno())
        except ValueError:  # its buffer was closed: the key was deleted meanwhile
            partial.unlink(missing_ok=True)
            return None
        os.replace(partial, self.directory / name)
        self.known().add(name)
        key.__dict__[_BODY_ATTRIBUTE] = name
        return name

    def remove_unreferenced(self, referenced: set[str]) -> int:
        removed = 0
        for name in list(self.known() - referenced):
            (self.directory / name).unlink(missing_ok=True)
            self.known().discard(name)
            removed += 1
        return removed

    def sizes(self, names: set[str]) -> int:
        return sum((self.directory / name).stat().st_size for name in names if (self.directory / name).exists())


# --- the pickle ----------------------------------------------------------------------------------


def dump_backends(file: IO[bytes], backends: list[Any]) -> None:
    """Pickle ``backends`` (from ``backend_dicts()``) into ``file``; every S3 body must be saved already."""
    pickler = pickle.Pickler(file, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _dispatch_table(backends)
    pickler.dump(_payload(backends))


def load_backends(file: IO[bytes], *, bodies: S3Bodies) -> dict[tuple[str, str], dict[str, Any]]:
    """What ``dump_backends`` wrote, S3 bodies read back from ``bodies``; ``install`` puts it into moto."""
    token = _restoring_bodies.set(bodies.directory)
    try:
        payload: dict[tuple[str, str], dict[str, Any]] = pickle.load(file)  # noqa: S301 (our own state directory)
    finally:
        _restoring_bodies.reset(token)
    return payload


def install(payload: dict[tuple[str, str], dict[str, Any]]) -> None:
    """Put restored backends into moto's live ``BackendDict`` objects (the ones its responses use)."""
    for (module, attribute), saved in payload.items():
        backend_dict = _live_backend_dict(module, attribute)
        for account_id, regions in saved["accounts"].items():
            account = backend_dict[account_id]  # creates it the way moto does (and registers the service)
            for region, backend in regions.items():
                dict.__setitem__(account, region, backend)
        for name, value in saved["attributes"].items():
            setattr(backend_dict, name, value)
