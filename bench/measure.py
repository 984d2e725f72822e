"""Shared measurements for the benches: a logrca run in a child process (time, peak memory) and baselines."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def run_logrca(args: list[str]) -> tuple[float, float]:
    """Run `logrca ARGS` in a child process; (wall seconds, peak resident MB of the child)."""
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", "from analyzer.cli import main; main()", *args], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    stderr = child.stderr.read().decode(errors="replace") if child.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"logrca {' '.join(args)} failed:\n{stderr}")
    return seconds, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


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
