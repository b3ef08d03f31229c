"""Change detection of one kind against the previous generation."""

from __future__ import annotations

from pimtasks.domain.etim import EtimKind, EtimValue, manifest_digest
from pimtasks.services.etim_changes import KindChanges


def _value(code: str, text: str, *, deprecated: bool = False) -> EtimValue:
    return EtimValue(code=code, descriptions={"EN": text}, deprecated=deprecated)


def _generation(*values: EtimValue) -> dict[str, object]:
    changes = KindChanges(kind=EtimKind.VALUE, previous={})
    for value in values:
        changes.add(value)
    entries, _ = changes.finish()
    return {entry.code: entry for entry in entries}


def test_each_entity_is_created_changed_unchanged_or_deprecated_and_only_news_are_stored() -> None:
    # Given a previous generation of four values
    previous = _generation(_value("EV000001", "red"), _value("EV000002", "green"), _value("EV000003", "blue"),
                           _value("EV000004", "grey"))

    # When the API serves: one the same, one renamed, one newly deprecated, one new; EV000004 is gone
    changes = KindChanges(kind=EtimKind.VALUE, previous=previous)  # type: ignore[arg-type]
    stored = [changes.add(v) for v in (_value("EV000001", "red"), _value("EV000002", "lime"),
                                       _value("EV000003", "blue", deprecated=True), _value("EV000005", "white"))]
    entries, digest = changes.finish()

    # Then the counts say so, and only the three new versions are to be stored
    assert changes.counts.model_dump() == {"created": 1, "changed": 1, "unchanged": 1, "deprecated": 2, "removed": 1}
    assert changes.counts.read == 4
    assert [s.code if s else None for s in stored] == [None, "EV000002", "EV000003", "EV000005"]
    assert [e.code for e in entries] == ["EV000001", "EV000002", "EV000003", "EV000005"]
    assert digest == manifest_digest(entries)


def test_an_entity_listed_twice_counts_once() -> None:
    changes = KindChanges(kind=EtimKind.VALUE, previous={})
    changes.add(_value("EV000001", "red"))
    changes.add(_value("EV000001", "red"))

    assert changes.counts.created == 1


def test_the_decisions_so_far_survive_a_continuation() -> None:
    changes = KindChanges(kind=EtimKind.VALUE, previous={})
    changes.add(_value("EV000001", "red"))
    resumed = KindChanges(kind=EtimKind.VALUE, previous={})
    resumed.load(changes.to_json())
    resumed.add(_value("EV000002", "green"))

    assert resumed.counts.created == 2
    assert [e.code for e in resumed.finish()[0]] == ["EV000001", "EV000002"]


def test_the_same_content_is_the_same_manifest_whatever_the_order() -> None:
    one = KindChanges(kind=EtimKind.VALUE, previous={})
    two = KindChanges(kind=EtimKind.VALUE, previous={})
    for value in (_value("EV000001", "a"), _value("EV000002", "b")):
        one.add(value)
    for value in (_value("EV000002", "b"), _value("EV000001", "a")):
        two.add(value)

    assert one.finish()[1] == two.finish()[1]
