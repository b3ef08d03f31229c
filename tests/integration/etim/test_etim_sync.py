"""Import ETIM through the run engine and the worker: the whole model, change detection, failures."""

from __future__ import annotations

import pytest
from pimtasks.domain.etim import EtimClass, EtimKind
from pimtasks.domain.run import RunStatus
from pimtasks.errors import ValidationFailedError

from tests.integration.etim.harness import ENV, Etim


def test_a_first_sync_stores_the_whole_model_and_reports_it_per_entity(etim: Etim) -> None:
    # Given an Import ETIM task for EN and nl-NL and an API serving a small model
    task = etim.create_task()

    # When it runs
    run = etim.run(task)

    # Then it succeeded, with the release, languages and per-entity counts in its report
    assert run.status is RunStatus.SUCCEEDED, run.error
    model = etim.model
    released = [c for c in model.classes.values() if "ETIM-9.0" in c.releases]
    assert etim.messages(run)[0].startswith("ETIM ETIM-9.0 (the newest of Misc/Releases) in EN, nl-NL:")
    assert etim.kind_line(run, EtimKind.CLASS) == f"Classes: {len(released)} created, 0 changed, 0 unchanged, " \
                                                  "0 deprecated."
    assert etim.kind_line(run, EtimKind.VALUE).startswith(f"Values: {len(model.values)} created")
    total = len(released) + len(model.features) + len(model.values) + len(model.units) + len(model.groups)
    assert (run.counts.read, run.counts.created, run.counts.updated, run.counts.unchanged) == (total, total, 0, 0)
    # and every class reads back with its features in order, units and value lists, texts in both languages
    for fake in released:
        stored = etim.reader.class_detail(environment=ENV, release="ETIM-9.0", code=fake.code).entity
        assert isinstance(stored, EtimClass)
        assert stored.descriptions == {lang: fake.descriptions[lang] for lang in ("EN", "nl-NL")}
        assert stored.synonyms == {lang: fake.synonyms[lang] for lang in ("EN", "nl-NL")}
        assert stored.group == fake.group and stored.version == fake.version
        assert [(f.code, f.order, f.unit, [v.code for v in f.values]) for f in stored.features] == \
            [(f.code, f.order, f.unit, f.values) for f in fake.features]
    # and the report was mailed (the task notifies always)
    assert any("ETIM ETIM-9.0" in str(mail.body) for mail in etim.core.sent_mail())


def test_a_resync_with_nothing_changed_writes_nothing(etim: Etim) -> None:
    # Given a synced model
    task = etim.create_task()
    assert etim.run(task).status is RunStatus.SUCCEEDED
    generation = etim.current_generation()
    writes_before = etim.writes.items
    assert writes_before > 0  # (the counter sees the writes of the first sync)

    # When the task runs again and the API serves the same model
    run = etim.run(task)

    # Then every entity is unchanged, not a single catalog item was written, and the generation is the same
    assert run.status is RunStatus.SUCCEEDED, run.error
    assert etim.writes.items == writes_before
    assert run.counts.unchanged == run.counts.read and run.counts.created == run.counts.updated == 0
    assert any(text.startswith("Nothing changed since the last sync of ETIM-9.0") for text in etim.messages(run))
    assert etim.current_generation() == generation


def test_a_resync_reports_exactly_the_known_changes(etim: Etim) -> None:
    # Given a synced model
    task = etim.create_task()
    assert etim.run(task).status is RunStatus.SUCCEEDED
    model = etim.model
    codes = [code for code, c in model.classes.items() if "ETIM-9.0" in c.releases]

    # When ETIM changes: two class descriptions (one in each language), a class added, one deleted (status 9),
    # one taken out of the release, and one feature's description
    model.change_class_description(codes[0], "EN", "renamed in English")
    model.change_class_description(codes[1], "nl-NL", "hernoemd")
    model.add_class("EC900001", like=codes[2])
    model.delete_class(codes[3])
    model.retire_class(codes[4], "ETIM-9.0")
    feature = next(iter(model.features))
    model.change_feature_description(feature, "nl-NL", "nieuwe omschrijving")
    run = etim.run(task)

    # Then the report names exactly those
    assert run.status is RunStatus.SUCCEEDED, run.error
    unchanged_classes = len(codes) - 4  # two changed, one deleted, one taken out
    assert etim.kind_line(run, EtimKind.CLASS) == f"Classes: 1 created, 2 changed, {unchanged_classes} unchanged, " \
                                                  "2 deprecated (1 no longer in the release)."
    assert etim.kind_line(run, EtimKind.FEATURE) == f"Features: 0 created, 1 changed, {len(model.features) - 1} " \
                                                    "unchanged, 0 deprecated."
    assert etim.kind_line(run, EtimKind.VALUE).endswith("0 created, 0 changed, "
                                                        f"{len(model.values)} unchanged, 0 deprecated.")
    # and the model reads the new state
    detail = etim.reader.class_detail(environment=ENV, release="ETIM-9.0", code=codes[0], language="EN")
    assert detail.entity.descriptions["EN"] == "renamed in English"
    assert etim.reader.contains(environment=ENV, release="ETIM-9.0", kind=EtimKind.CLASS, code=codes[4]) is False
    assert etim.reader.contains(environment=ENV, release="ETIM-9.0", kind=EtimKind.CLASS, code="EC900001") is True


def test_a_class_list_page_token_survives_one_switch_and_then_says_the_model_changed(etim: Etim) -> None:
    # Given a synced model and a first page of its class list
    task = etim.create_task()
    assert etim.run(task).status is RunStatus.SUCCEEDED
    first = etim.reader.list_classes(environment=ENV, release="ETIM-9.0", limit=10)
    assert first.next_token is not None

    # When a class is added and the model switches, the token still continues the listing it began
    etim.model.add_class("EC900002", like=next(iter(etim.model.classes)))
    assert etim.run(task).status is RunStatus.SUCCEEDED
    second = etim.reader.list_classes(environment=ENV, release="ETIM-9.0", limit=10, next_token=first.next_token)
    assert second.total == first.total and second.entries[0].code > first.entries[-1].code

    # When the model switches once more, the generation that token belongs to is cleaned up: a clear 422
    etim.model.add_class("EC900003", like=next(iter(etim.model.classes)))
    assert etim.run(task).status is RunStatus.SUCCEEDED
    with pytest.raises(ValidationFailedError, match="the ETIM model changed since this listing began"):
        etim.reader.list_classes(environment=ENV, release="ETIM-9.0", limit=10, next_token=first.next_token)
