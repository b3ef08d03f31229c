"""Task definitions: create, read, replace, patch, delete, list a page; next run computation.

Credential fields of settings hold names of the environment's secrets: a definition that names a secret
which does not exist is refused, and a stored one is shown only while its secret exists (see
``identifiers.SecretRef``), so a pasted credential value is neither kept nor echoed.
"""

from __future__ import annotations

import builtins
import datetime as dt
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from pimtasks.catalog.field_catalog import layout_problems
from pimtasks.clock import Clock
from pimtasks.domain.identifiers import new_task_id
from pimtasks.domain.task import Task, TaskSpec
from pimtasks.domain.task_types import ImportSettings, TaskType, redact_secret_references, secret_references
from pimtasks.errors import FieldProblem, NotFoundError, ValidationFailedError
from pimtasks.schedules import next_run_at
from pimtasks.services.page_tokens import decode_page_token, encode_page_token
from pimtasks.services.ports import EnvironmentLookup, TaskStore
from pimtasks.services.upload_channels import ImportFolders

# Built on first use: a function that never reads a task does not pay for every type's settings at import.
_SPEC: TypeAdapter[Any] = TypeAdapter(TaskSpec, config=ConfigDict(defer_build=True))
MAX_PAGE_SIZE = 100


class SecretNames(Protocol):
    """The secret index: which secrets an environment has (names only)."""

    def list_secrets(self, *, environment: str) -> list[dict[str, Any]]: ...


class TaskPagePosition(BaseModel):
    """Where a page of the task list starts: the last task's key in the ``tasks_in_order`` index."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pk: str = Field(pattern=r"^ENV#[0-9]{6}$")
    sk: str = Field(pattern=r"^TASK#[0-9a-f]{32}$")
    list_sk: str = Field(min_length=1, max_length=1024)


def _layout_of(spec: TaskSpec) -> tuple[object, ...] | None:
    """What decides whether an import's layout is valid (None for other types)."""
    settings = spec.settings
    if not isinstance(settings, ImportSettings):
        return None
    return settings.target, settings.custom_layout, settings.layout


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON Merge Patch: objects merge recursively, ``null`` removes, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


class TaskService:
    def __init__(self, *, tasks: TaskStore, environments: EnvironmentLookup, clock: Clock,
                 secrets: SecretNames | None = None) -> None:
        self._tasks = tasks
        self._environments = environments
        self._clock = clock
        # Without a secret index no secret is known: every credential reference is refused (fail closed).
        self._secrets = secrets

    def create(self, *, environment: str, spec: TaskSpec) -> Task:
        spec = self._with_environment_timezone(environment, spec)
        now = self._clock.now()
        task = Task(task_id=new_task_id(), environment=environment, spec=spec, created_at=now, updated_at=now,
                    version=1, schedule_anchor=now)
        self._validate(task)
        self._validate_layout(task)
        self._tasks.create(task)
        return task

    def get(self, *, environment: str, task_id: str) -> Task:
        return self._tasks.get(environment=environment, task_id=task_id)

    def list(self, *, environment: str) -> list[Task]:
        """Every task of the environment, in list order (``listing_key``); for internal use: the API pages."""
        self._require_environment(environment)
        return self._tasks.list(environment=environment)

    def page(self, *, environment: str, limit: int,
             next_token: str | None) -> tuple[builtins.list[Task], str | None]:
        """A page of the environment's tasks by sequence no, then description, and the next page's token.

        The position is the last task's place in that order (not an offset), so tasks created or deleted
        between pages never make another task appear twice or not at all; a page reads only its own tasks.
        """
        limit = max(1, min(limit, MAX_PAGE_SIZE))
        position = decode_page_token(next_token, position=TaskPagePosition)
        if position is not None and position.pk != f"ENV#{environment}":
            raise ValidationFailedError(field="next_token", message="not a token of this environment's tasks")
        self._require_environment(environment)
        page, last = self._tasks.page(environment=environment, limit=limit,
                                      start_key=position.model_dump() if position is not None else None)
        return page, encode_page_token(TaskPagePosition.model_validate(last)) if last else None

    def shown(self, *, environment: str, tasks: builtins.list[Task]) -> builtins.list[Task]:
        """``tasks`` as the API may show them: a credential field naming no existing secret is redacted
        (tasks stored before names were checked may hold a pasted value there)."""
        known = self._secret_names(environment)
        shown = []
        for task in tasks:
            settings = redact_secret_references(task.spec.settings, shown=known.__contains__)
            if settings is not task.spec.settings:
                task = task.model_copy(update={"spec": task.spec.model_copy(update={"settings": settings})})
            shown.append(task)
        return shown

    def replace(self, *, environment: str, task_id: str, spec: TaskSpec) -> Task:
        current = self._tasks.get(environment=environment, task_id=task_id)
        if spec.type != current.spec.type:
            raise ValidationFailedError(
                field="type", message=f"the type is fixed after creation (this task is {current.spec.type!r})"
            )
        return self._store_new_version(current, self._with_environment_timezone(environment, spec))

    def patch(self, *, environment: str, task_id: str, patch: dict[str, Any]) -> Task:
        """Apply a JSON merge patch; ``frequency`` is replaced as a whole (its fields depend on ``every``)."""
        current = self._tasks.get(environment=environment, task_id=task_id)
        document = _SPEC.dump_python(current.spec, mode="json")
        frequency = patch.get("frequency")
        merged = merge_patch(document, {k: v for k, v in patch.items() if k != "frequency"})
        if frequency is not None:
            merged["frequency"] = frequency
        if merged.get("type") != current.spec.type:
            raise ValidationFailedError(
                field="type", message=f"the type is fixed after creation (this task is {current.spec.type!r})"
            )
        spec = _SPEC.validate_python(merged)
        if frequency is not None:
            spec = self._with_environment_timezone(environment, spec)
        return self._store_new_version(current, spec)

    def import_folders(self, environment: str) -> ImportFolders:
        """The environment's imports and the upload channels each accepts (FTPS gateway, identity provider)."""
        return ImportFolders.of(self._tasks.list(environment=environment))

    def delete(self, *, environment: str, task_id: str) -> None:
        self._tasks.delete(environment=environment, task_id=task_id)

    def next_run_at(self, task: Task, *, now: dt.datetime | None = None) -> dt.datetime | None:
        """When the schedule fires next (None when inactive or never again)."""
        if not task.spec.active:
            return None
        return next_run_at(task.spec.frequency, now=now or self._clock.now(), anchor=task.schedule_anchor)

    def _store_new_version(self, current: Task, spec: TaskSpec) -> Task:
        now = self._clock.now()
        anchor = now if spec.frequency != current.spec.frequency else current.schedule_anchor
        updated = current.model_copy(update={"spec": spec, "updated_at": now, "version": current.version + 1,
                                             "schedule_anchor": anchor})
        self._validate(updated)
        if _layout_of(spec) != _layout_of(current.spec):
            # Only a changed layout is checked: a task stored with a bad one can still be (de)activated or renamed.
            self._validate_layout(updated)
        self._tasks.replace(updated, expected_version=current.version)
        return updated

    def _validate(self, task: Task) -> None:
        self._validate_secret_references(task)
        self._validate_dependencies(task)

    @staticmethod
    def _validate_layout(task: Task) -> None:
        """An import's custom layout must map only catalog fields of its target and every key column; a layout
        with ``custom_layout`` off would be ignored, so it is refused too. Every problem is named at once."""
        settings = task.spec.settings
        if not isinstance(settings, ImportSettings) or settings.layout is None:
            return
        if not settings.custom_layout:
            raise ValidationFailedError.of([FieldProblem(
                "settings.layout", "a layout is given but custom_layout is false, so it would be ignored: set "
                "custom_layout to true to use it, or leave the layout out", "layout_not_used")])
        problems = layout_problems(settings.target, settings.layout, prefix="settings.layout")
        if any(column.default for column in settings.layout.columns):
            # The import's own conversions judge a default; imported only then (the reading library is large).
            from pimtasks.imports.mapping import default_problems

            problems += default_problems(settings.target, settings.layout, prefix="settings.layout")
        if problems:
            raise ValidationFailedError.of([FieldProblem(p.field, p.message, p.type) for p in problems])

    def _secret_names(self, environment: str) -> set[str]:
        if self._secrets is None:
            return set()
        return {str(secret["name"]) for secret in self._secrets.list_secrets(environment=environment)}

    def _validate_secret_references(self, task: Task) -> None:
        """Every credential field must name an existing secret of the environment."""
        references = secret_references(task.spec.settings)
        if not references:
            return
        known = self._secret_names(task.environment)
        for field, name in references:
            if name in known:
                continue
            existing = f"its secrets: {', '.join(sorted(known))}" if known else "it has no secrets yet"
            raise ValidationFailedError(
                field=field,
                message=f"names no secret of environment {task.environment} ({existing}); store the credential "
                        f"with PUT /environments/{task.environment}/secrets/<name> and give that name here",
            )

    def _require_environment(self, environment: str) -> Any:
        found = self._environments.find_environment(environment)
        if found is None:
            raise NotFoundError(f"environment {environment} not found")
        return found

    def _with_environment_timezone(self, environment: str, spec: TaskSpec) -> TaskSpec:
        """A frequency without an explicit time zone takes the environment's."""
        env = self._require_environment(environment)
        if "timezone" in spec.frequency.model_fields_set:
            return spec
        frequency = spec.frequency.model_copy(update={"timezone": env.timezone})
        return spec.model_copy(update={"frequency": frequency})

    def _validate_dependencies(self, task: Task) -> None:
        """An import's predecessor must be another import of the environment, and chains may not loop."""
        settings = task.spec.settings
        if not isinstance(settings, ImportSettings) or settings.predecessor_task_id is None:
            return
        seen = {task.task_id}
        predecessor_id: str | None = settings.predecessor_task_id
        while predecessor_id is not None:
            if predecessor_id in seen:
                raise ValidationFailedError(field="settings.predecessor_task_id",
                                            message="these imports would wait for each other in a cycle")
            seen.add(predecessor_id)
            predecessor = self._tasks.find(environment=task.environment, task_id=predecessor_id)
            if predecessor is None or predecessor.spec.type != TaskType.IMPORT:
                raise ValidationFailedError(field="settings.predecessor_task_id",
                                            message=f"{predecessor_id} is not an import task of this environment")
            next_settings = predecessor.spec.settings
            predecessor_id = next_settings.predecessor_task_id if isinstance(next_settings, ImportSettings) else None
