"""Export Art-Connect: the articles changed since the last successful run, posted to the hub with ``PostMessage``
as ETIM xChange 2.0 documents (MsgFormat ``ETIM``, MsgVersion ``2.0``), ``articles_per_message`` per message.

MsgIds are deterministic per run and chunk (``PIM-<run id>-<nnnnn>``) and chunks are cut from the change feed in
its stable order from the last checkpoint, which is saved after every posted message. So an invocation that dies
after a post and before its checkpoint posts that chunk again under the same MsgId: the hub sees a duplicate (the
protocol's duplicate detection), never a second message. Removed articles are not posted (an xChange document has
no removal); the report counts them. The content is the document's UTF-8 JSON, base64 (the WSDL: XML messages go
escaped, other content base64).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Sequence
from typing import Any, Protocol

from pimtasks.artconnect.envelope import MessageProperties
from pimtasks.artconnect.errors import ArtConnectError
from pimtasks.artconnect.xchange import xchange_document
from pimtasks.clock import iso, parse_iso
from pimtasks.domain.catalog_changes import ProductChange
from pimtasks.domain.run import MessageLevel, RunStatus
from pimtasks.domain.task_types import ExportArtConnectSettings
from pimtasks.services.ports import CatalogChanges
from pimtasks.services.run_job import RunJob, WorkerFailure

MSG_FORMAT = "ETIM"
MSG_VERSION = "2.0"


class MessagePoster(Protocol):
    def post_message(self, *, properties: MessageProperties, content: str) -> None: ...


def message_id(run_id: str, chunk: int) -> str:
    """The MsgId of a run's ``chunk``-th message (at most 50 characters, as the XSD allows)."""
    return f"PIM-{run_id}-{chunk:05d}"


class ArticleExport:
    def __init__(self, *, hub: MessagePoster, changes: CatalogChanges) -> None:
        self._hub = hub
        self._changes = changes

    def run(self, job: RunJob, settings: ExportArtConnectSettings, *, since: dt.datetime | None) -> RunStatus | None:
        """``since``: the window's start on the first invocation (continuations read it from the checkpoint)."""
        state: dict[str, Any] = dict(job.checkpoint or {"after": None, "chunk": 0, "removed": 0,
                                                         "since": iso(since) if since else None})
        window = parse_iso(state["since"]) if state["since"] else None
        if job.checkpoint is None:
            job.message(MessageLevel.INFO, "Articles changed since " + (state["since"] or "ever (a full export)"))
        batch: list[ProductChange] = []
        removed = 0  # since the last checkpoint: a continuation lists those removals again
        for change in self._changes.changed_products(environment=job.run.environment, since=window,
                                                     after=state["after"]):
            if change.data is None:
                removed += 1
                continue
            batch.append(change)
            if len(batch) == settings.articles_per_message:
                state["removed"] += removed
                removed = 0
                self._post(job, settings, state, batch)
                batch = []
        state["removed"] += removed
        if batch:
            self._post(job, settings, state, batch)
        if state["removed"]:
            job.message(MessageLevel.INFO, f"{state['removed']} removed article(s) are not posted (xChange has no "
                                           "removal)")
        if state["chunk"] == 0:
            job.message(MessageLevel.INFO, "No changed articles: nothing was posted")
        return None

    def _post(self, job: RunJob, settings: ExportArtConnectSettings, state: dict[str, Any],
              batch: Sequence[ProductChange]) -> None:
        chunk = state["chunk"] + 1
        msg_id = message_id(job.run.run_id, chunk)
        created = job.run.created_at
        document = xchange_document([change.data for change in batch if change.data is not None],
                                    catalogue_id=f"{job.run.run_id[:14]}-{chunk:05d}", generated=created.date(),
                                    supplier_name=settings.supplier_name, supplier_gln=settings.sender_gln,
                                    buyer_gln=settings.receiver_gln, delta=state["since"] is not None)
        content = base64.b64encode(json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
                                   ).decode("ascii")
        properties = MessageProperties(msg_id=msg_id, msg_date_time=created.strftime("%Y-%m-%dT%H:%M:%S"),
                                       msg_format=MSG_FORMAT, msg_version=MSG_VERSION,
                                       msg_type=settings.message_type)
        try:
            self._hub.post_message(properties=properties, content=content)
        except ArtConnectError as error:
            raise WorkerFailure(f"Art-Connect {error} (message {msg_id}, {len(batch)} articles; the articles "
                                "before it were posted)") from error
        job.count(read=len(batch), created=len(batch))
        job.message(MessageLevel.INFO, f"Message {msg_id}: {len(batch)} article(s) posted "
                                       f"({batch[0].article_number} .. {batch[-1].article_number})")
        state.update(after=batch[-1].position, chunk=chunk)
        job.keep_alive(dict(state))
