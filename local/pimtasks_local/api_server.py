"""The local REST API: HTTP requests as API Gateway (REST, v1) proxy events for the template's functions.

Routes come from the functions' ``Api`` events. A route with an authorizer first calls the real
authorizer function with a REQUEST (or TOKEN) authorizer event; "Unauthorized" gives 401, its policy is
evaluated against the method ARN (explicit Deny wins, no match denies: 403), and its ``principalId`` and
``context`` reach the handler in ``requestContext.authorizer``. Policies are cached per identity source
for the authorizer's ``ReauthorizeEvery`` seconds, as API Gateway does.

Two local-only endpoints need the stack's admin key (the authorizer's context ``admin`` must be "true"):
``GET /_local/mail`` lists the e-mails the emulator's SES accepted, and
``POST /_local/fire/{env}/{task_id}`` fires a task's schedule now, as the schedule runner would.

A GET that no route takes is one of the web console's static files when there is one (``/`` is the console, see
``console_files``), as CloudFront puts the console and the API on one origin in AWS.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request, Response

from pimtasks_local.console_files import ConsoleFiles
from pimtasks_local.deployment import ApiRoute, ApiSpec, AuthorizerSpec, Deployment
from pimtasks_local.functions import FunctionError, FunctionInvoker, FunctionLoadError
from pimtasks_local.iam_policy import is_allowed

LOGGER = logging.getLogger(__name__)

MailOutbox = Callable[[], list[dict[str, Any]]]
FireTask = Callable[[str, str, "str | None"], dict[str, Any]]
"""``fire(environment, task_id, scheduled_time or None)`` -> what was sent to the task's function."""

_PARAMETER = re.compile(r"\{([^}/]+?)(\+?)\}")
_LOCAL_FIRE = re.compile(r"^/_local/fire/(?P<env>[^/]+)/(?P<task_id>[^/]+)$")


class UnauthorizedError(Exception):
    """The authorizer rejected the identity (API Gateway answers 401)."""


class ForbiddenError(Exception):
    """The authorizer's policy does not allow the call (API Gateway answers 403)."""


class AuthorizerFailedError(Exception):
    """The authorizer failed otherwise (API Gateway answers 500)."""


@dataclass(frozen=True)
class _CompiledRoute:
    route: ApiRoute
    pattern: re.Pattern[str]
    literal_segments: int
    greedy: bool


@dataclass(frozen=True)
class AuthorizerResult:
    principal_id: str
    policy: dict[str, Any]
    context: dict[str, str]


def compile_route(route: ApiRoute) -> _CompiledRoute:
    """A regex for the route's path template (``{name}`` is one segment, ``{name+}`` the rest)."""
    regex, position, greedy = "", 0, False
    for match in _PARAMETER.finditer(route.path):
        regex += re.escape(route.path[position:match.start()])
        if match.group(2):
            regex += f"(?P<{match.group(1)}>.+)"
            greedy = True
        else:
            regex += f"(?P<{match.group(1)}>[^/]+)"
        position = match.end()
    regex += re.escape(route.path[position:])
    literal = sum(1 for segment in route.path.split("/") if segment and not segment.startswith("{"))
    return _CompiledRoute(route, re.compile(f"^{regex}$"), literal, greedy)


def stringify_context(context: Mapping[str, Any] | None) -> dict[str, str]:
    """Authorizer context values as the integration sees them (API Gateway passes strings)."""
    result: dict[str, str] = {}
    for key, value in (context or {}).items():
        if isinstance(value, bool):
            result[key] = "true" if value else "false"
        elif value is not None:
            result[key] = str(value)
    return result


def _json(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json", headers=dict(headers or {}))


class LocalApi:
    """WSGI application serving the template's API routes and the local-only endpoints."""

    def __init__(
        self,
        *,
        deployment: Deployment,
        host: FunctionInvoker,
        mail_outbox: MailOutbox | None = None,
        fire_task: FireTask | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        console: ConsoleFiles | None = None,
    ) -> None:
        self._deployment = deployment
        self._console = console or ConsoleFiles()
        self._host = host
        self._mail_outbox = mail_outbox
        self._fire_task = fire_task
        self._monotonic = monotonic
        compiled = [compile_route(route) for route in deployment.routes]
        # API Gateway prefers the most specific resource: more literal segments, then no greedy variable.
        self._routes = sorted(compiled, key=lambda c: (-c.literal_segments, c.greedy))
        self._cache: dict[tuple[str, tuple[str, ...]], tuple[float, AuthorizerResult]] = {}
        self._cache_lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        started = time.perf_counter()
        try:
            response = self.handle(request)
        except Exception:  # a bug of the local server itself: logged, answered as API Gateway would
            LOGGER.exception("local API failed on %s %s", request.method, request.path)
            response = _json(500, {"message": "Internal server error"})
        LOGGER.info("%s %s -> %s (%.0f ms)", request.method, request.full_path.rstrip("?"),
                    response.status_code, (time.perf_counter() - started) * 1000)
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        """The response to one HTTP request."""
        if request.path.startswith("/_local/"):
            return self._local(request)
        matched = [(c, m) for c in self._routes if (m := c.pattern.match(request.path))]
        if not matched:
            static = self._console.response(request)
            if static is not None:
                return static
            return _json(404, {"message": f"No route for {request.path}"})
        for compiled, match in matched:
            if compiled.route.method in (request.method, "ANY"):
                return self._proxy(request, compiled.route, match.groupdict())
        allowed = sorted({c.route.method for c, _ in matched})
        return _json(405, {"message": f"Method {request.method} not allowed; use {', '.join(allowed)}"},
                     {"Allow": ", ".join(allowed)})

    # --- template routes -------------------------------------------------------------------------

    def _proxy(self, request: Request, route: ApiRoute, path_parameters: dict[str, str]) -> Response:
        api = self._deployment.apis[route.api]
        request_id = str(uuid.uuid4())
        authorizer_context: dict[str, str] | None = None
        if route.authorizer:
            authorizer = api.authorizers.get(route.authorizer)
            if authorizer is None:
                LOGGER.error("route %s %s names unknown authorizer %s", route.method, route.path, route.authorizer)
                return _json(500, {"message": None})
            try:
                result = self._authorize(request, api, authorizer, route.path, path_parameters)
            except UnauthorizedError:
                return _json(401, {"message": "Unauthorized"}, {"x-amzn-ErrorType": "UnauthorizedException"})
            except ForbiddenError:
                return _json(403, {"message": "User is not authorized to access this resource"},
                             {"x-amzn-ErrorType": "AccessDeniedException"})
            except AuthorizerFailedError:
                return _json(500, {"message": None}, {"x-amzn-ErrorType": "AuthorizerConfigurationException"})
            authorizer_context = {"principalId": result.principal_id, **result.context}
        event = self._proxy_event(request, api, route.path, path_parameters, request_id, authorizer_context)
        try:
            reply = self._host.invoke(self._deployment.functions[route.function].function_name, event)
        except (FunctionError, FunctionLoadError):  # logged by the host; API Gateway answers 502
            return _json(502, {"message": "Internal server error"})
        return self._response(reply, request_id)

    def _proxy_event(
        self,
        request: Request,
        api: ApiSpec,
        resource: str,
        path_parameters: dict[str, str],
        request_id: str,
        authorizer_context: dict[str, str] | None,
    ) -> dict[str, Any]:
        headers, multi_headers = _headers(request.headers)
        query, multi_query = _query(request)
        body, is_base64 = _body(request)
        now = dt.datetime.now(dt.UTC)
        context: dict[str, Any] = {
            "accountId": self._deployment.account_id,
            "apiId": api.rest_api_id,
            "domainName": request.host,
            "domainPrefix": request.host.split(".")[0],
            "extendedRequestId": request_id,
            "httpMethod": request.method,
            "identity": {
                "accessKey": None,
                "accountId": None,
                "apiKey": None,
                "caller": None,
                "sourceIp": request.remote_addr or "127.0.0.1",
                "user": None,
                "userAgent": request.headers.get("User-Agent"),
                "userArn": None,
            },
            "path": f"/{api.stage}{request.path}",
            "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
            "requestId": request_id,
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "resourceId": "local",
            "resourcePath": resource,
            "stage": api.stage,
        }
        if authorizer_context is not None:
            context["authorizer"] = authorizer_context
        return {
            "resource": resource,
            "path": request.path,
            "httpMethod": request.method,
            "headers": headers,
            "multiValueHeaders": multi_headers,
            "queryStringParameters": query,
            "multiValueQueryStringParameters": multi_query,
            "pathParameters": path_parameters or None,
            "stageVariables": None,
            "requestContext": context,
            "body": body,
            "isBase64Encoded": is_base64,
        }

    def _response(self, reply: Any, request_id: str) -> Response:
        if not isinstance(reply, Mapping) or "statusCode" not in reply:
            LOGGER.error("the API function returned %r instead of a proxy response", type(reply).__name__)
            return _json(502, {"message": "Internal server error"})
        headers = Headers()
        for name, value in (reply.get("headers") or {}).items():
            headers[name] = str(value)
        for name, values in (reply.get("multiValueHeaders") or {}).items():
            headers.remove(name)
            for value in values:
                headers.add(name, str(value))
        headers.setdefault("x-amzn-RequestId", request_id)
        body = reply.get("body") or ""
        data = base64.b64decode(body) if reply.get("isBase64Encoded") else str(body).encode()
        untyped = "Content-Type" not in headers
        response = Response(data, status=int(reply["statusCode"]), headers=headers)
        if untyped and not data:
            del response.headers["Content-Type"]  # werkzeug's text/plain default: an empty answer has no type
        return response

    # --- authorizer ------------------------------------------------------------------------------

    def _authorize(
        self,
        request: Request,
        api: ApiSpec,
        authorizer: AuthorizerSpec,
        resource: str,
        path_parameters: dict[str, str],
    ) -> AuthorizerResult:
        method_arn = self.method_arn(api, request.method, request.path)
        identity = self._identity(request, authorizer)
        key = (authorizer.name, identity)
        result = self._cached(key)
        if result is None:
            result = self._call_authorizer(request, api, authorizer, method_arn, resource, path_parameters)
            if authorizer.ttl_seconds > 0:
                with self._cache_lock:
                    self._cache[key] = (self._monotonic() + authorizer.ttl_seconds, result)
        if not is_allowed(result.policy, resource=method_arn):
            raise ForbiddenError(method_arn)
        return result

    def method_arn(self, api: ApiSpec, method: str, path: str) -> str:
        region, account = self._deployment.region, self._deployment.account_id
        return f"arn:aws:execute-api:{region}:{account}:{api.rest_api_id}/{api.stage}/{method}/{path.lstrip('/')}"

    @staticmethod
    def _identity(request: Request, authorizer: AuthorizerSpec) -> tuple[str, ...]:
        values = [request.headers.get(name, "") for name in authorizer.identity_headers]
        values += [request.args.get(name, "") for name in authorizer.identity_query_strings]
        if not values or any(not value for value in values):
            # API Gateway answers 401 without calling the authorizer when an identity source is missing.
            raise UnauthorizedError("identity source missing")
        return tuple(values)

    def _cached(self, key: tuple[str, tuple[str, ...]]) -> AuthorizerResult | None:
        with self._cache_lock:
            entry = self._cache.get(key)
            if entry is None:
                return None
            if entry[0] < self._monotonic():
                del self._cache[key]
                return None
            return entry[1]

    def _call_authorizer(
        self,
        request: Request,
        api: ApiSpec,
        authorizer: AuthorizerSpec,
        method_arn: str,
        resource: str,
        path_parameters: dict[str, str],
    ) -> AuthorizerResult:
        if authorizer.payload_type == "TOKEN":
            event: dict[str, Any] = {
                "type": "TOKEN",
                "authorizationToken": request.headers.get(authorizer.identity_headers[0], ""),
                "methodArn": method_arn,
            }
        else:
            headers, multi_headers = _headers(request.headers)
            query, multi_query = _query(request)
            event = {
                "type": "REQUEST",
                "methodArn": method_arn,
                "resource": resource,
                "path": request.path,
                "httpMethod": request.method,
                "headers": headers,
                "multiValueHeaders": multi_headers,
                "queryStringParameters": query or {},
                "multiValueQueryStringParameters": multi_query or {},
                "pathParameters": path_parameters,
                "stageVariables": {},
                "requestContext": {
                    "accountId": self._deployment.account_id,
                    "apiId": api.rest_api_id,
                    "httpMethod": request.method,
                    "identity": {"sourceIp": request.remote_addr or "127.0.0.1",
                                 "userAgent": request.headers.get("User-Agent")},
                    "path": f"/{api.stage}{request.path}",
                    "requestId": str(uuid.uuid4()),
                    "resourceId": "local",
                    "resourcePath": resource,
                    "stage": api.stage,
                },
            }
        function = self._deployment.functions[authorizer.function].function_name
        try:
            reply = self._host.invoke(function, event, log_failure=False)
        except FunctionError as exc:
            if str(exc.error) == "Unauthorized":  # the message API Gateway turns into a 401
                raise UnauthorizedError(str(exc)) from exc
            LOGGER.error("authorizer %s failed: %s", function, exc, exc_info=exc.error)
            raise AuthorizerFailedError(str(exc)) from exc
        except FunctionLoadError as exc:
            raise AuthorizerFailedError(str(exc)) from exc
        if not isinstance(reply, Mapping) or "policyDocument" not in reply:
            LOGGER.error("authorizer %s returned no policyDocument: %r", function, reply)
            raise AuthorizerFailedError("no policy document")
        return AuthorizerResult(
            principal_id=str(reply.get("principalId", "")),
            policy=dict(reply["policyDocument"]),
            context=stringify_context(reply.get("context")),
        )

    # --- local-only endpoints --------------------------------------------------------------------

    def _local(self, request: Request) -> Response:
        fire = _LOCAL_FIRE.match(request.path)
        if request.path == "/_local/mail":
            if request.method != "GET":
                return _json(405, {"message": "use GET"}, {"Allow": "GET"})
        elif fire:
            if request.method != "POST":
                return _json(405, {"message": "use POST"}, {"Allow": "POST"})
        else:
            return _json(404, {"message": f"No route for {request.path}"})
        denied = self._require_admin(request)
        if denied is not None:
            return denied
        if fire:
            return self._fire(request, fire.group("env"), fire.group("task_id"))
        if self._mail_outbox is None:
            return _json(404, {"message": "no mail outbox in this stack"})
        return _json(200, self._mail_outbox())

    def _require_admin(self, request: Request) -> Response | None:
        api = next((spec for spec in self._deployment.apis.values() if spec.default_authorizer), None)
        authorizer = api.authorizers.get(api.default_authorizer or "") if api else None
        if api is None or authorizer is None:
            return _json(403, {"message": "the template has no authorizer to check the admin key"})
        try:
            result = self._authorize_admin(request, api, authorizer)
        except UnauthorizedError:
            return _json(401, {"message": "Unauthorized"})
        except AuthorizerFailedError:
            return _json(500, {"message": None})
        if result.context.get("admin") != "true":
            return _json(403, {"message": "the /_local endpoints need an admin API key"})
        return None

    def _authorize_admin(self, request: Request, api: ApiSpec, authorizer: AuthorizerSpec) -> AuthorizerResult:
        identity = self._identity(request, authorizer)
        key = (authorizer.name, identity)
        cached = self._cached(key)
        if cached is not None:
            return cached
        method_arn = self.method_arn(api, request.method, request.path)
        return self._call_authorizer(request, api, authorizer, method_arn, request.path, {})

    def _fire(self, request: Request, environment: str, task_id: str) -> Response:
        if self._fire_task is None:
            return _json(404, {"message": "no schedule runner in this stack"})
        scheduled_time = None
        if request.get_data():
            try:
                scheduled_time = (request.get_json(force=True) or {}).get("scheduled_time")
            except (ValueError, AttributeError):
                return _json(400, {"message": "the body must be a JSON object, e.g. {\"scheduled_time\": ...}"})
        try:
            fired = self._fire_task(environment, task_id, scheduled_time)
        except LookupError as exc:
            return _json(404, {"message": str(exc)})
        except ValueError as exc:
            return _json(400, {"message": str(exc)})
        return _json(202, fired)


def _headers(headers: Headers) -> tuple[dict[str, str], dict[str, list[str]]]:
    # The WSGI server does not keep the client's spelling of header names; they are passed in lower
    # case (as HTTP/2 clients send them). Handlers must read headers case-insensitively anyway.
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in headers.items():
        key = name.lower()
        single[key] = value
        multi.setdefault(key, []).append(value)
    return single, multi


def _query(request: Request) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    if not request.args:
        return None, None
    multi = {key: request.args.getlist(key) for key in request.args}
    return {key: values[-1] for key, values in multi.items()}, multi


def _body(request: Request) -> tuple[str | None, bool]:
    data = request.get_data()
    if not data:
        return None, False
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(data).decode(), True
