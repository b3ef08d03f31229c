"""Import ETIM stopped by hand, and continued in fresh invocations when the time budget runs low."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pimtasks.domain.etim import SYNC_ORDER, EtimClass, EtimKind
from pimtasks.domain.run import RunStatus
from pimtasks_local.etim_fake_model import SMALL_SIZE, ModelSize, generate_model

from tests.integration.etim.harness import ENV, Etim, etim_services

# Big enough for several pages per list at a page cap of 10, small enough to stay quick.
PAGED = ModelSize(groups=4, classes=45, features=30, values=40, units=6, features_per_class=(2, 4),
                  values_per_feature=(1, 3))


@pytest.fixture
def paged(monkeypatch: pytest.MonkeyPatch) -> Iterator[Etim]:
    with etim_services(monkeypatch, model=generate_model(PAGED, languages=("EN", "nl-NL"))) as services:
        services.api.page_size_cap = 10
        yield services


def _snapshot(etim: Etim) -> dict[EtimKind, dict[str, object]]:
    """Every entity of the current model, read back through the reader."""
    model = etim.reader.model(environment=ENV, release="ETIM-9.0")
    found: dict[EtimKind, dict[str, object]] = {}
    for kind in SYNC_ORDER:
        entries = etim.repository.load_manifest(environment=ENV, release="ETIM-9.0", kind=kind,
                                                digest=model.manifests[kind])
        found[kind] = {e.code: etim.reader.entity_detail(environment=ENV, release="ETIM-9.0", kind=kind,
                                                         code=e.code).entity for e in entries}
    return found


def test_a_sync_continued_after_every_page_ends_exactly_like_one_in_a_single_invocation(paged: Etim) -> None:
    # Given a sync that ran in one go, as the reference
    etim = paged
    task = etim.create_task()
    reference = etim.run(task)
    assert reference.status is RunStatus.SUCCEEDED, reference.error
    expected, generation = _snapshot(etim), etim.current_generation()
    # and the model reset to empty, so the next run has everything to do again
    etim.repository.switch(etim.reader.model(environment=ENV, release="ETIM-9.0").model_copy(
        update={"generation": "emptied", "manifests": {}}), expected_generation=generation)
    etim.repository.items_written = 0

    # When a run's every invocation has almost no time left (each hands over at its first safe point)
    run = etim.run(task, remaining_ms=lambda: 1_000)

    # Then it took many invocations, and ended with the same model as the single one
    assert run.status is RunStatus.SUCCEEDED, run.error
    assert run.invocations > 20
    assert etim.current_generation() == generation
    assert _snapshot(etim) == expected
    assert etim.kind_line(run, EtimKind.CLASS) == etim.kind_line(reference, EtimKind.CLASS)
    assert run.counts == reference.counts
    # and nothing staged for the continuations is left behind
    assert etim.repository.load_stage(environment=ENV, release="ETIM-9.0", run_id=run.run_id) is None


def test_stop_ends_the_run_at_the_next_page_and_leaves_the_previous_model(paged: Etim) -> None:
    # Given a synced model and a change at ETIM
    etim = paged
    task = etim.create_task()
    assert etim.run(task).status is RunStatus.SUCCEEDED
    generation = etim.current_generation()
    code = next(iter(etim.model.classes))
    etim.model.change_class_description(code, "EN", "a new text")

    # When someone presses Stop while the values are being read
    def stop_at_values(where: str) -> None:
        if where == "value/EN/10":
            etim.core.runs.stop(environment=ENV, task_id=task.task_id)
            etim.core.clock.advance(seconds=5)  # the next safe point's heartbeat notices it

    etim.hooks.append(stop_at_values)
    run = etim.run(task)

    # Then the run was cancelled there, saying where and that the model was not switched
    assert run.status is RunStatus.CANCELLED
    assert any(text.startswith("Stopped during the values of ETIM-9.0 (EN): the model of ETIM-9.0 was not switched")
               for text in etim.messages(run))
    assert etim.api.calls["Class/DetailsMany"] == 5  # only the first run's (45 classes in 10-class pages)
    # and the previous model is current and whole
    assert etim.current_generation() == generation
    detail = etim.reader.class_detail(environment=ENV, release="ETIM-9.0", code=code).entity
    assert isinstance(detail, EtimClass) and detail.descriptions["EN"] != "a new text"


def test_a_small_model_syncs_with_the_default_page_size(monkeypatch: pytest.MonkeyPatch) -> None:
    # (the fixture above caps pages; here the plain small model passes in one page per list and language)
    with etim_services(monkeypatch, model=generate_model(SMALL_SIZE, languages=("EN", "nl-NL"))) as etim:
        run = etim.run(etim.create_task())
        assert run.status is RunStatus.SUCCEEDED, run.error
        assert etim.api.calls["Value/Search"] == 2 and etim.api.calls["Class/Search"] == 2
