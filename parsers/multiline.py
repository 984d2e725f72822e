"""Folding multi-line events (stack traces, indented continuations) into the event that opened them."""

from __future__ import annotations

import numpy as np
import pandas as pd

import pyarrow as pa
import pyarrow.compute as pc

from parsers.vector_re import as_arrow, search, to_str_series

# Lines that continue the event above whatever the file's format: stack frames and trace headers of Java,
# Python, Go, Node, .NET and Ruby, and indented or blank lines.
CONTINUATION = (
    r"^(?:\s+\S"                                    # indented: frames, wrapped text
    r"|\s*$"                                        # blank lines inside a trace
    r"|at [\w$.<>/\[\]]+[.(]"                       # Java/Node frame without indent
    r"|\.\.\. \d+ (?:more|common frames omitted)"   # Java
    r"|(?:Caused by|Suppressed|Wrapped by): "       # Java cause chains
    r"|Traceback \(most recent call last\):"        # Python
    r"|During handling of the above exception|The above exception was the direct cause"
    r"|goroutine \d+ \[[^\]]*\]:"                   # Go goroutine dumps
    r"|created by \S"                               # Go
    r"|[^\s:]+\.go:\d+"                             # Go file:line
    r"|---? End of (?:inner exception )?stack trace"  # .NET
    r"|[^\s:]+:\d+:in [`'])"                        # Ruby
)
# Lines without a header that nevertheless open an event of their own: a crash's first line.
STARTS = r"^(?:panic: |fatal error: |Exception in thread |Unhandled [Ee]xception|Traceback \(most recent call last\):$)"
# Lines that continue an event only right after a continuation line: the exception line closing a Python
# traceback, a Go frame's function line, `exit status 2`.
AFTER_CONTINUATION = (
    r"^(?:[\w.]+(?:Error|Exception|Exit|Interrupt|Warning|Failure)(?::|$)"
    r"|[\w./*()\[\]-]+\(.*\)$"
    r"|exit status \d+$"
    r"|panic: )"
)


# An exception named by its dotted class, with a message: `psycopg_pool.PoolTimeout: ...`, `java.io.EOFException`.
EXCEPTION_LINE = r"^[A-Za-z_$][\w$]*(?:\.[\w$]+)+(?::\s|$)"


def continuation_mask(text: pd.Series, parsed: pd.Series, fold_unparsed: bool) -> pd.Series:
    """True for lines that belong to the event above. The first line never does (it opens the chunk)."""
    parsed_here = parsed.to_numpy(dtype=bool)
    mask = np.zeros(len(text), dtype=bool)
    # Only a line no format read can continue an event: the shapes are looked for among those alone.
    rows = np.flatnonzero(~parsed_here)
    if len(rows):
        lines = text.iloc[rows]
        looks = np.array(search(lines, CONTINUATION), dtype=bool)
        opens = np.array(search(lines, STARTS), dtype=bool)  # (a copy: the Series' own array is read-only)
        # A bare "Traceback" right under a header line belongs to it (logger.exception); elsewhere it opens a crash.
        under_header = np.concatenate([[True], parsed_here[:-1]])[rows]
        opens &= ~(lines.str.startswith("Traceback").fillna(False).to_numpy(dtype=bool) & under_header)
        mask[rows] = (looks | fold_unparsed) & ~opens
        if not fold_unparsed:
            after = np.zeros(len(text), dtype=bool)
            after[rows] = search(lines, AFTER_CONTINUATION)
            for _ in range(3):  # a closing line may follow another such line (Go: frame line then file line)
                mask |= after & np.concatenate([[False], mask[:-1]])
    if len(mask):
        mask[0] = False
    return pd.Series(mask, index=text.index)


def fold(events: pd.DataFrame, text: pd.Series, spans: pd.Series, is_continuation: pd.Series) -> pd.DataFrame:
    """One row per event: continuation lines' text joined to their opener's message with newlines; `lines`
    counts the physical lines folded in, `lines_unparsed` those of them whose header could not be read."""
    starts = ~is_continuation.to_numpy()
    event_of = np.cumsum(starts) - 1
    opened = events[starts].copy()
    weights = spans.to_numpy()
    opened["lines"] = np.bincount(event_of, weights=weights, minlength=len(opened)).astype("int64")
    opened["lines_unparsed"] = np.bincount(
        event_of, weights=weights * _headerless(events, text, starts), minlength=len(opened)
    ).astype("int64")
    if not starts.all():
        # Each event's pieces (its message, then its continuation lines) as one Arrow list, joined in C++.
        pieces = events["message"].copy()
        pieces[~starts] = text[~starts].str.rstrip()
        offsets = np.append(np.flatnonzero(starts), len(starts)).astype("int64")
        values = as_arrow(pieces.fillna("")).cast(pa.large_string())
        grouped = pa.LargeListArray.from_arrays(pa.array(offsets), values)
        joined = to_str_series(pc.binary_join(grouped, pa.scalar("\n", pa.large_string())), opened.index)
        multi = opened["lines"].to_numpy() > 1
        opened["message"] = joined.str.rstrip().where(multi, opened["message"])
    return opened


def _headerless(events: pd.DataFrame, text: pd.Series, starts: np.ndarray) -> np.ndarray:
    """Per line, whether it counts as unparsed: an event opened by a line no format read, or a line folded into
    the event above only because it had no header (a stray line in a text log). A trace's frames, cause chain
    and exception line are part of their event's shape and count as read."""
    unparsed = ~events["parsed"].to_numpy(dtype=bool)
    counted = unparsed & starts
    folded = np.flatnonzero(~starts)
    if len(folded):
        lines = text.iloc[folded]
        event_of = np.cumsum(starts)[folded] - 1
        shaped = search(lines, CONTINUATION) | search(lines, AFTER_CONTINUATION) | search(lines, EXCEPTION_LINE)
        # Once an event's trace has begun, the rest of it is the trace's (an exception's message may run over
        # several lines: psycopg's "PoolTimeout: ...\n(last error: ...)").
        traced = shaped.groupby(event_of).cummax().to_numpy(dtype=bool)
        # A line folded into an event no format read is as unread as its opener.
        opener_unparsed = unparsed[np.flatnonzero(starts)][event_of]
        counted[folded] = opener_unparsed | ~traced
    return counted
