"""The ETIM API client against the fake ETIM API on 127.0.0.1: token, retries, shapes, documented bodies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import requests
from pimtasks.adapters.etim_api import EtimApiClient, token_url
from pimtasks.adapters.etim_wire import details_many_body, search_body
from pimtasks.domain.etim import EtimKind
from pimtasks.domain.etim_source import (
    ClassRef,
    EtimCredentialsError,
    EtimRefusedError,
    EtimShapeError,
    EtimUnavailableError,
    SearchFilter,
)
from pimtasks_local.etim_fake_model import generate_model
from pimtasks_local.etim_server import FakeEtimApi, FakeEtimServer, request_schema, schema_errors


class StepClock:
    """A clock that only moves when told to, or when the client sleeps (recorded)."""

    def __init__(self) -> None:
        self.current = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)
        self.slept: list[float] = []

    def now(self) -> dt.datetime:
        return self.current

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.current += dt.timedelta(seconds=seconds)


@pytest.fixture
def api() -> Iterator[tuple[FakeEtimApi, str]]:
    fake = FakeEtimApi(model=generate_model(languages=("EN", "nl-NL")))
    fake.add_account("client", "secret")
    with FakeEtimServer(fake) as url:
        yield fake, url


def _client(url: str, clock: StepClock, *, secret: str = "secret") -> EtimApiClient:
    return EtimApiClient(api_url=url, auth_url=url, client_id="client", client_secret=secret, clock=clock,
                         session=requests.Session())


def _classes(client: EtimApiClient, offset: int = 0) -> int:
    page = client.search(kind=EtimKind.CLASS, release="ETIM-9.0", language="EN", search_filter=SearchFilter(),
                         offset=offset, size=1000)
    return page.count


def test_the_token_is_fetched_once_and_reused_until_shortly_before_it_expires(api: tuple[FakeEtimApi, str]) -> None:
    fake, url = api
    clock = StepClock()
    client = _client(url, clock)

    _classes(client)
    _classes(client)
    assert fake.calls["connect/token"] == 1

    clock.current += dt.timedelta(seconds=3600 - 59)  # inside the renewal margin of a one-hour token
    _classes(client)
    assert fake.calls["connect/token"] == 2


def test_a_401_gets_one_fresh_token_and_the_same_call_again(api: tuple[FakeEtimApi, str]) -> None:
    fake, url = api
    client = _client(url, StepClock())
    _classes(client)

    fake.expire_tokens()
    assert _classes(client) > 0

    assert fake.calls["connect/token"] == 2 and fake.calls["Class/Search"] == 3


def test_a_token_refused_twice_fails_naming_the_call(api: tuple[FakeEtimApi, str]) -> None:
    fake, url = api
    client = _client(url, StepClock())
    fake.inject("Misc/Releases", 401, times=None)

    with pytest.raises(EtimRefusedError, match=r"refused the access token for Misc/Releases \(401\) even after"):
        client.releases()
    assert fake.calls["Misc/Releases"] == 2


def test_wrong_credentials_are_refused_after_body_and_basic_without_retries(api: tuple[FakeEtimApi, str]) -> None:
    fake, url = api
    client = _client(url, StepClock(), secret="wrong")

    with pytest.raises(EtimCredentialsError) as refused:
        client.releases()

    assert str(refused.value) == "the ETIM API refused the client credentials (invalid_client)"
    assert dict(fake.calls) == {"connect/token": 2}


def test_429_waits_for_retry_after_and_5xx_backs_off(api: tuple[FakeEtimApi, str]) -> None:
    fake, url = api
    clock = StepClock()
    client = _client(url, clock)
    fake.inject("Class/Search", 429, retry_after="4")
    fake.inject("Class/Search", 503, times=2)

    assert _classes(client) > 0

    assert clock.slept == [4.0, 2.0, 4.0]  # Retry-After, then 1 s doubling from the second attempt on
    assert fake.calls["Class/Search"] == 4


def test_503_waits_for_its_retry_after_too(api: tuple[FakeEtimApi, str]) -> None:
    # RFC 9110 §10.2.3: a 503's Retry-After says how long the service expects to be unavailable.
    fake, url = api
    clock = StepClock()
    client = _client(url, clock)
    fake.inject("Class/Search", 503, retry_after="7")

    assert _classes(client) > 0

    assert clock.slept == [7.0]
    assert fake.calls["Class/Search"] == 2


def test_5xx_past_the_budget_fails_naming_the_call(api: tuple[FakeEtimApi, str]) -> None:
    fake, url = api
    client = _client(url, StepClock())
    fake.inject("Class/Search", 502, times=None)

    with pytest.raises(EtimUnavailableError, match=r"the ETIM API call Class/Search \(EN, from 3000\) failed 5 times; "
                                                   r"last: 502"):
        _classes(client, offset=3000)


def test_an_answer_labelled_text_plain_is_read_as_json(api: tuple[FakeEtimApi, str]) -> None:
    fake, url = api
    fake.content_type = "text/plain; charset=utf-8"

    assert _classes(_client(url, StepClock())) == 40


def test_an_answer_of_the_wrong_shape_names_the_field(api: tuple[FakeEtimApi, str]) -> None:
    fake, url = api
    fake.inject("Class/Search", 200, body={"total": 2, "pageSize": 2, "classes": [{"code": "EC000001"}]})

    with pytest.raises(EtimShapeError, match=r"answer to Class/Search \(EN, from 0\) does not match the documented "
                                             r"shape: field classes\[0\]\.version: Field required"):
        _classes(_client(url, StepClock()))


def test_a_refused_call_names_the_call_and_the_reason(api: tuple[FakeEtimApi, str]) -> None:
    fake, url = api
    fake.details_max = 2
    refs = [ClassRef(code=f"EC00000{i}", version=1, description=None) for i in range(1, 4)]

    with pytest.raises(EtimRefusedError, match=r"refused Class/DetailsMany \(EN, 3 classes from EC000001\): 400 "
                                               r"Bad Request: At most 2 classes"):
        _client(url, StepClock()).class_details(refs=refs, language="EN")


@pytest.mark.parametrize("kind", list(EtimKind))
def test_every_search_body_is_valid_against_the_openapi_document(kind: EtimKind) -> None:
    parts = [SearchFilter(), SearchFilter(groups=("EG000001",)), SearchFilter(deprecated=True, local=False)]
    for part in parts:
        body = search_body(kind=kind, release="ETIM-9.0", language="nl-NL", search_filter=part, offset=29000,
                           size=1000)
        call = f"{'Class' if kind is EtimKind.CLASS else kind.value.capitalize()}/Search"
        schema = request_schema(call)
        assert schema is not None and schema_errors(schema, body) == []


def test_the_details_body_is_valid_and_an_unknown_key_is_not() -> None:
    schema = request_schema("Class/DetailsMany")
    assert schema is not None
    body = details_many_body(refs=[ClassRef(code="EC000001", version=2, description=None)], language="EN")
    assert schema_errors(schema, body) == []
    assert schema_errors(schema, {**body, "pageSize": 10}) == [("pageSize", "Could not find member 'pageSize' on "
                                                                            "the input object.")]


def test_the_fake_rejects_unknown_keys_like_the_real_api(api: tuple[FakeEtimApi, str]) -> None:
    _, url = api
    token = requests.post(token_url(url), data={"grant_type": "client_credentials", "scope": "EtimApi",
                                                "client_id": "client", "client_secret": "secret"},
                          timeout=5).json()["access_token"]
    answer = requests.post(f"{url}/api/v2/Class/Search", timeout=5, headers={"Authorization": f"Bearer {token}"},
                           json={"from": 0, "size": 10, "languagecode": "EN", "release": "ETIM-9.0"})
    assert answer.status_code == 400
    assert answer.json() == {"release": "Could not find member 'release' on the input object."}


def test_the_token_url_is_the_auth_url_plus_connect_token_unless_given_whole() -> None:
    assert token_url("https://etimauth.etim-international.com/") == \
        "https://etimauth.etim-international.com/connect/token"
    assert token_url("https://auth.example/connect/token") == "https://auth.example/connect/token"


def test_features_and_values_are_kept_in_order_number_order_whatever_the_arrays_order(
        api: tuple[FakeEtimApi, str]) -> None:
    fake, url = api
    fake.unordered_arrays = True
    client = _client(url, StepClock())
    page = client.search(kind=EtimKind.CLASS, release="ETIM-9.0", language="EN", search_filter=SearchFilter(),
                         offset=0, size=1000)

    classes = client.class_details(refs=page.classes[:10], language="EN")

    with_values = [f for cls in classes for f in cls.features if len(f.values) > 1]
    assert with_values, "the fake model has features with value lists"
    for cls in classes:
        assert [f.order for f in cls.features] == sorted(f.order for f in cls.features)
    for feature in with_values:
        assert [v.order for v in feature.values] == sorted(v.order for v in feature.values)
