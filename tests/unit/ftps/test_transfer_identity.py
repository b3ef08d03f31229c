"""The AWS Transfer Family identity provider's answer: role, logical home, scoped session policy."""

from __future__ import annotations

import fnmatch
import json

import pytest
from pimtasks.domain.ftps_user import FtpsLogin
from pimtasks.services.transfer_identity import (
    MAX_SESSION_POLICY_CHARS,
    SessionPolicyTooLongError,
    TransferIdentityRequest,
    transfer_identity_response,
)
from pimtasks.services.upload_channels import ImportFolders, UploadChannel

BUCKET = "pimtasks-files-123456789012-eu-west-1"
ROLE = "arn:aws:iam::123456789012:role/pimtasks-ftps-user"
BOTH = frozenset(UploadChannel)
IMPORTS = ImportFolders(channels={"Imp": BOTH, "Sales conditions APAC": frozenset({UploadChannel.FTPS}),
                                  "Locked": frozenset(), "Manual only": frozenset({UploadChannel.MANUAL})})


def _answer(imports: ImportFolders = IMPORTS) -> dict[str, object]:
    return transfer_identity_response(FtpsLogin(username="acme", environment="000001"), imports=imports,
                                      bucket=BUCKET, role_arn=ROLE)


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
    assert _allowed(policy, "s3:AbortMultipartUpload", obj + "000001/Uploads/Imp/a.csv")
    assert _allowed(policy, "s3:GetObject", obj + "000001/Archived/Imp/a.csv")
    assert not _allowed(policy, "s3:PutObject", obj + "000001/Archived/Imp/a.csv")
    assert not _allowed(policy, "s3:DeleteObject", obj + "000001/Downloads/a.csv")
    assert not _allowed(policy, "s3:GetObject", obj + "000001/Failed/a.csv")
    assert not _allowed(policy, "s3:GetObject", obj + "000002/Uploads/Imp/a.csv")
    assert not _allowed(policy, "s3:PutObject", obj + "000002/Uploads/Imp/a.csv")
    assert _allowed(policy, "s3:ListBucket", f"arn:aws:s3:::{BUCKET}", "environments/000001/Uploads/Imp/")
    assert not _allowed(policy, "s3:ListBucket", f"arn:aws:s3:::{BUCKET}", "environments/000002/Uploads/")
    assert not _allowed(policy, "s3:ListBucket", f"arn:aws:s3:::{BUCKET}", "environments/")


@pytest.mark.parametrize("action", ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion",
                                    "s3:AbortMultipartUpload"])
def test_writes_are_allowed_only_in_the_folders_of_imports_open_to_ftps(action: str) -> None:
    # Given imports with FTPS upload on (Imp, Sales conditions APAC) and off (Locked, Manual only)
    policy = json.loads(str(_answer()["Policy"]))
    uploads = f"arn:aws:s3:::{BUCKET}/environments/000001/Uploads/"

    # Then only the open imports' folders take writes
    assert _allowed(policy, action, uploads + "Sales conditions APAC/apac.xlsx")
    assert _allowed(policy, action, uploads + "Imp/a.csv")
    assert not _allowed(policy, action, uploads + "Locked/a.csv")
    assert not _allowed(policy, action, uploads + "Manual only/a.csv")
    assert not _allowed(policy, action, uploads + "Unknown/a.csv")  # no import of that name
    assert not _allowed(policy, action, uploads + "Imp2/a.csv")  # a name that merely starts like an open one
    assert not _allowed(policy, action, uploads + "a.csv")  # directly in Uploads
    # and what it allowed before for the other folders is unchanged: the closed imports stay readable
    assert _allowed(policy, "s3:GetObject", uploads + "Locked/a.csv")
    assert _allowed(policy, "s3:ListBucket", f"arn:aws:s3:::{BUCKET}", "environments/000001/Uploads/Locked/")


def test_without_imports_open_to_ftps_the_session_is_read_only() -> None:
    closed = ImportFolders(channels={"Locked": frozenset(), "Manual only": frozenset({UploadChannel.MANUAL})})
    policy = json.loads(str(_answer(closed)["Policy"]))
    assert [statement["Sid"] for statement in policy["Statement"]] == ["ListVisibleFolders", "ReadVisibleFolders"]
    assert _allowed(policy, "s3:GetObject", f"arn:aws:s3:::{BUCKET}/environments/000001/Uploads/Locked/a.csv")


def test_about_ten_open_imports_fit_and_a_policy_over_the_limit_refuses_the_login() -> None:
    many = {f"Supplier {n:02d} articles 2026": BOTH for n in range(10)}
    assert len(str(_answer(ImportFolders(channels=many))["Policy"])) <= MAX_SESSION_POLICY_CHARS

    too_many = ImportFolders(channels={f"Supplier {n:02d} articles 2026": BOTH for n in range(40)})
    with pytest.raises(SessionPolicyTooLongError) as refused:
        _answer(too_many)
    assert refused.value.folders == 40 and refused.value.length > MAX_SESSION_POLICY_CHARS


def test_the_partition_follows_the_role() -> None:
    answer = transfer_identity_response(FtpsLogin(username="acme", environment="000001"), imports=IMPORTS,
                                        bucket=BUCKET, role_arn="arn:aws-cn:iam::123456789012:role/r")
    assert "arn:aws-cn:s3:::" in str(answer["Policy"])


def test_the_request_reads_transfer_family_field_names_and_hides_the_password() -> None:
    request = TransferIdentityRequest.model_validate({"username": "acme", "password": "secret", "protocol": "FTPS",
                                                      "serverId": "s-123", "sourceIp": "192.0.2.1"})
    assert (request.server_id, request.source_ip) == ("s-123", "192.0.2.1")
    assert "secret" not in repr(request)
