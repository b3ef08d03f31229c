"""FTPS users in the admin table (single-table, string keys ``pk``/``sk``).

Items:
- ``FTPSUSER#<username>`` / ``FTPSUSER``: the user (environment, password hash, login state). Usernames
  are global, so a login finds its user with one GetItem and no environment.
- ``ENV#<env>`` / ``FTPSUSER#<username>``: the environment's index of its users (for listing).
Both are written and deleted together in one transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from botocore.exceptions import ClientError

from pimtasks.adapters.dynamo import DynamoTable, is_condition_failure
from pimtasks.clock import iso, parse_iso
from pimtasks.domain.ftps_user import FtpsUser
from pimtasks.errors import ConflictError, NotFoundError

_USER_SK = "FTPSUSER"
_INDEX_PREFIX = "FTPSUSER#"


def _user_key(username: str) -> dict[str, str]:
    return {"pk": f"FTPSUSER#{username}", "sk": _USER_SK}


def _index_key(environment: str, username: str) -> dict[str, str]:
    return {"pk": f"ENV#{environment}", "sk": f"{_INDEX_PREFIX}{username}"}


class FtpsUserRepository:
    """Implements ``pimtasks.services.ftps_users.FtpsUserStore`` on DynamoDB."""

    def __init__(self, *, table: DynamoTable) -> None:
        self._table = table

    def create(self, user: FtpsUser) -> None:
        """Store a new user; ``ConflictError`` when the username is taken in any environment."""
        try:
            self._table.transact([
                {"Put": {"Item": _user_item(user), "ConditionExpression": "attribute_not_exists(pk)"}},
                {"Put": {"Item": {**_index_key(user.environment, user.username), "username": user.username,
                                  "created_at": iso(user.created_at)}}},
            ])
        except ClientError as exc:
            if is_condition_failure(exc):
                raise ConflictError(f"FTPS username {user.username} is already taken") from exc
            raise

    def find(self, username: str) -> FtpsUser | None:
        item = self._table.get(_user_key(username))
        return _user(item) if item else None

    def list_for_environment(self, environment: str) -> list[FtpsUser]:
        listed = self._table.query_all(key_condition="pk = :pk AND begins_with(sk, :prefix)",
                                       values={":pk": f"ENV#{environment}", ":prefix": _INDEX_PREFIX})
        found = (self.find(str(item["username"])) for item in listed)
        return [user for user in found if user is not None and user.environment == environment]

    def delete(self, *, environment: str, username: str) -> None:
        """Delete a user of ``environment``; ``NotFoundError`` if there is none (or it is another's)."""
        try:
            self._table.transact([
                {"Delete": {"Key": _user_key(username), "ConditionExpression": "environment = :env",
                            "ExpressionAttributeValues": {":env": environment}}},
                {"Delete": {"Key": _index_key(environment, username)}},
            ])
        except ClientError as exc:
            if is_condition_failure(exc):
                raise NotFoundError(f"FTPS user {username} not found") from exc
            raise

    def set_password(self, *, environment: str, username: str, password_hash: str, changed_at: dt.datetime) -> None:
        """Replace the password hash and clear the login failures and any lockout."""
        try:
            self._table.update(
                _user_key(username),
                update="SET password_hash = :hash, password_changed_at = :at, failed_attempts = :zero "
                       "REMOVE locked_until, last_failed_at",
                condition="environment = :env",
                values={":hash": password_hash, ":at": iso(changed_at), ":zero": 0, ":env": environment},
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                raise NotFoundError(f"FTPS user {username} not found") from exc
            raise

    def reserve_attempt(self, *, username: str, at: dt.datetime, counting_since: dt.datetime,
                        max_attempts: int) -> int | None:
        """Count one more login attempt, atomically, if one may start; its number, or None when none may.

        Two conditional updates, so that concurrent logins are serialised by DynamoDB itself:
        - *continue*: below ``max_attempts``, no lock, the last attempt at or after ``counting_since``:
          ``ADD`` one (the new count comes back, so every caller gets a number of its own);
        - *fresh start*: an expired lock, or no attempt since ``counting_since``: the count becomes 1.
        None when neither held when it was tried (a lock, the attempts used up, the user gone, or a
        concurrent change between the two: the caller reads again and decides).
        """
        key = _user_key(username)
        values: dict[str, Any] = {":one": 1, ":at": iso(at), ":since": iso(counting_since)}
        try:
            updated = self._table.update(
                key, update="ADD failed_attempts :one SET last_failed_at = :at",
                condition="attribute_exists(pk) AND attribute_not_exists(locked_until) "
                          "AND last_failed_at >= :since AND failed_attempts < :max",
                values={**values, ":max": max_attempts}, return_new=True)
            return int(updated["failed_attempts"]) if updated else None
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
        try:
            self._table.update(
                key, update="SET failed_attempts = :one, last_failed_at = :at REMOVE locked_until",
                condition="attribute_exists(pk) AND (locked_until <= :at OR (attribute_not_exists(locked_until) "
                          "AND (attribute_not_exists(last_failed_at) OR last_failed_at < :since)))",
                values=values)
        except ClientError as exc:
            if is_condition_failure(exc):
                return None
            raise
        return 1

    def lock(self, *, username: str, until: dt.datetime, max_attempts: int) -> None:
        """Lock the account until ``until``, unless a success or reset cleared its attempts meanwhile."""
        try:
            self._table.update(_user_key(username), update="SET locked_until = :until",
                               condition="attribute_exists(pk) AND failed_attempts >= :max",
                               values={":until": iso(until), ":max": max_attempts})
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise

    def record_success(self, *, username: str, at: dt.datetime, source_ip: str,
                       password_hash: str | None = None) -> None:
        """Clear the failures, note the login, and store an upgraded hash when given."""
        update = "SET failed_attempts = :zero, last_login_at = :at, last_login_ip = :ip"
        values: dict[str, Any] = {":zero": 0, ":at": iso(at), ":ip": source_ip}
        if password_hash is not None:
            update += ", password_hash = :hash"
            values[":hash"] = password_hash
        try:
            self._table.update(_user_key(username), update=update + " REMOVE locked_until, last_failed_at",
                               values=values, condition="attribute_exists(pk)")
        except ClientError as exc:
            if not is_condition_failure(exc):
                raise
            # Deleted between the password check and now: the login itself already succeeded.


def _user_item(user: FtpsUser) -> dict[str, Any]:
    item: dict[str, Any] = {
        **_user_key(user.username),
        "username": user.username,
        "environment": user.environment,
        "password_hash": user.password_hash,
        "created_at": iso(user.created_at),
        "password_changed_at": iso(user.password_changed_at),
        "failed_attempts": user.failed_attempts,
    }
    optional = {"last_failed_at": user.last_failed_at, "locked_until": user.locked_until,
                "last_login_at": user.last_login_at}
    item.update({name: iso(value) for name, value in optional.items() if value is not None})
    return item


def _optional_time(item: dict[str, Any], name: str) -> dt.datetime | None:
    value = item.get(name)
    return parse_iso(str(value)) if value else None


def _user(item: dict[str, Any]) -> FtpsUser:
    return FtpsUser(
        username=item["username"],
        environment=item["environment"],
        password_hash=item["password_hash"],
        created_at=parse_iso(item["created_at"]),
        password_changed_at=parse_iso(item["password_changed_at"]),
        failed_attempts=int(item.get("failed_attempts", 0)),
        last_failed_at=_optional_time(item, "last_failed_at"),
        locked_until=_optional_time(item, "locked_until"),
        last_login_at=_optional_time(item, "last_login_at"),
    )
