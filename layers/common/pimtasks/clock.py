"""Time, in one place: services take a ``Clock`` so tests can move time instead of sleeping."""

from __future__ import annotations

import datetime as dt
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current time, timezone-aware (UTC)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait (a test clock advances instead)."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> dt.datetime:
        # Millisecond precision, as stored: what the API returns on create equals what it reads back later.
        current = dt.datetime.now(dt.UTC)
        return current.replace(microsecond=current.microsecond // 1000 * 1000)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


def iso(value: dt.datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` suffix and millisecond precision, as stored in DynamoDB (sortable)."""
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(value: str) -> dt.datetime:
    """The inverse of ``iso`` (accepts any ISO 8601 with offset or ``Z``)."""
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed
