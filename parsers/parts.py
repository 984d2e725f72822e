"""Cutting the input into parts that can be read independently (by worker processes), and putting the parts'
statistics back together per file.

A part is a whole file, or a byte range of a large plain file that starts at a line which opens an event and
carries a time: no event spans two parts, and no line at a part's start needs a time from the part before it.
Parts are grouped into tasks (a few megabytes of work each). How the input is cut depends only on the input,
never on the number of processes, so every run of the same input reads the same parts in the same order.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from parsers.chunks import UNKNOWN, event_starts
from parsers.discovery import NO_LINES, STDIN, LineReader, Source
from parsers.formats import FormatPlan, LineFormat, plan_formats
from parsers.records import ParseOptions, SourceStats
from parsers.timestamps import YEARLESS_SPECS, TimeContext

TASK_FILES = 64  # small files read by one task (a directory of ten thousand three-line files is not rare)
TASK_BYTES = 16 << 20  # and at most about this much of them
LARGE_FILE_BYTES = 1 << 20  # a file this large has a task of its own, and may be cut into parts
_WINDOWS = (1 << 14, 1 << 18)  # bytes searched after a cut point for a line that opens an event
CUT_BATCH = 16  # cut points whose windows are read together


@dataclass(frozen=True)
class ReadSettings:
    """What every part of a run is read with, resolved once from the options (and sent to worker processes)."""

    options: ParseOptions
    zone: str
    forced: LineFormat | None = None
    custom: tuple = ()


@dataclass(frozen=True)
class Part:
    """A file, or the byte range [start, end) of one; `plan` is given when the file's head chose it."""

    source: Source
    start: int = 0
    end: int | None = None
    first_line: int = 1
    plan: FormatPlan | None = None
    final: bool = True  # the file's last part
    large: bool = False  # planned afresh, never from a sibling's plan (see plan_tasks)


@dataclass(frozen=True)
class Task:
    parts: tuple[Part, ...]


def plan_tasks(sources: Sequence[Source], settings: ReadSettings) -> Iterator[Task]:
    """The sources as tasks in input order: large plain files cut into parts of about ParseOptions.part_bytes
    (half a second of parsing or less, so that the cores share the work out evenly to the end), small files
    grouped. Lazily: finding the cuts of a file reads it, and workers can start on the first file meanwhile.

    A small file may reuse the plan of the small file before it in its directory and task (choosing a format
    afresh costs more than reading a three-line file); a large file is always planned afresh. Groups close at
    fixed sizes and at every large file, so neither the part size nor the number of processes changes which
    plan a file is read with."""
    part_bytes = max(1, settings.options.part_bytes)
    group: list[Part] = []
    group_bytes = 0
    for source in sources:
        size = source_size(source)
        if size >= LARGE_FILE_BYTES:
            if group:
                yield Task(tuple(group))
                group, group_bytes = [], 0
            yield from (Task((part,)) for part in _split(source, size, settings, part_bytes))
            continue
        group.append(Part(source))
        group_bytes += size
        if group_bytes >= TASK_BYTES or len(group) >= TASK_FILES:
            yield Task(tuple(group))
            group, group_bytes = [], 0
    if group:
        yield Task(tuple(group))


def source_size(source: Source) -> int:
    try:
        return 0 if source.path == STDIN else os.path.getsize(source.path)
    except OSError:
        return 0


def _split(source: Source, size: int, settings: ReadSettings, part_bytes: int) -> Iterator[Part]:
    """The file's parts, each given as soon as the cut that ends it is found."""
    whole = Part(source, large=True)
    count = round(size / part_bytes)
    if count < 2 or settings.options.since is not None:
        yield whole  # (with --since, the reader bisects a sorted file instead)
        return
    plan = _splittable_plan(source, settings)
    if plan is None:
        yield whole
        return
    start, first_line = 0, 1
    for cut, cut_line in _cuts(source.path, size, plan, TimeContext(tz=settings.zone), -(-size // count)):
        yield Part(source, start, cut, first_line, plan, final=False, large=True)
        start, first_line = cut, cut_line
    yield Part(source, start, None, first_line, plan, final=True, large=True) if start else whole


def _splittable_plan(source: Source, settings: ReadSettings) -> FormatPlan | None:
    """The file's plan when it can be cut: plain text read by a header format whose times carry their year.
    Compressed streams cannot be entered in the middle, envelopes join partial lines across line ends, and a
    year-less time's year comes from the roll-overs counted since the file's first line."""
    reader = LineReader(source, SourceStats(path=source.path))
    try:
        if reader.error or reader.binary or not reader.seekable:
            return None
        head = next(reader.blocks(), NO_LINES)
    finally:
        reader.close()
    plan = plan_formats(head, settings.forced, settings.custom)
    if plan.envelope or not plan.formats or plan.dominant == UNKNOWN:
        return None
    if any(getattr(f, "time_spec", None) in YEARLESS_SPECS for f in plan.formats if f.name in plan.shares):
        return None  # a year-less stamp takes its year from the lines before it: only a reader from the start knows
    return plan


def _cuts(path: str, size: int, plan: FormatPlan, ctx: TimeContext, part_bytes: int) -> Iterator[tuple[int, int]]:
    """(offset, line number) of each cut: the first event-opening line at or after every `part_bytes`.

    The windows after the cut points are read a few at a time (CUT_BATCH): reading lines has a fixed cost of
    some milliseconds (formats, times, frames) whatever their number, and a batch holds its windows' bytes."""
    targets = list(range(part_bytes, size - part_bytes // 2 + 1, part_bytes))
    last = 0
    newlines = 0  # newlines in [0, counted)
    counted = 0
    with open(path, "rb") as fh:
        for at in range(0, len(targets), CUT_BATCH):
            batch = targets[at : at + CUT_BATCH]
            for target, found in zip(batch, _window_starts(fh, batch, plan, ctx, part_bytes)):
                newlines += _count_newlines(fh, counted, target)
                counted = target
                if found is not None and target + found[0] > last:
                    last = target + found[0]
                    yield last, newlines + found[1] + 1


def _window_starts(fh, targets: list[int], plan: FormatPlan, ctx: TimeContext,
                   part_bytes: int) -> list[tuple[int, int] | None]:
    """For each offset, where in the window read from it the first event-opening line begins and how many
    newlines come before it there (None: no such line). Most lines open an event, so a small window nearly
    always holds one; a larger one is read for the others."""
    found: list[tuple[int, int] | None] = [None] * len(targets)
    pending = list(range(len(targets)))
    for window_bytes in _WINDOWS:
        windows = []
        for i in pending:
            fh.seek(targets[i])
            windows.append(fh.read(min(window_bytes, part_bytes)))
        for i, window, start in zip(pending, windows, _first_starts(windows, plan, ctx)):
            found[i] = None if start is None else (start, window.count(b"\n", 0, start))
        pending = [i for i in pending if found[i] is None]
        if not pending or window_bytes >= part_bytes:
            break
    return found


def _count_newlines(fh, start: int, end: int) -> int:
    fh.seek(start)
    count = 0
    while start < end:
        data = fh.read(min(4 << 20, end - start))
        if not data:
            break
        count += data.count(b"\n")
        start += len(data)
    return count


def _first_starts(windows: list[bytes], plan: FormatPlan, ctx: TimeContext) -> list[int | None]:
    """Offset in each window of its first whole line that opens an event with a time, if any. The lines of all
    the windows are read in one go: whether a line opens an event depends on that line alone (the plans that
    can be cut have no envelope and no year-less times, and JSON times are read from their text)."""
    pieces = []
    for window in windows:
        first, last = window.find(b"\n") + 1, window.rfind(b"\n")
        pieces.append((first, window[first:last].split(b"\n") if 0 < first <= last else []))
    lines = [line.decode("utf-8", errors="replace").rstrip("\r") for _, raw in pieces for line in raw]
    starts = event_starts(lines, plan, ctx) if lines else np.zeros(0, dtype=bool)
    out: list[int | None] = []
    at = 0
    for first, raw in pieces:
        hits = np.flatnonzero(starts[at : at + len(raw)])
        at += len(raw)
        out.append(first + sum(len(line) + 1 for line in raw[: int(hits[0])]) if len(hits) else None)
    return out


@dataclass
class SourceStitcher:
    """Puts the statistics of a file's parts back together, in part order, and settles the file's format."""

    _pending: list[SourceStats] = field(default_factory=list)

    def stitch(self, part: Part, stats: SourceStats) -> SourceStats | None:
        """The file's statistics once its final part is given, else None."""
        self._pending.append(stats)
        if not part.final:
            return None
        pieces, self._pending = self._pending, []
        return settle_format(merge_stats(pieces))


def merge_stats(pieces: list[SourceStats]) -> SourceStats:
    if len(pieces) == 1:
        return pieces[0]
    first = pieces[0]
    merged = replace(first, skipped_reasons=dict(first.skipped_reasons), warnings=list(first.warnings),
                     formats_read=Counter(first.formats_read))
    for piece in pieces[1:]:
        merged.lines += piece.lines
        merged.lines_unparsed += piece.lines_unparsed
        merged.lines_skipped += piece.lines_skipped
        merged.lines_without_time += piece.lines_without_time
        merged.bytes_undecodable += piece.bytes_undecodable
        merged.first_time = _min(merged.first_time, piece.first_time)
        merged.last_time = _max(merged.last_time, piece.last_time)
        merged.timezone_assumed = merged.timezone_assumed or piece.timezone_assumed
        for reason, lines in piece.skipped_reasons.items():
            merged.skipped_reasons[reason] = merged.skipped_reasons.get(reason, 0) + lines
        merged.warnings.extend(w for w in piece.warnings if w not in merged.warnings)
        merged.formats_read.update(piece.formats_read)
    return merged


def settle_format(stats: SourceStats) -> SourceStats:
    """The file's format is the one that read most of its lines; a file read by several says so."""
    formats_read = Counter(stats.formats_read)
    if len(formats_read) > 1:
        formats_read.pop(UNKNOWN, None)  # lines no format read do not make the file's format "unknown"
    if formats_read:
        stats.format = formats_read.most_common(1)[0][0]
        if len(formats_read) > 1:
            shares = ", ".join(f"{name} {lines}" for name, lines in formats_read.most_common())
            stats.warnings.append(f"the file mixes formats (lines read as: {shares})")
    return stats


def _min(a, b):
    return b if a is None else a if b is None else min(a, b)


def _max(a, b):
    return b if a is None else a if b is None else max(a, b)
