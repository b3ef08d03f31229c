"""How the ``pimtasks`` CLI prints API answers when ``--json`` is not given: tables for listings, aligned
``key  value`` lines for one item, and a run as its report reads.

Every renderer takes the API's JSON body and returns text. Answers without a renderer of their own (catalog
records, ETIM entities, files) get the generic ones, so a new field in the API shows up without a change here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

Renderer = Callable[[Any], str]

MAX_CELL = 60
MAX_GENERIC_COLUMNS = 8


def table(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> str:
    """Rows as an aligned text table with the given (key, heading) columns."""
    if not rows:
        return "(none)"
    cells = [[heading for _, heading in columns]] + [[_cell(row.get(key)) for key, _ in columns] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    return "\n".join("  ".join(value.ljust(width) for value, width in zip(line, widths, strict=True)).rstrip()
                     for line in cells)


def _cell(value: Any) -> str:
    """A table cell: clipped to ``MAX_CELL`` so a long error does not break the table (``show`` has it whole)."""
    text = _plain(value)
    return text if len(text) <= MAX_CELL else text[:MAX_CELL - 3] + "..."


def _plain(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value if isinstance(value, str) else json.dumps(value)


def describe_frequency(frequency: dict[str, Any] | None) -> str:
    """``week MON,THU 12:53 Europe/Amsterdam``-style summary of a frequency."""
    if not frequency:
        return "-"
    every = frequency.get("every")
    parts = [str(every)]
    if every == "minutes":
        parts = [f"every {frequency.get('interval')} min"]
    elif every == "hour":
        parts = [f"hourly at :{int(frequency.get('minute', 0)):02d}"]
    elif every == "week":
        parts.append(",".join(frequency.get("days") or []))
    elif every == "month":
        parts.append(f"day {frequency.get('day_of_month')}")
    elif every == "once":
        parts.append(str(frequency.get("date")))
    if frequency.get("time"):
        parts.append(str(frequency["time"]))
    parts.append(str(frequency.get("timezone", "")))
    return " ".join(p for p in parts if p)


def details(item: dict[str, Any], keys: list[str] | None = None) -> str:
    """``key  value`` lines for ``keys`` of ``item`` (all of its keys by default); nested values as JSON. Values
    are whole, never clipped as table cells are: this is where a run's full error is read."""
    keys = [key for key in (keys if keys is not None else list(item)) if key in item]
    if not keys:
        return "(empty)"
    width = max(len(key) for key in keys)
    lines = []
    for key in keys:
        value = item[key]
        text = describe_frequency(value) if key == "frequency" else (
            json.dumps(value, indent=2) if isinstance(value, (dict, list)) else _plain(value))
        text = text.replace("\n", "\n" + " " * (width + 2))
        lines.append(f"{key.ljust(width)}  {text}")
    return "\n".join(lines)


def render_any(body: Any) -> str:
    """A listing (``items``) as a table of its items' plain fields, anything else as details."""
    if isinstance(body, dict) and isinstance(body.get("items"), list):
        return render_items(body)
    if isinstance(body, dict):
        return details(body)
    return "" if body is None else (body if isinstance(body, str) else json.dumps(body, indent=2))


def render_items(body: dict[str, Any]) -> str:
    """A listing's items as a table: the plain (not nested) fields the items have, first seen first."""
    items = [item for item in body.get("items", []) if isinstance(item, dict)]
    keys: list[str] = []
    for item in items:
        keys += [key for key, value in item.items() if key not in keys and not isinstance(value, (dict, list))]
    columns = [(key, key.upper().replace("_", " ")) for key in keys[:MAX_GENERIC_COLUMNS]]
    heading = "".join(f"{key}: {body[key]}\n" for key in ("release", "language", "total") if key in body)
    return heading + (table(items, columns) if columns else "(none)")


def render_catalog_fields(body: Any) -> str:
    """Per target: its fields (name, type, required, key, rules; the meaning under each), then its rules."""
    blocks = []
    for target in body.get("items", []):
        rows = [{**field, "rules": "; ".join(field.get("rules") or [])} for field in target.get("fields", [])]
        lines = [f"{target['target']} (natural key: {', '.join(target.get('natural_key') or [])})",
                 table(rows, [("name", "FIELD"), ("type", "TYPE"), ("required", "REQUIRED"), ("key", "KEY"),
                              ("meaning", "MEANING")])]
        lines += ["rules:", *(f"  - {rule}" for rule in target.get("rules") or [])]
        lines += ["field rules:", *(f"  {row['name']}: {row['rules']}" for row in rows if row["rules"])]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def render_tasks(body: Any) -> str:
    rows = [{**task, "frequency": describe_frequency(task.get("frequency")),
             "last": (task.get("last_run") or {}).get("status")} for task in body.get("items", [])]
    return table(rows, [("task_id", "TASK ID"), ("type", "TYPE"), ("active", "ACTIVE"), ("sequence_no", "SEQ"),
                        ("frequency", "FREQUENCY"), ("next_run_at", "NEXT RUN"), ("last", "LAST RUN"),
                        ("description", "DESCRIPTION")])


def render_task(body: Any) -> str:
    return details(body, ["task_id", "environment", "type", "description", "active", "frequency", "sequence_no",
                          "next_run_at", "notification", "settings", "last_run", "created_at", "updated_at"])


def progress_line(run: dict[str, Any]) -> str:
    """``running 40% 1200 rows read``: a run's status with its progress, when known."""
    parts = [str(run.get("status"))]
    if isinstance(run.get("progress"), (int, float)):
        parts.append(f"{run['progress']:.0%}")
    if run.get("progress_text"):
        parts.append(str(run["progress_text"]))
    return " ".join(parts)


IMPORT_COUNTS = ("read", "created", "updated", "unchanged", "rejected")
EXPORT_COUNTS = ("selected", "written", "skipped")
OUTWARD_TYPES = ("feed",)
"""Task types that send the catalog out without ``export`` in their name: their runs count as exports do (Magento's
count as an import into the shop: created, updated, unchanged, rejected there)."""


def count_names(run: Any) -> list[str]:
    """The counts a run's report shows: an export's (selected, written, skipped) or an import's (read, created,
    updated, unchanged, rejected), and removed when a full import removed some or an export sent removals, as the
    console's run page does. An outward run that selected nothing still reads as an export: its type says what it
    is."""
    counts = run.get("counts") or {}
    task_type = str(run.get("task_type") or "")
    outward = task_type.startswith("export") or task_type in OUTWARD_TYPES
    exported = any(counts.get(name) for name in EXPORT_COUNTS)
    names = EXPORT_COUNTS if exported or (outward and not any(counts.get(n) for n in IMPORT_COUNTS)) else IMPORT_COUNTS
    return [*names, *(["removed"] if counts.get("removed") else [])]


def render_run(body: Any) -> str:
    """A run as its report reads: the facts, counts on one line, then one line per message and file, and how
    many messages were not stored (a run keeps the first ones; the rejected-rows file has every row)."""
    from pimtasks.domain.run import RunMessage
    from pimtasks.services.run_report import location_text

    counts = body.get("counts") or {}
    facts = {**body, "counts": ", ".join(f"{name} {counts.get(name, 0)}" for name in count_names(body))}
    if body.get("progress") is not None or body.get("progress_text"):
        facts["progress"] = progress_line(body).removeprefix(str(body.get("status"))).strip()
    text = details(facts, ["run_id", "task_id", "task_type", "trigger", "status", "scheduled_time", "created_at",
                           "started_at", "ended_at", "progress", "counts", "error"])
    messages = [RunMessage.model_validate(m) for m in body.get("messages") or []]
    truncated = int(body.get("messages_truncated") or 0)
    if messages or truncated:
        text += "\n\nmessages:\n" + "\n".join(f"  [{m.level.value}] {location_text(m)}{m.text}" for m in messages)
    if truncated:
        text += (f"\n  ... {truncated} more message{'s' if truncated != 1 else ''} not stored "
                 "(truncated; the run's rejected-rows file and report have them all)")
    if body.get("files"):
        text += "\n\nfiles:\n" + "\n".join(f"  {f['role']}: {f['key']}" for f in body["files"])
    return text


def records_text(run: Any) -> str:
    """``read 1200`` for an import, ``written 40`` for an outward run: the one count a list of runs has room for."""
    names = count_names(run)
    name = "written" if "written" in names else names[0]
    return f"{name} {(run.get('counts') or {}).get(name, 0)}"


def render_runs(body: Any) -> str:
    rows = [{**run, "records": records_text(run)} for run in body.get("items", [])]
    return table(rows, [("run_id", "RUN ID"), ("status", "STATUS"), ("trigger", "TRIGGER"),
                        ("scheduled_time", "SCHEDULED"), ("started_at", "STARTED"), ("ended_at", "ENDED"),
                        ("records", "RECORDS"), ("error", "ERROR")])


def render_done(word: str) -> Renderer:
    """For answers without a body (204): one word saying what happened."""
    return lambda _: word


def render_fired(body: Any) -> str:
    return (f"fired {body.get('schedule')} for {body.get('scheduled_time')}\n"
            f"-> {body.get('function')}\n{json.dumps(body.get('payload'), indent=2)}")


def render_mail(body: Any) -> str:
    if not body:
        return "(no e-mails)"
    blocks = []
    for mail in body:
        blocks.append(f"From:    {mail.get('from')}\nTo:      {', '.join(mail.get('to') or [])}\n"
                      f"Date:    {mail.get('timestamp')}\nSubject: {mail.get('subject')}\n\n{mail.get('body')}")
    return ("\n" + "-" * 72 + "\n").join(blocks)


def render_shown_once(what: str) -> Renderer:
    """An answer holding a secret shown this once (a new API key, a generated password): say so."""
    def render(body: Any) -> str:
        text = details(body)
        if isinstance(body, dict) and (body.get("api_key") or body.get("password")):
            text += f"\n\nthe {what} is shown this once: store it now"
        return text
    return render


def render_files(body: Any) -> str:
    """A folder: its subfolders, then its files with size and last write; keys whole (``files get`` takes them)."""
    lines = [f"{'SIZE':>12}  {'LAST MODIFIED':<25}  KEY"]
    lines += [f"{'-':>12}  {'-':<25}  {name}" for name in body.get("folders", [])]
    lines += [f"{item['size']:>12}  {item['last_modified']:<25}  {item['key']}" for item in body.get("items", [])]
    return "\n".join(lines) if len(lines) > 1 else "(none)"


def render_saved(body: Any) -> str:
    """``files get``: where the file went (or, with ``--url-only``, the presigned URL and its expiry)."""
    if body.get("saved_to"):
        return f"saved {body['key']} ({body['size']} bytes) to {body['saved_to']}"
    return f"{body['url']}\n(valid until {body['expires_at']})"
