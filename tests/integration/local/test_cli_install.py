"""``pip install .`` in a clean virtual environment gives a working ``pimtasks`` (issue 15: it once crashed on
``runs show`` and on YAML files for want of declared dependencies).

The project's package sources are copied aside (what an sdist holds) and installed into a fresh venv from
the package index; then the installed command runs against a recording stand-in of the API.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import venv
from pathlib import Path

import pytest

from tests.support.recording_api import recording_api

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[3]
SOURCES = ("pyproject.toml", "README.md", "layers/common/pimtasks", "local/pimtasks_local")


def copy_sources(target: Path) -> Path:
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def test_a_clean_install_runs_every_kind_of_command(tmp_path: Path) -> None:
    project = copy_sources(tmp_path / "project")
    environment = tmp_path / "venv"
    venv.create(environment, with_pip=True)
    python = environment / "bin" / "python"
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(project)],
                   check=True, timeout=600, env=clean, capture_output=True)
    command = environment / "bin" / "pimtasks"
    task = tmp_path / "task.yaml"
    task.write_text("type: import\ndescription: Weekly import of sales conditions for APAC\n", encoding="utf-8")

    def pimtasks(api_url: str, *words: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(command), "--api-url", api_url, "--api-key", "k", *words], env=clean,
                              capture_output=True, text=True, timeout=60, cwd=tmp_path)

    with recording_api() as api:
        api.answers[("GET", "/environments/000001/runs/R1")] = (200, {
            "run_id": "R1", "status": "failed", "counts": {"read": 2, "rejected": 2},
            "messages": [{"level": "error", "text": "price is not a number", "row": 2, "column": "gross_price"}]})
        version = pimtasks(api.url, "--version")
        shown = pimtasks(api.url, "runs", "show", "R1")
        created = pimtasks(api.url, "--json", "tasks", "create", str(task))

    assert re.fullmatch(r"pimtasks \d+\.\d+\.\d+", version.stdout.strip()), version.stdout + version.stderr
    assert shown.returncode == 0, shown.stderr
    assert "price is not a number" in shown.stdout
    assert created.returncode == 0, created.stderr
    assert api.requests[-1].body == {"type": "import", "description": "Weekly import of sales conditions for APAC"}
    assert json.loads(created.stdout) == {}
