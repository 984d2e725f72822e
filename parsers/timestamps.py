"""Timestamp shapes logs use, and bulk (column-at-a-time) parsing of each into aware UTC times.

Every shape is parsed with one `pd.to_datetime(..., format=...)` call on a whole column, never per line:
the text is first rewritten (vectorised) into a shape pandas reads with an explicit format.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from parsers.vector_re import fullmatch, replace, search

MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
_MON = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_DOW = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_HMS = r"[0-2]\d:[0-5]\d:[0-6]\d"
_FRAC = r"(?:[.,]\d{1,9})?"
_ZONE = r"(?:\s?(?:Z|[+-][01]\d(?::?[0-5]\d)?|UTC|GMT)(?![\w:]))?"


@dataclass(frozen=True)
class TimeSpec:
    """One timestamp shape: how to find it in a line and how to read a column of it."""

    name: str
    regex: str  # no capturing groups
    rank: int  # when a header holds several timestamps, the highest rank wins (year-less ones rank low)
    yearless: bool = False


# Order matters for matching: longer, more specific shapes first.
SPECS: tuple[TimeSpec, ...] = (
    TimeSpec("bgl", r"\d{4}-[01]\d-[0-3]\d-[0-2]\d\.[0-5]\d\.[0-6]\d\.\d{6}", 9),
    TimeSpec("iso", r"\d{4}-[01]\d-[0-3]\d(?:T|\s)" + _HMS + _FRAC + _ZONE, 10),
    TimeSpec("ymd_slash", r"\d{4}/[01]\d/[0-3]\d[ T]" + _HMS + _FRAC + _ZONE, 10),
    TimeSpec("ctime", r"(?:" + _DOW + r",?\s)?" + _MON + r"\s[ \d]?\d\s" + _HMS + _FRAC + r"\s\d{4}", 8),
    TimeSpec("dmy_text", r"[0-3]\d\s" + _MON + r"\s\d{4}\s" + _HMS + _FRAC, 8),  # Redis: 05 Mar 2024 14:02:11.482
    TimeSpec("clf", r"[0-3]\d/" + _MON + r"/\d{4}:" + _HMS + _FRAC + r"\s[+-]\d{4}", 8),
    TimeSpec("syslog", r"" + _MON + r"\s[ \d]?\d\s" + _HMS + _FRAC + r"(?!\s\d{4})", 4, yearless=True),
    TimeSpec("yy_slash", r"\d{2}/[01]\d/[0-3]\d\s" + _HMS + _FRAC, 7),
    TimeSpec("compact", r"\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\s(?:[01]\d|2[0-3])[0-5]\d[0-5]\d", 7),
    TimeSpec("md", r"[01]\d-[0-3]\d\s" + _HMS + _FRAC, 4, yearless=True),
    TimeSpec("mmdd", r"[01]\d[0-3]\d\s" + _HMS + r"\.\d{6}", 4, yearless=True),  # klog: I0102 15:04:05.123456
    TimeSpec("md_dot", r"[01]\d\.[0-3]\d\s" + _HMS + _FRAC, 4, yearless=True),
    TimeSpec("ymd_dash_ms", r"\d{4}[01]\d[0-3]\d-[0-2]?\d:[0-5]?\d:[0-6]?\d(?::\d{1,3})?", 8),
    TimeSpec("epoch", r"1\d{9}(?:\.\d{1,9})?(?!\d)|1\d{12}(?!\d)|1\d{15}(?!\d)|1\d{18}(?!\d)", 5),
    TimeSpec("ymd_dot", r"\d{4}\.[01]\d\.[0-3]\d(?![\d.])", 1),
)
SPEC_BY_NAME = {s.name: s for s in SPECS}
YEARLESS_SPECS = frozenset(s.name for s in SPECS if s.yearless)
_ZONE_AT_END = re.compile(r"(?:Z|[+-]\d{2}(?::?\d{2})?)$")


def machine_zone() -> str:
    """The machine's zone name (TZ, /etc/timezone, /etc/localtime), else its current UTC offset."""
    name = os.environ.get("TZ", "").lstrip(":")
    if not name:
        try:
            with open("/etc/timezone", encoding="utf-8") as fh:
                name = fh.read().strip()
        except OSError:
            name = ""
    if not name and os.path.islink("/etc/localtime"):
        target = os.path.realpath("/etc/localtime")
        name = target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else ""
    if name:
        try:
            pd.Timestamp("2000-01-01").tz_localize(name)
            return name
        except Exception:  # an unknown TZ value: fall back to the offset
            pass
    # No usable name (an abbreviation like "PDT" is not one pandas accepts): the current offset, as +HH:MM.
    offset = datetime.now().astimezone().utcoffset()
    if not offset:
        return "UTC"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@dataclass
class TimeContext:
    """Per-source state for reading timestamps: the zone to assume, and the year of year-less stamps.

    Year-less stamps (syslog) take the year of the file's modification time (or --year) for the first line,
    stepped back one year when that first month lies after the modification month, and add a year at each
    December -> January roll-over. The roll-over state carries from batch to batch of the same source.
    """

    tz: str
    start_year: int | None = None  # --year
    mtime: datetime | None = None
    zone_assumed: str | None = None  # set once a zone-less stamp was read
    skip: bool = False  # read no times at all (every one NaT): for work that uses none (ParseOptions.read_times)
    _year: int | None = field(default=None, repr=False)
    _last_month: int | None = field(default=None, repr=False)

    def years_for(self, months: pd.Series) -> pd.Series:
        valid = months.dropna()
        if valid.empty:
            return pd.Series(np.nan, index=months.index)
        if self._year is None:
            self._year = self._first_year(int(valid.iloc[0]))
            self._last_month = int(valid.iloc[0])
        previous = valid.shift(1).fillna(self._last_month)
        rolled = (valid - previous <= -6).astype(int).cumsum()
        years = self._year + rolled
        self._year = int(years.iloc[-1])
        self._last_month = int(valid.iloc[-1])
        return years.reindex(months.index)

    def _first_year(self, first_month: int) -> int:
        if self.start_year is not None:
            return self.start_year
        ref = self.mtime or datetime.now(timezone.utc)
        return ref.year - 1 if first_month > ref.month else ref.year


def _localize(naive: pd.Series, ctx: TimeContext) -> pd.Series:
    if naive.notna().any():
        ctx.zone_assumed = ctx.tz
    ambiguous = np.zeros(len(naive), dtype=bool)
    aware = naive.dt.tz_localize(ctx.tz, ambiguous=ambiguous, nonexistent="shift_forward")
    return aware.dt.tz_convert("UTC")


def _fix(text: pd.Series, pattern: str, replacement: str, literal: bool = False) -> pd.Series:
    """Rewrite only the rows that need it: most columns need no rewrite at all, and the test is cheap."""
    needs = text.str.contains(pattern, regex=False) if literal else search(text, pattern)
    if not needs.any():
        return text
    if needs.all():
        return text.str.replace(pattern, replacement, regex=False) if literal else replace(text, pattern, replacement)
    text = text.copy()
    text[needs] = text[needs].str.replace(pattern, replacement, regex=False) if literal else \
        replace(text[needs], pattern, replacement)
    return text


_ISO_REWRITES = r",|^\d{4}/|(?:UTC|GMT)$"


def _iso_like(text: pd.Series, ctx: TimeContext) -> pd.Series:
    """ISO 8601 and near relatives: comma decimals, space separators, slashes, ` UTC` suffixes."""
    if search(text, _ISO_REWRITES).any():
        text = _iso_rewrite(text)
    zoned = search(text, _ZONE_AT_END.pattern)
    out = _unread(text)
    if zoned.all():
        return _read_iso(text, zoned=True)
    if zoned.any():
        out[zoned] = _read_iso(text[zoned], zoned=True)
    if (~zoned).any():
        out[~zoned] = _localize(_read_iso(text[~zoned], zoned=False), ctx)
    return out


def _read_iso(text: pd.Series, zoned: bool) -> pd.Series:
    """ISO 8601 text as UTC times (zoned) or naive ones; unreadable ones are NaT."""
    if zoned:
        return _in_ns(pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce"))
    return _in_ns(pd.to_datetime(text, format="ISO8601", errors="coerce"))


def _iso_rewrite(text: pd.Series) -> pd.Series:
    # pandas' ISO 8601 reader takes a space for the T and ` +0100` / `+01` zones, but not these.
    text = _fix(text, ",", ".", literal=True)
    text = _fix(text, r"^(\d{4})/(\d{2})/(\d{2})", r"\1-\2-\3")
    return _fix(text, r" ?(?:UTC|GMT)$", "Z")


def _in_ns(times: pd.Series) -> pd.Series:
    """Times at nanosecond resolution, the event table's. pandas reads a year past 2262 (or before 1677) at a
    coarser one, which nanoseconds cannot hold: such a time is unreadable here (NaT), not a crash."""
    zone = times.dt.tz
    target = "datetime64[ns, UTC]" if zone is not None else "datetime64[ns]"
    if times.dtype == target:
        return times
    low, high = pd.Timestamp.min, pd.Timestamp.max
    if zone is not None:
        low, high = low.tz_localize("UTC"), high.tz_localize("UTC")
    return times.where((times >= low) & (times <= high)).astype(target)


def _with_format(text: pd.Series, fmt: str, ctx: TimeContext, zoned: bool = False) -> pd.Series:
    if zoned:
        return _in_ns(pd.to_datetime(text, format=fmt, utc=True, errors="coerce"))
    naive = _in_ns(pd.to_datetime(text, format=fmt, errors="coerce"))
    return _localize(naive, ctx)


def _with_seconds_format(text: pd.Series, fmt: str, ctx: TimeContext, zoned: bool = False) -> pd.Series:
    """`fmt` has `%S`; rows with a fraction (`12:00:01,5` or `.5`) are read with `%S.%f`, the others without."""
    fraction = search(text, r"\d:\d\d[.,]\d")
    if not fraction.any():
        return _with_format(text, fmt, ctx, zoned)
    text = _fix(text, ",", ".", literal=True)
    with_fraction = fmt.replace("%S", "%S.%f")
    if fraction.all():
        return _with_format(text, with_fraction, ctx, zoned)
    out = _unread(text)
    out[fraction] = _with_format(text[fraction], with_fraction, ctx, zoned)
    out[~fraction] = _with_format(text[~fraction], fmt, ctx, zoned)
    return out


def _yearless(text: pd.Series, months: pd.Series, fmt: str, ctx: TimeContext) -> pd.Series:
    years = ctx.years_for(months)
    stamped = years.astype("Int64").astype(str) + " " + text
    return _with_seconds_format(stamped, "%Y " + fmt, ctx)


def _epoch(text: pd.Series) -> pd.Series:
    # Integer arithmetic: float nanoseconds since 1970 lose the last digits.
    parts = text.str.extract(r"^(?P<whole>\d+)(?:\.(?P<fraction>\d*))?$")
    whole = parts["whole"].fillna("").astype("str")
    fraction = parts["fraction"].fillna("").astype("str").str.slice(0, 9).str.pad(9, side="right", fillchar="0")
    digits = whole.str.len()
    scale = digits.map({10: 10**9, 13: 10**6, 16: 10**3, 19: 1}).fillna(10**9).astype("int64")
    seconds_fraction = pd.to_numeric(fraction, errors="coerce").fillna(0).astype("int64").where(digits == 10, 0)
    nanos = pd.to_numeric(whole, errors="coerce").astype("Float64").astype("Int64") * scale + seconds_fraction
    times = pd.to_datetime(nanos.fillna(0).astype("int64"), unit="ns", utc=True).astype("datetime64[ns, UTC]")
    return times.where(nanos.notna())


def parse_times(raw: pd.Series, spec_name: str, ctx: TimeContext) -> pd.Series:
    """Parse a column of timestamps all of one shape; unreadable or missing ones become NaT."""
    if ctx.skip:
        return _unread(raw)
    text = _fix(raw.astype("str").str.strip(), r"\s\s+", " ")
    present = raw.notna() & (text != "")
    out = _unread(raw)
    if not present.any():
        return out
    text = text[present]
    if spec_name in ("iso", "ymd_slash"):
        parsed = _iso_like(text, ctx)
    elif spec_name == "bgl":
        parsed = _with_format(text, "%Y-%m-%d-%H.%M.%S.%f", ctx)
    elif spec_name == "ctime":
        text = _fix(text, r"^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),? ", "")
        parsed = _with_seconds_format(text, "%b %d %H:%M:%S %Y", ctx)
    elif spec_name == "dmy_text":
        parsed = _with_seconds_format(text, "%d %b %Y %H:%M:%S", ctx)
    elif spec_name == "clf":
        parsed = _with_seconds_format(text, "%d/%b/%Y:%H:%M:%S %z", ctx, zoned=True)
    elif spec_name == "syslog":
        months = text.str.slice(0, 3).map(MONTHS)
        parsed = _yearless(text, months, "%b %d %H:%M:%S", ctx)
    elif spec_name == "md":
        months = pd.to_numeric(text.str.slice(0, 2), errors="coerce")
        parsed = _yearless(text, months, "%m-%d %H:%M:%S", ctx)
    elif spec_name == "mmdd":
        months = pd.to_numeric(text.str.slice(0, 2), errors="coerce")
        parsed = _yearless(text, months, "%m%d %H:%M:%S", ctx)
    elif spec_name == "md_dot":
        months = pd.to_numeric(text.str.slice(0, 2), errors="coerce")
        parsed = _yearless(text, months, "%m.%d %H:%M:%S", ctx)
    elif spec_name == "ymd_dash_ms":
        text = _fix(text, r"^(\d{8}-\d+:\d+:\d+)$", r"\1:0")
        parsed = _with_format(text, "%Y%m%d-%H:%M:%S:%f", ctx)
    elif spec_name == "yy_slash":
        parsed = _with_seconds_format(text, "%y/%m/%d %H:%M:%S", ctx)
    elif spec_name == "compact":
        parsed = _with_format(text, "%y%m%d %H%M%S", ctx)
    elif spec_name == "epoch":
        parsed = _epoch(text)
    elif spec_name == "ymd_dot":
        parsed = _with_format(text, "%Y.%m.%d", ctx)
    else:
        raise ValueError(f"unknown timestamp shape {spec_name!r}")
    out[present] = parsed
    return out


_LOOKAROUND = re.compile(r"\(\?<?[!=][^()]*(?:\([^()]*\)[^()]*)*\)")


def without_lookarounds(regex: str) -> str:
    """A shape's regex for RE2, which has no lookarounds; where the text around it is matched explicitly
    (anchors, the next field), they are not needed."""
    return _LOOKAROUND.sub("", regex)


_ANY_RE2 = [(s.name, r"^(?:" + without_lookarounds(s.regex) + r")$") for s in SPECS]


def _likely_first(text: pd.Series) -> list[tuple[str, str]]:
    # A column's rows mostly share one shape: try the first row's shape first, the others after it.
    first = text.iloc[0] if len(text) else ""
    ranked = sorted(_ANY_RE2, key=lambda spec: re.fullmatch(spec[1], first) is None)
    return ranked


def parse_mixed_times(raw: pd.Series, ctx: TimeContext) -> pd.Series:
    """Parse a column whose shapes may differ row to row (JSON `time` fields): classify, then parse per shape."""
    if ctx.skip:
        return _unread(raw)
    out = _unread(raw)
    text = raw.astype("str").str.strip()
    remaining = raw.notna() & (text != "")
    numeric = remaining & fullmatch(text, r"\d{9,19}(?:\.\d+)?")
    if numeric.any():
        out[numeric] = _epoch(text[numeric])
        remaining &= ~numeric
    for name, pattern in _likely_first(text[remaining]):
        if not remaining.any():
            break
        hit = remaining & search(text.where(remaining, ""), pattern)
        if hit.any():
            out[hit] = parse_times(text[hit], name, ctx)
            remaining &= ~hit
    return out


def parse_with_format(raw: pd.Series, fmt: str, ctx: TimeContext) -> pd.Series:
    """A user's own strftime format (custom formats in logrca.toml); zone-less ones get the assumed zone."""
    if ctx.skip:
        return _unread(raw)
    text = raw.astype("str").str.strip()
    zoned = "%z" in fmt or "%Z" in fmt
    return _with_format(text.where(raw.notna()), fmt, ctx, zoned=zoned)


def _unread(values: pd.Series) -> pd.Series:
    """A time column for `values` with every time unread (NaT), to be filled where they can be read."""
    return pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
