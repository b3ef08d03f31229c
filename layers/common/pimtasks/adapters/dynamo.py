"""A thin, thread-safe DynamoDB table helper over the low-level client.

Repositories speak plain Python values (str, int, bool, Decimal, dict, list); this helper converts to and
from DynamoDB's typed JSON. boto3 *resources* are avoided on purpose: they are not thread-safe (the local
stack runs several handlers in one process) and cost more to create.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from pimtasks.adapters.aws_clients import client

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


Item = dict[str, Any]
WRITE_BATCH = 25
READ_BATCH = 100


class UnprocessedItemsError(RuntimeError):
    """DynamoDB kept leaving part of a batch unprocessed after every retry (sustained throttling)."""


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
                    filter_expression: str | None = None,
                    consistent: bool = False) -> Iterator[tuple[list[Item], Item | None]]:
        """Pages of (items, last evaluated key); stops after the first page when ``limit`` is given.

        ``consistent`` reads the base table strongly consistent (not possible on a global index)."""
        kwargs: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": key_condition,
            "ExpressionAttributeValues": to_dynamo(values),
            "ScanIndexForward": forward,
        }
        if filter_expression:
            kwargs["FilterExpression"] = filter_expression
        if consistent:
            kwargs["ConsistentRead"] = True
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
                  filter_expression: str | None = None, consistent: bool = False) -> list[Item]:
        items: list[Item] = []
        for page, _ in self.query_pages(key_condition=key_condition, values=values, index=index,
                                        filter_expression=filter_expression, consistent=consistent):
            items.extend(page)
        return items

    def write_many(self, *, puts: Sequence[Item] = (), deletes: Sequence[Item] = (),
                   sleep: Callable[[float], None] = time.sleep, max_attempts: int = 10) -> int:
        """BatchWriteItem of whole items and keys, 25 per request, unprocessed ones retried with backoff.

        Not atomic: a caller that needs all-or-nothing makes the items unreachable until a last single write.
        Returns the number of items written.
        """
        requests = [{"PutRequest": {"Item": to_dynamo(item)}} for item in puts]
        requests += [{"DeleteRequest": {"Key": to_dynamo(key)}} for key in deletes]
        for start in range(0, len(requests), WRITE_BATCH):
            batch_write_retrying(self, {self.name: requests[start:start + WRITE_BATCH]}, max_attempts=max_attempts,
                                 back_off=lambda attempt: sleep(_backoff_seconds(attempt)),
                                 failure=lambda: UnprocessedItemsError(
                                     f"{self.name}: writes still unprocessed after {max_attempts} attempts"))
        return len(requests)

    def get_many(self, keys: Sequence[Item], *, consistent: bool = True, projection: str | None = None,
                 names: dict[str, str] | None = None, sleep: Callable[[float], None] = time.sleep,
                 max_attempts: int = 10) -> list[Item]:
        """BatchGetItem of ``keys`` (distinct), 100 per request, in no particular order; keys DynamoDB leaves
        unprocessed (throttling) are asked again with a back-off; absent ones are simply missing."""
        found: list[Item] = []
        for start in range(0, len(keys), READ_BATCH):
            request: dict[str, Any] = {"Keys": [to_dynamo(key) for key in keys[start:start + READ_BATCH]],
                                       "ConsistentRead": consistent}
            if projection:
                request["ProjectionExpression"] = projection
            if names:
                request["ExpressionAttributeNames"] = names
            items = batch_get_retrying(self, {self.name: request}, max_attempts=max_attempts,
                                       back_off=lambda attempt: sleep(_backoff_seconds(attempt)),
                                       failure=lambda: UnprocessedItemsError(
                                           f"{self.name}: reads still unprocessed after {max_attempts} attempts"))
            found.extend(from_dynamo(item) for item in items)
        return found

    def transact(self, operations: list[dict[str, Any]]) -> None:
        """TransactWriteItems; operations (``Put``/``Update``/``Delete``/``ConditionCheck``) in plain values."""
        self.client.transact_write_items(TransactItems=[_typed_operation(op, self.name) for op in operations])


def put_if_current(table: DynamoTable, item: Item, *, attribute: str, expected: str | None) -> bool:
    """Put ``item`` if the stored one's ``attribute`` is still ``expected`` (None: if there is none yet); False
    when someone else replaced it meanwhile (a compare-and-swap of a pointer item)."""
    if expected is None:
        condition, values = "attribute_not_exists(pk)", None
    else:
        condition, values = f"{attribute} = :expected", {":expected": expected}
    try:
        table.put(item, condition=condition, values=values)
    except ClientError as exc:
        if is_condition_failure(exc):
            return False
        raise
    return True


def _backoff_seconds(attempt: int) -> float:
    return min(0.05 * 2 ** attempt, 5.0)


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
