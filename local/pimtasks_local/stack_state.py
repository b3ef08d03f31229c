"""``stack.json``: where a running local stack tells the CLI and the e2e tests how to reach it.

Written once everything is serving (ports, names, the admin API key), removed on a clean stop. Readers
ignore a file whose process is gone, so a crashed stack never sends the CLI to a dead port.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

STATE_FILE = "stack.json"
DEFAULT_STATE_DIR = Path(".pimtasks") / "local"


def write_state(state_dir: Path, state: dict[str, Any]) -> Path:
    """Write ``state`` atomically (readers never see half a file); returns the file's path."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / STATE_FILE
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.chmod(partial, 0o600)  # it holds an admin API key
    os.replace(partial, path)
    return path


def remove_state(state_dir: Path, *, pid: int) -> None:
    """Remove the state file if it is this process's."""
    path = state_dir / STATE_FILE
    state = _load(path)
    if state is not None and state.get("pid") == pid:
        path.unlink(missing_ok=True)


def find_state(start: Path | None = None) -> dict[str, Any] | None:
    """The state of a running stack: ``$PIMTASKS_STATE_DIR``, else ``.pimtasks/local`` here or above."""
    configured = os.environ.get("PIMTASKS_STATE_DIR")
    here = start or Path.cwd()
    candidates = [Path(configured) / STATE_FILE] if configured else [
        directory / DEFAULT_STATE_DIR / STATE_FILE for directory in [here, *here.parents]
    ]
    for path in candidates:
        state = _load(path)
        if state is not None and _alive(state.get("pid")):
            return state
    return None


def _load(path: Path) -> dict[str, Any] | None:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
