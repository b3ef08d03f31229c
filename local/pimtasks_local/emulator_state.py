"""The emulator's state across restarts: snapshots of moto's backends in the state directory.

moto keeps everything in Python objects (its "backends"). ``EmulatorState`` pickles them into
``<state dir>/emulator/state.pickle`` and restores them before the emulator serves again, so the template
deployment then finds its tables, buckets and queues in place (the deployer is idempotent over them).

- **When**: ``Snapshotter`` saves a few seconds after the emulator's state changed (``request_gate``
  counts the requests that can change it) and once more on a clean stop. A ``kill -9`` so loses at most
  the last few seconds.
- **Consistent**: the gate holds new requests back and waits for those in flight, so a snapshot never
  holds half a request (an item without its stream record).
- **Cheap for the stack**: under the gate the process only forks (milliseconds); the child pickles its
  copy-on-write image of the backends and writes the file while the stack goes on serving. Where there
  is no ``fork`` the snapshot is taken in-process, under the gate.
- **Atomic**: written to a temporary file that is renamed over the previous snapshot; S3 object bodies
  (which moto keeps in spooled temporary files) are written once each, as files of their own under
  ``blobs/``, before the snapshot that names them, and removed once no snapshot names them.

A snapshot records the moto version that wrote it; another version's snapshot is refused (pickled moto
objects only fit the code that made them) with a message that names ``--fresh``. What a snapshot holds, and
how moto's objects are pickled and put back, is ``moto_pickling``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import json
import logging
import os
import pickle
import select
import shutil
import signal
import sys
import threading
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pimtasks_local.moto_pickling import (
    PARTIAL_SUFFIX,
    S3Bodies,
    SnapshotError,
    backend_dicts,
    dump_backends,
    install,
    load_backends,
)
from pimtasks_local.request_gate import RequestGate

__all__ = ["EmulatorState", "SnapshotError", "SnapshotInfo", "Snapshotter"]

LOGGER = logging.getLogger(__name__)

FORMAT_VERSION = 1
SNAPSHOT_FILE = "state.pickle"
BLOB_DIRECTORY = "blobs"
MIN_INTERVAL_SECONDS = 2.0
"""At most one snapshot per this many seconds while the state keeps changing."""
INTERVAL_PER_SNAPSHOT_SECOND = 2.0
"""...and a pause of twice the last snapshot's duration, so a big state costs at most a third of a core."""
RETRY_AFTER_FAILURE_SECONDS = 30.0
SNAPSHOT_TIMEOUT_SECONDS = 600.0
"""A snapshot process still busy after this long is ended (and the next one tried): never a silent stall."""
_CHECK_SECONDS = 0.5



@dataclass(frozen=True)
class SnapshotInfo:
    """What a snapshot holds and what it cost."""

    path: str
    taken_at: str
    moto_version: str
    services: tuple[str, ...]
    bytes: int
    blobs: int
    blob_bytes: int
    pickle_seconds: float
    pause_seconds: float = 0.0
    copied_bytes: int = 0
    """Memory the snapshot process had to copy from the stack's (Linux; 0 elsewhere or in-process)."""
    forked: bool = False


# --- the state directory -------------------------------------------------------------------------


def moto_version() -> str:
    import moto

    return str(moto.__version__)


class EmulatorState:
    """Snapshots of the emulator in ``directory``: restore, save, discard."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.snapshot_path = directory / SNAPSHOT_FILE
        self._blobs = S3Bodies(directory / BLOB_DIRECTORY)
        self._child: int | None = None
        self._child_lock = threading.Lock()

    def exists(self) -> bool:
        return self.snapshot_path.exists()

    def discard(self) -> bool:
        """Remove every saved state (``--fresh``); True when there was one."""
        existed = self.directory.exists()
        shutil.rmtree(self.directory, ignore_errors=True)
        self._blobs = S3Bodies(self.directory / BLOB_DIRECTORY)
        return existed

    def header(self) -> dict[str, Any] | None:
        """What the saved snapshot says about itself (None when there is none)."""
        try:
            with self.snapshot_path.open("rb") as file:
                header: dict[str, Any] = pickle.load(file)  # noqa: S301 (our own state directory, mode 0700)
                return header
        except FileNotFoundError:
            return None
        except (OSError, pickle.UnpicklingError, EOFError) as exc:
            raise SnapshotError(f"{self.snapshot_path} cannot be read ({exc})") from exc

    def restore(self) -> SnapshotInfo | None:
        """Put the saved backends into moto (before it serves); None when nothing was saved."""
        self.remove_partials()
        header = self.header()
        if header is None:
            return None
        if header.get("format") != FORMAT_VERSION or header.get("moto") != moto_version():
            raise SnapshotError(
                f"{self.snapshot_path} was written by moto {header.get('moto')} (format {header.get('format')}); "
                f"this is moto {moto_version()} (format {FORMAT_VERSION}), which cannot read it")
        started = time.perf_counter()
        collecting = gc.isenabled()
        gc.disable()  # unpickling makes millions of objects; collections on the way would take seconds
        try:
            with self.snapshot_path.open("rb") as file:
                pickle.load(file)  # noqa: S301 (the header, read above)
                payload = load_backends(file, bodies=self._blobs)
        except Exception as exc:  # any unpickling failure: report it with the way out
            raise SnapshotError(f"{self.snapshot_path} cannot be restored ({type(exc).__name__}: {exc})") from exc
        finally:
            if collecting:
                gc.enable()
        install(payload)
        info = SnapshotInfo(path=str(self.snapshot_path), taken_at=str(header["taken_at"]), moto_version=header["moto"],
                            services=tuple(header.get("services", ())), bytes=self.snapshot_path.stat().st_size,
                            blobs=int(header.get("blob_count", 0)), blob_bytes=int(header.get("blob_bytes", 0)),
                            pickle_seconds=round(time.perf_counter() - started, 3))
        LOGGER.debug("emulator state restored: %s", info)
        return info

    def save(self, gate: RequestGate, *, fork: bool = True) -> tuple[SnapshotInfo, int]:
        """Write a snapshot of the state as it is now; returns it and the gate's change count it holds."""
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)  # the snapshot can hold secrets (Secrets Manager) and key hashes
        self._blobs.save_new(settled_only=True)  # big bodies are copied while the stack serves
        can_fork = fork and hasattr(os, "fork") and _room_to_fork()
        paused_at = time.perf_counter()
        # A forked child has its own copy of moto's objects: SQS long polls may go on meanwhile.
        with gate.paused(include_polls=not can_fork) as changes:
            blobs = self._blobs.save_new(settled_only=False)
            header = self._header(blobs)
            if can_fork:
                # While the child lives, every page this process writes is copied first. The cyclic GC would
                # write to every object it scans; frozen, the objects of the moment are left out of its scans.
                gc.freeze()
                with self._child_lock:
                    self._child, result = _fork(functools.partial(self._write, header))
            else:
                info = self._write(header)
            pause = time.perf_counter() - paused_at
        if can_fork:
            try:
                info = _wait_for(result, reap=self._reap_child, end=self.cancel, timeout=SNAPSHOT_TIMEOUT_SECONDS)
            finally:
                gc.unfreeze()
        self._blobs.remove_unreferenced(blobs)
        return SnapshotInfo(**{**asdict(info), "pause_seconds": round(pause, 4), "forked": can_fork}), changes

    def _header(self, blobs: set[str]) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            "moto": moto_version(),
            "python": list(sys.version_info[:2]),
            "taken_at": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "services": sorted(b.service_name for b in backend_dicts()),
            "blob_count": len(blobs),
            "blob_bytes": self._blobs.sizes(blobs),
        }

    def _write(self, header: dict[str, Any], *, parent: int | None = None) -> SnapshotInfo:
        """Pickle the backends into a temporary file and rename it over the snapshot."""
        started = time.perf_counter()
        partial = self.snapshot_path.with_name(f"{SNAPSHOT_FILE}{PARTIAL_SUFFIX}-{os.getpid()}")
        try:
            with partial.open("wb") as file:
                os.chmod(partial, 0o600)
                pickle.dump(header, file, protocol=pickle.HIGHEST_PROTOCOL)
                dump_backends(file, backend_dicts())
                file.flush()
                os.fsync(file.fileno())
            if parent is not None and os.getppid() != parent:
                raise SnapshotError("the stack stopped while its state was being saved")
            os.replace(partial, self.snapshot_path)
        finally:
            partial.unlink(missing_ok=True)
        return SnapshotInfo(path=str(self.snapshot_path), taken_at=header["taken_at"], moto_version=header["moto"],
                            services=tuple(header["services"]), bytes=self.snapshot_path.stat().st_size,
                            blobs=header["blob_count"], blob_bytes=header["blob_bytes"],
                            pickle_seconds=round(time.perf_counter() - started, 3),
                            copied_bytes=_private_dirty_bytes() if parent is not None else 0)

    def cancel(self) -> None:
        """End a snapshot a child is writing (the stack is stopping and saves what is newer itself)."""
        with self._child_lock:
            if self._child is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self._child, signal.SIGKILL)

    def _reap_child(self) -> int:
        with self._child_lock:  # never a kill of a reaped pid (which the system could give to another process)
            child, self._child = self._child, None
        if child is None:
            raise SnapshotError("no snapshot process to wait for")
        return os.waitpid(child, 0)[1]

    def remove_partials(self) -> None:
        """Temporary files of a snapshot that was interrupted (a killed stack or snapshot process)."""
        if not self.directory.exists():
            return
        for leftover in [*self.directory.glob(f"*{PARTIAL_SUFFIX}*"),
                         *self._blobs.directory.glob(f"*{PARTIAL_SUFFIX}")]:
            leftover.unlink(missing_ok=True)


# --- writing in a forked child -------------------------------------------------------------------


def _fork(write: Callable[..., SnapshotInfo]) -> tuple[int, int]:
    """Fork; the child writes the snapshot and reports through a pipe. Returns (child pid, pipe to read)."""
    read_end, write_end = os.pipe()
    parent = os.getpid()
    descriptors = _descriptor_limit()  # found here: the child should import nothing (another thread may hold
    # an import lock at the fork, which the child would wait for forever)
    with warnings.catch_warnings():
        # Python 3.12+ warns on every fork of a threaded process; this child only pickles and writes a file,
        # and every lock it could need is free: the gate holds all requests, the child uses no other thread.
        warnings.filterwarnings("ignore", message=r".*use of fork\(\) may lead to deadlocks",
                                category=DeprecationWarning)
        child = os.fork()
    if child == 0:  # pragma: no cover - the child's coverage is not collected
        code = 1
        try:
            _close_inherited_descriptors(keep=write_end, limit=descriptors)
            gc.disable()  # the child only pickles; a collection would touch (and so copy) every page
            with contextlib.suppress(OSError):
                os.nice(10)  # the stack's own work comes first; a snapshot can wait for spare CPU
            info = write(parent=parent)
            os.write(write_end, json.dumps(asdict(info)).encode())
            code = 0
        except BaseException:  # noqa: BLE001 - reported to the parent, which logs it
            os.write(write_end, json.dumps({"error": traceback.format_exc(limit=8)}).encode())
        finally:
            os._exit(code)
    os.close(write_end)
    return child, read_end


def _room_to_fork() -> bool:
    """Whether the machine has the memory a snapshot process may need: it copies every page of the stack
    that holds an object it pickles, so up to about the stack's size (Linux; elsewhere assumed)."""
    try:
        available = _kilobytes(Path("/proc/meminfo").read_text(), "MemAvailable:")
        resident = _kilobytes(Path("/proc/self/status").read_text(), "VmRSS:")
    except (OSError, ValueError):
        return True
    return available >= resident


def _kilobytes(text: str, field: str) -> int:
    line = next((line for line in text.splitlines() if line.startswith(field)), None)
    if line is None:
        raise ValueError(f"no {field}")
    return int(line.split()[1])


def _descriptor_limit() -> int:
    try:
        import resource
    except ImportError:  # no resource module (Windows, which has no fork either)
        return 256
    return min(65536, resource.getrlimit(resource.RLIMIT_NOFILE)[0])


def _close_inherited_descriptors(*, keep: int, limit: int) -> None:
    # The child must not hold the stack's sockets open (a closed connection would stay open until the
    # child exits) nor the state directory's lock (a restarted stack would wait for an orphan child).
    os.closerange(3, keep)
    os.closerange(keep + 1, limit)


def _private_dirty_bytes() -> int:
    """This process's memory that is its own (in a forked child: what it copied), from /proc (Linux)."""
    try:
        rollup = Path("/proc/self/smaps_rollup").read_text()
    except OSError:
        return 0
    return sum(int(line.split()[1]) * 1024 for line in rollup.splitlines() if line.startswith("Private_Dirty:"))


def _wait_for(result: int, *, reap: Callable[[], int], end: Callable[[], None], timeout: float) -> SnapshotInfo:
    """The child's report from the pipe ``result`` (read until it closes), once ``reap`` has its exit status;
    ``end`` ends a child that takes longer than ``timeout`` seconds."""
    chunks = []
    deadline = time.monotonic() + timeout
    timed_out = False
    with os.fdopen(result, "rb", buffering=0) as pipe:
        while True:
            ready, _, _ = select.select([pipe], [], [], max(0.0, deadline - time.monotonic()))
            if not ready and not timed_out:
                timed_out = True
                end()
                continue
            chunk = pipe.read(65536)
            if not chunk:
                break
            chunks.append(chunk)
    status = reap()
    if timed_out:
        raise SnapshotError(f"the snapshot process was still busy after {timeout:g} s and was ended")
    try:
        report = json.loads(b"".join(chunks) or b"{}")
    except ValueError:
        report = {}
    if os.waitstatus_to_exitcode(status) != 0 or "error" in report or not report:
        raise SnapshotError(str(report.get("error") or f"the snapshot process ended with status {status}"))
    report["services"] = tuple(report["services"])
    return SnapshotInfo(**report)


# --- the periodic saver --------------------------------------------------------------------------


class Snapshotter:
    """Saves the emulator's state a few seconds after it changed, and once more at ``stop()``."""

    def __init__(self, state: EmulatorState, gate: RequestGate, *, fork: bool = True,
                 min_interval_seconds: float = MIN_INTERVAL_SECONDS) -> None:
        self._state = state
        self._gate = gate
        self._fork = fork
        self._min_interval = min_interval_seconds
        self._saved_changes = -1
        self._not_before = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._cancelling = False
        self.last: SnapshotInfo | None = None
        self.failures = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="emulator-snapshots", daemon=True)
        self._thread.start()

    def save_if_changed(self, *, fork: bool | None = None) -> SnapshotInfo | None:
        """A snapshot now when the state changed since the last one; None when it did not."""
        with self._lock:
            if self._gate.changes == self._saved_changes:
                return None
            started = time.monotonic()
            wanted_fork = self._fork if fork is None else fork
            try:
                info, changes = self._state.save(self._gate, fork=wanted_fork)
            except Exception as exc:  # noqa: BLE001 - a failed snapshot must not stop the stack; it is logged
                if self._cancelling:
                    LOGGER.debug("snapshot ended by the stop: %s", exc)
                    return None
                self.failures += 1
                self._not_before = time.monotonic() + RETRY_AFTER_FAILURE_SECONDS
                LOGGER.warning("the emulator's state could not be saved (retrying in %.0f s): %s",
                               RETRY_AFTER_FAILURE_SECONDS, exc)
                return None
            elapsed = time.monotonic() - started
            self._not_before = time.monotonic() + max(self._min_interval, INTERVAL_PER_SNAPSHOT_SECOND * elapsed)
            self._saved_changes = changes
            if wanted_fork and not info.forked and (self.last is None or self.last.forked):
                LOGGER.info("too little free memory for a snapshot process: snapshots are taken in-process for "
                            "now (requests wait %.1f s each time)", info.pause_seconds)
            if self.last is None:
                LOGGER.info("emulator state saved to %s (%.1f MB and %d S3 bodies; %.2f s, requests held %.0f ms); "
                            "saved again whenever it changes", info.path, info.bytes / 1e6, info.blobs, elapsed,
                            info.pause_seconds * 1000)
            else:
                LOGGER.debug("emulator state saved: %s", info)
            self.last = info
            return info

    def stop(self) -> None:
        """Stop the periodic saves and save what changed since the last one (in this process).

        A snapshot a child is still writing is ended: this last one is newer, and waiting for both would
        make Ctrl-C slow.
        """
        self._stop.set()
        self._cancelling = True
        self._state.cancel()
        if self._thread is not None:
            self._thread.join()
        self._cancelling = False
        if self._gate.changes != self._saved_changes:
            LOGGER.info("saving the emulator's state before stopping")
        info = self.save_if_changed(fork=False)
        self._state.remove_partials()
        if info is not None:
            LOGGER.info("emulator state saved to %s (%.1f MB)", info.path, info.bytes / 1e6)

    def _run(self) -> None:
        while not self._stop.wait(_CHECK_SECONDS):
            if time.monotonic() >= self._not_before:
                self.save_if_changed()
