"""Credentials of outside systems in Secrets Manager, under ``<prefix>/<env>/<name>``.

The API only ever writes them; task functions read them at run time. Scoping the name by environment
means a task can only resolve secrets of its own environment.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from pimtasks.adapters.aws_clients import client
from pimtasks.errors import NotFoundError


class SecretStore:
    def __init__(self, *, prefix: str, secrets_client: Any | None = None) -> None:
        self._prefix = prefix
        self._client = secrets_client

    @property
    def _secrets(self) -> Any:
        if self._client is None:
            self._client = client("secretsmanager")
        return self._client

    def secret_id(self, *, environment: str, name: str) -> str:
        return f"{self._prefix}/{environment}/{name}"

    def put(self, *, environment: str, name: str, value: str) -> None:
        """Set the value; a secret deleted within its recovery window is restored first (set it again)."""
        secret_id = self.secret_id(environment=environment, name=name)
        try:
            self._secrets.put_secret_value(SecretId=secret_id, SecretString=value)
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            if code == "InvalidRequestException":  # marked for deletion: bring it back, then write
                self._secrets.restore_secret(SecretId=secret_id)
                self._secrets.put_secret_value(SecretId=secret_id, SecretString=value)
                return
            if code != "ResourceNotFoundException":
                raise
            self._secrets.create_secret(Name=secret_id, SecretString=value,
                                        Tags=[{"Key": "pimtasks:environment", "Value": environment}])

    def delete(self, *, environment: str, name: str) -> None:
        """Schedule the secret's deletion; deleting one that is gone (or already scheduled) is a no-op."""
        try:
            self._secrets.delete_secret(SecretId=self.secret_id(environment=environment, name=name),
                                        RecoveryWindowInDays=7)
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in ("ResourceNotFoundException", "InvalidRequestException"):
                raise

    def get(self, *, environment: str, name: str) -> str:
        try:
            response = self._secrets.get_secret_value(SecretId=self.secret_id(environment=environment, name=name))
        except ClientError as exc:
            # A secret deleted through the API waits out its recovery window "marked for deletion", and
            # reading it is an InvalidRequestException: for a task it is as gone as one never set.
            if exc.response["Error"]["Code"] in ("ResourceNotFoundException", "InvalidRequestException"):
                raise NotFoundError(f"secret {name!r} is not set for environment {environment}") from exc
            raise
        return str(response["SecretString"])
