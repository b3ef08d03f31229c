"""The shared layer ships only what runs: the lock pins every requirement and its dependencies, leaves out the
runtime's SDK and the X-Ray SDK, and the template builds the layer with the Makefile that compiles bytecode."""

from __future__ import annotations

import re
import subprocess
import sys
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


def test_every_handler_imports_from_the_layer_alone(tmp_path: Path) -> None:
    """The lock is complete: with only the layer (as its Makefile builds it) and the runtime's SDK on the path,
    in an interpreter without site-packages, every handler module imports and its handler is callable."""
    from benchmarks.bench_handler_imports import build_layer, build_runtime_sdk, handler_folders

    layer, sdk = build_layer(tmp_path / "layer"), build_runtime_sdk(tmp_path)
    script = (
        "import importlib.util, sys\n"
        f"sys.path[:0] = [{str(layer)!r}, {str(sdk)!r}]\n"
        "for folder in sys.argv[1:]:\n"
        "    spec = importlib.util.spec_from_file_location(folder.replace('/', '_'), folder + '/app.py')\n"
        "    module = importlib.util.module_from_spec(spec)\n"
        "    spec.loader.exec_module(module)\n"
        "    assert callable(module.handler), folder\n"
        "    print('ok', folder)\n"
    )
    folders = [str(folder) for folder in handler_folders()]
    completed = subprocess.run([sys.executable, "-S", "-c", script, *folders], capture_output=True, text=True,
                               env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "eu-west-1"}, check=False)

    assert completed.returncode == 0, completed.stderr[-3000:]
    assert completed.stdout.count("ok ") == len(folders) >= 10
    assert not any((layer / name).exists() for name in ("boto3", "botocore", "aws_xray_sdk"))
