"""What a line format is: something that reads a column of lines into the event fields, vectorised."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd

from parsers.formats.levels import LEVEL_REGEX, levels_from_http_status, levels_from_syslog_pri, normalise_levels
from parsers.vector_re import count, extract, fullmatch
from parsers.timestamps import TimeContext, parse_mixed_times, parse_times, parse_with_format

# Fields every format fills for the lines it reads (extra ones, like trace_id, are optional).
FIELDS = ("time", "level", "logger", "host", "service", "message")


class LineFormat(Protocol):
    name: str

    def count(self, lines: pd.Series) -> int:
        """How many of `lines` this format reads (cheaper than parse: used to choose formats)."""
        ...

    def parse(self, lines: pd.Series, ctx: TimeContext) -> pd.DataFrame:
        """The rows of `lines` this format reads (same index), with FIELDS as columns; others are left out."""
        ...


def fields_frame(index: pd.Index, columns: dict[str, pd.Series] | None = None) -> pd.DataFrame:
    """A frame of FIELDS (plus any extra columns given) over `index`; fields not given are empty.

    Built by one constructor call: adding columns one by one costs more than parsing a small file."""
    columns = dict(columns or {})
    if "time" not in columns:
        columns["time"] = pd.Series(np.full(len(index), np.datetime64("NaT"), dtype="datetime64[ns]"), index=index,
                                    copy=False).dt.tz_localize("UTC")
    blank = None
    for name in FIELDS[1:]:
        if name not in columns:
            if blank is None:
                blank = pd.Series(np.full(len(index), "", dtype=object), index=index, dtype="str")
            columns[name] = blank
    ordered = {name: columns[name] for name in FIELDS}
    ordered.update({k: v for k, v in columns.items() if k not in ordered})
    return pd.DataFrame(ordered, index=index, copy=False)


def empty_fields(index: pd.Index) -> pd.DataFrame:
    return fields_frame(index)


def _text(column: pd.Series | None, index: pd.Index) -> pd.Series:
    if column is None:
        return pd.Series("", index=index, dtype="str")
    return column.fillna("").astype("str").str.strip()


@dataclass(frozen=True)
class RegexFormat:
    """A format read by one regular expression with named groups.

    Groups: `message` (required), `time` (read as `time_spec`, or per row when that is "mixed"), `level`,
    `pri` (syslog priority), `status` (HTTP status, gives the level), `logger`, `host`, `service`, `trace_id`.
    A `-` (syslog's nil value) in host/service/logger means empty.
    """

    name: str
    regex: str
    time_spec: str | None = None
    description: str = ""
    time_format: str | None = None  # a strftime format, for custom formats
    not_levels: str | None = None  # a group that must not hold a level word, else the line is not this format
    compiled: re.Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "compiled", re.compile(self.regex))

    def _groups(self, lines: pd.Series) -> pd.DataFrame:
        groups = extract(lines, self.compiled)
        if self.not_levels and len(groups):
            # `time LEVEL name: msg` is not syslog with host LEVEL; RE2 has no lookahead to say so in the regex.
            looks_like_level = fullmatch(groups[self.not_levels].fillna(""), LEVEL_REGEX)
            groups = groups[~looks_like_level]
        return groups

    def count(self, lines: pd.Series) -> int:
        """How many of the lines this format reads (for detection: no field is extracted unless needed)."""
        return len(self._groups(lines)) if self.not_levels else count(lines, self.regex)

    def parse(self, lines: pd.Series, ctx: TimeContext) -> pd.DataFrame:
        groups = self._groups(lines)
        out: dict[str, pd.Series] = {}
        if groups.empty:
            return fields_frame(groups.index)
        if "time" in groups and self.time_format:
            out["time"] = parse_with_format(groups["time"], self.time_format, ctx)
        elif "time" in groups and self.time_spec:
            reader = parse_mixed_times if self.time_spec == "mixed" else None
            out["time"] = reader(groups["time"], ctx) if reader else parse_times(groups["time"], self.time_spec, ctx)
        if "level" in groups:
            out["level"] = normalise_levels(groups["level"])
        elif "pri" in groups:
            out["level"] = levels_from_syslog_pri(groups["pri"])
        elif "status" in groups:
            out["level"] = levels_from_http_status(groups["status"])
        for name in ("logger", "host", "service"):
            if name in groups:
                out[name] = _text(groups[name], groups.index).replace("-", "")
        out["message"] = groups["message"].astype("str").str.strip()
        if "trace_id" in groups:
            out["trace_id"] = _text(groups["trace_id"], groups.index)
        return fields_frame(groups.index, out)
