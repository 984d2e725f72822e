"""Reading logs: from paths to batches of events, one source at a time, each format detected by itself.

    read_logs(paths, options) -> Iterator[EventBatch]
    format_names() -> list[str]

Per source: discover and decode lines (parsers.discovery), choose formats from a sample (parsers.formats),
then per chunk of lines: take off any container envelope, read the lines with the file's formats (each a
column-wise regular expression or a JSON decode), fold continuation lines into their event
(parsers.multiline), fill in time, level and service, and drop what lies outside --since/--until (counted).
The last event of a chunk is held back and re-read with the next chunk, so a stack trace split by the chunk
boundary still folds into one event.
"""

from __future__ import annotations

import itertools
import os
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa

from parsers.config import load_custom_formats
from parsers.discovery import NO_LINES, STDIN, LineReader, Source, bisect_offset, discover
from parsers.errors import UserError
from parsers.chunks import parse_chunk
from parsers.formats import FormatPlan, LineFormat, empty_fields, named_formats, plan_formats
from parsers.formats.levels import infer_levels
from parsers.parts import Part, ReadSettings, SourceStitcher, Task, plan_tasks
from parsers.records import EVENT_COLUMNS, EventBatch, ParseOptions, SourceStats
from parsers.services import service_for_path
from parsers.timestamps import YEARLESS_SPECS, TimeContext, machine_zone

def format_names() -> list[str]:
    """Names accepted by --format (custom formats from the config in the working directory included)."""
    try:
        custom = load_custom_formats(None)
    except UserError:
        custom = ()
    return list(named_formats(custom))


def read_logs(paths: Sequence[str], options: ParseOptions) -> Iterator[EventBatch]:
    """Events of every log under `paths`, source by source, at most `options.batch_lines` per batch."""
    settings = read_settings(options)
    stitcher = SourceStitcher()
    readable = 0
    for task in plan_tasks(discover(paths), settings):
        for part, batch in read_task(task, settings):
            if not batch.last:
                yield batch
                continue
            stats = stitcher.stitch(part, batch.source)
            if stats is None:  # the end of a part, not of its file
                if not batch.events.empty:
                    yield EventBatch(batch.source, batch.events, last=False)
                continue
            readable += stats.format not in ("binary", "unreadable")
            yield EventBatch(stats, batch.events, last=True)
    if not readable:
        raise_nothing_readable()


def raise_nothing_readable() -> None:
    raise UserError("No readable log was found (only binary or unreadable files); point logrca at text logs.")


def read_settings(options: ParseOptions) -> ReadSettings:
    """The options resolved once per run: custom formats loaded, a forced format and the zone checked."""
    if not options.read_times and (options.since is not None or options.until is not None):
        raise ValueError("ParseOptions.since and .until need the times read (read_times=True)")
    custom = load_custom_formats(options.config_path)
    return ReadSettings(options, _zone(options.tz), _forced_format(options.format, custom), custom)


def read_task(task: Task, settings: ReadSettings) -> Iterator[tuple[Part, EventBatch]]:
    """The batches of each part of a task, in order; each part ends with a batch with last=True that carries
    that part's statistics (a file's parts are put together by SourceStitcher)."""
    plans: dict[str, FormatPlan] = {}  # last plan per directory, offered to the next file there
    for part in task.parts:
        for batch in _read_part(part, settings, plans):
            yield part, batch


def _forced_format(name: str | None, custom) -> LineFormat | None:
    if not name:
        return None
    formats = named_formats(custom)
    if name not in formats:
        raise UserError(f"Unknown format {name!r}; use one of: {', '.join(formats)}.")
    return formats[name]


def _zone(tz: str | None) -> str:
    if tz is None:
        return machine_zone()
    try:
        pd.Timestamp("2000-01-01").tz_localize(tz)
    except Exception:
        raise UserError(f"Unknown time zone {tz!r}; give an IANA name such as Europe/Berlin or UTC.") from None
    return tz


@dataclass
class _Carry:
    """What one chunk hands the next: the held-back event's lines, and the last time seen."""

    lines: pa.LargeStringArray
    first_line: int
    last_time: pd.Timestamp | None = None


def _read_part(part: Part, settings: ReadSettings, plans: dict[str, FormatPlan]) -> Iterator[EventBatch]:
    source = part.source
    stats = SourceStats(path=source.path, service=_service(source))
    reader = LineReader(source, stats, part.start, part.end)
    if reader.error or reader.binary:
        stats.format = "unreadable" if reader.error else "binary"
        reason = f"file {reader.error}" if reader.error else "binary file, not a text log"
        stats.warnings.append(f"{source.path} was skipped: {reason}")
        stats.skipped_reasons[reason] = 0
        reader.close()
        yield EventBatch(stats, _empty_events(), last=True)
        return
    ctx = TimeContext(tz=settings.zone, start_year=settings.options.year, mtime=source.mtime,
                      skip=not settings.options.read_times)
    try:
        yield from _batches(reader, stats, ctx, settings, plans, part)
    finally:
        reader.close()


def _service(source: Source) -> str:
    return "stdin" if source.path == STDIN else service_for_path(source.path, source.root)


def _chunks(blocks: Iterator[pa.LargeStringArray], size: int) -> Iterator[tuple[pa.LargeStringArray, bool]]:
    """Runs of at most `size` lines, each with whether it is the source's last."""
    buffer = NO_LINES
    for block in blocks:
        buffer = _concat_lines(buffer, block)
        while len(buffer) > size:
            yield buffer.slice(0, size), False
            buffer = buffer.slice(size)
    yield buffer, True


def _concat_lines(first: pa.LargeStringArray, second: pa.LargeStringArray) -> pa.LargeStringArray:
    if not len(first):
        return second
    if not len(second):
        return first
    return pa.concat_arrays([first, second])


_BISECT_FROM = 32 << 20  # smaller files are read whole: parsing them costs less than the seeks
_BISECT_RESOLUTION = 1 << 20  # bytes: the bisection stops this close to the first line in the window


def _skip_before_since(reader: LineReader, first_block: pa.LargeStringArray, plan: FormatPlan, ctx: TimeContext,
                       options: ParseOptions) -> int | None:
    """With --since on a large, plain, time-sorted file, jump over what lies before it without parsing it:
    bisect by byte offset, then count (not read) the lines passed over. None when nothing was skipped."""
    if options.since is None or not reader.seekable or plan.envelope or _yearless(plan):
        return None
    if os.path.getsize(reader.source.path) < _BISECT_FROM:
        return None
    since = _utc(options.since)
    times = parse_chunk(first_block[:1000], 1, plan, TimeContext(tz=ctx.tz), hold_last=False)[0]["time"].dropna()
    if times.empty or not times.is_monotonic_increasing or times.iloc[-1] >= since:
        return None

    def time_of(lines: list[str]):
        found = parse_chunk(lines, 1, plan, TimeContext(tz=ctx.tz), hold_last=False)[0]["time"].dropna()
        return found.iloc[0] if len(found) else None

    offset = bisect_offset(reader.source.path, since, time_of, _BISECT_RESOLUTION)
    if offset <= 0:
        return None
    reader.stats.lines = 0
    reader.stats.bytes_undecodable = 0
    skipped = reader.skip_to(offset)
    reader.stats.lines_skipped += skipped
    reason = "before --since"
    reader.stats.skipped_reasons[reason] = reader.stats.skipped_reasons.get(reason, 0) + skipped
    return skipped


def _yearless(plan: FormatPlan) -> bool:
    # Year-less stamps take their year from the lines before them; a probe in the middle cannot know it.
    spec = getattr(plan.formats[0], "time_spec", None) if plan.formats else None
    return spec in YEARLESS_SPECS


def _slices(events: pd.DataFrame, size: int) -> Iterator[pd.DataFrame]:
    # A chunk re-reads the event held back from the one before, so it may hold a few more than `size` events;
    # ParseOptions.batch_lines is a maximum per batch, so the excess goes out as a batch of its own.
    for start in range(0, len(events), size):
        yield events.iloc[start:start + size]


def _batches(reader, stats, ctx, settings: ReadSettings, plans, part: Part) -> Iterator[EventBatch]:
    options = settings.options
    size = max(1, options.batch_lines)
    blocks = reader.blocks()
    first_block = next(blocks, NO_LINES)
    plan = part.plan
    if plan is None and part.large:
        plan = plan_formats(first_block, settings.forced, settings.custom)
    elif plan is None:
        directory = os.path.dirname(reader.source.path)
        plan = plan_formats(first_block, settings.forced, settings.custom, previous=plans.get(directory))
        plans[directory] = plan
    stats.format = plan.dominant
    if plan.envelope:
        stats.warnings.append(f"lines were unwrapped from their {plan.envelope} envelope")
    next_line = part.first_line
    skipped = _skip_before_since(reader, first_block, plan, ctx, options) if part.start == 0 else None
    if skipped is not None:
        blocks = reader.blocks()
        first_block = next(blocks, NO_LINES)
        next_line = skipped + 1
    carry = _Carry(NO_LINES, next_line)
    pending: pd.DataFrame | None = None  # one batch held back so that the last one can say last=True
    formats_read: Counter[str] = Counter()  # the source's format is the one that read most of its lines
    for new_lines, is_last in _chunks(itertools.chain([first_block], blocks), size):
        lines = _concat_lines(carry.lines, new_lines)
        first = carry.first_line if len(carry.lines) else next_line
        next_line += len(new_lines)
        events, held = parse_chunk(lines, first, plan, ctx, hold_last=not is_last and len(carry.lines) < size)
        carry = _Carry(lines.slice(len(lines) - held) if held else NO_LINES, first + len(lines) - held, carry.last_time)
        formats_read.update(events.groupby("format", sort=False)["lines"].sum().to_dict())
        events = _finish(events, reader.source, stats, carry, options)
        for piece in _slices(events, size):
            if pending is not None:
                yield EventBatch(stats, pending, last=False)
            pending = piece
    stats.timezone_assumed = ctx.zone_assumed
    stats.formats_read = dict(formats_read)
    yield EventBatch(stats, pending if pending is not None else _empty_events(), last=True)


def _finish(events: pd.DataFrame, source: Source, stats: SourceStats, carry: _Carry,
            options: ParseOptions) -> pd.DataFrame:
    """Fill in what a line did not say (time from neighbours, level from the text, the file's service),
    apply --since/--until, and count it all in the source's stats."""
    if events.empty:
        return _empty_events()
    # Unparsed lines are counted as physical lines, as the findings schema says: an event no format read, and
    # header-less lines folded into a parsed event that are not part of a trace (multiline.fold counts them).
    # Lines without time count the events' first lines only: a trace's continuation lines never carry a time,
    # and are not missing one.
    if "lines_unparsed" in events.columns:
        stats.lines_unparsed += int(events["lines_unparsed"].sum())
    else:
        stats.lines_unparsed += int(events.loc[~events["parsed"], "lines"].sum())
    if options.read_times:
        _fill_times(events, stats, carry)
    no_level = events["level"] == ""
    if no_level.any():
        events.loc[no_level, "level"] = infer_levels(events.loc[no_level, "message"])
    events["service"] = events["service"].where(events["service"] != "", stats.service)
    events["path"] = source.path
    events = _window(events, stats, options)
    times = events["time"].dropna()
    if len(times):
        first, last = times.min().to_pydatetime(), times.max().to_pydatetime()
        stats.first_time = first if stats.first_time is None else min(stats.first_time, first)
        stats.last_time = last if stats.last_time is None else max(stats.last_time, last)
    extra = ["trace_id"] if "trace_id" in events.columns else []
    if extra:
        events["trace_id"] = events["trace_id"].fillna("").astype("str")
    return events[list(EVENT_COLUMNS) + extra].reset_index(drop=True)


def _fill_times(events: pd.DataFrame, stats: SourceStats, carry: _Carry) -> None:
    """An event without a time takes the one before it (the one after it at the start of a source)."""
    no_time = events["time"].isna()
    stats.lines_without_time += int(no_time.sum())
    if no_time.any():
        filled = events["time"].ffill()
        if carry.last_time is not None:
            filled = filled.fillna(carry.last_time)
        events["time"] = filled.bfill()
    if events["time"].notna().any():
        carry.last_time = events["time"].dropna().iloc[-1]


def _window(events: pd.DataFrame, stats: SourceStats, options: ParseOptions) -> pd.DataFrame:
    for bound, reason, outside in (
        (options.since, "before --since", lambda t, b: t < b),
        (options.until, "after --until", lambda t, b: t > b),
    ):
        if bound is None:
            continue
        drop = outside(events["time"], _utc(bound)).fillna(False).astype(bool)
        if drop.any():
            skipped = int(events.loc[drop, "lines"].sum())
            stats.lines_skipped += skipped
            stats.skipped_reasons[reason] = stats.skipped_reasons.get(reason, 0) + skipped
            events = events[~drop]
    return events


def _utc(moment) -> pd.Timestamp:
    # ParseOptions says aware UTC; a naive one from a library caller is taken as UTC rather than refused.
    stamp = pd.Timestamp(moment)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _empty_events() -> pd.DataFrame:
    events = empty_fields(pd.RangeIndex(0))
    events["path"] = pd.Series([], dtype="str")
    events["line"] = pd.Series([], dtype="int64")
    events["lines"] = pd.Series([], dtype="int64")
    events["format"] = pd.Series([], dtype="str")
    events["parsed"] = pd.Series([], dtype="bool")
    return events[list(EVENT_COLUMNS)]
