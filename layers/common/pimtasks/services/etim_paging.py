"""Paging through an ETIM search list whole: ``from``/``size`` inside the 30,000 window, partitioned by filter.

ETIM's searches are an Elasticsearch window: ``size`` <= 1000, ``from`` <= 29000 and ``from + size`` <= 30000.
The effective page size is the ``pageSize`` the server answers (it can be smaller than asked, e.g. when
features are included), so ``from`` advances by that. A list that does not fit the window is split into
partitions by filter, found adaptively: the first page of a partition tells its total; one that is still
too large is split again (classes by halves of the release's group codes; features by ``deprecated`` and
then ``local``; values and units by ``deprecated``). Every position is plain data, so a sync can checkpoint
after any page and resume there in a fresh invocation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pimtasks.domain.etim import EtimKind
from pimtasks.domain.etim_source import SEARCH_CALLS, EtimApiError, EtimShapeError, SearchFilter, SearchPage

MAX_SIZE = 1000
MAX_FROM = 29000
WINDOW = 30000



class WindowExceededError(EtimApiError):
    """A list part that no filter can split further is still larger than the window."""


def reachable(advance: int) -> int:
    """How many entries of one filter's list a client can reach when pages advance by ``advance``."""
    if advance <= 0:
        return 0
    last_from = (MAX_FROM // advance) * advance
    return min(WINDOW, last_from + advance)


def split(kind: EtimKind, part: SearchFilter, *, groups: Sequence[str]) -> list[SearchFilter] | None:
    """Two (or more) filters that together cover ``part``; None when ``part`` cannot be split further."""
    if kind is EtimKind.CLASS:
        codes = list(part.groups) if part.groups is not None else sorted(groups)
        if len(codes) < 2:
            return None
        half = len(codes) // 2
        return [replace(part, groups=tuple(codes[:half])), replace(part, groups=tuple(codes[half:]))]
    if kind in (EtimKind.FEATURE, EtimKind.VALUE, EtimKind.UNIT) and part.deprecated is None:
        return [replace(part, deprecated=False), replace(part, deprecated=True)]
    if kind is EtimKind.FEATURE and part.local is None:
        return [replace(part, local=False), replace(part, local=True)]
    return None


@dataclass
class ListingPosition:
    """Where a listing is: the partition plan, the current partition and ``from`` within it.

    ``resolved`` says the plan is final (a listing in another language of the same kind reuses it);
    ``root_total`` and ``covered`` check that partitions together listed what the unfiltered list has.
    """

    plan: list[SearchFilter] = field(default_factory=lambda: [SearchFilter()])
    index: int = 0
    offset: int = 0
    resolved: bool = False
    root_total: int | None = None
    covered: int = 0

    @property
    def finished(self) -> bool:
        return self.index >= len(self.plan)

    def to_json(self) -> dict[str, Any]:
        return {"plan": [p.to_json() for p in self.plan], "index": self.index, "offset": self.offset,
                "resolved": self.resolved, "root_total": self.root_total, "covered": self.covered}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ListingPosition:
        return cls(plan=[SearchFilter.from_json(p) for p in data["plan"]], index=int(data["index"]),
                   offset=int(data["offset"]), resolved=bool(data["resolved"]), root_total=data.get("root_total"),
                   covered=int(data.get("covered", 0)))

    def restarted(self) -> ListingPosition:
        """The same plan from its beginning (for the next language of the same kind)."""
        return ListingPosition(plan=list(self.plan), resolved=self.resolved, root_total=self.root_total)


FetchPage = Callable[[SearchFilter, int, int], SearchPage]
"""``fetch(filter, from, size)`` -> one page."""


def pages(*, kind: EtimKind, fetch: FetchPage, position: ListingPosition, groups: Sequence[str] = (),
          page_size: int = MAX_SIZE, context: str = "") -> Iterator[tuple[SearchPage, ListingPosition]]:
    """Every page of the list from ``position`` on, each with the position *after* it (to checkpoint).

    The position object is updated in place as pages are consumed.
    """
    call = SEARCH_CALLS[kind]
    while not position.finished:
        part = position.plan[position.index]
        size = min(page_size, WINDOW - position.offset)
        page = fetch(part, position.offset, size)
        if position.offset == 0:
            if _first_page_of_root(position):
                position.root_total = page.total
            if page.total > reachable(_advance(page, call=call, offset=0, context=context)):
                _split_current(kind, position, page, groups=groups, call=call, context=context)
                continue
        advance = _advance(page, call=call, offset=position.offset, context=context)
        position.offset += advance
        if position.offset >= page.total:
            position.covered += page.total
            position.index += 1
            position.offset = 0
            if position.finished:
                position.resolved = True
                _check_coverage(position, call=call, context=context)
        elif position.offset > MAX_FROM:
            raise WindowExceededError(f"{call}{context}: the list ({page.total} entries, {part.describe()}) does "
                                      f"not fit ETIM's from + size <= {WINDOW} window")
        yield page, position


def _first_page_of_root(position: ListingPosition) -> bool:
    return position.index == 0 and len(position.plan) == 1 and position.plan[0] == SearchFilter()


def _advance(page: SearchPage, *, call: str, offset: int, context: str) -> int:
    """By the ``pageSize`` the server used; never beyond what it returned (a short page is read again)."""
    count = page.count
    if count == 0:
        if offset < page.total:
            raise EtimShapeError(f"{call}{context}: no entries at from={offset} although total is {page.total}")
        return max(page.advance, 1)
    return min(page.advance, count) if page.advance > 0 else count


def _split_current(kind: EtimKind, position: ListingPosition, page: SearchPage, *, groups: Sequence[str],
                   call: str, context: str) -> None:
    part = position.plan[position.index]
    parts = split(kind, part, groups=groups)
    if parts is None:
        raise WindowExceededError(f"{call}{context}: {page.total} entries ({part.describe()}) do not fit ETIM's "
                                  f"from + size <= {WINDOW} window and cannot be partitioned further")
    position.plan[position.index:position.index + 1] = parts
    position.resolved = False


def _check_coverage(position: ListingPosition, *, call: str, context: str) -> None:
    """Partitions must together list what the unfiltered list has (else some entries would be lost)."""
    if len(position.plan) > 1 and position.root_total is not None and position.covered < position.root_total:
        raise EtimApiError(f"{call}{context}: the partitions listed {position.covered} entries, the whole list has "
                           f"{position.root_total}; entries outside every partition would be lost")
