"""Export Art-Connect: the articles changed since the last successful run, posted to the hub with ``PostMessage``
as ETIM xChange 2.0 documents (MsgFormat ``ETIM``, MsgVersion ``2.0``), ``articles_per_message`` per message.

Chunks, deterministic MsgIds, checkpoints and the content's encoding are ``posting.ChangePosting``'s. Removed
articles are not posted (an xChange document has no removal); the report counts them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from pimtasks.artconnect.posting import ChangePosting, Chunk, MessagePoster, Outgoing
from pimtasks.artconnect.xchange import xchange_document
from pimtasks.domain.catalog_changes import ProductChange
from pimtasks.domain.run import MessageLevel
from pimtasks.domain.task_types import ExportArtConnectSettings
from pimtasks.services.ports import CatalogChanges
from pimtasks.services.run_job import RunJob


class ArticleExport(ChangePosting[ProductChange]):
    MSG_FORMAT = "ETIM"
    MSG_VERSION = "2.0"
    WHAT = "articles"

    def __init__(self, *, hub: MessagePoster, changes: CatalogChanges, settings: ExportArtConnectSettings) -> None:
        super().__init__(hub=hub, per_message=settings.articles_per_message, msg_type=settings.message_type)
        self._changes = changes
        self._settings = settings

    def changes(self, *, environment: str, since: dt.datetime | None, after: str | None) -> Iterable[ProductChange]:
        return self._changes.changed_products(environment=environment, since=since, after=after)

    def left_out(self, change: ProductChange, *, delta: bool) -> bool:
        return change.data is None

    def outgoing(self, job: RunJob, chunk: Chunk[ProductChange]) -> Outgoing:
        settings = self._settings
        products: list[dict[str, Any]] = [change.data for change in chunk.entries if change.data is not None]
        document = xchange_document(products, catalogue_id=f"{job.run.run_id[:14]}-{chunk.number:05d}",
                                    generated=job.run.created_at.date(), supplier_name=settings.supplier_name,
                                    supplier_gln=settings.sender_gln, buyer_gln=settings.receiver_gln,
                                    delta=chunk.delta)
        first, last = chunk.entries[0].article_number, chunk.entries[-1].article_number
        return Outgoing(document=document, summary=f"{len(products)} article(s) posted ({first} .. {last})",
                        counts={"selected": len(products), "written": len(products)})

    def finish(self, job: RunJob, state: dict[str, Any]) -> None:
        if state["left_out"]:
            job.message(MessageLevel.INFO, f"{state['left_out']} removed article(s) are not posted (xChange has no "
                                           "removal)")
