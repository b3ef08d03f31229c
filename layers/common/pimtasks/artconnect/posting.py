"""Posting catalog changes to the hub with ``PostMessage``, a set number per message: what Export Art-Connect
(``article_export``) and Export Art-Connect Users (``user_export``) share.

A ``ChangePosting`` cuts the changes it lists (in the change feed's stable order, from the last checkpoint) into
chunks of ``per_message`` entries; each chunk becomes one message whose MsgId is deterministic per run and chunk
(``PIM-<run id>-<nnnnn>``), and the checkpoint (the position after the chunk, the chunk number, the subclass's
tallies) is saved after every posted message. So an invocation that dies after a post and before its checkpoint
posts that chunk again under the same MsgId: the hub sees a duplicate (the protocol's duplicate detection), never a
second message. The checkpoint also names the chunk being posted (``posting``, saved before the post), so the
invocation that posts it again knows the hub may hold it: a hub whose duplicate detection answers ``MessageResult``
false to the repeat has it already, and the run goes on instead of failing (a failed run would make the next one
post the whole window again under new MsgIds). A subclass says what it lists, which entries it leaves out (counted,
never posted) and what a chunk's document is; the content is the document's compact UTF-8 JSON, base64 (the WSDL:
XML messages go escaped, other content base64).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from pimtasks.artconnect.envelope import MessageProperties
from pimtasks.artconnect.errors import ArtConnectError
from pimtasks.clock import iso, parse_iso
from pimtasks.domain.run import MessageLevel
from pimtasks.services.run_job import RunJob, WorkerFailure


class MessagePoster(Protocol):
    def post_message(self, *, properties: MessageProperties, content: str, maybe_known: bool = False) -> bool: ...


class Positioned(Protocol):
    """A listed change: where it stands in its feed (a reader resumes after the last one it handled)."""

    @property
    def position(self) -> str: ...


ChangeT = TypeVar("ChangeT", bound=Positioned)


def message_id(run_id: str, chunk: int) -> str:
    """The MsgId of a run's ``chunk``-th message (at most 50 characters, as the XSD allows)."""
    return f"PIM-{run_id}-{chunk:05d}"


def message_content(document: dict[str, Any]) -> str:
    """``MsgContent`` of a JSON document: its compact UTF-8 JSON, base64."""
    return base64.b64encode(json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()).decode("ascii")


@dataclass(frozen=True)
class Outgoing:
    """One chunk as a message: its document, what the run counts once the hub took it, and the report's words."""

    document: dict[str, Any]
    summary: str
    """``3 article(s) posted (A-0000 .. A-0002)``: the report line after ``Message <MsgId>: ``."""
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Chunk(Generic[ChangeT]):
    """The entries of one message, its number within the run and its MsgId."""

    entries: Sequence[ChangeT]
    number: int
    msg_id: str
    since: str | None
    """The start of the run's window (RFC 3339): it sends what changed since then; None: everything."""

    @property
    def delta(self) -> bool:
        return self.since is not None


class ChangePosting(ABC, Generic[ChangeT]):
    """Lists changes, posts them in chunks, checkpoints after each message (see the module docstring)."""

    MSG_FORMAT: ClassVar[str]
    MSG_VERSION: ClassVar[str]
    WHAT: ClassVar[str]
    """What the entries are, for the report (``articles``)."""

    def __init__(self, *, hub: MessagePoster, per_message: int, msg_type: str) -> None:
        self._hub = hub
        self._per_message = per_message
        self._msg_type = msg_type

    @abstractmethod
    def changes(self, *, environment: str, since: dt.datetime | None, after: str | None) -> Iterable[ChangeT]:
        """The changes at or after ``since`` (all when None) after position ``after``, in the feed's order."""

    @abstractmethod
    def outgoing(self, job: RunJob, chunk: Chunk[ChangeT]) -> Outgoing:
        """The message of ``chunk``."""

    def left_out(self, change: ChangeT, *, delta: bool) -> bool:
        """Whether ``change`` is counted (``state["left_out"]``, the run's ``skipped``) but not posted."""
        return False

    def finish(self, job: RunJob, state: dict[str, Any]) -> None:
        """Report lines once every chunk is posted (``state``: the final checkpoint)."""

    def run(self, job: RunJob, *, since: dt.datetime | None) -> None:
        """``since``: the window's start on the first invocation (continuations read it from the checkpoint)."""
        state: dict[str, Any] = dict(job.checkpoint or {"after": None, "chunk": 0, "left_out": 0,
                                                         "since": iso(since) if since else None})
        state.setdefault("left_out", state.pop("removed", 0))  # a checkpoint of the former article export
        window = parse_iso(state["since"]) if state["since"] else None
        if job.checkpoint is None:
            job.message(MessageLevel.INFO, f"{self.WHAT.capitalize()} changed since {state['since']}" if state["since"]
                        else f"All {self.WHAT} (a full export: no earlier successful run, or only_changed is off)")
        batch: list[ChangeT] = []
        left_out = 0  # since the last checkpoint: a continuation lists those again
        for change in self.changes(environment=job.run.environment, since=window, after=state["after"]):
            if self.left_out(change, delta=window is not None):
                left_out += 1
                continue
            batch.append(change)
            if len(batch) == self._per_message:
                state["left_out"] += left_out
                left_out = 0
                self._post(job, state, batch)
                batch = []
        state["left_out"] += left_out
        if batch:
            self._post(job, state, batch)
        if state["left_out"]:  # selected from the change feed, not posted: the run counts them as skipped
            job.count(selected=state["left_out"], skipped=state["left_out"])
        self.finish(job, state)
        if state["chunk"] == 0:
            job.message(MessageLevel.INFO, f"No changed {self.WHAT}: nothing was posted")

    def _post(self, job: RunJob, state: dict[str, Any], batch: Sequence[ChangeT]) -> None:
        number = state["chunk"] + 1
        chunk = Chunk(entries=batch, number=number, msg_id=message_id(job.run.run_id, number), since=state["since"])
        message = self.outgoing(job, chunk)
        created = job.run.created_at.astimezone(dt.UTC)
        properties = MessageProperties(msg_id=chunk.msg_id, msg_date_time=created.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                       msg_format=self.MSG_FORMAT, msg_version=self.MSG_VERSION,
                                       msg_type=self._msg_type)
        maybe_known = state.get("posting") == number  # an invocation that died may have posted it
        if not maybe_known:
            job.keep_alive({**state, "posting": number})
        try:
            taken = self._hub.post_message(properties=properties, content=message_content(message.document),
                                           maybe_known=maybe_known)
        except ArtConnectError as error:
            raise WorkerFailure(f"Art-Connect {error} (message {chunk.msg_id}, {len(batch)} {self.WHAT}; the "
                                f"{self.WHAT} before it were posted)") from error
        job.count(**message.counts)
        job.message(MessageLevel.INFO, f"Message {chunk.msg_id}: {message.summary}" if taken else
                    f"Message {chunk.msg_id}: {message.summary} before; the hub already had it (a repeat, "
                    "MessageResult false)")
        state["posting"] = number
        state.update(after=batch[-1].position, chunk=number)
        job.keep_alive(dict(state))
