"""Writes or checks the checked-in ``openapi.json`` (generated from the API code, STYLE §12).

    python -m pimtasks_local.openapi --write   # after changing routes or models
    python -m pimtasks_local.openapi --check   # in `make lint`: fails when the file is out of date
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

OPENAPI_FILE = Path(__file__).resolve().parents[2] / "openapi.json"


class UndocumentedRouteError(Exception):
    """A route lacks what the document needs (``pimtasks.api.operations.missing_metadata``)."""


def generated() -> str:
    """The document as it is checked in; refuses routes without a description or body examples."""
    from pimtasks.api.app import openapi_json, resolver
    from pimtasks.api.operations import missing_metadata

    document = json.loads(openapi_json())
    problems = missing_metadata(resolver.routes)
    if problems:
        raise UndocumentedRouteError("routes the OpenAPI document cannot describe:\n  " + "\n  ".join(problems))
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true")
    mode.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    document = generated()
    if args.write:
        OPENAPI_FILE.write_text(document)
        print(f"wrote {OPENAPI_FILE}")
        return 0
    if not OPENAPI_FILE.exists() or OPENAPI_FILE.read_text() != document:
        print("openapi.json is out of date: run `make openapi` and review the change", file=sys.stderr)
        return 1
    print("openapi.json is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
