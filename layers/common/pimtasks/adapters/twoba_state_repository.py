"""The Import 2BA state (``pimtasks.twoba.state``) in the catalog table (key scheme of ``adapters.task_state``).

Item layout (``P = ENV#<env>#TWOBA#<task_id>``; no attribute of the listing index):
- watermark per supplier: ``pk = P``, ``sk = WATERMARK#<gln>``, ``at`` (RFC 3339 UTC);
- a staged page: ``pk = P``, ``sk = STAGE#<gln>#<endpoint>#<page:06d>#<part:02d>``, ``rows`` (gzip-compressed JSON,
  ``ROWS_PER_ITEM`` rows a part, so a page of long descriptions stays far below DynamoDB's 400 KB per item);
- the article number of a trade item (GTIN rule): ``pk = P#ART#<gln>#<item number>``, ``sk = ARTICLE``,
  ``article`` — one partition per item, like the catalog's records.
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
ARTICLE_SK = "ARTICLE"


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

    # --- article numbers (GTIN rule) ------------------------------------------------------------
    def articles(self, *, environment: str, task_id: str, supplier_gln: str,
                 item_numbers: Sequence[str]) -> dict[str, str]:
        prefix = f"{self.task_pk(environment, task_id)}#ART#{supplier_gln}#"
        unique = list(dict.fromkeys(item_numbers))
        found: dict[str, str] = {}
        for start in range(0, len(unique), READ_BATCH):
            keys = [{"pk": {"S": prefix + item}, "sk": {"S": ARTICLE_SK}} for item in unique[start:start + READ_BATCH]]
            request = {self._table.name: {"Keys": keys, "ConsistentRead": True,
                                          "ProjectionExpression": "pk, article"}}
            for item in self._batch_get(request):
                found[item["pk"]["S"][len(prefix):]] = item["article"]["S"]
        return found

    def save_articles(self, *, environment: str, task_id: str, supplier_gln: str,
                      articles: Mapping[str, str]) -> None:
        prefix = f"{self.task_pk(environment, task_id)}#ART#{supplier_gln}#"
        self._batch_write([{"PutRequest": {"Item": {"pk": {"S": prefix + item}, "sk": {"S": ARTICLE_SK},
                                                     "article": {"S": article}}}}
                           for item, article in articles.items()])


def _bytes(value: Any) -> bytes:
    """A binary attribute as bytes (boto3 hands out ``Binary`` wrappers)."""
    return bytes(value.value) if hasattr(value, "value") else bytes(value)
