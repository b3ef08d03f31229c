"""The emulator's constant-cost DynamoDB transactions keep moto's semantics: all or nothing, reasons in order."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from pimtasks_local import moto_transactions

TABLE = "transactions"


@pytest.fixture
def dynamodb(aws: Callable[[str], Any]) -> Iterator[Any]:
    moto_transactions.install()
    client = aws("dynamodb")
    client.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                   {"AttributeName": "sk", "KeyType": "RANGE"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                              {"AttributeName": "sk", "AttributeType": "S"}])
    for index in range(50):
        client.put_item(TableName=TABLE, Item={"pk": {"S": f"other-{index}"}, "sk": {"S": "x"}})
    yield client
    moto_transactions.uninstall()


def item(client: Any, pk: str) -> dict[str, Any] | None:
    return client.get_item(TableName=TABLE, Key={"pk": {"S": pk}, "sk": {"S": "x"}}).get("Item")


def put(pk: str, **extra: Any) -> dict[str, Any]:
    return {"Put": {"TableName": TABLE, "Item": {"pk": {"S": pk}, "sk": {"S": "x"}, "v": {"S": "new"}}, **extra}}


def test_a_transaction_whose_condition_fails_changes_nothing_and_says_which_failed(dynamodb: Any) -> None:
    # given an item the transaction updates and one whose condition will fail
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "counter"}, "sk": {"S": "x"}, "n": {"N": "1"}})
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "taken"}, "sk": {"S": "x"}, "v": {"S": "old"}})

    # when a transaction puts a new item, updates the counter and puts over the taken one
    with pytest.raises(ClientError) as raised:
        dynamodb.transact_write_items(TransactItems=[
            put("fresh", ConditionExpression="attribute_not_exists(pk)"),
            {"Update": {"TableName": TABLE, "Key": {"pk": {"S": "counter"}, "sk": {"S": "x"}},
                        "UpdateExpression": "SET n = n + :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}},
            put("taken", ConditionExpression="attribute_not_exists(pk)"),
        ])

    # then it is cancelled with the reasons in order, and no item changed
    reasons = [reason["Code"] for reason in raised.value.response["CancellationReasons"]]
    assert reasons == ["None", "None", "ConditionalCheckFailed"]
    assert item(dynamodb, "fresh") is None
    assert (item(dynamodb, "counter") or {})["n"] == {"N": "1"}
    assert (item(dynamodb, "taken") or {})["v"] == {"S": "old"}


def test_a_transaction_whose_conditions_hold_writes_every_item(dynamodb: Any) -> None:
    dynamodb.transact_write_items(TransactItems=[put("a", ConditionExpression="attribute_not_exists(pk)"),
                                                 put("b")])

    assert (item(dynamodb, "a") or {})["v"] == {"S": "new"} and (item(dynamodb, "b") or {})["v"] == {"S": "new"}
    assert item(dynamodb, "other-7") is not None


def test_two_operations_on_one_item_are_refused_and_change_nothing(dynamodb: Any) -> None:
    with pytest.raises(ClientError) as raised:
        dynamodb.transact_write_items(TransactItems=[put("same"), put("same")])

    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert item(dynamodb, "same") is None
