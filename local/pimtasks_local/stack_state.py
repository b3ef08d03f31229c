"""The local stack's state directory (``.pimtasks/local`` by default).

- ``stack.json``: where a running stack tells the CLI and the e2e tests how to reach it. Written once
  everything is serving (ports, names, the admin API key), removed on a clean stop. Readers ignore a file
  whose process is gone, so a crashed stack never sends the CLI to a dead port.
- ``seed.json``: the demo environment, the admin API key (only its hash is in the emulator) and the demo
  task ids, kept across restarts so a restarted stack prints the same, still working key.
- ``emulator/``: the emulator's saved state (``emulator_state``); ``ftps/``: the FTPS gateway's certificate.
- ``stack.lock``: held by the running stack, so two stacks never share a state directory.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO, Any

STATE_FILE = "stack.json"
SEED_FILE = "seed.json"
LOCK_FILE = "stack.lock"
EMULATOR_STATE_DIRECTORY = "emulator"
DEFAULT_STATE_DIR = Path(".pimtasks") / "local"


class StateDirInUseError(RuntimeError):
    """Another running local stack uses this state directory."""


def _write_private_json(path: Path, data: dict[str, Any]) -> Path:
    """Write ``data`` atomically (readers never see half a file), readable by this user only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.chmod(partial, 0o600)  # it holds an admin API key
    os.replace(partial, path)
    return path


def write_state(state_dir: Path, state: dict[str, Any]) -> Path:
    """Write ``stack.json``; returns its path."""
    return _write_private_json(state_dir / STATE_FILE, state)


def write_seed(state_dir: Path, seed: dict[str, Any]) -> Path:
    """Write ``seed.json`` (kept across restarts, removed by ``--fresh``)."""
    return _write_private_json(state_dir / SEED_FILE, seed)


def read_seed(state_dir: Path) -> dict[str, Any] | None:
    """What the last seed of this state directory made, if it is still there."""
    return _load(state_dir / SEED_FILE)


def remove_seed(state_dir: Path) -> None:
    (state_dir / SEED_FILE).unlink(missing_ok=True)


class StateDirLock:
    """An exclusive lock on a state directory for the life of the stack (released when the process ends,
    however it ends)."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / LOCK_FILE
        self._file: IO[str] | None = None

    def acquire(self) -> StateDirLock:
        try:
            import fcntl
        except ImportError:  # no flock (Windows): two stacks on one state directory are not prevented
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        file = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            file.seek(0)
            holder = file.read().strip() or "another process"
            file.close()
            raise StateDirInUseError(f"{self.path.parent} is in use by another local stack (pid {holder}); "
                                     "stop it first, or give this one another --state-dir") from exc
        file.seek(0)
        file.truncate()
        file.write(str(os.getpid()))
        file.flush()
        self._file = file
        return self

    def release(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def remove_state(state_dir: Path, *, pid: int) -> None:
    """Remove the state file if it is this process's."""
    path = state_dir / STATE_FILE
    state = _load(path)
    if state is not None and state.get("pid") == pid:
        path.unlink(missing_ok=True)


def find_state(start: Path | None = None, *, state_dir: Path | None = None) -> dict[str, Any] | None:
    """The state of a running stack: in ``state_dir`` (the stack's ``--state-dir``) when given, else
    ``$PIMTASKS_STATE_DIR``, else ``.pimtasks/local`` here or above."""
    configured = str(state_dir) if state_dir is not None else os.environ.get("PIMTASKS_STATE_DIR")
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
