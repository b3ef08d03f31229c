"""The deploy parameters a user must give (a real report sender, a bucket name prefix) are refused before any
resource is made when wrong, and the local stack fills them in by itself (checked without AWS)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pimtasks_local.deployer import LOCAL_MAIL_SENDER, local_parameters
from pimtasks_local.template import TemplateError, load_template, resolve_parameters

ROOT = Path(__file__).resolve().parents[3]
ACCOUNT_ID = "123456789012"
LONGEST_REGION = "ap-southeast-1"  # 14 characters, as long as any region's name


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(ROOT / "infra" / "template.yaml")


def _bucket_names(template: dict[str, Any], prefix: str) -> list[str]:
    """Every BucketName of the template with the prefix, account and region filled in."""
    names = []
    for resource in template["Resources"].values():
        name = (resource.get("Properties") or {}).get("BucketName")
        if isinstance(name, dict) and "Fn::Sub" in name:
            names.append(name["Fn::Sub"].replace("${BucketNamePrefix}", prefix)
                         .replace("${AWS::AccountId}", ACCOUNT_ID).replace("${AWS::Region}", LONGEST_REGION))
    return names


def test_mail_sender_is_required_with_no_placeholder(template: dict[str, Any]) -> None:
    mail_sender = template["Parameters"]["MailSender"]

    assert "Default" not in mail_sender
    with pytest.raises(TemplateError, match="MailSender has no default"):
        resolve_parameters(template, {"BucketNamePrefix": "pimtasks"})
    with pytest.raises(TemplateError, match="MailSender"):
        resolve_parameters(template, {"BucketNamePrefix": "pimtasks", "MailSender": "not-an-address"})


def test_bucket_prefix_is_required_and_refuses_what_would_break_a_bucket_name(template: dict[str, Any]) -> None:
    assert "Default" not in template["Parameters"]["BucketNamePrefix"]
    for bad in ("MyStack", "pim_tasks", "-pimtasks", "pimtasks-", "p" * 28, ""):
        with pytest.raises(TemplateError, match="BucketNamePrefix"):
            resolve_parameters(template, {"MailSender": "pim@example.com", "BucketNamePrefix": bad})

    values = resolve_parameters(template, {"MailSender": "pim@example.com", "BucketNamePrefix": "p" * 27})

    assert values["BucketNamePrefix"] == "p" * 27


def test_every_bucket_name_is_valid_with_the_longest_prefix_in_the_longest_region(template: dict[str, Any]) -> None:
    names = _bucket_names(template, "p" * template["Parameters"]["BucketNamePrefix"]["MaxLength"])

    assert len(names) == 3  # files, access logs, console
    for name in names:
        assert len(name) <= 63 and re.fullmatch(r"[a-z0-9][a-z0-9.-]*[a-z0-9]", name), name


def test_the_local_stack_fills_in_a_sender_and_a_prefix_from_its_stack_name(template: dict[str, Any]) -> None:
    values = resolve_parameters(template, local_parameters(template, stack_name="Pimtasks-Local"))

    assert values["MailSender"] == LOCAL_MAIL_SENDER
    assert values["BucketNamePrefix"] == "pimtasks-local"


def test_values_given_to_the_local_stack_win(template: dict[str, Any]) -> None:
    given = {"MailSender": "reports@example.org", "BucketNamePrefix": "other"}

    assert local_parameters(template, stack_name="pimtasks-local", given=given) == given
