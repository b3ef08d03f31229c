"""The Lambda Invoke API, served for the hosted functions.

Our code starts task runs with ``boto3.client("lambda").invoke(FunctionName=..., InvocationType="Event")``.
Moto cannot run code without Docker, so the local stack points ``AWS_ENDPOINT_URL_LAMBDA`` here:
``POST /2015-03-31/functions/{name}/invocations`` runs the function in the host (``Event`` -> 202 and
asynchronously, ``RequestResponse`` -> 200 with the result, ``DryRun`` -> 204), unknown functions get
404 ``ResourceNotFoundException``, like the real service.
"""

from __future__ import annotations

import json
import logging
import traceback
import uuid
from typing import Any
from urllib.parse import unquote

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from pimtasks_local.functions import FunctionError, FunctionInvoker, FunctionLoadError

LOGGER = logging.getLogger(__name__)


def _error(status: int, code: str, message: str) -> Response:
    body = json.dumps({"Type": "User", "Message": message, "message": message})
    return Response(body, status=status, mimetype="application/json",
                    headers={"x-amzn-ErrorType": code, "x-amzn-RequestId": str(uuid.uuid4())})


class LambdaInvokeApp:
    """WSGI application implementing Invoke for the functions of ``host``."""

    def __init__(self, host: FunctionInvoker) -> None:
        self._host = host
        self._urls = Map([Rule("/2015-03-31/functions/<path:name>/invocations", methods=["POST"], endpoint="invoke")])

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        try:
            _, arguments = self._urls.bind_to_environ(environ).match()
        except NotFound:
            response = _error(404, "UnknownOperationException", f"unknown operation {request.method} {request.path}")
        except MethodNotAllowed:
            response = _error(405, "UnknownOperationException", f"unknown operation {request.method} {request.path}")
        except HTTPException as exc:
            response = _error(exc.code or 400, "InvalidRequestContentException", str(exc))
        else:
            response = self._invoke(request, unquote(arguments["name"]))
        return response(environ, start_response)

    def _invoke(self, request: Request, name: str) -> Response:
        spec = self._host.find(name)
        if spec is None:
            return _error(404, "ResourceNotFoundException", f"Function not found: {name}")
        raw = request.get_data()
        try:
            event = json.loads(raw) if raw else {}
        except ValueError:
            return _error(400, "InvalidRequestContentException", "Could not parse request body into json")
        invocation_type = request.headers.get("X-Amz-Invocation-Type", "RequestResponse")
        request_id = str(uuid.uuid4())
        headers = {"x-amzn-RequestId": request_id, "X-Amz-Executed-Version": "$LATEST"}
        if invocation_type == "DryRun":
            return Response(status=204, headers=headers)
        if invocation_type == "Event":
            self._host.invoke_async(spec.function_name, event)
            return Response(status=202, headers=headers)
        if invocation_type != "RequestResponse":
            return _error(400, "InvalidParameterValueException", f"invalid InvocationType {invocation_type}")
        try:
            result = self._host.invoke(spec.function_name, event)
        except (FunctionError, FunctionLoadError) as exc:  # a 200 with X-Amz-Function-Error, as in Lambda
            cause = exc.error if isinstance(exc, FunctionError) else exc
            error = {
                "errorMessage": str(cause),
                "errorType": type(cause).__name__,
                "stackTrace": traceback.format_exception(cause)[1:],
            }
            return Response(json.dumps(error), status=200, mimetype="application/json",
                            headers={**headers, "X-Amz-Function-Error": "Unhandled"})
        return Response(json.dumps(result), status=200, mimetype="application/json", headers=headers)
