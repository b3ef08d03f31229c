"""Runs every benchmark module (or those named on the command line) and prints/saves their figures.

    python -m benchmarks                 # all
    python -m benchmarks handler_imports scheduler_sync

Each module runs in a fresh process: several of them host the emulator in-process, and a runner that has
already hosted others (a big heap, threads left over) measured a later one up to 20 % slower.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def _modules(selected: list[str]) -> list[str]:
    names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_"))
    if selected:
        names = [n for n in names if n.removeprefix("bench_") in selected or n in selected]
    return names


def _run_one(name: str, output: Path) -> int:
    """In the child process: run one module and write its figures to ``output``."""
    started = time.perf_counter()
    figures = importlib.import_module(f"benchmarks.{name}").run()
    figures["wall_seconds"] = round(time.perf_counter() - started, 1)
    output.write_text(json.dumps(figures))
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["--one"]:
        return _run_one(argv[1], Path(argv[2]))
    results: dict[str, Any] = {}
    for name in _modules(argv):
        print(f"== {name}", flush=True)
        with tempfile.TemporaryDirectory() as scratch:
            output = Path(scratch) / "figures.json"
            subprocess.run([sys.executable, "-m", "benchmarks", "--one", name, str(output)], check=True)
            figures = json.loads(output.read_text())
        results[name] = figures
        print(json.dumps(figures, indent=2), flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"saved {RESULTS / 'latest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
