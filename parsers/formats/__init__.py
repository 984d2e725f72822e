"""Log formats: the named ones, and choosing which read a file (from a sample of its lines)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa

from parsers.formats.base import FIELDS, LineFormat, RegexFormat, empty_fields
from parsers.formats.builtin import BUILTIN_FORMATS
from parsers.formats.envelopes import detect_envelope, unwrap
from parsers.formats.learned import LearnedFormat, learn_format
from parsers.formats.levels import LEVEL_REGEX
from parsers.formats.structured import JsonFormat, LogfmtFormat
from parsers.timestamps import SPECS, without_lookarounds

__all__ = ["FIELDS", "FormatPlan", "LineFormat", "RegexFormat", "empty_fields", "named_formats", "plan_formats",
           "unwrap"]

_LOOSE_SPECS = ("iso", "ymd_slash", "ctime", "clf", "syslog", "bgl", "yy_slash")
GENERIC = RegexFormat(
    "generic",
    r"^(?:\S{0,40}\s){0,3}?[\[(]?(?P<time>"
    + "|".join(f"(?:{without_lookarounds(s.regex)})" for s in SPECS if s.name in _LOOSE_SPECS)
    + r")[\]),]?:?\s*(?:[\[<]?(?P<level>" + LEVEL_REGEX + r")[\]>]?:?(?:\s+|$))?(?P<message>.*)$",
    "mixed",
    "any line with a timestamp near its start",
)
STRUCTURED = (JsonFormat(), LogfmtFormat())
_SAMPLE_LINES = 1000


def named_formats(custom: tuple[RegexFormat, ...] = ()) -> dict[str, LineFormat]:
    """Every format a user may force with --format, by name (custom ones first, so they may shadow)."""
    formats: dict[str, LineFormat] = {}
    for fmt in (*custom, *STRUCTURED, *BUILTIN_FORMATS, GENERIC):
        formats.setdefault(fmt.name, fmt)
    return formats


@dataclass
class FormatPlan:
    """How one file is read: an optional envelope, then formats tried in order on the lines still unread."""

    formats: list[LineFormat]
    dominant: str  # "unknown" when no format reads the sample
    envelope: str | None = None
    # In a text-header file any line without a header continues the event above it (lnav's rule); in a JSON
    # file only lines that look like trace lines do.
    fold_unparsed: bool = False
    shares: dict[str, float] = field(default_factory=dict)


def plan_formats(sample: Sequence[str] | pa.LargeStringArray, forced: LineFormat | None = None,
                 custom: tuple[RegexFormat, ...] = (), previous: FormatPlan | None = None) -> FormatPlan:
    """How to read a file, from a sample of its first lines. `previous` (the plan of a sibling file, say
    the last rotation) is reused when its main format still reads nearly all the sample: choosing afresh
    costs more than reading a small file, and a directory of ten thousand small files is not rare."""
    lines = pd.Series(sample[:_SAMPLE_LINES], dtype="str")
    envelope = detect_envelope(lines)
    if envelope:
        lines = unwrap(lines, envelope)[0]
    if forced is not None:
        return FormatPlan([forced], forced.name, envelope, fold_unparsed=forced.name not in ("json", "logfmt"))
    nonblank = max(1, int((lines.str.strip() != "").sum()))
    if previous is not None and previous.envelope == envelope and previous.formats:
        if previous.formats[0].count(lines) >= 0.95 * nonblank:
            return previous
    read = {}
    for order, fmt in enumerate((*custom, *STRUCTURED, *BUILTIN_FORMATS)):
        read[fmt.name] = (fmt.count(lines), order, fmt)
    # A header is learned only when no named format reads (nearly) the whole sample: learning costs a
    # tokenisation of each sampled line, and named formats know their fields' meaning better.
    if max(count for count, _, _ in read.values()) < 0.95 * nonblank:
        learned = learn_format([line for line in lines if line.strip()])
        if learned:
            read[learned.name] = (learned.count(lines), len(read), learned)
        read[GENERIC.name] = (GENERIC.count(lines), len(read), GENERIC)
    formats = _try_order(read)
    dominant = formats[0].name if any(count for count, _, _ in read.values()) else "unknown"
    shares = {name: count / nonblank for name, (count, _, _) in read.items() if count}
    fold = dominant not in ("json", "logfmt", "unknown")
    return FormatPlan(formats, dominant, envelope, fold, shares)


def _try_order(read: dict) -> list[LineFormat]:
    """Formats in the order they get to claim lines: named ones by lines read, the learned header before them
    only when it reads clearly more (an unknown system's log), the generic one last; JSON always tried."""
    named = sorted((v for v in read.values() if v[0] and v[2] is not GENERIC and not isinstance(v[2], LearnedFormat)),
                   key=lambda v: (-v[0], v[1]))
    formats = [fmt for _, _, fmt in named]
    learned = [v for v in read.values() if isinstance(v[2], LearnedFormat) and v[0]]
    if learned:
        best_named = named[0][0] if named else 0
        formats.insert(0 if learned[0][0] > 1.2 * best_named else len(formats), learned[0][2])
    for fallback in (STRUCTURED[0], GENERIC):
        if fallback not in formats:
            formats.append(fallback)
    return formats
