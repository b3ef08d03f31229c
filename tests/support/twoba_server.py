"""A local Product Data OpenAPI server (Trade Item / Product API 1.0.0-Preview3) for tests, on 127.0.0.1.

What it models: OAuth2 client credentials at ``/connect/token`` (body or Basic credentials, ``invalid_client``
for a wrong secret, tokens that expire after ``token_seconds``), the bulk resources of both specs under ``/v1/``
(``BULK_PARAMETERS``; any other path is a 404) with cursor paging (``limit`` 1..1000, ``meta.hasNext``/``cursor``),
the filters each resource declares: ``supplierIdGln`` (trade items), ``manufacturerIdGln`` (products),
``mutationDateTime`` (RFC 3339 UTC with ``Z``, inclusive), ``language`` (descriptions) and ``selectionId`` (a
``TechnicalId``, 1-50 characters: the rows of the trade items and products of ``selections[id]``); a query
parameter the resource does not declare is a 400, so a client sending one where the spec has none fails its test.
RFC 9457 problem documents (400 with ``errors{field: [messages]}``, 401, 403 for a supplier the client may not
read), and injected 429 (with ``Retry-After``) / 503 answers. The single-product sub-resources
``products/{gln}/{number}/details|descriptions|etim-classifications`` answer from the same rows, nested as the
spec nests them (200 with empty data for an unknown product: sub-resources never 404). ``meta`` carries
``hasPrev``/``prevCursor`` and a field of no spec (clients must ignore unknown fields), as rows may (a test puts
them).

The server has its own clock (``now``, epoch seconds, moved by the test): it stamps every row put or mutated
(the stamp is never served: bulk rows carry no mutation time) and is the ``Date`` of every answer.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import json
import threading
import time
import uuid
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, unquote_plus, urlsplit

_TRADE_ITEM_FILTERS = frozenset({"cursor", "limit", "selectionId", "supplierIdGln", "mutationDateTime"})
_PRODUCT_FILTERS = frozenset({"cursor", "limit", "selectionId", "manufacturerIdGln", "mutationDateTime"})
BULK_PARAMETERS: dict[str, frozenset[str]] = {
    **{f"trade-items/bulk/{name}": _TRADE_ITEM_FILTERS for name in (
        "details", "ordering", "pricings", "relations", "logistic-details", "attachments", "enclosed-items")},
    "trade-items/bulk/descriptions": _TRADE_ITEM_FILTERS | {"language"},
    **{f"products/bulk/{name}": _PRODUCT_FILTERS for name in ("details", "attachments")},
    "products/bulk/descriptions": _PRODUCT_FILTERS | {"language"},
    "products/bulk/etim-classifications": _PRODUCT_FILTERS | {"etimReleaseVersion"},
    "products/bulk/lca-environmental": _PRODUCT_FILTERS | {"lifeCycleStage"},
}
"""The query parameters of each bulk resource, as the Preview3 specs declare them (a unit test compares)."""
SINGLE_PRODUCT_PARAMETERS: dict[str, frozenset[str]] = {
    "details": frozenset(), "descriptions": frozenset({"language"}), "etim-classifications": frozenset()}
"""The single-product sub-resources served (``products/{gln}/{number}/<name>``) and their query parameters."""


class TwobaServer:
    def __init__(self, *, client_id: str = "client", client_secret: str = "secret",
                 token_seconds: float = 3600.0, latency_seconds: float = 0.0) -> None:
        self.latency_seconds = latency_seconds
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_seconds = token_seconds
        self.basic_only = False
        """Refuse credentials in the body (``invalid_client``): the server takes HTTP Basic only."""
        self.rows: dict[str, list[dict[str, Any]]] = {}
        """Rows per resource (``trade-items/bulk/details``); a row's ``_mutated`` (epoch seconds) is not served."""
        self.now = time.time()
        self.forbidden: set[str] = set()
        """Supplier GLNs this client may not read (403)."""
        self.selections: dict[str, set[tuple[str, str]]] = {}
        """``selectionId`` -> the trade items (supplier GLN, item number) and products (manufacturer GLN, product
        number) it holds; an unknown selection holds nothing."""
        self.inject: deque[int] = deque()
        self.retry_after = "0"
        """``Retry-After`` of the injected 429/503 answers (seconds or an HTTP date)."""
        self.requests: list[str] = []
        self._tokens: dict[str, float] = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> TwobaServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def expire_tokens(self) -> None:
        """Every token given so far stops working before its announced expiry (clients must fetch a new one)."""
        self._tokens.clear()

    def put(self, resource: str, rows: list[dict[str, Any]]) -> None:
        """Add rows to a resource, stamped with the server's ``now``."""
        self.rows.setdefault(resource, []).extend({**row, "_mutated": self.now} for row in rows)

    def mutate(self, resource: str, item_number: str, **changes: Any) -> int:
        """Change the rows of one trade item (``None`` removes a field) and stamp them; how many rows changed."""
        return self._mutate(resource, lambda row: row.get("supplierItemNumber") == item_number, changes)

    def mutate_product(self, resource: str, manufacturer_gln: str, product_number: str, *,
                       language: str | None = None, **changes: Any) -> int:
        """Change the rows of one product (of one description language), as ``mutate``."""
        return self._mutate(resource, lambda row: row.get("manufacturerIdGln") == manufacturer_gln
                            and row.get("manufacturerProductNumber") == product_number
                            and language in (None, row.get("descriptionLanguage")), changes)

    def queries(self, resource: str) -> list[dict[str, list[str]]]:
        """The query of every GET of ``resource`` so far, parsed."""
        paths = [urlsplit(path) for path in self.requests]
        return [parse_qs(path.query) for path in paths if path.path == f"/v1/{resource}"]

    def _mutate(self, resource: str, chosen: Any, changes: dict[str, Any]) -> int:
        changed = 0
        for row in self.rows.get(resource, []):
            if chosen(row):
                row.update(changes)
                for name in [name for name, value in changes.items() if value is None]:
                    del row[name]
                row["_mutated"] = self.now
                changed += 1
        return changed

    def served(self, resource: str, gln: str) -> list[dict[str, Any]]:
        """The rows of a resource for one supplier, as served."""
        return [_public(row) for row in self.rows.get(resource, []) if row.get("supplierIdGln") == gln]

    def _token(self, form: dict[str, str], header: str | None) -> tuple[int, dict[str, Any]]:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if header and header.startswith("Basic "):
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            client_id, secret = unquote_plus(client_id), unquote_plus(secret)  # RFC 6749 §2.3.1: form-urlencoded
        elif self.basic_only:
            client_id = None  # this server takes client_secret_basic only
        if form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type"}
        if client_id != self.client_id or secret != self.client_secret:
            return 400, {"error": "invalid_client"}
        token = uuid.uuid4().hex
        self._tokens[token] = time.monotonic() + self.token_seconds
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": self.token_seconds}

    def _page(self, resource: str, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        try:
            limit = int(query.get("limit", ["100"])[0])
        except ValueError:
            limit = 0
        if not 1 <= limit <= 1000:
            return 400, {"type": "about:blank", "title": "Bad Request", "status": 400,
                         "detail": "One or more validation errors occurred",
                         "errors": {"limit": ["The field limit must be between 1 and 1000."]}}
        declared = BULK_PARAMETERS.get(resource)
        if declared is None:
            return 404, {"type": "about:blank", "title": "Not Found", "status": 404,
                         "detail": f"No resource {resource}"}
        undeclared = sorted(set(query) - declared)
        if undeclared:
            return 400, {"type": "about:blank", "title": "Bad Request", "status": 400,
                         "detail": "One or more validation errors occurred",
                         "errors": {name: [f"{resource} has no parameter {name}."] for name in undeclared}}
        rows = self.rows.get(resource, [])
        selection = query.get("selectionId", [None])[0]
        if selection is not None:
            if not 1 <= len(selection) <= 50:
                return 400, {"type": "about:blank", "title": "Bad Request", "status": 400,
                             "detail": "One or more validation errors occurred",
                             "errors": {"selectionId": ["The field selectionId must be 1 to 50 characters."]}}
            chosen = self.selections.get(selection, set())
            rows = [r for r in rows if (r.get("supplierIdGln"), r.get("supplierItemNumber")) in chosen
                    or (r.get("manufacturerIdGln"), r.get("manufacturerProductNumber")) in chosen]
        gln = query.get("supplierIdGln", [None])[0]
        if gln in self.forbidden:
            return 403, {"type": "about:blank", "title": "Forbidden", "status": 403,
                         "detail": f"The client has no access to the data of supplier {gln}"}
        if gln:
            rows = [r for r in rows if r.get("supplierIdGln") == gln]
        manufacturer = query.get("manufacturerIdGln", [None])[0]
        if manufacturer:
            rows = [r for r in rows if r.get("manufacturerIdGln") == manufacturer]
        since_text = query.get("mutationDateTime", [None])[0]
        if since_text is not None:
            since = _utc_z(since_text)
            if since is None:
                return 400, {"type": "about:blank", "title": "Bad Request", "status": 400,
                             "detail": "One or more validation errors occurred",
                             "errors": {"mutationDateTime": ["Must be an RFC 3339 date-time in UTC with 'Z'."]}}
            rows = [r for r in rows if r.get("_mutated", 0.0) >= since]
        languages = query.get("language")
        if languages:
            rows = [r for r in rows if r.get("descriptionLanguage") in languages]
        start = int(query.get("cursor", ["0"])[0])
        chunk = [_public(row) for row in rows[start:start + limit]]
        has_next = start + limit < len(rows)
        return 200, {"data": chunk, "meta": {
            "cursor": str(start + limit) if has_next else None, "hasNext": has_next, "hasPrev": start > 0,
            "prevCursor": str(max(0, start - limit)) if start > 0 else None, "limit": limit,
            "estimatedTotal": len(rows), "windowId": uuid.uuid4().hex}}

    def _product_document(self, gln: str, number: str, sub: str,
                          query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        """``products/{gln}/{number}/{details|descriptions|etim-classifications}`` from the bulk rows: the key at
        the root, the component nested (classifications with their ``etimFeatures``); 200 with empty data for a
        product without rows (sub-resources never 404), ``details`` null then."""
        identity = {"manufacturerIdGln": gln, "manufacturerProductNumber": number}
        if sub not in SINGLE_PRODUCT_PARAMETERS:
            return 404, {"type": "about:blank", "title": "Not Found", "status": 404, "detail": f"No resource {sub}"}
        undeclared = sorted(set(query) - SINGLE_PRODUCT_PARAMETERS[sub])
        if undeclared:
            return 400, {"type": "about:blank", "title": "Bad Request", "status": 400,
                         "errors": {name: [f"{sub} has no parameter {name}."] for name in undeclared}}
        rows = [{k: v for k, v in _public(row).items() if k not in identity}
                for row in self.rows.get(f"products/bulk/{sub}", [])
                if all(row.get(k) == v for k, v in identity.items())]
        if sub == "details":
            return 200, {"data": {**identity, "details": rows[0] if rows else None}}
        if sub == "descriptions":
            wanted = query.get("language")
            return 200, {"data": {**identity, "descriptions": [r for r in rows if not wanted
                                                               or r.get("descriptionLanguage") in wanted]}}
        classes: dict[tuple[Any, Any], dict[str, Any]] = {}
        for row in rows:
            head = {k: row[k] for k in ("etimClassCode", "etimClassVersion", "etimReleaseVersion") if k in row}
            cls = classes.setdefault((row.get("etimClassCode"), row.get("etimReleaseVersion")),
                                     {**head, "etimFeatures": []})
            feature = {k: v for k, v in row.items() if k not in head}
            if feature.get("etimFeatureCode"):
                cls["etimFeatures"].append(feature)
        return 200, {"data": {**identity, "etimClassifications": list(classes.values())}}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def date_time_string(self, timestamp: float | None = None) -> str:
                return email.utils.formatdate(server.now if timestamp is None else timestamp, usegmt=True)

            def _send(self, status: int, body: dict[str, Any], *, problem: bool = False,
                      headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/problem+json" if problem else "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                status, body = server._token(form, self.headers.get("Authorization"))
                self._send(status, body)

            def do_GET(self) -> None:
                if server.latency_seconds:
                    time.sleep(server.latency_seconds)
                parts = urlsplit(self.path)
                server.requests.append(self.path)
                if server.inject:
                    status = server.inject.popleft()
                    self._send(status, {"title": "Too Many Requests" if status == 429 else "Service Unavailable",
                                        "status": status}, problem=True, headers={"Retry-After": server.retry_after})
                    return
                token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
                if server._tokens.get(token, 0) < time.monotonic():
                    self._send(401, {"title": "Unauthorized", "status": 401}, problem=True)
                    return
                resource = parts.path.removeprefix("/v1/")
                segments = resource.split("/")
                if len(segments) == 4 and segments[0] == "products" and segments[1] != "bulk":
                    status, body = server._product_document(unquote(segments[1]), unquote(segments[2]),
                                                            segments[3], parse_qs(parts.query))
                else:
                    status, body = server._page(resource, parse_qs(parts.query))
                self._send(status, body, problem=status >= 400)

        return Handler


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in row.items() if name != "_mutated"}


def _utc_z(text: str) -> float | None:
    """Epoch seconds of an RFC 3339 UTC date-time with ``Z``; None for anything else."""
    if not text.endswith("Z"):
        return None
    try:
        return dt.datetime.fromisoformat(text[:-1] + "+00:00").timestamp()
    except ValueError:
        return None


IMPORTED_RESOURCES = ("trade-items/bulk/details", "trade-items/bulk/descriptions", "trade-items/bulk/ordering",
                     "trade-items/bulk/pricings", "products/bulk/etim-classifications", "products/bulk/details",
                     "products/bulk/descriptions")
"""The bulk resources the import reads."""


def catalog_rows(gln: str, count: int, *, prefix: str) -> dict[str, list[dict[str, Any]]]:
    """``count`` trade items of one supplier on every endpoint the import reads (benchmarks): two description
    languages, one pricing per item, every third with two allowances, and each item's product (the supplier is
    its manufacturer) classified with two features, with a brand and an English description."""
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in IMPORTED_RESOURCES}
    for n in range(count):
        key = {"supplierIdGln": gln, "supplierItemNumber": f"{prefix} {n}/x"}
        rows["trade-items/bulk/details"].append({**key, "manufacturerIdGln": gln, "manufacturerProductNumber": f"M{n}",
                                                 "discountGroupId": f"DG{n % 7}", "itemStatus": "ACTIVE"})
        rows["trade-items/bulk/descriptions"] += [
            {**key, "descriptionLanguage": "nl-NL", "minimalItemDescription": f"Installatiebuis \u00f8{n} \u2013 wit"},
            {**key, "descriptionLanguage": "de-DE", "minimalItemDescription": f"Installationsrohr {n} wei\u00df"}]
        rows["trade-items/bulk/ordering"].append({**key, "orderUnit": "MTR", "minimumOrderQuantity": 1 + n % 5})
        product = {"manufacturerIdGln": gln, "manufacturerProductNumber": f"M{n}", "etimClassCode": "EC000042",
                   "etimClassVersion": 1, "etimReleaseVersion": "9.0"}
        rows["products/bulk/details"].append({"manufacturerIdGln": gln, "manufacturerProductNumber": f"M{n}",
                                              "brandName": f"Merk {n % 11}", "productValidityDate": "2025-01-01",
                                              "productStatus": "ACTIVE"})
        rows["products/bulk/descriptions"].append({
            "manufacturerIdGln": gln, "manufacturerProductNumber": f"M{n}", "descriptionLanguage": "en-GB",
            "minimalProductDescription": f"Conduit \u00f8{n} \u2013 white"})
        rows["products/bulk/etim-classifications"] += [
            {**product, "etimFeatureCode": "EF000008", "etimValueNumeric": 1 + n % 40, "etimUnitCode": "EU570448"},
            {**product, "etimFeatureCode": "EF000007", "etimValueCode": f"EV{n % 9:06d}"}]
        pricing = {**key, "priceUnit": "C62", "priceQuantity": 1, "currencyCode": "EUR",
                   "grossListPrice": round(1 + n % 997 / 4, 2), "priceValidityDate": "2025-01-01"}
        if n % 3 == 0:
            rows["trade-items/bulk/pricings"] += [{**pricing, "allowanceSurchargeIndicator": "ALLOWANCE",
                                                   "allowanceSurchargeType": "AEQ",
                                                   "allowanceSurchargeSequenceNumber": seq,
                                                   "allowanceSurchargePercentage": 2.5 * seq} for seq in (1, 2)]
        else:
            rows["trade-items/bulk/pricings"].append(pricing)
    return rows


def main(argv: list[str]) -> None:
    """``python -m tests.support.twoba_server LATENCY GLN:COUNT ...``: serve generated suppliers, print the URL.

    Then, per line on stdin, ``mutate FRACTION``: a minute later, change the price of that fraction of every
    supplier's items; it answers ``mutated N``. The server ends when stdin closes.
    """
    import sys

    server = TwobaServer(latency_seconds=float(argv[0]))
    server.now -= 3600
    suppliers = [(gln, int(count)) for gln, _, count in (arg.partition(":") for arg in argv[1:])]
    for index, (gln, count) in enumerate(suppliers):
        for resource, rows in catalog_rows(gln, count, prefix=f"S{index}").items():
            server.put(resource, rows)
    server.now += 60
    with server:
        print(server.url, flush=True)
        for line in sys.stdin:
            command, _, value = line.strip().partition(" ")
            if command == "mutate":
                server.now += 60
                step = max(1, round(1 / float(value)))
                items: set[str] = set()
                for row in server.rows["trade-items/bulk/pricings"]:
                    number = int(row["supplierItemNumber"].split()[1].split("/")[0])
                    if number % step == 0:
                        row.update(grossListPrice=123.45, _mutated=server.now)
                        items.add(f"{row['supplierIdGln']} {row['supplierItemNumber']}")
                changed = len(items)
                print(f"mutated {changed}", flush=True)


if __name__ == "__main__":
    import sys as _sys

    main(_sys.argv[1:])
