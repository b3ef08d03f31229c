"""The Magento push state (``pimtasks.magento.state``) in the catalog table, next to the records it is about
(the key scheme and batch calls of ``adapters.task_state``).

Item layout (no attribute of the listing index, so none of these items is listed as a catalog record):
- accepted payload hash, one item per SKU and scope: ``pk = ENV#<env>#MAGENTO#<task_id>#<sku>``,
  ``sk = SCOPE#<scope>`` (``SCOPE#@global`` or ``SCOPE#<store code>``), ``payload_hash``, ``run_id``. Every SKU
  its own partition: a push of a million articles spreads over the key space like the catalog itself;
- an open bulk: ``pk = ENV#<env>#MAGENTO#<task_id>``, ``sk = BULK#<sent_at>#<bulk_uuid>``, with its scope,
  action, run and entries (JSON text ``[[sku, hash, accepted, attempt], ...]``, 200 entries are some 15 KB);
- a SKU to send again: same pk, ``sk = RETRY#<sku>``, ``run_id``.
Reads are BatchGetItem (100 keys), writes BatchWriteItem (25), both retrying unprocessed items.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pimtasks.adapters.task_state import READ_BATCH, TaskStateTable
from pimtasks.magento.state import BulkEntry, OpenBulk, ScopeKey


class MagentoStateRepository(TaskStateTable):
    kind = "MAGENTO"

    # --- accepted hashes ------------------------------------------------------------------------
    def accepted(self, *, environment: str, task_id: str, keys: Sequence[ScopeKey]) -> dict[ScopeKey, str]:
        prefix = self.task_pk(environment, task_id)
        unique = list(dict.fromkeys(keys))
        found: dict[ScopeKey, str] = {}
        for start in range(0, len(unique), READ_BATCH):
            request = {self._table.name: {
                "Keys": [_hash_key(prefix, key) for key in unique[start:start + READ_BATCH]],
                "ConsistentRead": True,
                "ProjectionExpression": "pk, sk, payload_hash",
            }}
            for item in self._batch_get(request):
                sku = item["pk"]["S"][len(prefix) + 1:]
                found[(sku, item["sk"]["S"].removeprefix("SCOPE#"))] = item["payload_hash"]["S"]
        return found

    def accept(self, *, environment: str, task_id: str, hashes: Mapping[ScopeKey, str], run_id: str) -> None:
        prefix = self.task_pk(environment, task_id)
        self._batch_write([{"PutRequest": {"Item": {**_hash_key(prefix, key), "payload_hash": {"S": value},
                                                     "run_id": {"S": run_id}}}}
                           for key, value in hashes.items()])

    def forget(self, *, environment: str, task_id: str, keys: Sequence[ScopeKey]) -> None:
        prefix = self.task_pk(environment, task_id)
        self._batch_write([{"DeleteRequest": {"Key": _hash_key(prefix, key)}} for key in dict.fromkeys(keys)])

    # --- open bulks -----------------------------------------------------------------------------
    def open_bulks(self, *, environment: str, task_id: str) -> list[OpenBulk]:
        items = self._table.query_all(key_condition="pk = :pk AND begins_with(sk, :bulk)",
                                      values={":pk": self.task_pk(environment, task_id), ":bulk": "BULK#"})
        return [_bulk_from_item(item) for item in items]

    def save_bulk(self, *, environment: str, task_id: str, bulk: OpenBulk) -> None:
        entries = [[e.sku, e.hash, e.accepted, e.attempt] for e in bulk.entries]
        self._table.put({"pk": self.task_pk(environment, task_id), "sk": _bulk_sk(bulk), "bulk_uuid": bulk.bulk_uuid,
                         "scope": bulk.scope, "action": bulk.action, "run_id": bulk.run_id, "sent_at": bulk.sent_at,
                         "entries": json.dumps(entries, separators=(",", ":"))})

    def remove_bulk(self, *, environment: str, task_id: str, bulk: OpenBulk) -> None:
        self._table.delete({"pk": self.task_pk(environment, task_id), "sk": _bulk_sk(bulk)})

    # --- SKUs to send again ---------------------------------------------------------------------
    def retry_skus(self, *, environment: str, task_id: str) -> dict[str, str]:
        items = self._table.query_all(key_condition="pk = :pk AND begins_with(sk, :retry)",
                                      values={":pk": self.task_pk(environment, task_id), ":retry": "RETRY#"})
        return {item["sk"].removeprefix("RETRY#"): item.get("run_id", "") for item in items}

    def mark_retry(self, *, environment: str, task_id: str, skus: Sequence[str], run_id: str) -> None:
        pk = self.task_pk(environment, task_id)
        self._batch_write([{"PutRequest": {"Item": {"pk": {"S": pk}, "sk": {"S": f"RETRY#{sku}"},
                                                     "run_id": {"S": run_id}}}} for sku in dict.fromkeys(skus)])

    def clear_retry(self, *, environment: str, task_id: str, skus: Sequence[str]) -> None:
        pk = self.task_pk(environment, task_id)
        self._batch_write([{"DeleteRequest": {"Key": {"pk": {"S": pk}, "sk": {"S": f"RETRY#{sku}"}}}}
                           for sku in dict.fromkeys(skus)])


def _hash_key(prefix: str, key: ScopeKey) -> dict[str, Any]:
    sku, scope = key
    return {"pk": {"S": f"{prefix}#{sku}"}, "sk": {"S": f"SCOPE#{scope}"}}


def _bulk_sk(bulk: OpenBulk) -> str:
    return f"BULK#{bulk.sent_at}#{bulk.bulk_uuid}"


def _bulk_from_item(item: dict[str, Any]) -> OpenBulk:
    entries = [BulkEntry(sku=str(sku), hash=str(value), accepted=bool(accepted), attempt=int(attempt))
               for sku, value, accepted, attempt in json.loads(item["entries"])]
    return OpenBulk(bulk_uuid=item["bulk_uuid"], scope=item["scope"], action=item["action"], run_id=item["run_id"],
                    sent_at=item["sent_at"], entries=entries)
