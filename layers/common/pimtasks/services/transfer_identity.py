"""AWS Transfer Family custom identity provider: the request it sends and the answer it expects.

On success the answer gives Transfer Family the IAM role to act with, a logical home directory that shows
only the environment's ``Uploads``, ``Archived`` and ``Downloads`` folders, and a session policy that
narrows the role to exactly those prefixes (``Uploads`` writable, the rest read-only). On failure the
answer is an empty object, which Transfer Family reads as "access denied".
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pimtasks.domain.ftps_user import FTPS_FOLDERS, WRITABLE_FOLDER, FtpsLogin

SUPPORTED_PROTOCOLS = frozenset({"FTPS"})
"""Only FTPS is offered; an SFTP or plain-FTP request to the same provider is refused."""

DENIED: dict[str, Any] = {}


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


def session_policy(*, bucket: str, environment: str, partition: str = "aws") -> dict[str, Any]:
    """The session policy: list and read the visible folders, write only in ``Uploads``."""
    prefix = environment_prefix(environment)
    bucket_arn = f"arn:{partition}:s3:::{bucket}"
    listable = [value for folder in FTPS_FOLDERS for value in (f"{prefix}/{folder}/*", f"{prefix}/{folder}")]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ListVisibleFolders", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": bucket_arn,
             "Condition": {"StringLike": {"s3:prefix": listable}}},
            {"Sid": "ReadVisibleFolders", "Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion"],
             "Resource": [f"{bucket_arn}/{prefix}/{folder}/*" for folder in FTPS_FOLDERS]},
            {"Sid": "WriteUploads", "Effect": "Allow",
             "Action": ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:AbortMultipartUpload"],
             "Resource": f"{bucket_arn}/{prefix}/{WRITABLE_FOLDER}/*"},
        ],
    }


def transfer_identity_response(login: FtpsLogin, *, bucket: str, role_arn: str) -> dict[str, Any]:
    """The answer for a successful login (Transfer Family wants the JSON parts as strings)."""
    policy = session_policy(bucket=bucket, environment=login.environment, partition=_partition(role_arn))
    return {
        "Role": role_arn,
        "HomeDirectoryType": "LOGICAL",
        "HomeDirectoryDetails": json.dumps(home_directory_details(bucket=bucket, environment=login.environment),
                                           separators=(",", ":")),
        "Policy": json.dumps(policy, separators=(",", ":")),
    }
