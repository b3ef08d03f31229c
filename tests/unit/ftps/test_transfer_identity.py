"""The AWS Transfer Family identity provider's answer: role, logical home, scoped session policy."""

from __future__ import annotations

import fnmatch
import json

from pimtasks.domain.ftps_user import FtpsLogin
from pimtasks.services.transfer_identity import TransferIdentityRequest, transfer_identity_response

BUCKET = "pimtasks-files-123456789012-eu-west-1"
ROLE = "arn:aws:iam::123456789012:role/pimtasks-ftps-user"


def _answer() -> dict[str, object]:
    return transfer_identity_response(FtpsLogin(username="acme", environment="000001"), bucket=BUCKET, role_arn=ROLE)


def _allowed(policy: dict[str, object], action: str, resource: str, prefix: str | None = None) -> bool:
    for statement in policy["Statement"]:  # type: ignore[attr-defined]
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        if action not in actions or not any(fnmatch.fnmatchcase(resource, r) for r in resources):
            continue
        condition = statement.get("Condition", {}).get("StringLike", {}).get("s3:prefix")
        if condition is None or (prefix is not None and any(fnmatch.fnmatchcase(prefix, c) for c in condition)):
            return True
    return False


def test_the_home_shows_only_the_three_folders_of_the_environment() -> None:
    answer = _answer()
    assert answer["Role"] == ROLE and answer["HomeDirectoryType"] == "LOGICAL"
    assert json.loads(str(answer["HomeDirectoryDetails"])) == [
        {"Entry": "/Uploads", "Target": f"/{BUCKET}/environments/000001/Uploads"},
        {"Entry": "/Archived", "Target": f"/{BUCKET}/environments/000001/Archived"},
        {"Entry": "/Downloads", "Target": f"/{BUCKET}/environments/000001/Downloads"},
    ]


def test_the_session_policy_allows_writes_only_in_uploads_and_nothing_outside_the_environment() -> None:
    policy = json.loads(str(_answer()["Policy"]))
    assert len(str(_answer()["Policy"])) <= 2048  # Transfer Family's limit for session policies
    obj = f"arn:aws:s3:::{BUCKET}/environments/"
    assert _allowed(policy, "s3:PutObject", obj + "000001/Uploads/Imp/a.csv")
    assert _allowed(policy, "s3:DeleteObject", obj + "000001/Uploads/Imp/a.csv")
    assert _allowed(policy, "s3:GetObject", obj + "000001/Archived/Imp/a.csv")
    assert not _allowed(policy, "s3:PutObject", obj + "000001/Archived/Imp/a.csv")
    assert not _allowed(policy, "s3:DeleteObject", obj + "000001/Downloads/a.csv")
    assert not _allowed(policy, "s3:GetObject", obj + "000001/Failed/a.csv")
    assert not _allowed(policy, "s3:GetObject", obj + "000002/Uploads/Imp/a.csv")
    assert not _allowed(policy, "s3:PutObject", obj + "000002/Uploads/Imp/a.csv")
    assert _allowed(policy, "s3:ListBucket", f"arn:aws:s3:::{BUCKET}", "environments/000001/Uploads/Imp/")
    assert not _allowed(policy, "s3:ListBucket", f"arn:aws:s3:::{BUCKET}", "environments/000002/Uploads/")
    assert not _allowed(policy, "s3:ListBucket", f"arn:aws:s3:::{BUCKET}", "environments/")


def test_the_partition_follows_the_role() -> None:
    answer = transfer_identity_response(FtpsLogin(username="acme", environment="000001"), bucket=BUCKET,
                                        role_arn="arn:aws-cn:iam::123456789012:role/r")
    assert "arn:aws-cn:s3:::" in str(answer["Policy"])


def test_the_request_reads_transfer_family_field_names_and_hides_the_password() -> None:
    request = TransferIdentityRequest.model_validate({"username": "acme", "password": "secret", "protocol": "FTPS",
                                                      "serverId": "s-123", "sourceIp": "192.0.2.1"})
    assert (request.server_id, request.source_ip) == ("s-123", "192.0.2.1")
    assert "secret" not in repr(request)
