"""The FTPS user's virtual tree and its confinement to one environment.

A user sees ``/`` with the folders ``Uploads``, ``Archived`` and ``Downloads``; ``/Uploads/Imp/a.csv`` is the
S3 key ``environments/<env>/Uploads/Imp/a.csv``. Every path a client sends is normalised here into an
absolute virtual path made of checked segments, *before* any S3 key is formed, and the key is always
the environment prefix plus that path, so no input can name a key outside the environment:

- ``..`` may climb only inside the tree (``/Uploads/Imp/..`` is ``/Uploads``); climbing above ``/`` is
  refused, not clamped, so ``../000002`` fails loudly;
- the first segment must be one of the visible folders (``/environments/000002`` is refused);
- backslashes, NUL and other control or invisible format characters, percent-encoded octets (``%2e``,
  ``%2f``...), and names that Unicode compatibility folding turns into ``.``/``..`` or a separator
  (full-width dots and slashes) are refused, so no later decoding step can change what a name means;
- names are stored in Unicode NFC, so a name typed on macOS (NFD) finds the same object.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from pimtasks.domain.ftps_user import FTPS_FOLDERS, WRITABLE_FOLDER
from pimtasks.domain.identifiers import is_folder_name

ROOT = "/"
MAX_SEGMENT_BYTES = 255
MAX_PATH_BYTES = 900  # S3 keys stop at 1024 bytes; leave room for the environment prefix
_PERCENT_ENCODED = re.compile(r"%[0-9A-Fa-f]{2}")


class PathRefusedError(ValueError):
    """A client path that cannot be used; the message says why in words a client may see."""


@dataclass(frozen=True)
class VirtualPath:
    """A normalised absolute path in the user's tree: ``()`` is ``/``, ``("Uploads", "Imp")`` is ``/Uploads/Imp``."""

    segments: tuple[str, ...]

    @property
    def text(self) -> str:
        return ROOT + "/".join(self.segments)

    @property
    def is_root(self) -> bool:
        return not self.segments

    @property
    def is_top_folder(self) -> bool:
        return len(self.segments) == 1

    @property
    def in_writable_folder(self) -> bool:
        """Strictly below ``/Uploads`` (``/Uploads`` itself cannot be removed or renamed)."""
        return len(self.segments) >= 2 and self.segments[0] == WRITABLE_FOLDER

    @property
    def name(self) -> str:
        return self.segments[-1] if self.segments else ROOT

    @property
    def parent(self) -> VirtualPath:
        return VirtualPath(self.segments[:-1])

    def key(self, prefix: str) -> str:
        """The S3 key of this path as a file, under ``prefix`` (``environments/<env>/``)."""
        return prefix + "/".join(self.segments)

    def folder_prefix(self, prefix: str) -> str:
        """The S3 prefix of this path as a folder (ends with ``/``; the root is ``prefix`` itself)."""
        return prefix + "".join(f"{segment}/" for segment in self.segments)

    def child(self, name: str) -> VirtualPath:
        return VirtualPath((*self.segments, name))


def parse_virtual(text: str) -> VirtualPath:
    """A path that this module produced (``VirtualPath.text``), checked again."""
    return normalize(ROOT, text)


def normalize(cwd: str, raw: str) -> VirtualPath:
    """The absolute virtual path ``raw`` names when the client is in ``cwd``, or ``PathRefusedError``."""
    _check_characters(raw)
    joined = raw if raw.startswith("/") else f"{cwd.rstrip('/')}/{raw}"
    segments: list[str] = []
    for segment in joined.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if not segments:
                raise PathRefusedError("path leads outside your home folder")
            segments.pop()
            continue
        segments.append(_checked_segment(segment))
    if segments and segments[0] not in FTPS_FOLDERS:
        raise PathRefusedError(f"no such folder; your home has {', '.join(FTPS_FOLDERS)}")
    path = VirtualPath(tuple(segments))
    if len(path.text.encode("utf-8")) > MAX_PATH_BYTES:
        raise PathRefusedError("path too long")
    return path


def check_import_folder(path: VirtualPath) -> None:
    """Refuse a write whose import folder (the level under ``/Uploads``) is not a valid import name."""
    if len(path.segments) >= 2 and path.segments[0] == WRITABLE_FOLDER and not is_folder_name(path.segments[1]):
        raise PathRefusedError(
            "import folder names are 1-64 letters, digits, spaces or _ . ( ) -, starting with a letter or digit"
        )


def _check_characters(raw: str) -> None:
    if "\\" in raw:
        raise PathRefusedError("backslashes are not allowed in paths")
    if _PERCENT_ENCODED.search(raw):
        raise PathRefusedError("percent-encoded characters are not allowed in paths")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in raw):
        raise PathRefusedError("control or invisible characters are not allowed in paths")


def _checked_segment(segment: str) -> str:
    name = unicodedata.normalize("NFC", segment)
    folded = unicodedata.normalize("NFKC", name)
    if folded in (".", "..") or "/" in folded or "\\" in folded:
        raise PathRefusedError("name looks like a path separator or a dot folder")
    if len(name.encode("utf-8")) > MAX_SEGMENT_BYTES:
        raise PathRefusedError("name too long")
    return name
