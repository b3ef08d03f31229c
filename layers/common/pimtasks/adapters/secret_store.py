"""Credentials of outside systems in Secrets Manager, under ``<prefix>/<env>/<name>``.

The API only ever writes them; task functions read them at run time, through Powertools Parameters'
``SecretsProvider``, which keeps each value ``max_age_seconds`` (a run's many logins, and the runs of a warm
function, read Secrets Manager once a minute at most; a changed value reaches warm functions within that time).
Scoping the name by environment means a task can only resolve secrets of its own environment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from pimtasks.adapters.aws_clients import client
from pimtasks.errors import NotFoundError

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

SECRET_MAX_AGE_SECONDS = 60
# Reading one marked for deletion (within its recovery window) is an InvalidRequestException: for a task it is
# as gone as one never set.
_GONE = ("ResourceNotFoundException", "InvalidRequestException")


class SecretStore:
    def __init__(self, *, prefix: str, secrets_client: Any | None = None,
                 max_age_seconds: int = SECRET_MAX_AGE_SECONDS) -> None:
        self._prefix = prefix
        self._client = secrets_client
        self._max_age = max_age_seconds
        self._provider: SecretsProvider | None = None

    @property
    def _secrets(self) -> Any:
        if self._client is None:
            self._client = client("secretsmanager")
        return self._client

    @property
    def _reader(self) -> SecretsProvider:
        """The cached reader, over the same client (imported on first read: only task functions read)."""
        if self._provider is None:
            from aws_lambda_powertools.utilities.parameters import SecretsProvider

            self._provider = SecretsProvider(boto3_client=self._secrets)
        return self._provider

    def _forget(self) -> None:
        """A value this process wrote or deleted is read afresh (the local stack runs API and tasks together)."""
        if self._provider is not None:
            self._provider.clear_cache()

    def secret_id(self, *, environment: str, name: str) -> str:
        return f"{self._prefix}/{environment}/{name}"

    def put(self, *, environment: str, name: str, value: str) -> None:
        """Set the value; a secret deleted within its recovery window is restored first (set it again)."""
        self._forget()
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
        self._forget()
        try:
            self._secrets.delete_secret(SecretId=self.secret_id(environment=environment, name=name),
                                        RecoveryWindowInDays=7)
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in ("ResourceNotFoundException", "InvalidRequestException"):
                raise

    def get(self, *, environment: str, name: str) -> str:
        """The secret's value (cached for ``max_age_seconds``); ``NotFoundError`` when it is not set."""
        from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

        try:
            value = self._reader.get(self.secret_id(environment=environment, name=name), max_age=self._max_age)
        except GetParameterError as exc:
            # Powertools wraps the SDK's error (raised while handling it): the ClientError is the context.
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, ClientError) and cause.response["Error"]["Code"] in _GONE:
                raise NotFoundError(f"secret {name!r} is not set for environment {environment}") from exc
            raise
        return value if isinstance(value, str) else bytes(value or b"").decode()
