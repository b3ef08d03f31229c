"""Secrets of an environment in Secrets Manager (moto): written by the API, read by task functions through
Powertools Parameters with a cache, and a secret that is not set (or deleted) is a NotFoundError."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from pimtasks.adapters.secret_store import SecretStore
from pimtasks.errors import NotFoundError


@pytest.fixture
def secrets_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield boto3.client("secretsmanager", region_name="eu-west-1")


def test_a_written_secret_is_read_back_and_kept_in_the_cache(secrets_client: Any) -> None:
    store = SecretStore(prefix="pimtasks/stack", secrets_client=secrets_client, max_age_seconds=600)
    store.put(environment="000001", name="etim-secret", value="first")

    assert store.get(environment="000001", name="etim-secret") == "first"

    # changed behind the store's back (another function): this process keeps its cached value
    secrets_client.put_secret_value(SecretId="pimtasks/stack/000001/etim-secret", SecretString="second")
    assert store.get(environment="000001", name="etim-secret") == "first"
    # a fresh reader (a cold function, or the cache expired) sees the new value
    assert SecretStore(prefix="pimtasks/stack", secrets_client=secrets_client).get(
        environment="000001", name="etim-secret") == "second"


def test_a_value_written_through_the_store_is_read_afresh(secrets_client: Any) -> None:
    store = SecretStore(prefix="pimtasks/stack", secrets_client=secrets_client, max_age_seconds=600)
    store.put(environment="000001", name="shop-token", value="old")
    assert store.get(environment="000001", name="shop-token") == "old"

    store.put(environment="000001", name="shop-token", value="new")

    assert store.get(environment="000001", name="shop-token") == "new"


def test_a_secret_never_set_or_deleted_is_not_found(secrets_client: Any) -> None:
    store = SecretStore(prefix="pimtasks/stack", secrets_client=secrets_client)
    with pytest.raises(NotFoundError, match="'missing' is not set for environment 000001"):
        store.get(environment="000001", name="missing")

    store.put(environment="000001", name="gone", value="x")
    store.delete(environment="000001", name="gone")

    with pytest.raises(NotFoundError, match="'gone' is not set"):
        store.get(environment="000001", name="gone")


def test_secrets_of_another_environment_are_not_read(secrets_client: Any) -> None:
    store = SecretStore(prefix="pimtasks/stack", secrets_client=secrets_client)
    store.put(environment="000001", name="etim-secret", value="mine")

    with pytest.raises(NotFoundError):
        store.get(environment="000002", name="etim-secret")
