"""A product change as the channels (Magento, exports, feeds) read them: "what changed since"."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ProductChange:
    """One product as it is now (``data``, the record in JSON form) or its removal (``data`` None).

    ``position`` is where the change stands in the order the changes are listed in: a reader that checkpoints
    the last position it handled resumes after it (positions of one listing compare as text).
    """

    article_number: str
    data: dict[str, Any] | None
    changed_at: dt.datetime
    position: str
