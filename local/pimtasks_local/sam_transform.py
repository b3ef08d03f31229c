"""The SAM template as plain CloudFormation, offline: ``python -m pimtasks_local.sam_transform [--output FILE]``.

What ``sam deploy`` hands CloudFormation, made with the same translator (aws-sam-translator, installed with
cfn-lint) and no AWS call: local ``CodeUri``/``ContentUri`` folders become placeholder S3 locations. Scanners
that do not read SAM (checkov, see ``infra/CHECKOV.md``) and the template tests read this.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
from pathlib import Path
from typing import Any

from pimtasks_local.template import load_template

DEFAULT_TEMPLATE = Path(__file__).resolve().parents[2] / "infra" / "template.yaml"
_LOCAL_CODE = {"AWS::Serverless::Function": "CodeUri", "AWS::Serverless::LayerVersion": "ContentUri"}


def transformed_template(template_path: Path = DEFAULT_TEMPLATE, *, region: str = "eu-west-1") -> dict[str, Any]:
    """``template_path`` translated from SAM to CloudFormation (``Transform`` resolved)."""
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    template = copy.deepcopy(load_template(template_path))
    for logical_id, resource in (template.get("Resources") or {}).items():
        key = _LOCAL_CODE.get(str(resource.get("Type")))
        properties = resource.get("Properties") or {}
        if key and isinstance(properties.get(key), str) and not properties[key].startswith("s3://"):
            properties[key] = f"s3://pimtasks-local-build/{logical_id}.zip"
    previous_region = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = region  # the translator builds ARNs for the region it runs in
    try:
        translated = Translator(managed_policy_map={}, sam_parser=Parser()).translate(
            sam_template=template, parameter_values={})
    finally:
        if previous_region is None:
            os.environ.pop("AWS_DEFAULT_REGION", None)
        else:
            os.environ["AWS_DEFAULT_REGION"] = previous_region
    return dict(translated)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pimtasks_local.sam_transform", description=__doc__)
    parser.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE)
    parser.add_argument("--output", type=Path, help="write here instead of stdout")
    arguments = parser.parse_args(argv)
    text = json.dumps(transformed_template(arguments.template), indent=2, default=str)
    if arguments.output:
        arguments.output.parent.mkdir(parents=True, exist_ok=True)
        arguments.output.write_text(text + "\n", encoding="utf-8")
    else:
        sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
