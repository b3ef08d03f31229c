"""Paging an ETIM list whole: advancing by pageSize, the 30,000 window, partitions by filter, resuming."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from pimtasks.domain.etim import EtimKind, EtimValue
from pimtasks.domain.etim_source import EtimApiError, SearchFilter, SearchPage
from pimtasks.services.etim_paging import ListingPosition, WindowExceededError, pages, reachable


@dataclass
class FakeList:
    """A server-side list: ``total`` entries, at most ``cap`` per page, ``group_sizes`` for class filters."""

    total: int
    cap: int = 1000
    group_sizes: dict[str, int] = field(default_factory=dict)
    calls: list[tuple[SearchFilter, int, int]] = field(default_factory=list)

    def size_of(self, part: SearchFilter) -> int:
        if part.groups is not None:
            return sum(self.group_sizes[g] for g in part.groups)
        if part.deprecated is not None:
            return self.total // 2 if part.local is None else self.total // 4
        return self.total

    def fetch(self, part: SearchFilter, offset: int, size: int) -> SearchPage:
        assert offset <= 29000 and offset + size <= 30000 and size <= 1000, "outside ETIM's window"
        self.calls.append((part, offset, size))
        total = self.size_of(part)
        count = max(0, min(size, self.cap, total - offset))
        entities = [EtimValue(code=f"EV{offset + i:06d}") for i in range(count)]
        return SearchPage(total=total, advance=min(size, self.cap), entities=list(entities))


def _read_all(server: FakeList, kind: EtimKind = EtimKind.VALUE, *, groups: list[str] | None = None,
              position: ListingPosition | None = None) -> tuple[int, ListingPosition]:
    position = position or ListingPosition()
    seen = 0
    for page, _ in pages(kind=kind, fetch=server.fetch, position=position, groups=groups or []):
        seen += page.count
    return seen, position


def test_from_advances_by_the_page_size_the_server_answers() -> None:
    # Given a server that answers at most 300 entries per page although 1000 are asked
    server = FakeList(total=1000, cap=300)

    seen, position = _read_all(server)

    # Then pages start at 0, 300, 600, 900, and every entry was read once
    assert [offset for _, offset, _ in server.calls] == [0, 300, 600, 900]
    assert seen == 1000 and position.finished and position.resolved


def test_a_list_within_the_window_needs_the_minimum_of_pages() -> None:
    server = FakeList(total=30000)

    seen, _ = _read_all(server)

    assert seen == 30000 and len(server.calls) == 30
    assert server.calls[-1][1:] == (29000, 1000)


def test_a_class_list_beyond_the_window_is_partitioned_by_halves_of_the_groups() -> None:
    # Given 45,000 classes of a release in 6 groups of 7,500
    groups = [f"EG00000{i}" for i in range(1, 7)]
    server = FakeList(total=45000, group_sizes=dict.fromkeys(groups, 7500))

    seen, position = _read_all(server, EtimKind.CLASS, groups=groups)

    # Then the whole list was probed once, then two halves of three groups (22,500 each) were read whole
    assert seen == 45000
    assert [p.groups for p in position.plan] == [tuple(groups[:3]), tuple(groups[3:])]
    assert len(server.calls) == 1 + 23 + 23


def test_features_beyond_the_window_split_by_deprecated_then_local() -> None:
    server = FakeList(total=100000)

    seen, position = _read_all(server, EtimKind.FEATURE)

    assert [(p.deprecated, p.local) for p in position.plan] == [(False, False), (False, True), (True, False),
                                                                (True, True)]
    assert seen == 100000


def test_a_list_that_no_filter_can_split_fails_naming_the_call() -> None:
    server = FakeList(total=31000)

    with pytest.raises(WindowExceededError, match=r"Group/Search: 31000 entries \(all\) do not fit"):
        _read_all(server, EtimKind.GROUP)


def test_partitions_that_miss_entries_fail_instead_of_losing_them() -> None:
    # Given classes without a group: the release has 31,000 but the group partitions only 30,000
    groups = ["EG000001", "EG000002"]
    server = FakeList(total=31000, group_sizes=dict.fromkeys(groups, 15000))

    with pytest.raises(EtimApiError, match="the partitions listed 30000 entries, the whole list has 31000"):
        _read_all(server, EtimKind.CLASS, groups=groups)


def test_a_listing_resumes_from_a_saved_position() -> None:
    # Given a listing stopped after two pages, its position saved as plain data
    server = FakeList(total=2500)
    position = ListingPosition()
    iterator = pages(kind=EtimKind.VALUE, fetch=server.fetch, position=position)
    next(iterator), next(iterator)
    saved = position.to_json()

    # When a fresh invocation resumes from it
    resumed_server = FakeList(total=2500)
    seen, _ = _read_all(resumed_server, position=ListingPosition.from_json(saved))

    # Then it reads only the rest
    assert [offset for _, offset, _ in resumed_server.calls] == [2000]
    assert seen == 500


def test_reachable_entries_depend_on_the_page_size() -> None:
    assert reachable(1000) == 30000
    assert reachable(300) == 29100
    assert reachable(0) == 0
