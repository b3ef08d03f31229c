"""The ETIM model in the catalog table: immutable entity versions, per-kind manifests, one pointer per release.

Why DynamoDB, and this layout (the issue asks to say why):

- A class, a feature, a value is read by code (the class page of the API, the checks of an import): a
  point read. DynamoDB gives that at any size; S3 would need an index anyway, or one object per entity.
- "Writes only what changed" and "a failed sync leaves the previous model whole" together mean versions
  plus a switch. Every entity version is an **immutable item addressed by its content hash**, written
  only when that hash is new; a **manifest** per kind (code -> hash, plus what the class list filters on)
  names one consistent set; the **pointer** of a release names the manifests. A sync writes new versions
  and new manifests first, then switches the pointer with one conditional write. Until then readers follow
  the old pointer to the old manifests and versions, which nothing overwrites: the previous model stays
  readable and whole whatever happens to the sync. A re-sync that finds nothing new writes nothing.
- The ETIM model is catalog data (DOMAIN: "Catalog ... later: ETIM model"), so it lives in ``CatalogTable``
  under its own key prefix ``ENV#<env>#ETIM#``; the functions that only read it (the API) get an IAM
  policy limited to that prefix (``dynamodb:LeadingKeys``). The catalog's listing index never sees these
  items (they carry no ``shard_pk``).

Items (``pk``, ``sk``), every key starting with the environment:

| item | pk | sk | attributes |
|---|---|---|---|
| pointer | ``ENV#<env>#ETIM#RELEASES`` | ``<release>`` | ``generation``, ``data`` (JSON ``ReleaseModel``) |
| version | ``ENV#<env>#ETIM#<release>#<KIND>#<code>`` | ``V#<hash>`` | ``body`` (zlib JSON of the entity) |
| manifest chunk | ``ENV#<env>#ETIM#<release>#MANIFEST`` | ``<KIND>#<digest>#<nnnn>`` | ``body`` (zlib JSON slice) |
| stage chunk | ``ENV#<env>#ETIM#<release>#STAGE#<run_id>`` | ``<nnnn>``, ``DONE`` | a continuing sync's state |

Each entity is its own partition (no hot key); a manifest of 15,000 values is a few chunks of at most
350 KB, read with one query. Bodies are compressed: ETIM texts compress about 5:1.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from typing import Any

from pimtasks.adapters.dynamo import DynamoTable, Item, put_if_current
from pimtasks.domain.etim import ClassSummary, EtimKind, ManifestEntry, ReleaseModel
from pimtasks.domain.etim_source import StoredVersion

CHUNK_BYTES = 350_000
_DONE = "DONE"


def prefix(environment: str) -> str:
    return f"ENV#{environment}#ETIM#"


def releases_pk(environment: str) -> str:
    return f"{prefix(environment)}RELEASES"


def version_pk(environment: str, release: str, kind: EtimKind, code: str) -> str:
    return f"{prefix(environment)}{release}#{kind.name}#{code}"


def manifest_pk(environment: str, release: str) -> str:
    return f"{prefix(environment)}{release}#MANIFEST"


def stage_pk(environment: str, release: str, run_id: str) -> str:
    return f"{prefix(environment)}{release}#STAGE#{run_id}"


def _chunks(payload: bytes) -> list[bytes]:
    return [payload[start:start + CHUNK_BYTES] for start in range(0, len(payload), CHUNK_BYTES)] or [b""]


def _pack(data: Any) -> bytes:
    return zlib.compress(json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8"), 6)


def _unpack(payload: bytes) -> Any:
    return json.loads(zlib.decompress(payload))


def _entry_row(entry: ManifestEntry) -> list[Any]:
    summary = entry.summary.model_dump() if entry.summary is not None else None
    return [entry.code, entry.hash, 1 if entry.deprecated else 0, summary]


def _entry_of(row: list[Any]) -> ManifestEntry:
    code, hash_, deprecated, summary = row
    return ManifestEntry.model_construct(code=code, hash=hash_, deprecated=bool(deprecated),
                                         summary=ClassSummary.model_construct(**summary) if summary else None)


class EtimRepository:
    """``services.etim_ports.EtimModelStore`` on the catalog table."""

    def __init__(self, *, table: DynamoTable) -> None:
        self._table = table
        self.items_written = 0

    # --- pointer ------------------------------------------------------------------------------------
    def current(self, *, environment: str, release: str) -> ReleaseModel | None:
        item = self._table.get({"pk": releases_pk(environment), "sk": release})
        return ReleaseModel.model_validate_json(item["data"]) if item else None

    def list_releases(self, *, environment: str) -> list[ReleaseModel]:
        items = self._table.query_all(key_condition="pk = :pk", values={":pk": releases_pk(environment)})
        return [ReleaseModel.model_validate_json(item["data"]) for item in items]

    def switch(self, model: ReleaseModel, *, expected_generation: str | None) -> bool:
        item = {"pk": releases_pk(model.environment), "sk": model.release, "generation": model.generation,
                "data": model.model_dump_json()}
        if not put_if_current(self._table, item, attribute="generation", expected=expected_generation):
            return False
        self.items_written += 1
        return True

    # --- manifests ----------------------------------------------------------------------------------
    def put_manifest(self, *, environment: str, release: str, kind: EtimKind, digest: str,
                     entries: Sequence[ManifestEntry]) -> int:
        chunks = _chunks(_pack([_entry_row(entry) for entry in entries]))
        items = [{"pk": manifest_pk(environment, release), "sk": f"{kind.name}#{digest}#{index:04d}",
                  "body": chunk, "chunks": len(chunks)} for index, chunk in enumerate(chunks)]
        return self._write(puts=items)

    def load_manifest(self, *, environment: str, release: str, kind: EtimKind, digest: str) -> list[ManifestEntry]:
        items = self._query_prefix(manifest_pk(environment, release), f"{kind.name}#{digest}#")
        if not items or len(items) != int(items[0]["chunks"]):
            raise LookupError(f"the {kind.value} manifest {digest} of {release} is not stored")
        payload = b"".join(bytes(item["body"]) for item in sorted(items, key=lambda i: i["sk"]))
        return [_entry_of(row) for row in _unpack(payload)]

    def delete_manifest(self, *, environment: str, release: str, kind: EtimKind, digest: str) -> None:
        items = self._query_prefix(manifest_pk(environment, release), f"{kind.name}#{digest}#")
        self._table.write_many(deletes=[{"pk": item["pk"], "sk": item["sk"]} for item in items])

    # --- versions -----------------------------------------------------------------------------------
    def put_versions(self, *, environment: str, release: str, kind: EtimKind,
                     versions: Sequence[StoredVersion]) -> int:
        items = [{"pk": version_pk(environment, release, kind, version.code), "sk": f"V#{version.hash}",
                  "body": zlib.compress(version.body, 6)} for version in versions]
        return self._write(puts=items)

    def get_versions(self, *, environment: str, release: str, kind: EtimKind,
                     refs: Sequence[tuple[str, str]]) -> dict[str, bytes]:
        keys = [{"pk": version_pk(environment, release, kind, code), "sk": f"V#{hash_}"}
                for code, hash_ in dict(refs).items()]
        found = self._table.get_many(keys)
        return {str(item["pk"]).rsplit("#", 1)[-1]: zlib.decompress(bytes(item["body"])) for item in found}

    # --- stage --------------------------------------------------------------------------------------
    def put_stage(self, *, environment: str, release: str, run_id: str, state: dict[str, Any]) -> None:
        self.delete_stage(environment=environment, release=release, run_id=run_id)
        chunks = _chunks(_pack(state))
        pk = stage_pk(environment, release, run_id)
        self._write(puts=[{"pk": pk, "sk": f"{index:04d}", "body": chunk} for index, chunk in enumerate(chunks)])
        # Written last: a stage without it was not kept whole and is ignored.
        self._table.put({"pk": pk, "sk": _DONE, "chunks": len(chunks)})
        self.items_written += 1

    def load_stage(self, *, environment: str, release: str, run_id: str) -> dict[str, Any] | None:
        items = self._table.query_all(key_condition="pk = :pk", values={":pk": stage_pk(environment, release, run_id)})
        done = next((item for item in items if item["sk"] == _DONE), None)
        chunks = sorted((item for item in items if item["sk"] != _DONE), key=lambda i: i["sk"])
        if done is None or len(chunks) != int(done["chunks"]):
            return None
        state = _unpack(b"".join(bytes(item["body"]) for item in chunks))
        return state if isinstance(state, dict) else None

    def delete_stage(self, *, environment: str, release: str, run_id: str) -> None:
        items = self._table.query_all(key_condition="pk = :pk", values={":pk": stage_pk(environment, release, run_id)})
        if items:
            self._table.write_many(deletes=[{"pk": item["pk"], "sk": item["sk"]} for item in items])

    # --- helpers ------------------------------------------------------------------------------------
    def _write(self, *, puts: Sequence[Item]) -> int:
        written = self._table.write_many(puts=puts)
        self.items_written += written
        return written

    def _query_prefix(self, pk: str, sk_prefix: str) -> list[Item]:
        return self._table.query_all(key_condition="pk = :pk AND begins_with(sk, :prefix)",
                                     values={":pk": pk, ":prefix": sk_prefix})
