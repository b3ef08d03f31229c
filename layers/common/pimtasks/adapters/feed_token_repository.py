"""Feed tokens in the admin table (``FeedTokenStore``): ``ENV#<env>/FEEDTOKEN#<feed>`` holds the SHA-256 of
the feed's token, never the token. The authorizer reads it (it may read the admin table already)."""

from __future__ import annotations

import datetime as dt

from botocore.exceptions import ClientError

from pimtasks.adapters.dynamo import DynamoTable, is_condition_failure
from pimtasks.clock import iso


def _key(environment: str, feed: str) -> dict[str, str]:
    return {"pk": f"ENV#{environment}", "sk": f"FEEDTOKEN#{feed}"}


class FeedTokenRepository:
    def __init__(self, *, table: DynamoTable) -> None:
        self._table = table

    def put_token_hash(self, *, environment: str, feed: str, token_hash: str, created_at: dt.datetime) -> None:
        self._table.put({**_key(environment, feed), "environment": environment, "feed": feed,
                         "token_hash": token_hash, "created_at": iso(created_at)})

    def token_hash(self, *, environment: str, feed: str) -> str | None:
        item = self._table.get(_key(environment, feed))
        return str(item["token_hash"]) if item else None

    def delete_token(self, *, environment: str, feed: str) -> bool:
        try:
            self._table.delete(_key(environment, feed), condition="attribute_exists(pk)")
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True
