"""Which channels may deliver files into an import's folder: the one rule behind every upload path.

An import task's ``manual_upload`` and ``ftps_upload`` settings (manual §3.1) open its folder
``Uploads/<Import>/`` to a channel. Three places enforce them, all through ``ImportFolders``:
- the API's presigned manual upload (``services.uploads``) refuses a closed import with 409;
- the local FTPS gateway refuses writes into a closed import's folder (550);
- the Transfer Family session policy (``services.transfer_identity``) allows writes only in the folders
  of imports open to FTPS.

**decision**: several tasks may name the same import; its folder accepts a channel when at least one of
them has that channel on (each task's setting says "this import may receive files this way"). The
task's Active flag does not matter: an inactive task can still be started by hand on what was delivered.
A folder that no import task names accepts nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from pimtasks.domain.task import Task
from pimtasks.domain.task_types import ImportSettings
from pimtasks.errors import ConflictError, ValidationFailedError


class UploadChannel(StrEnum):
    """A way files reach ``Uploads/<Import>/``; the value is the import setting that opens it."""

    MANUAL = "manual_upload"
    FTPS = "ftps_upload"

    @property
    def label(self) -> str:
        """The channel as the manual names it (``Manual upload``, ``FTPS upload``)."""
        return "Manual upload" if self is UploadChannel.MANUAL else "FTPS upload"


class UploadChannelClosedError(ConflictError):
    """The import exists, but none of its tasks has the channel's setting on."""

    def __init__(self, *, import_name: str, channel: UploadChannel) -> None:
        super().__init__(f"{channel.label} is off for import {import_name!r} "
                         f"(its import task has {channel.value} false)")
        self.import_name = import_name
        self.channel = channel


def channel_open(settings: ImportSettings, channel: UploadChannel) -> bool:
    """True when one import task's settings let ``channel`` deliver into its folder."""
    return settings.manual_upload if channel is UploadChannel.MANUAL else settings.ftps_upload


@dataclass(frozen=True)
class ImportFolders:
    """An environment's imports (folder names under ``Uploads/``) and the channels each one accepts."""

    channels: Mapping[str, frozenset[UploadChannel]] = field(default_factory=dict)

    @classmethod
    def of(cls, tasks: Iterable[Task]) -> ImportFolders:
        """The imports the environment's tasks define (tasks of other types are ignored)."""
        channels: dict[str, set[UploadChannel]] = {}
        for task in tasks:
            settings = task.spec.settings
            if isinstance(settings, ImportSettings):
                opened = channels.setdefault(settings.import_name, set())
                opened.update(channel for channel in UploadChannel if channel_open(settings, channel))
        return cls(channels={name: frozenset(opened) for name, opened in channels.items()})

    @property
    def names(self) -> list[str]:
        """Every import folder, sorted."""
        return sorted(self.channels)

    def accepts(self, import_name: str, channel: UploadChannel) -> bool:
        """True when ``channel`` may deliver files into ``Uploads/<import_name>/``."""
        return channel in self.channels.get(import_name, frozenset())

    def accepting(self, channel: UploadChannel) -> list[str]:
        """The imports ``channel`` may deliver into, sorted."""
        return sorted(name for name, opened in self.channels.items() if channel in opened)

    def require(self, import_name: str, channel: UploadChannel) -> None:
        """Raise unless ``channel`` may deliver into ``Uploads/<import_name>/``.

        An unknown import is a ``ValidationFailedError`` on ``import_name`` (listing the known ones); a known
        import that the channel may not use is an ``UploadChannelClosedError``.
        """
        if import_name not in self.channels:
            known = ", ".join(self.names) or "none yet"
            raise ValidationFailedError(field="import_name",
                                        message=f"no import task named {import_name!r} (imports: {known})")
        if not self.accepts(import_name, channel):
            raise UploadChannelClosedError(import_name=import_name, channel=channel)
