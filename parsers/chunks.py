"""Reading one chunk of decoded lines with a file's format plan: fields per line, then multi-line events folded.

    parse_chunk(lines, first_line, plan, ctx, hold_last) -> (events, held)
    event_starts(lines, plan, ctx) -> bool array: lines that open an event and carry a time
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from parsers.formats import FormatPlan, empty_fields, unwrap
from parsers.multiline import continuation_mask, fold
from parsers.timestamps import TimeContext, parse_mixed_times
from parsers.vector_re import to_str_series

UNKNOWN = "unknown"  # the format of lines no format read
Lines = list[str] | pa.LargeStringArray  # decoded lines without their line ends (LineReader.blocks gives Arrow's)


def parse_chunk(lines: Lines, first_line: int, plan: FormatPlan, ctx: TimeContext, hold_last: bool):
    """Events of a chunk, and how many trailing lines (the last event's) were held back for the next chunk."""
    text, events, spans = _read_lines(lines, plan, ctx)
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


def event_starts(lines: Lines, plan: FormatPlan, ctx: TimeContext) -> np.ndarray:
    """Per line: whether a format read its header and found a time in it. Such a line never continues the event
    above it (only unparsed lines do), so a file can be cut just before it without changing any event."""
    _, events, _ = _read_lines(lines, plan, ctx)
    return (events["parsed"] & events["time"].notna()).to_numpy(dtype=bool)


def _read_lines(lines: Lines, plan: FormatPlan, ctx: TimeContext):
    """(text after any envelope, fields per line with `format` and `parsed`, physical lines per row)."""
    values = lines if isinstance(lines, pa.Array) else pa.array(lines, type=pa.large_string())
    raw = to_str_series(values, pd.RangeIndex(len(lines)))
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
    unread["format"] = UNKNOWN
    pieces.append(unread)
    events = pd.concat([p for p in pieces if len(p)] or [unread]).reindex(text.index)
    events["parsed"] = events["format"] != UNKNOWN
    if envelope_times is not None:
        events["time"] = events["time"].fillna(parse_mixed_times(envelope_times, ctx))
    return text, events, spans
