"""What an Import 2BA task keeps between runs and between invocations of a run, and the port of its store.

- a **watermark** per supplier GLN: when the last complete scan of that supplier started (the data pool's own
  clock), the ``mutationDateTime`` of the next delta. Saved only after the supplier's last page was written;
- the **staged pages** of the supplier being scanned: the bulk endpoints answer one resource each (details,
  descriptions, ordering, pricings), so a trade item is whole only after the last endpoint's last page. The
  pages are kept here until then, so a scan continues in a fresh invocation from its checkpoint (supplier,
  endpoint, cursor) without reading anything twice;
- **lookups** a delta needs because its rows come without the details that tie them together: per supplier, the
  article number of each trade item (``ARTICLE``, for the GTIN rule: a changed pricing without the item's
  details still finds its article), the trade items of each product (``PRODUCT``, ``<manufacturer GLN>#<product
  number>`` -> JSON list of item numbers: a changed product, its ETIM classification, brand or descriptions, finds
  its articles), the languages of each trade item's own descriptions (``DESCRIBED``, JSON list: a changed
  product description fills only the others), and the manufacturers the supplier's items name
  (``MANUFACTURERS``, key ``all``: whose products a delta asks for), and what the last complete scan read (``SCAN``,
  key ``shape``: its resources and filters; a delta needs the same, else the supplier is read whole).
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol

Rows = list[dict[str, Any]]
ARTICLE = "ART"
PRODUCT = "PRODUCT"
MANUFACTURERS = "MFR"
DESCRIBED = "LANG"
SCAN = "SCAN"


class TwobaStateStore(Protocol):
    """The state of one Import 2BA task (every method is scoped by environment and task)."""

    def watermarks(self, *, environment: str, task_id: str) -> dict[str, dt.datetime]:
        """Supplier GLN -> the start of its last complete scan."""
        ...

    def save_watermark(self, *, environment: str, task_id: str, supplier_gln: str, at: dt.datetime) -> None: ...

    def stage(self, *, environment: str, task_id: str, supplier_gln: str, endpoint: str, page: int,
              rows: Rows) -> None:
        """Keep the rows of page ``page`` (0, 1, ...) of ``endpoint``; staging a page again replaces it."""
        ...

    def staged(self, *, environment: str, task_id: str, supplier_gln: str) -> Iterator[tuple[str, Rows]]:
        """(endpoint, rows) of every staged page of the supplier, in page order per endpoint."""
        ...

    def clear_staged(self, *, environment: str, task_id: str, supplier_gln: str) -> None: ...

    def lookups(self, *, environment: str, task_id: str, supplier_gln: str, kind: str,
                keys: Sequence[str]) -> dict[str, str]:
        """The values saved under ``keys`` of one kind of lookup (absent keys are left out)."""
        ...

    def save_lookups(self, *, environment: str, task_id: str, supplier_gln: str, kind: str,
                     values: Mapping[str, str]) -> None: ...


class MemoryTwobaState:
    """A ``TwobaStateStore`` in memory (unit tests, benchmarks), holding each staged page as the repository does:
    gzip-compressed JSON, parsed only when read, so a benchmark's memory is that of the import, not of rows a
    DynamoDB table would hold."""

    def __init__(self) -> None:
        self.marks: dict[tuple[str, str, str], dt.datetime] = {}
        self.pages: dict[tuple[str, str, str], dict[tuple[str, int], bytes]] = {}
        self.values: dict[tuple[str, str, str, str], dict[str, str]] = {}

    def watermarks(self, *, environment: str, task_id: str) -> dict[str, dt.datetime]:
        return {gln: at for (env, task, gln), at in self.marks.items() if (env, task) == (environment, task_id)}

    def save_watermark(self, *, environment: str, task_id: str, supplier_gln: str, at: dt.datetime) -> None:
        self.marks[(environment, task_id, supplier_gln)] = at

    def stage(self, *, environment: str, task_id: str, supplier_gln: str, endpoint: str, page: int,
              rows: Rows) -> None:
        text = json.dumps(rows, separators=(",", ":")).encode()
        self.pages.setdefault((environment, task_id, supplier_gln), {})[(endpoint, page)] = gzip.compress(
            text, compresslevel=5)

    def staged(self, *, environment: str, task_id: str, supplier_gln: str) -> Iterator[tuple[str, Rows]]:
        pages = self.pages.get((environment, task_id, supplier_gln), {})
        for endpoint, page in sorted(pages):
            yield endpoint, json.loads(gzip.decompress(pages[(endpoint, page)]))

    def clear_staged(self, *, environment: str, task_id: str, supplier_gln: str) -> None:
        self.pages.pop((environment, task_id, supplier_gln), None)

    def lookups(self, *, environment: str, task_id: str, supplier_gln: str, kind: str,
                keys: Sequence[str]) -> dict[str, str]:
        known = self.values.get((environment, task_id, supplier_gln, kind), {})
        return {key: known[key] for key in keys if key in known}

    def save_lookups(self, *, environment: str, task_id: str, supplier_gln: str, kind: str,
                     values: Mapping[str, str]) -> None:
        self.values.setdefault((environment, task_id, supplier_gln, kind), {}).update(values)
