"""What a handler module loads at import, as Lambda imports it (the layer as its Makefile builds it, the runtime's
SDK, no site-packages): the heavy modules each function defers to its first use stay out of ``sys.modules``.
``bench_handler_imports`` times these imports; this catches a module-level import that brings one back, without
timing anything."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.bench_handler_imports import build_layer, build_runtime_sdk, handler_folders

# No handler needs these at import: file readers and writers, FTPS/SFTP, HTTP clients, the AWS SDK's clients
# (the adapters import boto3 at their first call), Powertools' OpenAPI models (the API document's).
EVERY_HANDLER = frozenset({
    "openpyxl", "python_calamine", "defusedxml", "paramiko", "cryptography", "bcrypt", "nacl", "requests",
    "boto3", "botocore.session", "aws_xray_sdk", "aws_lambda_powertools.event_handler.openapi.models",
})
DEFERRED = {
    # Route groups load at a request's first need (pimtasks.api.app): with them the API models, the domain,
    # the services and the wiring; the OpenAPI document's code loads with /docs or /openapi.json.
    "api_handler": frozenset({
        "pimtasks.api.models", "pimtasks.api.context", "pimtasks.api.responses", "pimtasks.api.operations",
        "pimtasks.domain.task", "pimtasks.domain.task_types", "pimtasks.wiring", "pimtasks.settings",
        *(f"pimtasks.api.{path.stem}" for path in (Path(__file__).resolve().parents[3] / "layers" / "common" /
                                                     "pimtasks" / "api").glob("routes_*.py")),
    }),
    # The sync loads its service (and the domain) at the first record; it turns frequencies into expressions
    # and never parses or evaluates one.
    "scheduler_sync": frozenset({"pimtasks.wiring", "pimtasks.services.schedule_sync", "pimtasks.domain.task",
                                 "pimtasks.schedules.expression_parser", "pimtasks.schedules.evaluator"}),
}


@pytest.fixture(scope="module")
def lambda_path(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    scratch = tmp_path_factory.mktemp("lambda")
    return [build_layer(scratch / "layer"), build_runtime_sdk(scratch)]


def _loaded_after(folder: Path, path: list[Path], statement: str = "pass") -> set[str]:
    """``sys.modules`` after ``import app`` (and ``statement``) in a clean interpreter with ``path`` after the
    function's folder."""
    script = (f"import json, sys; sys.path[:0] = {[str(folder), *map(str, path)]!r}; import app; {statement}; "
              "print(json.dumps(sorted(sys.modules)))")
    completed = subprocess.run([sys.executable, "-S", "-c", script], cwd=folder, capture_output=True, text=True,
                               check=False, env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "eu-west-1",
                                                 "POWERTOOLS_SERVICE_NAME": "test"})
    assert completed.returncode == 0, completed.stderr[-3000:]
    return set(json.loads(completed.stdout.splitlines()[-1]))


def _heavy(loaded: set[str], names: frozenset[str]) -> set[str]:
    """The names in ``names`` that are loaded, as packages (``openpyxl`` is loaded when ``openpyxl.cell`` is)."""
    return {name for name in names if any(m == name or m.startswith(name + ".") for m in loaded)}


@pytest.mark.parametrize("folder", handler_folders(), ids=lambda folder: folder.name)
def test_a_handler_module_imports_none_of_what_it_defers(folder: Path, lambda_path: list[Path]) -> None:
    loaded = _loaded_after(folder, lambda_path)

    assert "pimtasks.observability" in loaded  # the import really ran the handler module
    assert _heavy(loaded, EVERY_HANDLER | DEFERRED.get(folder.name, frozenset())) == set()


def test_the_api_handler_loads_every_route_group_from_the_layer_alone(lambda_path: list[Path]) -> None:
    """What the groups import is in the lock too: reading every route (as the document does) loads them all."""
    folder = next(f for f in handler_folders() if f.name == "api_handler")
    loaded = _loaded_after(folder, lambda_path, "assert len(app.resolver.routes) > 40")

    assert DEFERRED["api_handler"] - {"pimtasks.api.operations"} <= loaded
