"""AWS Transfer Family custom identity provider: the request it sends and the answer it expects.

On success the answer gives Transfer Family the IAM role to act with, a logical home directory that shows
only the environment's ``Uploads``, ``Archived`` and ``Downloads`` folders, and a session policy that
narrows the role to exactly those prefixes: all three readable, and writable only the folders
``Uploads/<Import>/`` of imports open to FTPS upload (``services.upload_channels``). The policy is made at
login, so a changed ``ftps_upload`` applies from the next login on. On failure the answer is an empty
object, which Transfer Family reads as "access denied".

A session policy is at most ``MAX_SESSION_POLICY_CHARS`` characters. With a bucket name of ~40 characters
that leaves room for about ten import folders of ~20 characters open to FTPS in one environment; beyond
that ``SessionPolicyTooLongError`` is raised (fail closed: the login is refused, never widened).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pimtasks.domain.ftps_user import FTPS_FOLDERS, WRITABLE_FOLDER, FtpsLogin
from pimtasks.errors import PimtasksError
from pimtasks.services.upload_channels import ImportFolders, UploadChannel

SUPPORTED_PROTOCOLS = frozenset({"FTPS"})
"""Only FTPS is offered; an SFTP or plain-FTP request to the same provider is refused."""

DENIED: dict[str, Any] = {}

MAX_SESSION_POLICY_CHARS = 2048
"""STS's limit for an inline session policy, which Transfer Family passes on."""

_WRITE_ACTIONS = ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:AbortMultipartUpload"]


class SessionPolicyTooLongError(PimtasksError):
    """The environment opens more import folders to FTPS than one session policy can name."""

    def __init__(self, *, environment: str, length: int, folders: int) -> None:
        super().__init__(f"session policy for environment {environment} would be {length} characters "
                         f"(limit {MAX_SESSION_POLICY_CHARS}) with {folders} import folders open to FTPS upload")
        self.environment = environment
        self.length = length
        self.folders = folders


class TransferIdentityRequest(BaseModel):
    """The event Transfer Family sends to a Lambda identity provider."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    username: str = Field(min_length=1, max_length=200)
    password: str = Field(default="", max_length=1024, repr=False)
    protocol: str
    server_id: str = Field(default="", alias="serverId")
    source_ip: str = Field(default="", alias="sourceIp")


def environment_prefix(environment: str) -> str:
    return f"environments/{environment}"


def home_directory_details(*, bucket: str, environment: str) -> list[dict[str, str]]:
    """The logical home: one entry per visible folder, nothing else of the environment."""
    prefix = environment_prefix(environment)
    return [{"Entry": f"/{folder}", "Target": f"/{bucket}/{prefix}/{folder}"} for folder in FTPS_FOLDERS]


def _partition(role_arn: str) -> str:
    parts = role_arn.split(":")
    return parts[1] if len(parts) > 2 and parts[0] == "arn" else "aws"


def session_policy(*, bucket: str, environment: str, ftps_imports: Sequence[str],
                   partition: str = "aws") -> dict[str, Any]:
    """The session policy: list and read the visible folders, write only in ``Uploads/<Import>/`` of
    ``ftps_imports`` (no write statement at all when there is none)."""
    prefix = environment_prefix(environment)
    bucket_arn = f"arn:{partition}:s3:::{bucket}"
    listable = [value for folder in FTPS_FOLDERS for value in (f"{prefix}/{folder}/*", f"{prefix}/{folder}")]
    statements: list[dict[str, Any]] = [
        {"Sid": "ListVisibleFolders", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": bucket_arn,
         "Condition": {"StringLike": {"s3:prefix": listable}}},
        {"Sid": "ReadVisibleFolders", "Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion"],
         "Resource": [f"{bucket_arn}/{prefix}/{folder}/*" for folder in FTPS_FOLDERS]},
    ]
    if ftps_imports:
        statements.append({"Sid": "WriteFtpsImports", "Effect": "Allow", "Action": _WRITE_ACTIONS,
                           "Resource": [f"{bucket_arn}/{prefix}/{WRITABLE_FOLDER}/{name}/*"
                                        for name in sorted(ftps_imports)]})
    return {"Version": "2012-10-17", "Statement": statements}


def transfer_identity_response(login: FtpsLogin, *, imports: ImportFolders, bucket: str,
                               role_arn: str) -> dict[str, Any]:
    """The answer for a successful login (Transfer Family wants the JSON parts as strings).

    ``imports`` are the login's environment's imports; raises ``SessionPolicyTooLongError`` when the
    policy would not fit.
    """
    ftps_imports = imports.accepting(UploadChannel.FTPS)
    policy = json.dumps(session_policy(bucket=bucket, environment=login.environment, ftps_imports=ftps_imports,
                                       partition=_partition(role_arn)), separators=(",", ":"))
    if len(policy) > MAX_SESSION_POLICY_CHARS:
        raise SessionPolicyTooLongError(environment=login.environment, length=len(policy),
                                        folders=len(ftps_imports))
    return {
        "Role": role_arn,
        "HomeDirectoryType": "LOGICAL",
        "HomeDirectoryDetails": json.dumps(home_directory_details(bucket=bucket, environment=login.environment),
                                           separators=(",", ":")),
        "Policy": policy,
    }
