"""Domain errors. Services raise these; the API maps each to a status code in one place
(``pimtasks.api.error_mapping``)."""

from __future__ import annotations

from typing import NamedTuple


class PimtasksError(Exception):
    """Base of every error the services raise on purpose."""


class NotFoundError(PimtasksError):
    """An id that does not exist (or belongs to another environment, which looks the same from outside)."""


class GoneError(PimtasksError):
    """Something that existed and no longer does, for good (a feed version cleaned up after newer ones)."""


class ConflictError(PimtasksError):
    """The request contradicts the current state (a run is already active, nothing to stop, ...)."""


class RunAlreadyActiveError(ConflictError):
    def __init__(self, *, task_id: str, run_id: str) -> None:
        super().__init__(f"task {task_id} already has an active run {run_id}")
        self.task_id = task_id
        self.run_id = run_id


class NothingToStopError(ConflictError):
    def __init__(self, *, task_id: str) -> None:
        super().__init__(f"task {task_id} has no active run")
        self.task_id = task_id


class ValidationFailedError(PimtasksError):
    """Input that is well-formed JSON but breaks a business rule; ``field`` names the offending field."""

    def __init__(self, *, field: str, message: str, type: str | None = None,
                 more: tuple[FieldProblem, ...] = ()) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.type = type
        self.more = more
        """Further problems of the same input, so that one answer names them all."""

    @classmethod
    def of(cls, problems: list[FieldProblem]) -> ValidationFailedError:
        """One error naming every problem of ``problems`` (not empty)."""
        first = problems[0]
        return cls(field=first.field, message=first.message, type=first.type, more=tuple(problems[1:]))

    @property
    def problems(self) -> list[FieldProblem]:
        """Every problem: the first one and ``more``."""
        return [FieldProblem(self.field, self.message, self.type), *self.more]


class FieldProblem(NamedTuple):
    """One problem of an input: the field, a readable message, and its kind (``unknown_field``, ...)."""

    field: str
    message: str
    type: str | None = None


class AccessDeniedError(PimtasksError):
    """The caller's API key is not bound to the environment (or is not an admin key)."""


class AuthenticationError(PimtasksError):
    """No key, or a key that does not exist."""


class LeaseTakenError(PimtasksError):
    """Raised by the run store: the task's lease is held by another, still valid run."""

    def __init__(self, holder_run_id: str | None) -> None:
        super().__init__(f"the task's lease is held by run {holder_run_id}")
        self.holder_run_id = holder_run_id


class RunExistsError(PimtasksError):
    """Raised by the run store: a run with this id exists already (a redelivered trigger)."""


class InvalidFileKeyError(PimtasksError):
    """A file key that could leave its environment's folder (``..``, absolute, control characters, ...): the
    request is refused as it is (400), before anything is looked up or signed."""

    def __init__(self, *, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
