"""Cold-start cost: import time of each Lambda handler module (``python -X importtime``), as a ratio to
importing boto3 alone in the same run (boto3 is in every Lambda runtime, so it is the natural yardstick)."""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
REPEATS = 5
_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)")


def _cumulative_us(statement: str) -> int:
    """Total import time (µs) of everything ``statement`` imports, in a fresh interpreter."""
    completed = subprocess.run([sys.executable, "-X", "importtime", "-c", statement], cwd=ROOT, capture_output=True,
                               text=True, check=True,
                               env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "eu-west-1",
                                    "POWERTOOLS_TRACE_DISABLED": "true"})
    total = 0
    for line in completed.stderr.splitlines():
        match = _LINE.match(line)
        if match and len(match.group(3)) == 1:  # top-level imports only: their cumulative includes children
            total += int(match.group(2))
    return total


def _median_ms(statement: str) -> float:
    return statistics.median(_cumulative_us(statement) for _ in range(REPEATS)) / 1000


def handler_modules() -> list[str]:
    return sorted(f"functions.{p.parent.name}.app" for p in (ROOT / "functions").glob("*/app.py"))


def run() -> dict[str, Any]:
    baseline = _median_ms("import boto3")
    figures: dict[str, Any] = {"baseline_import_boto3_ms": round(baseline, 1), "handlers": {}}
    for module in handler_modules():
        millis = _median_ms(f"import {module}")
        figures["handlers"][module] = {"ms": round(millis, 1), "ratio_to_boto3": round(millis / baseline, 2)}
    return figures


if __name__ == "__main__":
    print(run())
