"""`sam build && sam deploy --guided` typed at the repository root: samconfig.toml names the template that exists,
and the template's Outputs tell a user what comes next (checked without AWS)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pimtasks_local.template import load_template

ROOT = Path(__file__).resolve().parents[3]


def test_samconfig_at_the_root_names_the_template_and_deploys_guided_defaults() -> None:
    config = tomllib.loads((ROOT / "samconfig.toml").read_text(encoding="utf-8"))
    build = config["default"]["build"]["parameters"]
    deploy = config["default"]["deploy"]["parameters"]

    assert (ROOT / build["template_file"]).is_file()
    assert config["default"]["global"]["parameters"]["stack_name"]
    assert "CAPABILITY_IAM" in deploy["capabilities"] and deploy["resolve_s3"] is True


def test_outputs_give_the_api_url_console_url_bucket_and_bootstrap_command() -> None:
    outputs = load_template(ROOT / "infra" / "template.yaml")["Outputs"]

    assert {"ApiUrl", "ConsoleUrl", "FilesBucketName", "BootstrapCommand"} <= set(outputs)
    assert "pimtasks_local.bootstrap --stack-name ${AWS::StackName}" in outputs["BootstrapCommand"]["Value"]["Fn::Sub"]
