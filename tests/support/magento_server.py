"""A local Magento 2 REST server for tests and benchmarks, following the admin REST schema 2.4.9 and the
async/bulk/operation-status docs (``shared/specs/magento``), on 127.0.0.1 with a free port.

What it models:
- log-in: integration tokens as Bearer, OAuth 1.0a signed requests (when given consumer credentials), admin
  tokens from ``POST /rest/V1/integration/admin/token`` (a bare JSON string) that expire;
- store-scoped products: ``/rest/all/`` writes global values; ``/rest/<code>/`` writes the store view's values of
  store-view-scoped attributes (name, descriptions, the ``store_scoped`` custom attributes; the others are global
  whatever the code); without a code a create is global but an update hits the default store view only;
- ``POST/PUT/DELETE /rest/<store>/async/bulk/V1/products[/bySku]`` taking a bare JSON array, answering
  ``{bulk_uuid, request_items, errors}``, and a consumer that applies the queued operations immediately, on the
  n-th status poll, in the background, or never (``consumer``);
- ``GET /V1/bulk/{uuid}/status|detailed-status|operation-status/{n}``; operations have global ids;
- SKUs that fail (``fail_sku``: ``{message, parameters}``, retriable or not), rejected request items, unknown
  attributes, 429 with ``Retry-After`` and 503 injections (``inject``), a fixed latency per request.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from pimtasks.magento.errors import fill_placeholders
from pimtasks.magento.oauth1 import OAuth1Credentials, verify

Consumer = Literal["immediate", "on_poll", "background", "stopped"]
STORE_SCOPED = frozenset({"name", "description", "short_description", "meta_title", "meta_keyword",
                          "meta_description"})
_NOT_EXISTING_PRODUCT = "The product that was requested doesn't exist. Verify the product and try again."


@dataclass
class Failure:
    message: str
    parameters: Any = None
    retriable: bool = False
    times: int | None = None
    """How many operations of the SKU fail (None: all)."""


@dataclass
class Operation:
    id: int
    bulk_uuid: str
    topic: str
    store: str
    method: str
    body: dict[str, Any]
    status: int = 4
    result_message: str | None = None
    error_code: int | None = None


@dataclass
class Bulk:
    uuid: str
    operations: list[Operation]
    start_time: str
    topic: str


@dataclass
class Request:
    method: str
    path: str
    store: str | None
    items: int | None


@dataclass
class MagentoState:
    tokens: set[str] = field(default_factory=lambda: {"integration-token"})
    admins: dict[str, str] = field(default_factory=lambda: {"admin": "admin-password"})
    admin_token_seconds: float = 4 * 3600
    admin_tokens: dict[str, float] = field(default_factory=dict)
    oauth: OAuth1Credentials | None = None
    stores: dict[str, int] = field(default_factory=lambda: {"default": 1})
    attributes: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    store_scoped: set[str] = field(default_factory=set)
    strict_attributes: bool = True
    global_values: dict[str, dict[str, Any]] = field(default_factory=dict)
    store_values: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    bulks: dict[str, Bulk] = field(default_factory=dict)
    queue: deque[Operation] = field(default_factory=deque)
    failures: dict[str, Failure] = field(default_factory=dict)
    rejected: dict[str, str] = field(default_factory=dict)
    injected: deque[tuple[str, int, float | None]] = field(default_factory=deque)
    requests: list[Request] = field(default_factory=list)
    consumer: Consumer = "immediate"
    polls_per_batch: int = 1
    consumer_delay: float = 0.05
    polls: int = 0


class MagentoServer:
    """The server and what it holds. ``with MagentoServer() as shop: shop.url ...``"""

    def __init__(self, *, latency_seconds: float = 0.0, consumer: Consumer = "immediate") -> None:
        self.state = MagentoState(consumer=consumer)
        self.latency_seconds = latency_seconds
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    # --- lifecycle --------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> MagentoServer:
        self._threads = [threading.Thread(target=self._server.serve_forever, daemon=True),
                         threading.Thread(target=self._background_consumer, daemon=True)]
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    # --- set-up -------------------------------------------------------------------------------
    def add_store(self, code: str) -> None:
        with self._lock:
            self.state.stores[code] = max(self.state.stores.values(), default=0) + 1

    def add_attribute(self, code: str, *, options: list[str] | None = None, store_scoped: bool = False) -> None:
        with self._lock:
            self.state.attributes[code] = [{"label": " ", "value": ""}] + [
                {"label": label, "value": str(10 + index)} for index, label in enumerate(options or [])]
            if store_scoped:
                self.state.store_scoped.add(code)

    def fail_sku(self, sku: str, message: str, parameters: Any = None, *, retriable: bool = False,
                 times: int | None = None) -> None:
        with self._lock:
            self.state.failures[sku] = Failure(message, parameters, retriable, times)

    def reject_sku(self, sku: str, message: str) -> None:
        with self._lock:
            self.state.rejected[sku] = message

    def inject(self, path_part: str, status: int, *, retry_after: float | None = None, times: int = 1) -> None:
        """The next ``times`` requests whose path contains ``path_part`` get ``status``."""
        with self._lock:
            self.state.injected.extend([(path_part, status, retry_after)] * times)

    def set_consumer(self, consumer: Consumer, *, polls_per_batch: int = 1) -> None:
        with self._lock:
            self.state.consumer = consumer
            self.state.polls_per_batch = polls_per_batch
            if consumer == "immediate":
                self._consume()

    def run_consumer(self) -> None:
        """Apply every queued operation now (as ``bin/magento queue:consumers:start async.operations.all``)."""
        with self._lock:
            self._consume()

    def forget_bulks(self) -> None:
        """Delete every bulk with its operations, as Magento's cron does once a bulk is older than
        ``system/bulk/lifetime`` (60 days by default), or as a restored shop database has: the status routes then
        answer 404 "Bulk uuid %bulkUuid not exist"."""
        with self._lock:
            self.state.bulks.clear()
            self.state.queue.clear()

    # --- what the shop holds ---------------------------------------------------------------------
    def product(self, sku: str, store: str = "all") -> dict[str, Any] | None:
        """The product as a store view shows it (global values with the store view's own on top)."""
        with self._lock:
            values = self.state.global_values.get(sku)
            if values is None:
                return None
            merged = json.loads(json.dumps(values))
            if store != "all":
                merged.update(self.state.store_values.get(store, {}).get(sku, {}))
            return merged

    def skus(self) -> list[str]:
        with self._lock:
            return sorted(self.state.global_values)

    def requests(self, part: str = "") -> list[Request]:
        with self._lock:
            return [r for r in self.state.requests if part in r.path]

    def open_operations(self) -> int:
        with self._lock:
            return len(self.state.queue)

    # --- the consumer ---------------------------------------------------------------------------
    def _consume(self, limit: int | None = None) -> None:
        done = 0
        while self.state.queue and (limit is None or done < limit):
            self._apply(self.state.queue.popleft())
            done += 1

    def _background_consumer(self) -> None:
        while not self._stopping.wait(self.state.consumer_delay):
            with self._lock:
                if self.state.consumer == "background":
                    self._consume()

    def _apply(self, operation: Operation) -> None:
        sku = _sku_of(operation.body)
        failure = self.state.failures.get(sku or "")
        if failure is not None and (failure.times is None or failure.times > 0):
            if failure.times is not None:
                failure.times -= 1
            operation.status = 2 if failure.retriable else 3
            operation.result_message = fill_placeholders(failure.message, failure.parameters)
            operation.error_code = 0
            return
        try:
            self._execute(operation.method, operation.store, sku or "", operation.body)
        except _MagentoError as error:
            operation.status = 3
            operation.result_message = fill_placeholders(error.message, error.parameters)
            operation.error_code = 0
            return
        operation.status = 1
        operation.result_message = ("Service execution success Magento\\Catalog\\Model\\ProductRepository"
                                    "\\Interceptor::save")

    # --- the product service ----------------------------------------------------------------------
    def _execute(self, method: str, store: str | None, sku: str, body: dict[str, Any]) -> dict[str, Any] | bool:
        if method == "DELETE":
            if sku not in self.state.global_values:
                raise _MagentoError(_NOT_EXISTING_PRODUCT, status=404)
            del self.state.global_values[sku]
            for values in self.state.store_values.values():
                values.pop(sku, None)
            return True
        product = body.get("product")
        if not isinstance(product, dict):
            raise _MagentoError('"%fieldName" is required. Enter and try again.', {"fieldName": "product"})
        sku = str(product.get("sku") or sku)
        if not sku:
            raise _MagentoError('"%fieldName" is required. Enter and try again.', {"fieldName": "sku"})
        values = _flatten(product)
        for code in values:
            if code in _STANDARD or code in self.state.attributes:
                continue
            if self.state.strict_attributes:
                raise _MagentoError('The attribute with a "%1" attributeCode doesn\'t exist. Verify the attribute '
                                    'and try again.', [code])
        exists = sku in self.state.global_values
        if not exists:
            for required in ("name", "price", "attribute_set_id"):
                if required not in values:
                    raise _MagentoError('The "%1" attribute value is empty. Set the attribute and try again.',
                                        [required])
            self.state.global_values[sku] = {}
        if store is None and exists:
            store = "default"  # an update without a store code hits the default store view only
        if store in (None, "all"):
            self.state.global_values[sku].update(values)
        else:
            scoped = STORE_SCOPED | self.state.store_scoped
            own = self.state.store_values.setdefault(store, {}).setdefault(sku, {})
            own.update({k: v for k, v in values.items() if k in scoped})
            self.state.global_values[sku].update({k: v for k, v in values.items() if k not in scoped})
        return {"id": 1, **(self.product(sku, store or "all") or {})}


_STANDARD = frozenset({"sku", "name", "attribute_set_id", "price", "status", "visibility", "type_id", "weight",
                       "website_ids"})


class _MagentoError(Exception):
    def __init__(self, message: str, parameters: Any = None, *, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.parameters = parameters
        self.status = status


def _flatten(product: dict[str, Any]) -> dict[str, Any]:
    """Product fields and custom attributes as one ``{code: value}``."""
    values = {k: v for k, v in product.items() if k not in ("custom_attributes", "extension_attributes")}
    for attribute in product.get("custom_attributes") or []:
        values[str(attribute.get("attribute_code"))] = attribute.get("value")
    extension = product.get("extension_attributes") or {}
    if "website_ids" in extension:
        values["website_ids"] = extension["website_ids"]
    return values


def _sku_of(body: dict[str, Any]) -> str | None:
    product = body.get("product")
    sku = body.get("sku") or (product.get("sku") if isinstance(product, dict) else None)
    return str(sku) if sku is not None else None


_ROUTE = re.compile(r"^/rest(?:/(?P<store>[a-z][a-z0-9_]*))?(?P<async>/async(?:/bulk)?)?(?P<path>/V1/.*)$")


def _handler_for(server: MagentoServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_PUT(self) -> None:
            self._handle("PUT")

        def do_DELETE(self) -> None:
            self._handle("DELETE")

        def _handle(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if server.latency_seconds:
                time.sleep(server.latency_seconds)
            path = urlsplit(self.path).path
            match = _ROUTE.match(path)
            if match is None:
                self._send(404, b"<html><body>Not Found</body></html>", "text/html")
                return
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                self._json(400, {"message": "Decoding error: %1", "parameters": ["Syntax error"]})
                return
            with server._lock:
                state = server.state
                state.requests.append(Request(method, path, match["store"],
                                              len(body) if isinstance(body, list) else None))
                for index, (part, status, retry_after) in enumerate(state.injected):
                    if part in path:
                        del state.injected[index]
                        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
                        self._json(status, {"message": "Too many requests" if status == 429 else
                                            "Service temporarily unavailable"}, headers)
                        return
                answer = self._route(method, match["store"], match["async"], match["path"], body)
            self._json(*answer)

        def _route(self, method: str, store: str | None, asynchronous: str | None, path: str,
                   body: Any) -> tuple[int, Any]:
            state = server.state
            if path == "/V1/integration/admin/token" and method == "POST":
                return self._admin_token(body)
            if not self._authorized(method):
                return 401, {"message": "The consumer isn't authorized to access %resources.",
                             "parameters": {"resources": "Magento_Catalog::products"}}
            if store is not None and store != "all" and store not in state.stores:
                return 400, {"message": "Requested store is not found"}
            if asynchronous:
                return self._async(method, store, asynchronous, path, body)
            if path == "/V1/store/storeViews" and method == "GET":
                return 200, [{"id": i, "code": c, "name": c.title(), "website_id": 1, "store_group_id": 1,
                              "is_active": 1} for c, i in state.stores.items()]
            attribute = re.fullmatch(r"/V1/products/attributes/([^/]+)/options", path)
            if attribute and method == "GET":
                code = unquote(attribute[1])
                if code in _STANDARD:
                    return 200, []
                if code not in state.attributes:
                    return 404, {"message": 'The attribute with a "%1" attributeCode doesn\'t exist. Verify the '
                                            'attribute and try again.', "parameters": [code]}
                return 200, state.attributes[code]
            bulk = re.fullmatch(r"/V1/bulk/([^/]+)/(status|detailed-status|operation-status/(\d))", path)
            if bulk and method == "GET":
                return self._bulk_status(bulk[1], bulk[2], bulk[3])
            product = re.fullmatch(r"/V1/products(?:/([^/]+))?", path)
            if product and method in ("POST", "PUT", "DELETE", "GET"):
                return self._product(method, store, unquote(product[1] or ""), body)
            return 404, {"message": "Request does not match any route."}

        def _authorized(self, method: str) -> bool:
            header = self.headers.get("Authorization") or ""
            state = server.state
            if header.startswith("Bearer "):
                token = header[len("Bearer "):]
                expires = state.admin_tokens.get(token)
                if expires is not None:
                    return time.monotonic() < expires
                return token in state.tokens and state.oauth is None
            if header.startswith("OAuth ") and state.oauth is not None:
                host = self.headers.get("Host", "")
                return verify(method, f"http://{host}{self.path}", header, state.oauth)
            return False

        def _admin_token(self, body: Any) -> tuple[int, Any]:
            state = server.state
            if not isinstance(body, dict) or state.admins.get(str(body.get("username"))) != body.get("password"):
                return 401, {"message": "The account sign-in was incorrect or your account is disabled temporarily. "
                                        "Please wait and try again later."}
            token = uuid.uuid4().hex
            state.admin_tokens[token] = time.monotonic() + state.admin_token_seconds
            return 200, token

        def _product(self, method: str, store: str | None, sku: str, body: Any) -> tuple[int, Any]:
            state = server.state
            if method == "GET":
                found = server.product(sku, store or "default")
                return (200, found) if found else (404, {"message": _NOT_EXISTING_PRODUCT})
            if method != "DELETE" and not isinstance(body, dict):
                return 400, {"message": '"%fieldName" is required. Enter and try again.',
                             "parameters": {"fieldName": "product"}}
            failure = state.failures.get(sku or _sku_of(body or {}) or "")
            if failure is not None and (failure.times is None or failure.times > 0):
                if failure.times is not None:
                    failure.times -= 1
                return (503 if failure.retriable else 400), {"message": failure.message,
                                                             "parameters": failure.parameters}
            try:
                return 200, server._execute(method, store, sku, body or {})
            except _MagentoError as error:
                return error.status, {"message": error.message, "parameters": error.parameters}

        def _async(self, method: str, store: str | None, asynchronous: str, path: str,
                   body: Any) -> tuple[int, Any]:
            state = server.state
            if method == "GET":
                return 404, {"message": "Request does not match any route."}
            if asynchronous != "/async/bulk":
                body = [body]
            elif not isinstance(body, list):
                return 400, {"message": "Bulk request body must be a JSON array of request bodies"}
            if path not in ("/V1/products", "/V1/products/bySku"):
                return 404, {"message": "Request does not match any route."}
            if (path == "/V1/products") != (method == "POST"):
                return 404, {"message": "Request does not match any route."}
            service = "deletebyid" if method == "DELETE" else "save"
            topic = f"async.magento.catalog.api.productrepositoryinterface.{service}.{method.lower()}"
            bulk_uuid = str(uuid.uuid4())
            items: list[dict[str, Any]] = []
            operations: list[Operation] = []
            for index, item in enumerate(body):
                sku = _sku_of(item) if isinstance(item, dict) else None
                if not isinstance(item, dict) or sku is None or sku in state.rejected:
                    message = state.rejected.get(sku or "", "Error processing %1 element of input data")
                    items.append({"id": index, "data_hash": None, "status": "rejected",
                                  "error_message": fill_placeholders(message, [index]), "error_code": 0})
                    continue
                operation = Operation(id=next(server._ids), bulk_uuid=bulk_uuid, topic=topic, store=store or "default",
                                      method=method, body=item)
                operations.append(operation)
                items.append({"id": index, "data_hash": uuid.uuid4().hex * 2, "status": "accepted"})
            start = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
            state.bulks[bulk_uuid] = Bulk(bulk_uuid, operations, start, topic)
            state.queue.extend(operations)
            if state.consumer == "immediate":
                server._consume()
            return 202, {"bulk_uuid": bulk_uuid, "request_items": items, "errors": False}

        def _bulk_status(self, bulk_uuid: str, kind: str, status: str | None) -> tuple[int, Any]:
            state = server.state
            bulk = state.bulks.get(bulk_uuid)
            if bulk is None:
                return 404, {"message": 'Bulk uuid %bulkUuid not exist', "parameters": {"bulkUuid": bulk_uuid}}
            if state.consumer == "on_poll":
                state.polls += 1
                if state.polls % state.polls_per_batch == 0:
                    server._consume()
            if status is not None:
                return 200, sum(1 for op in bulk.operations if op.status == int(status))
            detailed = kind == "detailed-status"
            operations = []
            for op in bulk.operations:
                entry: dict[str, Any] = {"id": op.id, "status": op.status, "result_message": op.result_message,
                                         "error_code": op.error_code}
                if detailed:
                    entry.update({"bulk_uuid": bulk_uuid, "topic_name": op.topic, "result_serialized_data": None,
                                  "serialized_data": json.dumps({"entity_id": None, "entity_link": "",
                                                                 "meta_information": json.dumps(op.body)})})
                operations.append(entry)
            return 200, {"operations_list": operations, "user_type": 1, "bulk_id": bulk_uuid,
                         "description": f"Topic {bulk.topic}", "start_time": bulk.start_time, "user_id": 1,
                         "operation_count": len(bulk.operations)}

        def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            self._send(status, json.dumps(payload).encode(), "application/json; charset=utf-8", headers)

        def _send(self, status: int, data: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler


@contextlib.contextmanager
def magento_server(**kwargs: Any) -> Iterator[MagentoServer]:
    with MagentoServer(**kwargs) as server:
        yield server


def main(argv: list[str]) -> int:
    """``python -m tests.support.magento_server [latency_seconds] [store codes...]``: serve until stdin closes
    (the first line printed is the URL), for benchmarks that keep the server out of the measured process."""
    import sys

    latency = float(argv[0]) if argv else 0.0
    with MagentoServer(latency_seconds=latency) as server:
        for code in argv[1:]:
            server.add_store(code)
        print(server.url, flush=True)
        sys.stdin.read()
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
