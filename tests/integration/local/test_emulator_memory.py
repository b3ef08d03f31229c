"""The local stack's emulator keeps what is stored, not every object it ever made on the way."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from typing import Any

import pytest
from moto.backends import get_backend
from pimtasks_local.emulator import Emulator


@pytest.fixture
def dynamodb() -> Iterator[tuple[Any, Any]]:
    """A DynamoDB table ``items`` in a started emulator (port 0), its client and its in-process table."""
    emulator = Emulator(port=0).start(environ={})
    try:
        client = emulator.clients()("dynamodb")
        client.create_table(TableName="items", BillingMode="PAY_PER_REQUEST",
                            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
        yield client, get_backend("dynamodb")[emulator.account_id][emulator.region].tables["items"]
    finally:
        emulator.stop()


def test_an_item_replaced_or_read_leaves_no_copy_behind(dynamodb: tuple[Any, Any]) -> None:
    client, table = dynamodb
    # Given a stored item
    client.put_item(TableName="items", Item={"pk": {"S": "A-1"}, "price": {"N": "1"}, "name": {"S": "Kabel"}})
    [stored] = table.items.values()
    first = weakref.ref(stored)
    del stored

    # When it is replaced, and the new one is read with a projection (which copies it) again and again
    client.put_item(TableName="items", Item={"pk": {"S": "A-1"}, "price": {"N": "2"}, "name": {"S": "Kabel"}})
    for _ in range(3):
        answer = client.batch_get_item(RequestItems={"items": {"Keys": [{"pk": {"S": "A-1"}}],
                                                               "ProjectionExpression": "price"}})
        assert answer["Responses"]["items"] == [{"price": {"N": "2"}}]

    # Then the replaced item is gone: nothing the emulator made on the way is kept
    gc.collect()
    assert first() is None
