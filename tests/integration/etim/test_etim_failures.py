"""Import ETIM when things go wrong: every failure names its cause, and the previous model stays whole."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pimtasks.domain.etim import EtimClass
from pimtasks.domain.run import RunStatus

from tests.integration.etim.harness import ENV, SECRET_NAME, Etim, etim_services


def _synced(etim: Etim) -> tuple[object, str | None]:
    task = etim.create_task()
    assert etim.run(task).status is RunStatus.SUCCEEDED
    return task, etim.current_generation()


def test_wrong_credentials_fail_the_run_at_once_without_a_retry_storm(etim: Etim) -> None:
    # Given a task whose secret holds a wrong client secret
    etim.secrets.put(environment=ENV, name=SECRET_NAME, value="not-the-secret")
    task = etim.create_task()

    # When it runs
    run = etim.run(task)

    # Then it failed with the API's verdict, after one try in the body and one as HTTP Basic, and nothing else
    assert run.status is RunStatus.FAILED
    assert run.error == "the ETIM API refused the client credentials (invalid_client)"
    assert dict(etim.api.calls) == {"connect/token": 2}
    assert etim.writes.items == 0


def test_a_secret_gone_since_the_task_was_made_names_the_secret_to_set(etim: Etim) -> None:
    # Given a task whose secret was deleted from Secrets Manager after the task was made
    task = etim.create_task()
    etim.secrets.delete(environment=ENV, name=SECRET_NAME)

    run = etim.run(task)

    assert run.status is RunStatus.FAILED
    assert run.error is not None and f"the client secret '{SECRET_NAME}' is not set for environment 000001" in run.error
    assert etim.api.total_calls == 0


@pytest.fixture
def english_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[Etim]:
    with etim_services(monkeypatch, account_languages=("EN", "de-DE")) as services:
        yield services


def test_a_language_the_account_may_not_use_fails_before_any_write(english_only: Etim) -> None:
    # Given an account that may use EN and de-DE, and a task asking for EN and nl-NL
    etim = english_only
    task = etim.create_task(languages=["EN", "nl-NL"])

    # When it runs
    run = etim.run(task)

    # Then it failed naming the language and the allowed set, having asked for nothing but the checks
    assert run.status is RunStatus.FAILED
    assert run.error == ("the ETIM account may not use language nl-NL; it may use EN, de-DE "
                         "(Misc/LanguagesAllowed); nothing was changed")
    assert set(etim.api.calls) == {"connect/token", "Misc/LanguagesAllowed"}
    assert etim.writes.items == 0


def test_a_release_the_api_does_not_offer_fails_naming_the_offered_ones(etim: Etim) -> None:
    run = etim.run(etim.create_task(release="ETIM-11.0"))

    assert run.status is RunStatus.FAILED
    assert run.error == ("the ETIM API does not offer release ETIM-11.0 (Misc/Releases: DYNAMIC, ETIM-9.0, ETIM-8.0); "
                         "nothing was changed")


def test_5xx_past_the_retry_budget_half_way_fails_naming_the_call_and_keeps_the_previous_model(etim: Etim) -> None:
    # Given a synced model, then a description changed at ETIM
    task, generation = _synced(etim)
    first = next(iter(etim.model.classes))
    before = etim.reader.class_detail(environment=ENV, release="ETIM-9.0", code=first).entity
    etim.model.change_class_description(first, "EN", "changed at ETIM")
    # and an API that answers the class details with 503 from now on (groups, units, values, features pass)
    etim.api.inject("Class/DetailsMany", 503, times=None)
    details_before = etim.api.calls["Class/DetailsMany"]

    # When the task runs again
    run = etim.run(task)

    # Then the run failed naming the call, after the retry budget (5 tries), and said the model was not switched
    assert run.status is RunStatus.FAILED
    assert run.error is not None
    assert run.error.startswith("the ETIM API call Class/DetailsMany (EN, ")
    assert "failed 5 times; last: 503" in run.error
    assert run.error.endswith("the model of ETIM-9.0 was not switched; the previous model stays readable and whole "
                              "(a new run starts the sync again).")
    assert etim.api.calls["Class/DetailsMany"] - details_before == 5
    # and the previous model is the current one, whole: same generation, the old text, every class readable
    assert etim.current_generation() == generation
    after = etim.reader.class_detail(environment=ENV, release="ETIM-9.0", code=first).entity
    assert after == before
    listing = etim.reader.list_classes(environment=ENV, release="ETIM-9.0", limit=200)
    assert listing.total == len([c for c in etim.model.classes.values() if "ETIM-9.0" in c.releases])

    # When the API recovers, the next run switches to the new model
    etim.api.clear_faults()
    assert etim.run(task).status is RunStatus.SUCCEEDED
    changed = etim.reader.class_detail(environment=ENV, release="ETIM-9.0", code=first).entity
    assert isinstance(changed, EtimClass) and changed.descriptions["EN"] == "changed at ETIM"


def test_an_answer_of_the_wrong_shape_fails_naming_the_call_and_the_field(etim: Etim) -> None:
    # Given an API whose feature search answers a code that is not an ETIM feature code
    etim.api.inject("Feature/Search", 200, body={"total": 1, "features": [{"code": "XX12", "type": "Numeric"}]})

    run = etim.run(etim.create_task())

    assert run.status is RunStatus.FAILED
    assert run.error is not None
    assert run.error.startswith("the ETIM API's answer to Feature/Search (EN, from 0) does not match the documented "
                                "shape: field features[0].code: String should match pattern")
    assert etim.current_generation() is None


def test_429_503_and_expiring_tokens_are_ridden_out(etim: Etim) -> None:
    # Given an API that throttles, fails now and then, and lets its tokens expire part-way
    etim.api.inject("Class/Search", 429, times=2, retry_after="7")
    etim.api.inject("Value/Search", 503, times=1)
    etim.api.inject("connect/token", 503, times=1)
    started = etim.core.clock.now()
    expired = []

    def expire_once(where: str) -> None:
        if where.startswith("feature/") and not expired:
            etim.api.expire_tokens()
            expired.append(where)

    etim.hooks.append(expire_once)

    # When the task runs
    run = etim.run(etim.create_task())

    # Then it succeeded: Retry-After was honoured (the clock waited 7 s twice), a fresh token was fetched once
    assert run.status is RunStatus.SUCCEEDED, run.error
    assert (etim.core.clock.now() - started).total_seconds() >= 14
    assert etim.api.calls["connect/token"] == 3  # the 503, the first token, the one after expiry
    assert expired


def test_a_page_size_smaller_than_asked_is_followed(etim: Etim) -> None:
    # Given an API that answers at most 7 entries per page whatever is asked
    etim.api.page_size_cap = 7

    run = etim.run(etim.create_task())

    # Then every entity still arrived, in ceil(n / 7) pages per list and language
    assert run.status is RunStatus.SUCCEEDED, run.error
    values = len(etim.model.values)
    assert etim.api.calls["Value/Search"] == 2 * -(-values // 7)
    listing = etim.reader.list_classes(environment=ENV, release="ETIM-9.0", limit=200)
    assert listing.total == len([c for c in etim.model.classes.values() if "ETIM-9.0" in c.releases])


def test_a_details_limit_the_api_does_not_state_is_learnt(etim: Etim) -> None:
    # Given an API that refuses batches of more than 16 classes, and answers only 6 of those it takes
    etim.api.details_max, etim.api.details_answered = 16, 6

    run = etim.run(etim.create_task())

    # Then every class still arrived, in batches of 6 once that was learnt
    assert run.status is RunStatus.SUCCEEDED, run.error
    classes = len([c for c in etim.model.classes.values() if "ETIM-9.0" in c.releases])
    assert etim.reader.list_classes(environment=ENV, release="ETIM-9.0", limit=200).total == classes
    assert etim.api.calls["Class/DetailsMany"] <= 3 + -(-classes // 6)
