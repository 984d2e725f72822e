"""Reading and mining logs over several cores: worker processes parse and mask, this process runs Drain.

    mine_logs(paths, parse_options, miner, jobs=None, on_progress=None) -> MinedLogs

The input is cut into tasks by parsers.parts (files, and byte ranges of large files, cut where an event opens).
Each task is read and premined (messages masked and reduced to distinct ones, columns compacted) by a worker;
the results come back in task order and Drain, which is stateful, sees the distinct messages in the same order
as a single process would. The cut does not depend on the number of processes, so one process and many give
identical findings.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import chain, islice
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from analyzer.event_table import MinedChunk, MinedLogs, pooled_events, premine_events, take_chunk
from analyzer.templates import TemplateMiner
from parsers.discovery import STDIN, Source, discover
from parsers.errors import UserError
from parsers.ingest import raise_nothing_readable, read_settings, read_task
from parsers.parts import Part, ReadSettings, SourceStitcher, Task, plan_tasks, source_size
from parsers.records import EventBatch, ParseOptions, SourceStats

# Below this much work, worker processes cost more than they save (a task's results are pickled back, and the
# parent waits for the first one). Work is counted in bytes, each file as FILE_COST bytes more: reading a file,
# however small, costs about as much as parsing 200 kB (format choice, a dozen pandas frames).
PARALLEL_FROM_BYTES = 48 << 20
FILE_COST = 200 << 10


@dataclass
class TaskResult:
    chunks: list[MinedChunk] = field(default_factory=list)
    parts: list[tuple[Part, SourceStats]] = field(default_factory=list)  # each part's statistics, in order


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def mine_logs(
    paths: Sequence[str],
    parse_options: ParseOptions,
    miner: TemplateMiner,
    jobs: int | None = None,
    on_progress: Callable[[int], None] | None = None,
    parallel_from_bytes: int | None = None,
    while_waiting: Callable[[], None] | None = None,
) -> MinedLogs:
    """Parse and mine every log under `paths` with up to `jobs` worker processes (default: one per core; one
    process when the input is smaller than `parallel_from_bytes`, default PARALLEL_FROM_BYTES). With workers,
    `while_waiting` is called here once the first tasks are out: this process would otherwise sit idle."""
    settings = read_settings(parse_options)
    sources = discover(paths)
    threshold = PARALLEL_FROM_BYTES if parallel_from_bytes is None else parallel_from_bytes
    workers = _workers(sources, jobs or available_cores(), threshold)
    tasks = plan_tasks(sources, settings)
    mined = MinedLogs()
    stitcher = SourceStitcher()
    for result in _results(tasks, settings, workers, while_waiting):
        for chunk in result.chunks:
            take_chunk(mined, miner, chunk, on_progress)
        for part, stats in result.parts:
            whole = stitcher.stitch(part, stats)
            if whole is not None:
                mined.sources.append(whole)
    if not any(s.format not in ("binary", "unreadable") for s in mined.sources):
        raise_nothing_readable()
    return mined


def premine_task(task: Task, settings: ReadSettings) -> TaskResult:
    """Read one task and premine its events (what a worker process does)."""
    result = TaskResult()
    ends: deque[Part] = deque()

    def batches() -> Iterator[EventBatch]:
        for part, batch in read_task(task, settings):
            if batch.last:
                ends.append(part)
            yield batch

    for item in pooled_events(batches()):
        if isinstance(item, SourceStats):
            result.parts.append((ends.popleft(), item))
        else:
            result.chunks.append(premine_events(item))
    return result


def _results(tasks: Iterable[Task], settings: ReadSettings, workers: int,
             while_waiting: Callable[[], None] | None = None) -> Iterator[TaskResult]:
    """Each task's result, in task order. At most two tasks per worker are in flight, so results waiting for
    the miner never pile up in memory."""
    queued = iter(tasks)
    first = list(islice(queued, workers)) if workers > 1 else []
    workers = min(workers, len(first))  # (an input that is one task, a .gz file say, needs no pool)
    if workers <= 1:
        for task in chain(first, queued):
            yield premine_task(task, settings)
        return
    # An executor, not multiprocessing.Pool: when a worker dies (the kernel's OOM killer) a Pool waits for its
    # task for ever; the executor says so.
    pool = ProcessPoolExecutor(workers, mp_context=_context(), initializer=_quiet_worker)
    try:
        in_flight: deque = deque(pool.submit(premine_task, task, settings)
                                 for task in chain(first, islice(queued, workers)))
        if while_waiting is not None:
            while_waiting()  # (after the workers were forked: none of them inherits what this does)
        while in_flight:
            result = in_flight.popleft().result()
            following = next(queued, None)
            if following is not None:
                in_flight.append(pool.submit(premine_task, following, settings))
            yield result
    except BrokenProcessPool:
        raise UserError("A worker process reading the logs died (killed for lack of memory?); run again with "
                        "--jobs 1, or on fewer files at a time.") from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _quiet_worker() -> None:
    # A forked worker inherits the parent's standard streams with their locks as they were at the fork; if the
    # progress display's thread held one then, the first write here would wait for ever. Workers report through
    # their results only.
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the worker


def _context():
    """fork on Linux: a worker starts in milliseconds instead of re-importing pandas and pyarrow, and the
    caller's script is not re-run (spawn re-imports `__main__`, which breaks a script without a main guard).
    Arrow resets its thread pools in a forked child. Elsewhere (on macOS fork is unsafe) spawn."""
    return multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")


def _workers(sources: Sequence[Source], jobs: int, threshold: int) -> int:
    """How many processes to read with: one for a small input, or when standard input is among the sources (a
    worker's standard input is /dev/null: what is piped in is read here)."""
    if jobs <= 1 or any(source.path == STDIN for source in sources):
        return 1
    if sum(source_size(source) + FILE_COST for source in sources) < threshold:
        return 1
    return jobs
