"""``pip install .`` brings everything the CLI imports: pyproject.toml declares each package it needs.

The CLI is exercised in a process of its own (parsing every command, reading a YAML task file, rendering a
run with its messages: the paths that import lazily), then every third-party module that process loaded
must belong to a declared dependency or to one of theirs. A new import of an undeclared package (boto3,
moto, openpyxl ...) from a CLI path fails here rather than on a user's clean install.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

EXERCISE = r"""
import io, json, sys, tempfile, pathlib
from pimtasks_local import cli, cli_api, cli_render
for words in (["tasks", "list", "--help"], ["runs", "show", "--help"]):
    try:
        cli.main(words, out=io.StringIO())
    except SystemExit:
        pass
task = pathlib.Path(tempfile.mkdtemp()) / "task.yaml"
task.write_text("description: Weekly import\nsettings:\n  target: products\n", encoding="utf-8")
cli_api.read_document(task)
cli_render.render_run({"run_id": "R1", "status": "failed", "counts": {},
                       "messages": [{"level": "error", "text": "bad", "row": 2, "column": "gross_price"}]})
cli.main(["completion", "bash"], out=io.StringIO())
own = {"pimtasks", "pimtasks_local"}
# Modules from files only: a C extension's helper (``cython_runtime``) is no package of its own.
loaded = {name.split(".")[0] for name, module in list(sys.modules.items()) if getattr(module, "__file__", None)}
print(json.dumps(sorted(n for n in loaded if n not in sys.stdlib_module_names and n not in own
                        and not n.startswith("_"))))
"""


def requirement_name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[(]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def with_their_dependencies(names: set[str]) -> set[str]:
    """The distributions ``names`` install: each, and what each requires (without optional extras)."""
    found: set[str] = set()
    waiting = list(names)
    while waiting:
        name = waiting.pop()
        if name in found:
            continue
        found.add(name)
        for requirement in metadata.requires(name) or []:
            if "extra ==" not in requirement:
                waiting.append(requirement_name(requirement))
    return found


def test_the_cli_imports_only_declared_packages() -> None:
    declared = {requirement_name(r) for r in
                tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]}
    done = subprocess.run([sys.executable, "-c", EXERCISE], capture_output=True, text=True, timeout=120,
                          check=True, cwd=ROOT)
    modules = json.loads(done.stdout.strip().splitlines()[-1])
    owners = metadata.packages_distributions()
    allowed = with_their_dependencies(declared)

    undeclared = {module: owners.get(module, ["?"]) for module in modules
                  if not {d.lower().replace("_", "-") for d in owners.get(module, [])} & allowed}

    assert undeclared == {}, f"the CLI imports packages pyproject.toml does not declare: {undeclared}"
    assert "yaml" in modules and "pydantic" in modules  # the exercise reached the lazy imports
