"""Schemathesis over every operation of the API's own OpenAPI document, through the local API (API Gateway's
proxy events, the real authorizer and api_handler) on moto: no server error, no status code or content type
the document does not declare, and every answer matches its declared schema.

Deterministic and CI-sized: a fixed number of derandomized examples per operation, valid and invalid ones,
sent with a real admin key. Path parameters are sometimes replaced by ids that exist (a task, a run, the
caller's own key), so the operations get past "not found" into their real work.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import hypothesis
import hypothesis.errors
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.hooks import HookDispatcher, HookScope
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.integration.api.local_api import ENVIRONMENT, LocalApiStack, local_api_stack

EXAMPLES = {schemathesis.GenerationMode.POSITIVE: 12, schemathesis.GenerationMode.NEGATIVE: 8}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection]
IMPORT_TASK = {"type": "import", "description": "Fuzzed import", "frequency": {"every": "day", "time": "06:00"},
               "settings": {"import_name": "Sales conditions APAC", "auto_import": True}}
ETIM_TASK = {"type": "import_etim", "description": "Fuzzed ETIM", "frequency": {"every": "week", "days": ["MON"],
                                                                                "time": "12:53"},
             "settings": {"client_id": "client", "client_secret": "etim-secret"}}


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalApiStack]:
    with local_api_stack(monkeypatch) as running:
        yield running


def _seed(stack: LocalApiStack) -> dict[str, list[str]]:
    """Real ids per path parameter name: tasks (one with a run), a secret, the caller's key, the environment."""
    def call(method: str, path: str, body: Any = None) -> Any:
        response = stack.client.open(path, method=method, headers=stack.headers(), json=body)
        assert response.status_code < 300, response.get_data(as_text=True)
        return response.get_json()

    base = f"/environments/{ENVIRONMENT}"
    call("PUT", f"{base}/secrets/etim-secret", {"value": "s3cret"})
    task_ids = [call("POST", f"{base}/tasks", spec)["task_id"] for spec in (IMPORT_TASK, ETIM_TASK)]
    run_id = call("POST", f"{base}/tasks/{task_ids[0]}/start")["run_id"]
    return {"env": [ENVIRONMENT], "task_id": task_ids, "run_id": [run_id], "name": ["etim-secret"],
            "key_id": [stack.admin_key_id]}


def _known_ids(known: dict[str, list[str]]) -> HookDispatcher:
    """Hooks that let a valid case's path parameters be the generated value or a real id (for valid cases only:
    an invalid case must stay invalid)."""
    hooks = HookDispatcher(scope=HookScope.TEST)

    @hooks.hook
    def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
        if not path_parameters:
            return st.just(path_parameters)
        choices = {name: st.sampled_from([*known[name], value]) for name, value in (path_parameters or {}).items()
                   if name in known}
        return st.fixed_dictionaries(choices).map(lambda chosen: {**path_parameters, **chosen})

    return hooks


def test_every_operation_answers_documented_statuses_and_no_server_error(stack: LocalApiStack) -> None:
    # given the API's own OpenAPI document, and real ids to mix into the generated paths
    schema = schemathesis.openapi.from_wsgi("/openapi.json", stack.app)
    positive_hooks = _known_ids(_seed(stack))
    failures: list[str] = []
    # deletions last, so the seeded task, run and secret are there for every other operation
    operations = sorted((result.ok() for result in schema.get_all_operations()),
                        key=lambda operation: operation.method.upper() == "DELETE")
    assert len(operations) >= 20

    # when every operation gets valid and invalid requests
    for operation in operations:
        for mode, examples in EXAMPLES.items():
            hooks = positive_hooks if mode is schemathesis.GenerationMode.POSITIVE else None

            @hypothesis.settings(max_examples=examples, derandomize=True, deadline=None, database=None,
                                 phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            @hypothesis.given(case=operation.as_strategy(generation_mode=mode, hooks=hooks))
            def exercise(case: schemathesis.Case) -> None:
                case.call_and_validate(headers=stack.headers(), checks=CHECKS)

            try:
                exercise()
            except hypothesis.errors.Unsatisfiable:
                assert mode is schemathesis.GenerationMode.NEGATIVE  # no input to get wrong (GET /health)
            except BaseException as failure:  # schemathesis raises a group of check failures
                if isinstance(failure, KeyboardInterrupt):
                    raise
                failures.append(f"{operation.label} ({mode.value}): {failure}")

    # then none broke a check
    assert not failures, "\n\n".join(failures)
