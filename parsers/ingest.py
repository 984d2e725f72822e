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
from parsers.discovery import STDIN, LineReader, Source, bisect_offset, discover
from parsers.errors import UserError
from parsers.formats import FormatPlan, LineFormat, empty_fields, named_formats, plan_formats, unwrap
from parsers.formats.levels import infer_levels
from parsers.vector_re import to_str_series
from parsers.multiline import continuation_mask, fold
from parsers.records import EVENT_COLUMNS, EventBatch, ParseOptions, SourceStats
from parsers.services import service_for_path
from parsers.timestamps import YEARLESS_SPECS, TimeContext, machine_zone, parse_mixed_times

_UNKNOWN = "unknown"


def format_names() -> list[str]:
    """Names accepted by --format (custom formats from the config in the working directory included)."""
    try:
        custom = load_custom_formats(None)
    except UserError:
        custom = ()
    return list(named_formats(custom))


def read_logs(paths: Sequence[str], options: ParseOptions) -> Iterator[EventBatch]:
    """Events of every log under `paths`, source by source, at most `options.batch_lines` per batch."""
    custom = load_custom_formats(options.config_path)
    forced = _forced_format(options.format, custom)
    zone = _zone(options.tz)
    readable = 0
    plans: dict[str, FormatPlan] = {}  # last plan per directory, offered to the next file there
    for source in discover(paths):
        for batch in _read_source(source, options, zone, forced, custom, plans):
            readable += batch.last and batch.source.format not in ("binary", "unreadable")
            yield batch
    if not readable:
        raise UserError("No readable log was found (only binary or unreadable files); point logrca at text logs.")


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

    lines: list[str]
    first_line: int
    last_time: pd.Timestamp | None = None


def _read_source(source: Source, options: ParseOptions, zone: str, forced, custom,
                 plans: dict[str, FormatPlan]) -> Iterator[EventBatch]:
    stats = SourceStats(path=source.path, service=_service(source))
    reader = LineReader(source, stats)
    if reader.error or reader.binary:
        stats.format = "unreadable" if reader.error else "binary"
        reason = f"file {reader.error}" if reader.error else "binary file, not a text log"
        stats.warnings.append(f"{source.path} was skipped: {reason}")
        stats.skipped_reasons[reason] = 0
        reader.close()
        yield EventBatch(stats, _empty_events(), last=True)
        return
    ctx = TimeContext(tz=zone, start_year=options.year, mtime=source.mtime)
    try:
        yield from _batches(reader, stats, ctx, options, forced, custom, plans)
    finally:
        reader.close()


def _service(source: Source) -> str:
    return "stdin" if source.path == STDIN else service_for_path(source.path, source.root)


def _chunks(blocks: Iterator[list[str]], size: int) -> Iterator[tuple[list[str], bool]]:
    """Lists of at most `size` lines, each with whether it is the source's last."""
    buffer: list[str] = []
    for block in blocks:
        buffer.extend(block)
        while len(buffer) > size:
            yield buffer[:size], False
            buffer = buffer[size:]
    yield buffer, True


_BISECT_FROM = 32 << 20  # smaller files are read whole: parsing them costs less than the seeks
_BISECT_RESOLUTION = 1 << 20  # bytes: the bisection stops this close to the first line in the window


def _skip_before_since(reader: LineReader, first_block: list[str], plan: FormatPlan, ctx: TimeContext,
                       options: ParseOptions) -> int | None:
    """With --since on a large, plain, time-sorted file, jump over what lies before it without parsing it:
    bisect by byte offset, then count (not read) the lines passed over. None when nothing was skipped."""
    if options.since is None or not reader.seekable or plan.envelope or _yearless(plan):
        return None
    if os.path.getsize(reader.source.path) < _BISECT_FROM:
        return None
    since = _utc(options.since)
    times = _parse_chunk(first_block[:1000], 1, plan, TimeContext(tz=ctx.tz), hold_last=False)[0]["time"].dropna()
    if times.empty or not times.is_monotonic_increasing or times.iloc[-1] >= since:
        return None

    def time_of(lines: list[str]):
        found = _parse_chunk(lines, 1, plan, TimeContext(tz=ctx.tz), hold_last=False)[0]["time"].dropna()
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


def _batches(reader, stats, ctx, options, forced, custom, plans) -> Iterator[EventBatch]:
    size = max(1, options.batch_lines)
    blocks = reader.blocks()
    first_block = next(blocks, [])
    directory = os.path.dirname(reader.source.path)
    plan = plan_formats(first_block, forced, custom, previous=plans.get(directory))
    plans[directory] = plan
    stats.format = plan.dominant
    if plan.envelope:
        stats.warnings.append(f"lines were unwrapped from their {plan.envelope} envelope")
    next_line = 1
    skipped = _skip_before_since(reader, first_block, plan, ctx, options)
    if skipped is not None:
        blocks = reader.blocks()
        first_block = next(blocks, [])
        next_line = skipped + 1
    carry = _Carry([], next_line)
    pending: pd.DataFrame | None = None  # one batch held back so that the last one can say last=True
    formats_read: Counter[str] = Counter()  # the source's format is the one that read most of its lines
    for new_lines, is_last in _chunks(itertools.chain([first_block], blocks), size):
        lines = carry.lines + new_lines
        first = carry.first_line if carry.lines else next_line
        next_line += len(new_lines)
        events, held = _parse_chunk(lines, first, plan, ctx, hold_last=not is_last and len(carry.lines) < size)
        carry = _Carry(lines[len(lines) - held:] if held else [], first + len(lines) - held, carry.last_time)
        formats_read.update(events.groupby("format", sort=False)["lines"].sum().to_dict())
        events = _finish(events, reader.source, stats, carry, options)
        for piece in _slices(events, size):
            if pending is not None:
                yield EventBatch(stats, pending, last=False)
            pending = piece
    stats.timezone_assumed = ctx.zone_assumed
    if len(formats_read) > 1:
        formats_read.pop(_UNKNOWN, None)  # lines no format read do not make the file's format "unknown"
    if formats_read:
        stats.format = formats_read.most_common(1)[0][0]
        if len(formats_read) > 1:
            shares = ", ".join(f"{name} {lines}" for name, lines in formats_read.most_common())
            stats.warnings.append(f"the file mixes formats (lines read as: {shares})")
    yield EventBatch(stats, pending if pending is not None else _empty_events(), last=True)


def _parse_chunk(lines: list[str], first_line: int, plan: FormatPlan, ctx: TimeContext, hold_last: bool):
    """Events of a chunk, and how many trailing lines (the last event's) were held back for the next chunk."""
    raw = to_str_series(pa.array(lines, type=pa.large_string()), pd.RangeIndex(len(lines)))
    if plan.envelope:
        text, envelope_times, spans = unwrap(raw, plan.envelope)
    else:
        text, envelope_times, spans = raw, None, pd.Series(1, index=raw.index, dtype="int64")
    pieces, remaining = [], text
    for fmt in plan.formats:
        if remaining.empty:
            break
        read = fmt.parse(remaining, ctx)
        if len(read):
            read["format"] = fmt.name
            pieces.append(read)
            remaining = remaining.drop(read.index)
    unread = empty_fields(remaining.index)
    unread["message"] = remaining.str.rstrip()
    unread["format"] = _UNKNOWN
    pieces.append(unread)
    events = pd.concat([p for p in pieces if len(p)] or [unread]).reindex(text.index)
    events["parsed"] = events["format"] != _UNKNOWN
    if envelope_times is not None:
        events["time"] = events["time"].fillna(parse_mixed_times(envelope_times, ctx))
    is_cont = continuation_mask(text, events["parsed"], plan.fold_unparsed)
    held = 0
    if hold_last:
        starts = (~is_cont).to_numpy().nonzero()[0]
        last_start = int(starts[-1]) if len(starts) else 0
        if last_start > 0:
            held = len(lines) - int(text.index[last_start])
            keep = slice(0, last_start)
            text, spans, events, is_cont = text.iloc[keep], spans.iloc[keep], events.iloc[keep], is_cont.iloc[keep]
    events = fold(events, text, spans, is_cont)
    events["line"] = first_line + events.index.to_numpy()
    return events.reset_index(drop=True), held


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
    no_time = events["time"].isna()
    stats.lines_without_time += int(no_time.sum())
    if no_time.any():
        filled = events["time"].ffill()
        if carry.last_time is not None:
            filled = filled.fillna(carry.last_time)
        events["time"] = filled.bfill()
    if events["time"].notna().any():
        carry.last_time = events["time"].dropna().iloc[-1]
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
