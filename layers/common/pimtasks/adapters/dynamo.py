"""A thin, thread-safe DynamoDB table helper over the low-level client.

Repositories speak plain Python values (str, int, bool, Decimal, dict, list); this helper converts to and
from DynamoDB's typed JSON. boto3 *resources* are avoided on purpose: they are not thread-safe (the local
stack runs several handlers in one process) and cost more to create.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from pimtasks.adapters.aws_clients import client

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

Item = dict[str, Any]


def to_dynamo(item: Item) -> dict[str, Any]:
    """Plain values -> DynamoDB attribute values (floats become Decimal)."""
    return {key: _serializer.serialize(_decimalize(value)) for key, value in item.items()}


def from_dynamo(item: dict[str, Any]) -> Item:
    """DynamoDB attribute values -> plain values (numbers come back as int when integral)."""
    return {key: _plain(_deserializer.deserialize(value)) for key, value in item.items()}


def _decimalize(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _decimalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decimalize(v) for v in value]
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, set):
        return {_plain(v) for v in value}
    return value


def is_condition_failure(exc: ClientError) -> bool:
    """True for a failed ConditionExpression (also inside a cancelled transaction)."""
    code = exc.response.get("Error", {}).get("Code")
    return code in ("ConditionalCheckFailedException", "TransactionCanceledException")


class DynamoTable:
    """One table, addressed by name, through an injectable (lazily created) client."""

    def __init__(self, *, table_name: str, dynamodb_client: Any | None = None) -> None:
        self.name = table_name
        self._client = dynamodb_client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = client("dynamodb")
        return self._client

    def put(self, item: Item, *, condition: str | None = None, values: Item | None = None,
            names: dict[str, str] | None = None) -> None:
        kwargs: dict[str, Any] = {"TableName": self.name, "Item": to_dynamo(item)}
        _add_expression(kwargs, condition=condition, values=values, names=names)
        self.client.put_item(**kwargs)

    def get(self, key: Item, *, consistent: bool = True) -> Item | None:
        response = self.client.get_item(TableName=self.name, Key=to_dynamo(key), ConsistentRead=consistent)
        item = response.get("Item")
        return from_dynamo(item) if item else None

    def update(self, key: Item, *, update: str, condition: str | None = None, values: Item | None = None,
               names: dict[str, str] | None = None, return_new: bool = False) -> Item | None:
        kwargs: dict[str, Any] = {"TableName": self.name, "Key": to_dynamo(key), "UpdateExpression": update}
        _add_expression(kwargs, condition=condition, values=values, names=names)
        if return_new:
            kwargs["ReturnValues"] = "ALL_NEW"
        response = self.client.update_item(**kwargs)
        attributes = response.get("Attributes")
        return from_dynamo(attributes) if attributes else None

    def delete(self, key: Item, *, condition: str | None = None, values: Item | None = None) -> None:
        kwargs: dict[str, Any] = {"TableName": self.name, "Key": to_dynamo(key)}
        _add_expression(kwargs, condition=condition, values=values, names=None)
        self.client.delete_item(**kwargs)

    def query_pages(self, *, key_condition: str, values: Item, index: str | None = None,
                    forward: bool = True, limit: int | None = None, start_key: Item | None = None,
                    names: dict[str, str] | None = None,
                    filter_expression: str | None = None) -> Iterator[tuple[list[Item], Item | None]]:
        """Pages of (items, last evaluated key); stops after the first page when ``limit`` is given."""
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": key_condition,
            "ExpressionAttributeValues": to_dynamo(values),
            "ScanIndexForward": forward,
        }
        if filter_expression:
            kwargs["FilterExpression"] = filter_expression
        if names:
            kwargs["ExpressionAttributeNames"] = names
        if index:
            kwargs["IndexName"] = index
        if limit:
            kwargs["Limit"] = limit
        if start_key:
            kwargs["ExclusiveStartKey"] = to_dynamo(start_key)
        while True:
            response = self.client.query(**kwargs)
            last = response.get("LastEvaluatedKey")
            yield [from_dynamo(i) for i in response.get("Items", [])], (from_dynamo(last) if last else None)
            if not last or limit:
                return
            kwargs["ExclusiveStartKey"] = last

    def query_all(self, *, key_condition: str, values: Item, index: str | None = None,
                  filter_expression: str | None = None) -> list[Item]:
        items: list[Item] = []
        for page, _ in self.query_pages(key_condition=key_condition, values=values, index=index,
                                        filter_expression=filter_expression):
            items.extend(page)
        return items

    def transact(self, operations: list[dict[str, Any]]) -> None:
        """TransactWriteItems; operations (``Put``/``Update``/``Delete``/``ConditionCheck``) in plain values."""
        self.client.transact_write_items(TransactItems=[_typed_operation(op, self.name) for op in operations])


def batch_get_retrying(table: DynamoTable, request: dict[str, Any], *, max_attempts: int,
                       back_off: Callable[[int], None], failure: Callable[[], Exception]) -> list[dict[str, Any]]:
    """BatchGetItem (typed items) asking again for unprocessed keys, ``back_off(attempt)`` between tries;
    ``failure()`` is raised when keys are still unprocessed after ``max_attempts``."""
    items: list[dict[str, Any]] = []
    for attempt in range(max_attempts):
        response = table.client.batch_get_item(RequestItems=request)
        items.extend(response.get("Responses", {}).get(table.name, []))
        request = response.get("UnprocessedKeys") or {}
        if not request:
            return items
        back_off(attempt)
    raise failure()


def batch_write_retrying(table: DynamoTable, request: dict[str, Any], *, max_attempts: int,
                         back_off: Callable[[int], None], failure: Callable[[], Exception]) -> None:
    """BatchWriteItem (typed requests) sending unprocessed items again, like ``batch_get_retrying``."""
    for attempt in range(max_attempts):
        request = table.client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
        if not request:
            return
        back_off(attempt)
    raise failure()


def _add_expression(kwargs: dict[str, Any], *, condition: str | None, values: Item | None,
                    names: dict[str, str] | None) -> None:
    if condition:
        kwargs["ConditionExpression"] = condition
    if values:
        kwargs["ExpressionAttributeValues"] = to_dynamo(values)
    if names:
        kwargs["ExpressionAttributeNames"] = names


def _typed_operation(operation: dict[str, Any], table_name: str) -> dict[str, Any]:
    (kind, body), = operation.items()
    typed: dict[str, Any] = {"TableName": body.get("TableName", table_name)}
    for key, value in body.items():
        if key in ("Item", "Key", "ExpressionAttributeValues"):
            typed[key] = to_dynamo(value)
        elif key != "TableName":
            typed[key] = value
    return {kind: typed}
