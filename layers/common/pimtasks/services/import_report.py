"""The report of one imported file (``Reports/<Import>/<run_id>/<file>.report.txt``), for people.

It says what happened to the file (imported, failed as a whole, stopped part-way), how far the import got,
the counts of this file, where the file went and where the rejected rows are, and the messages about it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from pimtasks.domain.run import RunCounts, RunMessage
from pimtasks.services.run_report import location_text

MAX_MESSAGES_IN_REPORT = 500


@dataclass(frozen=True)
class FileReport:
    """Everything a file report shows."""

    task_description: str
    environment: str
    run_id: str
    trigger: str
    file_name: str
    file_key: str
    version_id: str | None
    size: int
    uploaded_at: dt.datetime
    outcome: str
    counts: RunCounts
    last_row: int | None = None
    destination: str | None = None
    rejected_rows_key: str | None = None
    messages: Sequence[RunMessage] = field(default_factory=tuple)
    messages_not_shown: int = 0


def file_report_text(report: FileReport) -> str:
    """The plain-text report."""
    counts = report.counts
    lines = [
        f"Import report: {report.task_description}",
        f"Environment: {report.environment}",
        f"Run:         {report.run_id} ({report.trigger})",
        f"File:        {report.file_name} ({report.size} bytes, uploaded {report.uploaded_at.isoformat()}, "
        f"version {report.version_id or '-'})",
        f"Outcome:     {report.outcome}",
        f"Counts:      {counts.text()}",
    ]
    if report.last_row is not None:
        lines.append(f"Last row:    {report.last_row} (every row up to here is committed)")
    if report.destination:
        lines.append(f"File now in: {report.destination}")
    if report.rejected_rows_key:
        lines.append(f"Rejected:    {report.rejected_rows_key} (every rejected row, its input cells and the reason)")
    shown = list(report.messages)[:MAX_MESSAGES_IN_REPORT]
    if shown:
        lines += ["", "Messages:"]
        lines += [f"  [{message.level.value}] {location_text(message)}{message.text}" for message in shown]
    hidden = len(report.messages) - len(shown) + report.messages_not_shown
    if hidden > 0:
        lines.append(f"  ... and {hidden} more (the rejected-rows file lists every rejected row)")
    return "\n".join(lines) + "\n"
