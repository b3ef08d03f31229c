"""Cold-start cost: import time of each Lambda handler, as Lambda imports it, as a ratio to ``import boto3``
measured the same way in the same run (boto3 is in every Lambda runtime, so it is the natural yardstick); and
the layer's size.

Each import runs in a clean interpreter (``python -S``: no site-packages; its CPU time is measured) whose path is what a
function has in Lambda: the function's own folder (``app`` is the handler module), the layer as
``layers/common/Makefile`` builds it (the distributions of ``requirements.lock`` and the ``pimtasks`` package,
compiled to bytecode), and the runtime's SDK (boto3, botocore and their dependencies). The layer is assembled
from this venv's installed copies of exactly the locked versions (no download: the real build fetches arm64
wheels), so a dependency missing from the lock fails the import here as it would in Lambda.

``ratio_to_boto3`` is the handler module's import (target: at most 1.5). Most handlers import boto3 only with
their adapters, at their first AWS call; ``with_boto3_ratio`` adds that import, for the whole cold start floor.
The API handler includes its routes group by group at a request's first need (``pimtasks.api.app``), so
``api_first_request`` adds what its first request costs on top of the import: ``GET /health`` (the admin group,
with the API models and the domain), in the same clean process.
"""

from __future__ import annotations

import compileall
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LAYER_SOURCE = ROOT / "layers" / "common"
LOCK = LAYER_SOURCE / "requirements.lock"
REPEATS = int(__import__("os").environ.get("BENCH_REPEATS", "5"))
TARGET_RATIO = 1.5
# What the Lambda Python runtime has already (boto3 and its dependency closure): never shipped in the layer.
RUNTIME_SDK = ("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3")
_PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;#]+)")
_HEALTH_EVENT = {"resource": "/health", "path": "/health", "httpMethod": "GET", "headers": {"Host": "bench"},
                 "multiValueHeaders": {}, "queryStringParameters": None, "multiValueQueryStringParameters": None,
                 "pathParameters": None, "stageVariables": None, "body": None, "isBase64Encoded": False,
                 "requestContext": {"stage": "v1", "path": "/v1/health", "httpMethod": "GET", "requestId": "bench",
                                    "resourcePath": "/health", "identity": {"sourceIp": "127.0.0.1"}}}
FIRST_API_REQUEST = (
    "import app; context = type('Context', (), {'function_name': 'bench', 'memory_limit_in_mb': 1024, "
    "'invoked_function_arn': 'arn:aws:lambda:eu-west-1:123456789012:function:bench', 'aws_request_id': 'r'})(); "
    f"reply = app.handler({_HEALTH_EVENT!r}, context); assert reply['statusCode'] == 200, reply"
)


def locked_distributions(lock: Path = LOCK) -> dict[str, str]:
    """``{"pydantic": "2.13.4", ...}`` from the layer's lock."""
    pins = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = _PIN.match(line.strip())
        if match:
            pins[match.group(1)] = match.group(2)
    return pins


def _copy_distribution(name: str, target: Path, *, expected: str | None = None) -> None:
    """The installed files of distribution ``name`` (its RECORD) into ``target``, as pip would install them."""
    try:
        dist = distribution(name)
    except PackageNotFoundError as exc:
        raise SystemExit(f"{name} is locked but not installed in this venv (make venv)") from exc
    if expected is not None and dist.version != expected:
        raise SystemExit(f"{name} is locked at {expected} but this venv has {dist.version} (make venv)")
    for file in dist.files or ():
        if file.parts[0] in ("..", "bin") or "__pycache__" in file.parts:
            continue
        source = Path(str(dist.locate_file(file)))
        if source.is_file():
            destination = target / file
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)


def build_layer(target: Path) -> Path:
    """The layer's ``python/`` folder as ``layers/common/Makefile`` makes it (host platform), compiled."""
    python = target / "python"
    python.mkdir(parents=True)
    for name, version in locked_distributions().items():
        _copy_distribution(name, python, expected=version)
    shutil.copytree(LAYER_SOURCE / "pimtasks", python / "pimtasks", ignore=shutil.ignore_patterns("__pycache__"))
    # As the Makefile: checked against nothing at import (the layer is read-only and its mtimes are the zip's).
    compileall.compile_dir(str(python), quiet=1, workers=0,
                           invalidation_mode=compileall.py_compile.PycInvalidationMode.UNCHECKED_HASH)
    return python


def build_runtime_sdk(target: Path) -> Path:
    """The runtime's own boto3 and dependencies (this venv's copies)."""
    sdk = target / "runtime"
    sdk.mkdir(parents=True)
    for name in RUNTIME_SDK:
        _copy_distribution(name, sdk)
    compileall.compile_dir(str(sdk), quiet=1, workers=0)
    return sdk


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _zipped_size(path: Path, archive: Path) -> int:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for file in sorted(path.rglob("*")):
            if file.is_file():
                bundle.write(file, file.relative_to(path.parent))
    return archive.stat().st_size


def _import_cpu_us(statement: str, path: list[Path]) -> int:
    """CPU time (µs) that ``statement`` takes in a clean interpreter with ``path`` first.

    CPU time rather than wall time: these machines are shared, and another process's load stretches wall time
    (and ``-X importtime``'s figures) of the baseline and the handler differently.
    """
    setup = f"import sys, time; sys.path[:0] = {[str(p) for p in path]!r}; start = time.process_time(); "
    report = "; print(round((time.process_time() - start) * 1e6))"
    completed = subprocess.run([sys.executable, "-S", "-c", setup + statement + report], cwd=path[0],
                               capture_output=True, text=True, check=False,
                               env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "eu-west-1",
                                    "AWS_LAMBDA_FUNCTION_NAME": "bench", "POWERTOOLS_SERVICE_NAME": "bench"})
    if completed.returncode != 0:
        raise SystemExit(f"`{statement}` failed with {path}:\n{completed.stderr[-3000:]}")
    return int(completed.stdout.split()[-1])


def _paired_ms(statement: str, path: list[Path], sdk: Path) -> tuple[float, float]:
    """Medians (ms) of ``statement`` and of ``import boto3``, measured alternately so both see the same load."""
    handler, baseline = [], []
    for _ in range(REPEATS):
        baseline.append(_import_cpu_us("import boto3", [sdk]))
        handler.append(_import_cpu_us(statement, path))
    return statistics.median(handler) / 1000, statistics.median(baseline) / 1000


def handler_folders() -> list[Path]:
    return sorted(p.parent for p in (ROOT / "functions").glob("*/app.py"))


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="pimtasks-layer-") as scratch:
        layer = build_layer(Path(scratch) / "layer")
        sdk = build_runtime_sdk(Path(scratch))
        figures: dict[str, Any] = {
            "layer_mb": round(_size(layer) / 2**20, 1),
            "layer_zip_mb": round(_zipped_size(layer, Path(scratch) / "layer.zip") / 2**20, 1),
            "target_ratio": TARGET_RATIO,
            "handlers": {},
        }
        baselines = []
        for folder in handler_folders():
            millis, baseline = _paired_ms("import app", [folder, layer, sdk], sdk)
            baselines.append(baseline)
            # Handlers import boto3 with their adapters, at their first AWS call: what that call adds on top.
            with_sdk, _ = _paired_ms("import app; import boto3", [folder, layer, sdk], sdk)
            figures["handlers"][folder.name] = {"ms": round(millis, 1), "boto3_ms": round(baseline, 1),
                                                "ratio_to_boto3": round(millis / baseline, 2),
                                                "with_boto3_ratio": round(with_sdk / baseline, 2)}
        api = ROOT / "functions" / "api_handler"
        first, baseline = _paired_ms(FIRST_API_REQUEST, [api, layer, sdk], sdk)
        figures["api_first_request"] = {"ms": round(first, 1), "ratio_to_boto3": round(first / baseline, 2)}
        figures["baseline_import_boto3_ms"] = round(statistics.median(baselines), 1)
        ratios = [h["ratio_to_boto3"] for h in figures["handlers"].values()]
        figures["max_ratio"] = max(ratios)
        figures["within_target"] = max(ratios) <= TARGET_RATIO
    return figures


if __name__ == "__main__":
    print(run())
