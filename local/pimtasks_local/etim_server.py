"""A fake ETIM International API v2 on 127.0.0.1 (tests, benchmarks, the local stack's demo), true to the spec.

It serves a generated model (``etim_fake_model``) the way the OpenAPI document and EXTERNAL-SYSTEMS §1 say
the real service does, including what trips clients:

- ``POST /connect/token``: client credentials in the form body or as HTTP Basic, ``scope=EtimApi``;
  ``invalid_client`` for wrong ones; tokens that expire (``token_seconds``, or ``expire_tokens()``).
- every ``/api/v2`` call needs ``Authorization: Bearer``; request bodies are validated against the document's
  input schemas (``additionalProperties: false``: an unknown key is a 400); ``size`` <= 1000, ``from`` <= 29000,
  ``from + size`` <= 30000 (400 beyond the window);
- ``Class/Search`` answers a smaller ``pageSize`` when Features are included; ``Class/DetailsMany`` takes at
  most ``details_max`` classes (the document names no limit; a server must have one);
- ``Misc/LanguagesAllowed`` is per account, and other languages are refused;
- injected faults: ``inject("Class/Search", 503, times=2)``, ``inject("*", 429, retry_after=1)``,
  ``inject("Value/Search", 503, times=None, after=3)`` (the fourth call on, for good);
- ``latency_seconds`` per request; ``calls`` counts requests per call name.

    python -m pimtasks_local.etim_server --size real --latency-ms 20     # prints its URL, serves until killed
"""

from __future__ import annotations

import argparse
import base64
import json
import secrets
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote_plus

from werkzeug.wrappers import Request, Response

from pimtasks_local.etim_fake_model import (
    REAL_SIZE,
    SMALL_SIZE,
    FakeClass,
    FakeModel,
    generate_model,
)

SPEC_FILE = Path(__file__).with_name("etim_api") / "etim-api-v2.openapi.json"
MAX_FROM, WINDOW = 29000, 30000
API = "/api/v2/"
SEARCHES = ("Class/Search", "Feature/Search", "Value/Search", "Unit/Search", "Group/Search")


# --- the OpenAPI document's input schemas, enforced -----------------------------------------------------


@lru_cache(maxsize=1)
def spec() -> dict[str, Any]:
    return json.loads(SPEC_FILE.read_text(encoding="utf-8"))


def request_schema(call: str) -> dict[str, Any] | None:
    operation = spec()["paths"].get(f"{API}{call}", {}).get("post")
    if operation is None:
        return None
    content = operation.get("requestBody", {}).get("content", {})
    return next((c["schema"] for c in content.values() if "schema" in c), None)


def schema_errors(schema: dict[str, Any], value: Any, where: str = "") -> list[tuple[str, str]]:
    """What is wrong with ``value`` against an OpenAPI 3.0 schema (the subset the ETIM document uses)."""
    if "$ref" in schema:
        schema = spec()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    if value is None:
        return [] if schema.get("nullable") else [(where or "$", "The value cannot be null.")]
    kind = schema.get("type")
    checks: dict[str, Callable[[], list[tuple[str, str]]]] = {
        "object": lambda: _object_errors(schema, value, where),
        "array": lambda: _array_errors(schema, value, where),
        "string": lambda: _string_errors(schema, value, where),
        "integer": lambda: _number_errors(schema, value, where, integer=True),
        "number": lambda: _number_errors(schema, value, where, integer=False),
        "boolean": lambda: [] if isinstance(value, bool) else [(where, "The value must be a boolean.")],
    }
    errors = checks[kind]() if kind in checks else []
    if "enum" in schema and value not in schema["enum"]:
        errors.append((where, f"The value must be one of {schema['enum']}."))
    return errors


def _object_errors(schema: dict[str, Any], value: Any, where: str) -> list[tuple[str, str]]:
    if not isinstance(value, dict):
        return [(where or "$", "The value must be an object.")]
    properties = schema.get("properties", {})
    errors = [(_join(where, name), f"The {name} field is required.") for name in schema.get("required", [])
              if name not in value]
    extra = schema.get("additionalProperties", True)
    for name, item in value.items():
        if name in properties:
            errors += schema_errors(properties[name], item, _join(where, name))
        elif extra is False:
            errors.append((_join(where, name), f"Could not find member '{name}' on the input object."))
        elif isinstance(extra, dict) and extra:
            errors += schema_errors(extra, item, _join(where, name))
    return errors


def _array_errors(schema: dict[str, Any], value: Any, where: str) -> list[tuple[str, str]]:
    if not isinstance(value, list):
        return [(where, "The value must be an array.")]
    errors: list[tuple[str, str]] = []
    for index, item in enumerate(value):
        errors += schema_errors(schema.get("items", {}), item, f"{where}[{index}]")
    return errors


def _string_errors(schema: dict[str, Any], value: Any, where: str) -> list[tuple[str, str]]:
    if not isinstance(value, str):
        return [(where, "The value must be a string.")]
    if len(value) < schema.get("minLength", 0):
        return [(where, f"The field {where} must be a string with a minimum length of {schema['minLength']}.")]
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        return [(where, f"The field {where} must be a string with a maximum length of {schema['maxLength']}.")]
    return []


def _number_errors(schema: dict[str, Any], value: Any, where: str, *, integer: bool) -> list[tuple[str, str]]:
    if isinstance(value, bool) or not isinstance(value, int if integer else (int, float)):
        return [(where, f"The value must be {'an integer' if integer else 'a number'}.")]
    if "minimum" in schema and value < schema["minimum"]:
        return [(where, f"The field {where} must be between {schema['minimum']} and {schema.get('maximum')}.")]
    if "maximum" in schema and value > schema["maximum"]:
        return [(where, f"The field {where} must be between {schema.get('minimum')} and {schema['maximum']}.")]
    if schema.get("format") == "int32" and not -2**31 <= value < 2**31:
        return [(where, "The value is outside the range of int32.")]
    return []


def _join(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


# --- accounts, tokens and faults ---------------------------------------------------------------------


@dataclass
class Account:
    secret: str
    languages: tuple[str, ...]


@dataclass
class Fault:
    status: int
    times: int | None = 1
    after: int = 0
    retry_after: str | None = None
    body: Any = None


@dataclass
class FakeEtimApi:
    """The WSGI application. Thread-safe enough for a threaded server (one lock around the state)."""

    model: FakeModel
    accounts: dict[str, Account] = field(default_factory=dict)
    token_seconds: int = 3600
    latency_seconds: float = 0.0
    features_page_size: int = 50
    details_max: int = 100
    page_size_cap: int | None = None
    details_answered: int | None = None
    """Answer only this many classes of a ``Class/DetailsMany`` batch, silently (a server's unstated limit)."""
    content_type: str = "application/json; charset=utf-8"
    unordered_arrays: bool = False
    """Send a class's features and a feature's values in reverse ``orderNumber`` order (the document numbers
    them but never promises the arrays' order)."""
    calls: Counter[str] = field(default_factory=Counter)
    _tokens: dict[str, tuple[str, float]] = field(default_factory=dict)
    _faults: dict[str, list[Fault]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- test controls ----------------------------------------------------------------------------
    def add_account(self, client_id: str, secret: str, languages: Iterable[str] | None = None) -> None:
        self.accounts[client_id] = Account(secret=secret, languages=tuple(languages or self.model.languages))

    def inject(self, call: str, status: int, *, times: int | None = 1, after: int = 0,
               retry_after: str | None = None, body: Any = None) -> None:
        """Answer ``call`` (``Class/Search``, ``connect/token``, ``*``) with ``status``: ``times`` times (None: for
        good), starting after ``after`` more calls of it have been answered normally."""
        with self._lock:
            self._faults.setdefault(call, []).append(Fault(status=status, times=times, after=after,
                                                           retry_after=retry_after, body=body))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def expire_tokens(self) -> None:
        with self._lock:
            self._tokens = {token: (client, 0.0) for token, (client, _) in self._tokens.items()}

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    # --- WSGI --------------------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        response = self._handle(request)
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        if request.path == "/_fake/stats":
            return self._json({"calls": dict(self.calls), "total": self.total_calls})
        if self.latency_seconds:
            time.sleep(self.latency_seconds)
        call = "connect/token" if request.path.rstrip("/").endswith("/connect/token") else \
            request.path[len(API):] if request.path.startswith(API) else request.path
        with self._lock:
            self.calls[call] += 1
            fault = self._fault_for(call)
        if fault is not None:
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            return self._json(fault.body or {"title": f"injected {fault.status}", "status": fault.status},
                              status=fault.status, headers=headers)
        if call == "connect/token":
            return self._token(request)
        client = self._bearer(request)
        if client is None:
            return Response(status=401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        return self._api(call, request, self.accounts[client])

    def _fault_for(self, call: str) -> Fault | None:
        for key in (call, "*"):
            for fault in self._faults.get(key, []):
                if fault.after > 0:
                    fault.after -= 1
                    continue
                if fault.times is not None:
                    if fault.times <= 0:
                        continue
                    fault.times -= 1
                return fault
        return None

    def _token(self, request: Request) -> Response:
        if request.method != "POST":
            return Response(status=405)
        form = parse_qs(request.get_data(as_text=True))
        client_id, secret = (form.get("client_id", [""])[0], form.get("client_secret", [""])[0])
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            client_id, secret = unquote_plus(client_id), unquote_plus(secret)  # RFC 6749 §2.3.1: form-urlencoded
        account = self.accounts.get(client_id)
        if account is None or not secrets.compare_digest(account.secret, secret):
            return self._json({"error": "invalid_client"}, status=400)
        if form.get("grant_type", [""])[0] != "client_credentials":
            return self._json({"error": "unsupported_grant_type"}, status=400)
        if "EtimApi" not in form.get("scope", [""])[0].split():
            return self._json({"error": "invalid_scope"}, status=400)
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = (client_id, time.monotonic() + self.token_seconds)
        return self._json({"access_token": token, "expires_in": self.token_seconds, "token_type": "Bearer",
                           "scope": "EtimApi"})

    def _bearer(self, request: Request) -> str | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        with self._lock:
            held = self._tokens.get(header[7:])
        if held is None or held[1] <= time.monotonic():
            return None
        return held[0]

    def _api(self, call: str, request: Request, account: Account) -> Response:
        if call.startswith("Misc/"):
            if request.method != "GET":
                return Response(status=405)
            return self._misc(call, account)
        if request.method != "POST":
            return Response(status=405)
        schema = request_schema(call)
        if schema is None or (call not in SEARCHES and call != "Class/DetailsMany"):
            return self._json({"title": "Not Found", "status": 404}, status=404)
        try:
            body = json.loads(request.get_data(as_text=True) or "null")
        except ValueError:
            return self._invalid(call, [("$", "The JSON value could not be converted.")])
        errors = schema_errors(schema, body)
        if not errors and call in SEARCHES and body["from"] + body["size"] > WINDOW:
            errors = [("from", f"From + size must be less than or equal to {WINDOW}")]
        if not errors and body["languagecode"] not in account.languages:
            errors = [("languagecode", f"Language '{body['languagecode']}' is not allowed for this client")]
        if errors:
            return self._invalid(call, errors)
        if call == "Class/DetailsMany":
            return self._details_many(body)
        return self._search(call, body)

    # --- calls -----------------------------------------------------------------------------------------
    def _misc(self, call: str, account: Account) -> Response:
        if call == "Misc/Releases":
            releases = enumerate(self.model.releases, start=1)
            return self._json([{"id": index, "description": name} for index, name in releases])
        if call == "Misc/LanguagesAllowed":
            return self._json([{"code": code, "description": code} for code in account.languages])
        if call == "Misc/Languages":
            return self._json([{"code": code, "description": code} for code in self.model.languages])
        return self._json({"title": "Not Found", "status": 404}, status=404)

    def _search(self, call: str, body: dict[str, Any]) -> Response:
        language = body["languagecode"]
        include = body.get("include") or {}
        fields = set(include.get("fields") or [])
        texts = bool(include.get("descriptions"))
        filters = {f.get("code"): set(f["values"]) for f in body.get("filters") or []}
        page_size = min(body["size"], self.page_size_cap or body["size"])
        if call == "Class/Search" and "Features" in fields:
            page_size = min(page_size, self.features_page_size)
        matches = self._matches(call, body, filters, language)
        start = body["from"]
        chosen = matches[start:start + page_size]
        key = {"Class/Search": "classes", "Feature/Search": "features", "Value/Search": "values",
               "Unit/Search": "units", "Group/Search": "groups"}[call]
        rows = [self._render(call, entity, language=language, texts=texts, fields=fields) for entity in chosen]
        answer: dict[str, Any] = {"total": len(matches), key: rows}
        if call == "Class/Search":
            answer["pageSize"] = page_size
        return self._json(answer)

    def _matches(self, call: str, body: dict[str, Any], filters: dict[str | None, set[str]],
                 language: str) -> list[Any]:
        query = (body.get("searchString") or "").lower()
        model = self.model
        lists: dict[str, dict[str, Any]] = {"Class/Search": model.classes, "Feature/Search": model.features,
                                            "Value/Search": model.values, "Unit/Search": model.units,
                                            "Group/Search": model.groups}
        source: Iterable[Any] = lists[call].values()
        out = []
        for entity in source:
            if "Release" in filters and not filters["Release"] & set(getattr(entity, "releases", [])):
                continue
            if "Group" in filters and (entity.group if isinstance(entity, FakeClass) else entity.code) \
                    not in filters["Group"]:
                continue
            own = {"Class/Search": "Class", "Feature/Search": "Feature", "Value/Search": "Value"}.get(call)
            if own in filters and entity.code not in filters[own]:
                continue
            if body.get("deprecated") is not None and getattr(entity, "deprecated", False) != body["deprecated"]:
                continue
            if body.get("local") is not None and getattr(entity, "local", False) != body["local"]:
                continue
            if query and not _mentions(entity, language, query):
                continue
            out.append(entity)
        return out

    def _render(self, call: str, entity: Any, *, language: str, texts: bool, fields: set[str]) -> dict[str, Any]:
        if call == "Class/Search":
            return self._class(entity, language=language, texts=texts, fields=fields)
        row: dict[str, Any] = {"code": entity.code}
        if call == "Feature/Search":
            row.update(type=entity.type, deprecated=entity.deprecated, local=entity.local)
        elif call in ("Value/Search", "Unit/Search"):
            row["deprecated"] = entity.deprecated
        elif call == "Group/Search":
            row["releases"] = list(entity.releases)
        if texts:
            row["description"] = entity.descriptions.get(language)
            row["descriptionEn"] = entity.descriptions.get("EN")
            if call == "Unit/Search":
                row["abbreviation"] = entity.abbreviations.get(language)
        return row

    def _class(self, cls: FakeClass, *, language: str, texts: bool, fields: set[str]) -> dict[str, Any]:
        row: dict[str, Any] = {"code": cls.code, "version": cls.version, "status": cls.status,
                               "mutationDate": cls.mutation_date, "revision": cls.revision,
                               "revisionDate": cls.mutation_date, "modelling": False,
                               "changeCode": cls.change_code, "sectors": list(cls.sectors)}
        if texts:
            row.update(description=cls.descriptions.get(language), descriptionEn=cls.descriptions.get("EN"),
                       synonyms=list(cls.synonyms.get(language, [])))
        if "Group" in fields:
            group = self.model.groups.get(cls.group)
            row["group"] = {"code": cls.group, "description": group.descriptions.get(language) if group else None}
        if "Releases" in fields:
            row["releases"] = list(cls.releases)
        if "Features" in fields:
            row["features"] = [self._class_feature(feature, language=language) for feature in cls.features]
            if self.unordered_arrays:
                row["features"].reverse()
        return row

    def _class_feature(self, feature: Any, *, language: str) -> dict[str, Any]:
        known = self.model.features.get(feature.code)
        row: dict[str, Any] = {"code": feature.code, "type": known.type if known else None,
                               "deprecated": known.deprecated if known else False, "local": False,
                               "description": known.descriptions.get(language) if known else None,
                               "orderNumber": feature.order, "featureGroupCode": feature.feature_group,
                               "portcode": 0, "changeCode": "Unchanged"}
        if feature.unit:
            unit = self.model.units[feature.unit]
            row["unit"] = {"code": unit.code, "deprecated": unit.deprecated,
                           "description": unit.descriptions.get(language),
                           "abbreviation": unit.abbreviations.get(language)}
        row["values"] = [{"code": code, "deprecated": self.model.values[code].deprecated,
                          "description": self.model.values[code].descriptions.get(language), "orderNumber": order,
                          "changeCode": "Unchanged"}
                         for order, code in enumerate(feature.values, start=1)]
        if self.unordered_arrays:
            row["values"].reverse()
        return row

    def _details_many(self, body: dict[str, Any]) -> Response:
        wanted = body["classes"]
        if len(wanted) > self.details_max:
            return self._json({"title": "Bad Request", "status": 400,
                               "detail": f"At most {self.details_max} classes per request"}, status=400)
        fields = set((body.get("include") or {}).get("fields") or [])
        texts = bool((body.get("include") or {}).get("descriptions"))
        found = [self.model.classes[item["code"]] for item in wanted
                 if item["code"] in self.model.classes and self.model.classes[item["code"]].version == item["version"]]
        if not found:
            return self._json({"title": "Not Found", "status": 404}, status=404)
        found = found[:self.details_answered] if self.details_answered else found
        return self._json([self._class(cls, language=body["languagecode"], texts=texts, fields=fields)
                           for cls in found])

    # --- answers ---------------------------------------------------------------------------------------
    def _invalid(self, call: str, errors: list[tuple[str, str]]) -> Response:
        if call == "Class/Search":  # documented as a plain {field: message} map
            return self._json({where: message for where, message in errors}, status=400)
        return self._json({"type": "https://tools.ietf.org/html/rfc7231#section-6.5.1",
                           "title": "One or more validation errors occurred.", "status": 400,
                           "errors": {where: [message] for where, message in errors}}, status=400)

    def _json(self, body: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        return Response(json.dumps(body, ensure_ascii=False), status=status, headers=headers or {},
                        content_type=self.content_type)


def _mentions(entity: Any, language: str, query: str) -> bool:
    texts = [entity.descriptions.get(language) or ""]
    texts += getattr(entity, "synonyms", {}).get(language, []) if isinstance(entity, FakeClass) else []
    return any(query in text.lower() for text in texts)


class FakeEtimServer:
    """``FakeEtimApi`` served on 127.0.0.1 from a background thread (``with FakeEtimServer(api) as url``)."""

    def __init__(self, api: FakeEtimApi, *, host: str = "127.0.0.1", port: int = 0) -> None:
        from pimtasks_local.http_server import BackgroundServer

        self.api = api
        self._server = BackgroundServer(api, host=host, port=port, name="fake-etim")

    @property
    def url(self) -> str:
        return self._server.url

    def __enter__(self) -> str:
        self._server.start()
        return self.url

    def __exit__(self, *exc: object) -> None:
        self._server.stop()

    def start(self) -> str:
        return self.__enter__()

    def stop(self) -> None:
        self._server.stop()


DEMO_CLIENT_ID = "demo-etim-client"
DEMO_CLIENT_SECRET = "demo-etim-secret"  # noqa: S105 (the fake API's own demo account)


def demo_server(*, host: str = "127.0.0.1", port: int = 0) -> FakeEtimServer:
    """The fake ETIM API the local stack offers (not started): a small model in EN, nl-NL and de-DE, and the
    demo account ``DEMO_CLIENT_ID`` that may use those three languages."""
    api = FakeEtimApi(model=generate_model(SMALL_SIZE))
    api.add_account(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
    return FakeEtimServer(api, host=host, port=port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--size", choices=("small", "real"), default="small")
    parser.add_argument("--languages", default="EN,nl-NL,de-DE")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--client-id", default="pimtasks-demo")
    parser.add_argument("--client-secret", default="demo-secret")
    args = parser.parse_args(argv)
    languages = tuple(args.languages.split(","))
    model = generate_model(REAL_SIZE if args.size == "real" else SMALL_SIZE, languages=languages)
    api = FakeEtimApi(model=model, latency_seconds=args.latency_ms / 1000)
    api.add_account(args.client_id, args.client_secret, languages)
    server = FakeEtimServer(api, port=args.port)
    with server as url:
        print(f"fake ETIM API at {url} (client {args.client_id})", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
