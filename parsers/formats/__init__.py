"""Log formats: the named ones, and choosing which read a file (from a sample of its lines)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from parsers.formats.base import FIELDS, LineFormat, RegexFormat, empty_fields
from parsers.formats.builtin import BUILTIN_FORMATS
from parsers.formats.envelopes import detect_envelope, unwrap
from parsers.formats.learned import LearnedFormat, learn_format
from parsers.formats.levels import LEVEL_REGEX
from parsers.formats.structured import JsonFormat, LogfmtFormat
from parsers.timestamps import SPECS, TimeContext

__all__ = ["FIELDS", "FormatPlan", "LineFormat", "RegexFormat", "empty_fields", "named_formats", "plan_formats",
           "unwrap"]

_LOOSE_SPECS = ("iso", "ymd_slash", "ctime", "clf", "syslog", "bgl", "yy_slash")
GENERIC = RegexFormat(
    "generic",
    r"^(?:\S{0,40}\s){0,3}?[\[(]?(?P<time>" + "|".join(f"(?:{s.regex})" for s in SPECS if s.name in _LOOSE_SPECS)
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


def plan_formats(sample: list[str], ctx: TimeContext, forced: LineFormat | None = None,
                 custom: tuple[RegexFormat, ...] = ()) -> FormatPlan:
    lines = pd.Series(sample[:_SAMPLE_LINES], dtype="str")
    envelope = detect_envelope(lines)
    if envelope:
        lines = unwrap(lines, envelope)[0]
    if forced is not None:
        return FormatPlan([forced], forced.name, envelope, fold_unparsed=forced.name not in ("json", "logfmt"))
    probe = TimeContext(tz=ctx.tz, start_year=ctx.start_year, mtime=ctx.mtime)  # detection must not move ctx
    candidates: list[LineFormat] = [*custom, *STRUCTURED, *BUILTIN_FORMATS]
    learned = learn_format([line for line in lines if line.strip()])
    if learned:
        candidates.append(learned)
    candidates.append(GENERIC)
    nonblank = max(1, int((lines.str.strip() != "").sum()))
    read = {}
    for order, fmt in enumerate(candidates):
        read[fmt.name] = (len(fmt.parse(lines, probe)), order, fmt)
    ranked = sorted((v for v in read.values() if v[0] > 0), key=lambda v: (-_score(v, read), v[1]))
    formats = [fmt for _, _, fmt in ranked]
    for fallback in (STRUCTURED[0], GENERIC):
        if fallback not in formats:
            formats.append(fallback)
    dominant = ranked[0][2].name if ranked else "unknown"
    shares = {name: count / nonblank for name, (count, _, _) in read.items() if count}
    fold = dominant not in ("json", "logfmt", "unknown")
    return FormatPlan(formats, dominant, envelope, fold, shares)


def _score(entry, read) -> float:
    """Lines read, with named formats preferred over the learned and generic ones when nearly as good."""
    count, _, fmt = entry
    if isinstance(fmt, LearnedFormat) or fmt is GENERIC:
        return count * (0.97 if fmt is not GENERIC else 0.9)
    return count
