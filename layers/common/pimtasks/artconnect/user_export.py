"""Export Art-Connect Users: the users (customer accounts) changed since the last successful run, posted to the hub
with ``PostMessage`` as JSON documents of our own (MsgFormat ``CUSTOM``, MsgVersion ``1``), ``users_per_message``
entries (users and removals together) per message.

Chunks, deterministic MsgIds, checkpoints and the content's encoding (compact UTF-8 JSON, base64) are
``posting.ChangePosting``'s. The document (the README's "Export Art-Connect Users" shows one)::

    {"schema": "pimtasks.users/1", "message_id": "PIM-<run id>-00001", "sequence": 1,
     "generated_at": "2026-12-03T09:00:00.000Z", "type": "CHANGE", "changed_since": "2026-12-02T09:00:00.000Z",
     "sender_gln": "8712345000004",
     "users": [{"user_id": "U-1", "name": "Jan de Vries", "email": "jan@example.nl", "debtor_number": "D100",
                "customer_group": "INSTALLERS", "gln": "8712345000004", "active": true,
                "changed_at": "2026-12-03T08:12:00.000Z"}],
     "removed": ["U-7"]}

Every user carries every field of the catalog's ``User`` (null when the catalog has none; ``active`` true unless
set), in the change feed's order. ``type`` is ``CHANGE`` for a delta (``changed_since`` its start) and ``FULL``
otherwise (``changed_since`` null); ``removed`` lists the user ids removed since then (API delete or a ``full``
import), so the receiver blocks or deletes those accounts. A ``FULL`` document never lists removals: it is every
live user, and a user absent from a full export's messages is not among them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from pimtasks.artconnect.posting import ChangePosting, Chunk, MessagePoster, Outgoing
from pimtasks.catalog.models import User
from pimtasks.clock import iso
from pimtasks.domain.catalog_storage import StoredChange
from pimtasks.domain.run import MessageLevel
from pimtasks.domain.task_types import ExportArtConnectUsersSettings, ImportTarget
from pimtasks.services.feed_ports import FeedCatalog
from pimtasks.services.run_job import RunJob

SCHEMA = "pimtasks.users/1"
USER_FIELDS: tuple[str, ...] = tuple(User.model_fields)
"""The fields of each posted user, in the model's order (``changed_at`` follows them)."""
_DEFAULTS: dict[str, Any] = {name: info.get_default(call_default_factory=True)
                             for name, info in User.model_fields.items() if not info.is_required()}


def user_entry(change: StoredChange) -> dict[str, Any]:
    """A live user as the document lists it: every field (its default when the stored data leaves it out)."""
    entry = {name: change.data.get(name, _DEFAULTS.get(name)) for name in USER_FIELDS}
    entry["changed_at"] = change.changed_at
    return entry


def users_document(chunk: Chunk[StoredChange], *, generated: dt.datetime, sender_gln: str | None) -> dict[str, Any]:
    """The ``pimtasks.users/1`` document of one chunk (see the module docstring)."""
    return {
        "schema": SCHEMA, "message_id": chunk.msg_id, "sequence": chunk.number, "generated_at": iso(generated),
        "type": "CHANGE" if chunk.delta else "FULL", "changed_since": chunk.since, "sender_gln": sender_gln,
        "users": [user_entry(change) for change in chunk.entries if not change.deleted],
        "removed": [change.key[0] for change in chunk.entries if change.deleted],
    }


class UserExport(ChangePosting[StoredChange]):
    MSG_FORMAT = "CUSTOM"
    MSG_VERSION = "1"
    WHAT = "users"

    def __init__(self, *, hub: MessagePoster, catalog: FeedCatalog, settings: ExportArtConnectUsersSettings) -> None:
        super().__init__(hub=hub, per_message=settings.users_per_message, msg_type=settings.message_type)
        self._catalog = catalog
        self._settings = settings

    def changes(self, *, environment: str, since: dt.datetime | None, after: str | None) -> Iterable[StoredChange]:
        return self._catalog.changes(environment=environment, target=ImportTarget.USERS, after=after, since=since)

    def left_out(self, change: StoredChange, *, delta: bool) -> bool:
        return change.deleted and not delta

    def outgoing(self, job: RunJob, chunk: Chunk[StoredChange]) -> Outgoing:
        document = users_document(chunk, generated=job.run.created_at, sender_gln=self._settings.sender_gln)
        users, removed = len(document["users"]), len(document["removed"])
        first, last = chunk.entries[0].key[0], chunk.entries[-1].key[0]
        return Outgoing(document=document, summary=f"{users} user(s) and {removed} removal(s) posted ({first} .. "
                                                   f"{last})",
                        counts={"selected": users + removed, "written": users + removed, "removed": removed})

    def finish(self, job: RunJob, state: dict[str, Any]) -> None:
        if state["left_out"]:
            job.message(MessageLevel.INFO, f"{state['left_out']} removed user(s) are not posted: a full export lists "
                                           "the live users only")
