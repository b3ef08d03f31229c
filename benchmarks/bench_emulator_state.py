"""Benchmark: what keeping the local stack's state across restarts costs (issue 8, item 15).

1. 10,000-row product imports (upload -> AutoImport -> catalog) on two local stacks running side by side:
   one saving the emulator's state as usual (a snapshot at most every 2 s while it changes), one with
   periodic snapshots all but off. The imports alternate between the two (these machines are noisy), three
   each; reported as the median ratio of the paired import times (target <= 1.10: not noticeable).
2. The state those imports leave (demo environment, 30,000 catalog records, the files), restored into this
   process from the state directory and saved again: snapshot size, restore time, the time one snapshot
   takes to pickle and write, how long requests are held for it (a forked snapshot only holds them for the
   fork) and how much memory the snapshot process copies meanwhile. Times also as ratios to one import's.

    .venv/bin/python -m benchmarks emulator_state
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pimtasks_local.emulator_state import MIN_INTERVAL_SECONDS

ROWS = 10_000
PAIRS = 3
IMPORT_RATIO_TARGET = 1.10
TASK = {
    "type": "import", "description": "Bench: products", "frequency": {"every": "day", "time": "03:00"},
    "notification": {"emails": [], "when": "never"},
    "settings": {"import_name": "Bench products", "target": "products", "auto_import": True, "archived": True},
}


def products_csv(rows: int, *, prefix: str) -> bytes:
    lines = ["article_number;brand;gross_price;currency;order_unit;description"]
    lines += [f"{prefix}-{n:07d};Acme;{n % 1000},{n % 100:02d};EUR;C62;Product number {n} of the bench"
              for n in range(rows)]
    return ("\n".join(lines) + "\n").encode("utf-8")


@dataclass
class _Cost:
    """One import: wall time, CPU of the stack's process, CPU of its snapshot processes (Linux: /proc)."""

    seconds: float
    stack_cpu: float
    snapshot_cpu: float


def _cpu_seconds(pid: int) -> tuple[float, float]:
    """(own CPU, CPU of reaped children) of a process, from /proc; zeros where there is no /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    utime, stime, cutime, cstime = (int(fields[i]) for i in (11, 12, 13, 14))
    return (utime + stime) / tick, (cutime + cstime) / tick


class _Importer:
    """A launched stack with the bench's import task; ``timed_import`` uploads a new file and waits for its run."""

    def __init__(self, stack: Any, scratch: Path) -> None:
        from pimtasks_local.http_client import ApiClient

        self._client = ApiClient(stack.state["api_url"], api_key=stack.state["admin_api_key"], timeout=60)
        self._task_id = self._client.post("/environments/000001/tasks", TASK).body["task_id"]
        self._scratch = scratch
        self._pid = int(stack.process.pid)

    def measured_import(self, prefix: str) -> _Cost:
        own, children = _cpu_seconds(self._pid)
        seconds = self.timed_import(prefix)
        time.sleep(MIN_INTERVAL_SECONDS * 2)  # the snapshot of the import's end is part of its cost
        own_after, children_after = _cpu_seconds(self._pid)
        return _Cost(seconds=seconds, stack_cpu=own_after - own, snapshot_cpu=children_after - children)

    def timed_import(self, prefix: str) -> float:
        from benchmarks.bench_import_end_to_end import _upload

        upload_file = self._scratch / f"{prefix}.csv"
        upload_file.write_bytes(products_csv(ROWS, prefix=prefix))
        ticket = self._client.post("/environments/000001/uploads",
                                   {"import_name": "Bench products", "file_name": f"{prefix}.csv"}).body
        before = {run["run_id"] for run in self._runs()}
        started = time.perf_counter()
        _upload(ticket["url"], upload_file)
        finished = self._new_finished_run(before, timeout=600)
        seconds = time.perf_counter() - started
        if finished["status"] != "succeeded" or finished["counts"]["created"] != ROWS:
            raise RuntimeError(f"the bench import did not create {ROWS} records: {finished}")
        return seconds

    def _runs(self) -> list[dict[str, Any]]:
        return list(self._client.get(f"/environments/000001/tasks/{self._task_id}/runs").body["items"])

    def _new_finished_run(self, before: set[str], *, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ended = [r for r in self._runs() if r["run_id"] not in before and r["status"] not in ("queued", "running")]
            if ended:
                return ended[0]
            time.sleep(0.5)
        raise TimeoutError("the import run did not end in time")


def _paired_imports(root: Path) -> tuple[list[_Cost], list[_Cost]]:
    """(with snapshots, without) of PAIRS alternating imports on two stacks side by side."""
    from pimtasks_local.launcher import launched_stack

    with launched_stack(root / "with", arguments=()) as on, \
            launched_stack(root / "without", arguments=("--snapshot-seconds", "86400")) as off:
        with_snapshots, without = _Importer(on, root), _Importer(off, root)
        costs: tuple[list[_Cost], list[_Cost]] = ([], [])
        for pair in range(PAIRS):
            first_on = pair % 2 == 0
            for snapshots in (first_on, not first_on):
                importer = with_snapshots if snapshots else without
                costs[0 if snapshots else 1].append(importer.measured_import(f"P{pair}{'S' if snapshots else 'N'}"))
    return costs


def _snapshot_figures(state_dir: Path) -> dict[str, Any]:
    """Restore the kept state into this process, then save it in-process and forked."""
    from moto.backends import get_backend
    from pimtasks_local.emulator_state import EmulatorState
    from pimtasks_local.request_gate import RequestGate

    kept = EmulatorState(state_dir / "emulator")
    for service in (kept.header() or {}).get("services", ()):
        get_backend(service)  # moto's modules imported first: the restore itself is what is timed
    started = time.perf_counter()
    restored = kept.restore()
    restore_seconds = time.perf_counter() - started
    if restored is None:
        raise RuntimeError(f"nothing saved in {kept.directory}")
    gate = RequestGate(lambda environ, start_response: [])
    in_process, _ = kept.save(gate, fork=False)
    started = time.perf_counter()
    forked, _ = kept.save(gate, fork=True)
    forked_seconds = time.perf_counter() - started
    return {
        "snapshot_mb": round(in_process.bytes / 1e6, 2), "s3_bodies": in_process.blobs,
        "s3_body_mb": round(in_process.blob_bytes / 1e6, 2),
        "restore_seconds": round(restore_seconds, 3),
        "snapshot_seconds_in_process": round(in_process.pickle_seconds, 3),
        "snapshot_seconds_forked": round(forked_seconds, 3),
        "requests_held_ms_forked": round(forked.pause_seconds * 1000, 1),
        "memory_copied_mb_forked": round(forked.copied_bytes / 1e6, 1),  # the child's own pages (Linux)
        "memory_copied_to_rss_ratio": round(forked.copied_bytes / _rss_bytes(), 3) if _rss_bytes() else None,
        "forked": forked.forked,
    }


def _rss_bytes() -> int:
    """This process's resident memory (it holds the restored state, as the stack would), from /proc."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return 0
    return next((int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmRSS:")), 0)


def _median_ratio(numerators: list[float], denominators: list[float]) -> float:
    return statistics.median(n / d for n, d in zip(numerators, denominators, strict=True) if d > 0) if any(
        denominators) else 0.0


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        with_snapshots, without = _paired_imports(root)
        figures = _snapshot_figures(root / "with")
    wall_ratio = _median_ratio([c.seconds for c in with_snapshots], [c.seconds for c in without])
    one_import = statistics.median(c.seconds for c in with_snapshots)
    return {
        "rows_per_import": ROWS,
        "catalog_records": ROWS * PAIRS,
        "import_seconds_with_snapshots": [round(c.seconds, 1) for c in with_snapshots],
        "import_seconds_without_snapshots": [round(c.seconds, 1) for c in without],
        "import_ratio_with_to_without": round(wall_ratio, 3),
        "import_ratio_target": IMPORT_RATIO_TARGET,
        "import_ratio_ok": wall_ratio <= IMPORT_RATIO_TARGET,
        # CPU is steadier than wall time on a shared machine: the stack's own, and the snapshot processes'
        "stack_cpu_ratio_with_to_without": round(_median_ratio([c.stack_cpu for c in with_snapshots],
                                                               [c.stack_cpu for c in without]), 3),
        "snapshot_cpu_to_stack_cpu_ratio": round(_median_ratio([c.snapshot_cpu for c in with_snapshots],
                                                               [c.stack_cpu for c in with_snapshots]), 3),
        **figures,
        "snapshot_to_import_ratio": round(figures["snapshot_seconds_in_process"] / one_import, 4),
        "requests_held_to_import_ratio": round(figures["requests_held_ms_forked"] / 1000 / one_import, 5),
        "restore_to_import_ratio": round(figures["restore_seconds"] / one_import, 4),
    }


if __name__ == "__main__":
    print(run())
