"""The REST API through the real authorizer and api_handler, against moto in-process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from moto import mock_aws
from pimtasks.wiring import access_service, clear_caches
from pimtasks_local.functions import lambda_context

from tests.integration.core.harness import FILES_BUCKET, REGION, SENDER, TABLES, deploy_stack

API_ARN = "arn:aws:execute-api:eu-west-1:123456789012:api1234/v1"



@dataclass
class Reply:
    status: int
    body: Any


@dataclass
class Api:
    """Calls the authorizer, then the API handler, the way API Gateway does (policy checked by prefix)."""

    admin_key: str

    def call(self, method: str, path: str, *, key: str | None = None, body: Any = None,
             query: dict[str, str] | None = None) -> Reply:
        from functions.api_handler.app import handler as api_handler
        from functions.authorizer.app import handler as authorizer

        method_arn = f"{API_ARN}/{method}{path}"
        headers = {"x-api-key": key} if key else {}
        authorizer_context: dict[str, Any] = {}
        if path != "/health":
            try:
                decision = authorizer({"type": "REQUEST", "methodArn": method_arn, "headers": headers},
                                      lambda_context("pimtasks-authorizer", timeout_seconds=5))
            except Exception as exc:  # noqa: BLE001 (API Gateway turns exactly "Unauthorized" into a 401)
                assert str(exc) == "Unauthorized"
                return Reply(401, {"message": "Unauthorized"})
            resources = decision["policyDocument"]["Statement"][0]["Resource"]
            if not any(_matches(pattern, method_arn) for pattern in resources):
                return Reply(403, {"message": "User is not authorized to access this resource"})
            authorizer_context = {**decision["context"], "principalId": decision["principalId"]}
        event = {
            "resource": path, "path": path, "httpMethod": method, "headers": {"content-type": "application/json",
                                                                             **headers},
            "multiValueHeaders": {}, "queryStringParameters": query, "multiValueQueryStringParameters":
                {k: [v] for k, v in (query or {}).items()} or None,
            "pathParameters": None, "stageVariables": None, "isBase64Encoded": False,
            "body": json.dumps(body) if body is not None else None,
            "requestContext": {"stage": "v1", "requestId": "r1", "resourcePath": path, "httpMethod": method,
                               "path": f"/v1{path}", "identity": {"sourceIp": "127.0.0.1"},
                               "authorizer": authorizer_context},
        }
        response = api_handler(event, lambda_context("pimtasks-api", timeout_seconds=29))
        text = response.get("body") or ""
        return Reply(response["statusCode"], json.loads(text) if text else None)


def _matches(pattern: str, arn: str) -> bool:
    import fnmatch

    return fnmatch.fnmatchcase(arn, pattern)


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    variables = {"AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                 "TASKS_TABLE": TABLES["TasksTable"], "RUNS_TABLE": TABLES["RunsTable"],
                 "ADMIN_TABLE": TABLES["AdminTable"], "INVOICES_TABLE": TABLES["InvoicesTable"],
                 "FILES_BUCKET": FILES_BUCKET, "MAIL_SENDER": SENDER,
                 "FUNCTION_NAME_PREFIX": "pimtasks-task-",
                 "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_NAMESPACE": "Pimtasks"}
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        clear_caches()
        deploy_stack()
        access = access_service()
        access.create_environment(environment="000001", name="Demo")
        access.create_environment(environment="000002", name="Other")
        admin = access.issue_api_key(environments=["000001"], admin=True, description="admin")
        yield Api(admin_key=admin.api_key)
        clear_caches()
