"""Environments, API keys and the secret index in the admin table.

Items: ``ENV#<env>/ENV`` (an environment), ``APIKEY#<key_id>/APIKEY`` (a key: only its hash),
``ENV#<env>/SECRET#<name>`` (that a secret exists and when it was set; the value lives in Secrets Manager).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from pimtasks.adapters.dynamo import DynamoTable, is_condition_failure
from pimtasks.clock import iso, parse_iso
from pimtasks.domain.environment import ApiKey, Environment
from pimtasks.errors import ConflictError, NotFoundError

ENVIRONMENTS_PK = "ENVIRONMENTS"


class AdminRepository:
    def __init__(self, *, table: DynamoTable) -> None:
        self._table = table

    # --- environments -------------------------------------------------------------------------
    def create_environment(self, environment: Environment) -> None:
        item = {
            "pk": f"ENV#{environment.environment}",
            "sk": "ENV",
            # A second, tiny listing partition: environments are few (hundreds), so no hot key.
            "list_pk": ENVIRONMENTS_PK,
            "environment": environment.environment,
            "name": environment.name,
            "timezone": environment.timezone,
            "created_at": iso(environment.created_at),
        }
        try:
            self._table.put(item, condition="attribute_not_exists(pk)")
            self._table.put({"pk": ENVIRONMENTS_PK, "sk": environment.environment, "name": environment.name})
        except ClientError as exc:
            if is_condition_failure(exc):
                raise ConflictError(f"environment {environment.environment} already exists") from exc
            raise

    def find_environment(self, environment: str) -> Environment | None:
        item = self._table.get({"pk": f"ENV#{environment}", "sk": "ENV"})
        return _environment(item) if item else None

    def get_environment(self, environment: str) -> Environment:
        found = self.find_environment(environment)
        if found is None:
            raise NotFoundError(f"environment {environment} not found")
        return found

    def list_environments(self) -> list[Environment]:
        listed = self._table.query_all(key_condition="pk = :pk", values={":pk": ENVIRONMENTS_PK})
        found = (self.find_environment(str(item["sk"])) for item in listed)
        return [env for env in found if env is not None]

    # --- API keys -----------------------------------------------------------------------------
    def put_api_key(self, key: ApiKey) -> None:
        self._table.put(
            {
                "pk": f"APIKEY#{key.key_id}",
                "sk": "APIKEY",
                "key_id": key.key_id,
                "key_hash": key.key_hash,
                "environments": list(key.environments),
                "admin": key.admin,
                "description": key.description,
                "created_at": iso(key.created_at),
            },
            condition="attribute_not_exists(pk)",
        )
        self._table.put({"pk": "APIKEYS", "sk": key.key_id})

    def find_api_key(self, key_id: str) -> ApiKey | None:
        item = self._table.get({"pk": f"APIKEY#{key_id}", "sk": "APIKEY"}, consistent=False)
        return _api_key(item) if item else None

    def list_api_keys(self) -> list[ApiKey]:
        listed = self._table.query_all(key_condition="pk = :pk", values={":pk": "APIKEYS"})
        found = (self.find_api_key(str(item["sk"])) for item in listed)
        return [key for key in found if key is not None]

    def delete_api_key(self, key_id: str) -> None:
        try:
            self._table.delete({"pk": f"APIKEY#{key_id}", "sk": "APIKEY"}, condition="attribute_exists(pk)")
        except ClientError as exc:
            if is_condition_failure(exc):
                raise NotFoundError(f"API key {key_id} not found") from exc
            raise
        self._table.delete({"pk": "APIKEYS", "sk": key_id})

    # --- secret index -------------------------------------------------------------------------
    def record_secret(self, *, environment: str, name: str, updated_at: str) -> None:
        self._table.put({"pk": f"ENV#{environment}", "sk": f"SECRET#{name}", "name": name, "updated_at": updated_at})

    def forget_secret(self, *, environment: str, name: str) -> None:
        self._table.delete({"pk": f"ENV#{environment}", "sk": f"SECRET#{name}"})

    def list_secrets(self, *, environment: str) -> list[dict[str, Any]]:
        items = self._table.query_all(
            key_condition="pk = :pk AND begins_with(sk, :prefix)",
            values={":pk": f"ENV#{environment}", ":prefix": "SECRET#"},
        )
        return [{"name": item["name"], "updated_at": item["updated_at"]} for item in items]


def _environment(item: dict[str, Any]) -> Environment:
    return Environment(
        environment=item["environment"],
        name=item["name"],
        timezone=item["timezone"],
        created_at=parse_iso(item["created_at"]),
    )


def _api_key(item: dict[str, Any]) -> ApiKey:
    return ApiKey(
        key_id=item["key_id"],
        key_hash=item["key_hash"],
        environments=tuple(item.get("environments", [])),
        admin=bool(item.get("admin", False)),
        description=item.get("description", ""),
        created_at=parse_iso(item["created_at"]),
    )
