"""Routes: tasks, their runs, manual start and stop."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from pimtasks.api import examples
from pimtasks.api.context import environment_caller
from pimtasks.api.models import ItemList, RunOut, TaskOut
from pimtasks.api.request_body import MERGE_PATCH_JSON
from pimtasks.api.responses import CONFLICT, EnvPath, json_response, responses
from pimtasks.api.routes_fields import FIELDS_LINK
from pimtasks.domain.identifiers import RUN_ID_PATTERN, TASK_ID_PATTERN
from pimtasks.domain.task import Task, TaskSpec
from pimtasks.services.tasks import TaskService
from pimtasks.wiring import run_service, task_service

router = APIGatewayRouter()

TaskIdPath = Annotated[str, Path(pattern=TASK_ID_PATTERN)]
RunIdPath = Annotated[str, Path(pattern=RUN_ID_PATTERN)]
Limit = Annotated[int, Query(ge=1, le=100, description="Items per page (at most 100)")]
NextToken = Annotated[str | None, Query(max_length=2000, description="The next_token of the previous page")]

_CREDENTIALS = ("Credential fields of settings (client_secret, password, access_token) name secrets of the "
                "environment (PUT /environments/{env}/secrets/{name}): a name that does not exist is a 422 "
                "naming the field. An import's custom layout is checked when it is created or changed: a 422 names "
                "every unknown field, every default that cannot fill its field and every key column the layout "
                f"does not map, listing the valid fields; {FIELDS_LINK}.")


def _out(service: TaskService, tasks: list[Task]) -> list[TaskOut]:
    """The API view of ``tasks`` (one environment's): next run computed, unknown secret names redacted."""
    if not tasks:
        return []
    shown = service.shown(environment=tasks[0].environment, tasks=tasks)
    return [TaskOut.from_task(task, next_run_at=service.next_run_at(task)) for task in shown]


def _one(service: TaskService, task: Task) -> TaskOut:
    return _out(service, [task])[0]


@router.post("/environments/<env>/tasks", summary="Create a task", tags=["Tasks"], description=_CREDENTIALS,
             responses=responses(201, TaskOut, "The created task", body=True))
def create_task(env: EnvPath,
                task: Annotated[TaskSpec, Body(embed=False, openapi_examples=examples.TASK)]) -> Response[TaskOut]:
    environment_caller(router, env)
    service = task_service()
    created = service.create(environment=env, spec=task)
    return json_response(201, _one(service, created))


@router.get("/environments/<env>/tasks", summary="A page of the environment's tasks", tags=["Tasks"],
            description="By sequence no, then description. Pass the answer's next_token to get the next page; "
                        "it is null on the last one.",
            responses=responses(200, ItemList[TaskOut], "A page of tasks"))
def list_tasks(env: EnvPath, limit: Limit = 50, next_token: NextToken = None) -> ItemList[TaskOut]:
    environment_caller(router, env)
    service = task_service()
    tasks, token = service.page(environment=env, limit=limit, next_token=next_token)
    return ItemList[TaskOut](items=_out(service, tasks), next_token=token)


@router.get("/environments/<env>/tasks/<task_id>", summary="Read a task", tags=["Tasks"],
            responses=responses(200, TaskOut, "The task"))
def get_task(env: EnvPath, task_id: TaskIdPath) -> TaskOut:
    """The task with its next run (computed) and last run; credential fields show secret names only."""
    environment_caller(router, env)
    service = task_service()
    return _one(service, service.get(environment=env, task_id=task_id))


@router.put("/environments/<env>/tasks/<task_id>", summary="Replace a task's definition", tags=["Tasks"],
            description=f"{_CREDENTIALS} 409 when someone else changed the task meanwhile.",
            responses=responses(200, TaskOut, "The task as stored", CONFLICT, body=True))
def replace_task(env: EnvPath, task_id: TaskIdPath,
                 task: Annotated[TaskSpec, Body(embed=False, openapi_examples=examples.TASK)]) -> TaskOut:
    environment_caller(router, env)
    service = task_service()
    return _one(service, service.replace(environment=env, task_id=task_id, spec=task))


@router.patch("/environments/<env>/tasks/<task_id>", summary="Change some fields (JSON merge patch)",
              tags=["Tasks"],
              description=f"RFC 7396 JSON merge patch, sent as {MERGE_PATCH_JSON} (application/json is taken "
                          f"too): objects merge, null removes a field; frequency is replaced as a whole. "
                          f"{_CREDENTIALS} 409 when someone else changed the task meanwhile.",
              responses=responses(200, TaskOut, "The task as stored", CONFLICT, body=True))
def patch_task(env: EnvPath, task_id: TaskIdPath,
               patch: Annotated[dict[str, Any], Body(embed=False, media_type=MERGE_PATCH_JSON,
                                                  openapi_examples=examples.TASK_PATCH)]) -> TaskOut:
    environment_caller(router, env)
    service = task_service()
    return _one(service, service.patch(environment=env, task_id=task_id, patch=patch))


@router.delete("/environments/<env>/tasks/<task_id>", summary="Delete a task (its schedule goes with it)",
               tags=["Tasks"], responses=responses(204, None, "Deleted"))
def delete_task(env: EnvPath, task_id: TaskIdPath) -> Response[None]:
    """Deletes the task and its schedule; its runs stay readable until their retention ends."""
    environment_caller(router, env)
    task_service().delete(environment=env, task_id=task_id)
    return Response(status_code=204)


@router.post("/environments/<env>/tasks/<task_id>/start", summary="Start a run now (409 while one is active)",
             tags=["Runs"], responses=responses(202, RunOut, "The queued run", CONFLICT))
def start_task(env: EnvPath, task_id: TaskIdPath) -> Response[RunOut]:
    """Runs the task now, whatever its schedule or Active flag; 409 while a run of it is active."""
    environment_caller(router, env)
    run = run_service().start(environment=env, task_id=task_id)
    return json_response(202, RunOut.from_run(run))


@router.post("/environments/<env>/tasks/<task_id>/stop", summary="Stop the active run (409 when none)",
             tags=["Runs"], responses=responses(202, RunOut, "The run, cancelled or asked to stop", CONFLICT))
def stop_task(env: EnvPath, task_id: TaskIdPath) -> Response[RunOut]:
    """Asks the active run to stop at its next safe point (a queued one is cancelled); 409 when none runs."""
    environment_caller(router, env)
    run = run_service().stop(environment=env, task_id=task_id)
    return json_response(202, RunOut.from_run(run))


@router.get("/environments/<env>/tasks/<task_id>/runs", summary="A task's runs, newest first", tags=["Runs"],
            responses=responses(200, ItemList[RunOut], "A page of runs"))
def list_runs(env: EnvPath, task_id: TaskIdPath, limit: Limit = 20, next_token: NextToken = None) -> ItemList[RunOut]:
    """The task's runs, newest first, a page at a time (next_token of the previous page; null on the last)."""
    environment_caller(router, env)
    runs, token = run_service().list_for_task(environment=env, task_id=task_id, limit=limit, next_token=next_token)
    return ItemList[RunOut](items=[RunOut.from_run(r) for r in runs], next_token=token)


@router.get("/environments/<env>/runs/<run_id>", summary="Read a run", tags=["Runs"],
            responses=responses(200, RunOut, "The run"))
def get_run(env: EnvPath, run_id: RunIdPath) -> RunOut:
    """A run: status, counts, messages (file, sheet, row, column, value) and its files."""
    environment_caller(router, env)
    return RunOut.from_run(run_service().get(environment=env, run_id=run_id))
