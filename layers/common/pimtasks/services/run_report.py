"""The run report e-mail: what a product-data manager needs to see without logging in."""

from __future__ import annotations

from pimtasks.domain.run import Run, RunStatus
from pimtasks.domain.task import Task

MAX_MESSAGES_IN_MAIL = 50

_STATUS_TITLE = {
    RunStatus.SUCCEEDED: "Succeeded",
    RunStatus.PARTIALLY_SUCCEEDED: "Partially succeeded",
    RunStatus.FAILED: "Failed",
    RunStatus.CANCELLED: "Stopped",
    RunStatus.SKIPPED: "Skipped",
}


def report_subject(task: Task, run: Run) -> str:
    title = _STATUS_TITLE.get(run.status, run.status.value)
    return f"[pimtasks {task.environment}] {title}: {task.spec.description}"


def report_text(task: Task, run: Run) -> str:
    """A plain-text report: outcome, timing, counts, the messages with their locations, the files."""
    counts = run.counts
    lines = [
        f"Task:        {task.spec.description} ({task.spec.type}, sequence {task.spec.sequence_no})",
        f"Environment: {task.environment}",
        f"Run:         {run.run_id} ({run.trigger.value})",
        f"Status:      {_STATUS_TITLE.get(run.status, run.status.value)}",
        f"Started:     {run.started_at.isoformat() if run.started_at else '-'}",
        f"Ended:       {run.ended_at.isoformat() if run.ended_at else '-'}",
        f"Counts:      {counts.text()}",
    ]
    if run.error:
        lines += ["", f"Error: {run.error}"]
    messages = [m for m in run.messages if m.text != run.error]  # the error is shown above already
    if messages:
        lines += ["", "Messages:"]
        for message in messages[:MAX_MESSAGES_IN_MAIL]:
            lines.append(f"  [{message.level.value}] {location_text(message)}{message.text}")
        hidden = len(messages) - MAX_MESSAGES_IN_MAIL + run.messages_truncated
        if hidden > 0:
            lines.append(f"  ... and {hidden} more (see the run's report file)")
    if run.files:
        lines += ["", "Files:"] + [f"  {f.role}: {f.key}" for f in run.files]
    lines += ["", f"API: GET /environments/{task.environment}/runs/{run.run_id}"]
    return "\n".join(lines) + "\n"


def location_text(message: object) -> str:
    """``file F, sheet S, row R, column C, value 'V': `` for a message that names where it applies."""
    parts = []
    for name in ("file", "sheet", "row", "column"):
        value = getattr(message, name, None)
        if value is not None:
            parts.append(f"{name} {value}")
    value = getattr(message, "value", None)
    if value is not None:
        parts.append(f"value {value!r}")
    return (", ".join(parts) + ": ") if parts else ""
