"""The Import 2BA state (``pimtasks.twoba.state``) in the catalog table (key scheme of ``adapters.task_state``).

Item layout (``P = ENV#<env>#TWOBA#<task_id>``; no attribute of the listing index):
- watermark per supplier: ``pk = P``, ``sk = WATERMARK#<gln>``, ``at`` (RFC 3339 UTC);
- a staged page: ``pk = P``, ``sk = STAGE#<gln>#<endpoint>#<page:06d>#<part:02d>``, ``rows`` (gzip-compressed JSON,
  ``ROWS_PER_ITEM`` rows a part, so a page of long descriptions stays far below DynamoDB's 400 KB per item);
- a lookup (``twoba.state``: an item's article and its own description languages, a product's items, the
  manufacturers):
  ``pk = P#<kind>#<gln>#<key>``, ``sk = LOOKUP``, ``value`` — one partition per key, like the catalog's records.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pimtasks.adapters.task_state import READ_BATCH, TaskStateTable
from pimtasks.twoba.state import Rows

ROWS_PER_ITEM = 250
LOOKUP_SK = "LOOKUP"


class TwobaStateRepository(TaskStateTable):
    kind = "TWOBA"

    # --- watermarks -----------------------------------------------------------------------------
    def watermarks(self, *, environment: str, task_id: str) -> dict[str, dt.datetime]:
        items = self._table.query_all(key_condition="pk = :pk AND begins_with(sk, :mark)", consistent=True,
                                      values={":pk": self.task_pk(environment, task_id), ":mark": "WATERMARK#"})
        return {item["sk"].removeprefix("WATERMARK#"): dt.datetime.fromisoformat(item["at"]) for item in items}

    def save_watermark(self, *, environment: str, task_id: str, supplier_gln: str, at: dt.datetime) -> None:
        self._table.put({"pk": self.task_pk(environment, task_id), "sk": f"WATERMARK#{supplier_gln}",
                         "at": at.astimezone(dt.UTC).isoformat()})

    # --- staged pages ---------------------------------------------------------------------------
    def stage(self, *, environment: str, task_id: str, supplier_gln: str, endpoint: str, page: int,
              rows: Rows) -> None:
        pk = self.task_pk(environment, task_id)
        parts = [rows[start:start + ROWS_PER_ITEM] for start in range(0, len(rows), ROWS_PER_ITEM)] or [[]]
        self._table.write_many(puts=[
            {"pk": pk, "sk": f"STAGE#{supplier_gln}#{endpoint}#{page:06d}#{number:02d}",
             "rows": gzip.compress(json.dumps(part, separators=(",", ":")).encode(), compresslevel=5)}
            for number, part in enumerate(parts)], sleep=self._sleep)

    def staged(self, *, environment: str, task_id: str, supplier_gln: str) -> Iterator[tuple[str, Rows]]:
        for items, _ in self._table.query_pages(key_condition="pk = :pk AND begins_with(sk, :stage)",
                                                values={":pk": self.task_pk(environment, task_id),
                                                        ":stage": f"STAGE#{supplier_gln}#"}, consistent=True):
            for item in items:
                endpoint = item["sk"].split("#")[2]
                yield endpoint, json.loads(gzip.decompress(_bytes(item["rows"])))

    def clear_staged(self, *, environment: str, task_id: str, supplier_gln: str) -> None:
        pk = self.task_pk(environment, task_id)
        keys = [{"pk": pk, "sk": item["sk"]} for item in self._table.query_all(
            key_condition="pk = :pk AND begins_with(sk, :stage)", consistent=True,
            values={":pk": pk, ":stage": f"STAGE#{supplier_gln}#"})]
        if keys:
            self._table.write_many(deletes=keys, sleep=self._sleep)

    # --- lookups --------------------------------------------------------------------------------
    def lookups(self, *, environment: str, task_id: str, supplier_gln: str, kind: str,
                keys: Sequence[str]) -> dict[str, str]:
        prefix = f"{self.task_pk(environment, task_id)}#{kind}#{supplier_gln}#"
        unique = list(dict.fromkeys(keys))
        found: dict[str, str] = {}
        for start in range(0, len(unique), READ_BATCH):
            wanted = [{"pk": {"S": prefix + key}, "sk": {"S": LOOKUP_SK}} for key in unique[start:start + READ_BATCH]]
            request = {self._table.name: {"Keys": wanted, "ConsistentRead": True, "ProjectionExpression": "pk, #v",
                                          "ExpressionAttributeNames": {"#v": "value"}}}
            for item in self._batch_get(request):
                found[item["pk"]["S"][len(prefix):]] = item["value"]["S"]
        return found

    def save_lookups(self, *, environment: str, task_id: str, supplier_gln: str, kind: str,
                     values: Mapping[str, str]) -> None:
        prefix = f"{self.task_pk(environment, task_id)}#{kind}#{supplier_gln}#"
        self._batch_write([{"PutRequest": {"Item": {"pk": {"S": prefix + key}, "sk": {"S": LOOKUP_SK},
                                                     "value": {"S": value}}}} for key, value in values.items()])


def _bytes(value: Any) -> bytes:
    """A binary attribute as bytes (boto3 hands out ``Binary`` wrappers)."""
    return bytes(value.value) if hasattr(value, "value") else bytes(value)
