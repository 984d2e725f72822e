"""Shared measurements for the benches: a logrca run in a child process (time, peak memory) and baselines."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def run_logrca(args: list[str]) -> tuple[float, float]:
    """Run `logrca ARGS` in a child process; (wall seconds, peak memory MB of the child and its workers).

    The peak is the larger of the child's own peak RSS and the highest sum, sampled every 50 ms, of the
    proportional set size (PSS: shared pages split between the processes sharing them) of the child and all its
    descendants: with worker processes, one process's peak says nothing of the total."""
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", "from analyzer.cli import main; main()", *args], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sampler = _TreeMemory(child.pid)
    sampler.start()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    sampler.stop()
    stderr = child.stderr.read().decode(errors="replace") if child.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"logrca {' '.join(args)} failed:\n{stderr}")
    return seconds, max(usage.ru_maxrss / 1024, sampler.peak_kib / 1024)  # ru_maxrss is in KiB on Linux


class _TreeMemory(threading.Thread):
    """Samples the summed PSS of a process and its descendants (Linux /proc) until stopped."""

    def __init__(self, pid: int, interval: float = 0.05):
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak_kib = pid, interval, 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.peak_kib = max(self.peak_kib, sum(_pss_kib(p) for p in _tree(self.pid)))
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def _tree(root: int) -> list[int]:
    pids, frontier = [root], [root]
    while frontier:
        found = []
        for pid in frontier:
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{task}/children") as fh:
                        found += [int(c) for c in fh.read().split()]
            except OSError:
                pass
        pids += found
        frontier = found
    return pids


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def plain_read_and_split(files: list[Path]) -> tuple[float, int]:
    """The floor to approach: read every line of every file and split it on white space. (seconds, lines)"""
    started = time.perf_counter()
    lines = 0
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                line.split()
                lines += 1
    return time.perf_counter() - started, lines


def drain3_default(files: list[Path], limit: int) -> tuple[float, int]:
    """Drain3's TemplateMiner with its default configuration fed raw lines (headers included), as someone
    without logrca would; on the first `limit` lines (it is slow), interleaved across the files. (seconds, lines)"""
    from drain3 import TemplateMiner

    miner = TemplateMiner()
    per_file = max(1, limit // len(files))
    raw: list[str] = []
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for i, line in enumerate(handle):
                if i >= per_file:
                    break
                raw.append(line.rstrip("\n"))
    started = time.perf_counter()
    for line in raw:
        miner.add_log_message(line)
    return time.perf_counter() - started, len(raw)


def line_count(files: list[Path]) -> int:
    total = 0
    for path in files:
        with open(path, "rb") as handle:
            total += sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 24), b""))
    return total
