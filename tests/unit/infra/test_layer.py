"""The shared layer ships only what runs: the lock pins every requirement and its dependencies, leaves out the
runtime's SDK and the X-Ray SDK, and the template builds the layer with the Makefile that compiles bytecode."""

from __future__ import annotations

import re
from pathlib import Path

from pimtasks_local.template import load_template

ROOT = Path(__file__).resolve().parents[3]
LAYER = ROOT / "layers" / "common"
_PIN = re.compile(r"^([A-Za-z0-9._-]+)==(\S+)")
RUNTIME_SDK = {"boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3"}


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _PIN.match(line.strip())
        if match:
            pins[match.group(1).lower()] = match.group(2)
    return pins


def test_the_lock_pins_every_requirement_at_its_version() -> None:
    wanted, locked = _pins(LAYER / "requirements.txt"), _pins(LAYER / "requirements.lock")

    assert wanted and all(locked.get(name) == version for name, version in wanted.items()), (wanted, locked)
    assert all("[" not in name for name in wanted)  # no extras (the tracer extra pulled botocore in)


def test_the_layer_leaves_out_the_runtime_sdk_and_the_xray_sdk() -> None:
    locked = set(_pins(LAYER / "requirements.lock"))

    assert not locked & RUNTIME_SDK
    assert "aws-xray-sdk" not in locked


def test_the_template_builds_the_layer_with_its_makefile() -> None:
    layer = load_template(ROOT / "infra" / "template.yaml")["Resources"]["CommonLayer"]
    makefile = (LAYER / "Makefile").read_text(encoding="utf-8")

    assert layer["Metadata"]["BuildMethod"] == "makefile"
    assert "build-CommonLayer:" in makefile
    assert "--no-deps" in makefile and "-r requirements.lock" in makefile
    assert "compileall" in makefile and "unchecked-hash" in makefile
    assert "PLATFORM ?= manylinux2014_aarch64" in makefile and layer["Properties"]["CompatibleArchitectures"] == [
        "arm64"]
