"""The records that cross the boundary from parsers to the analyzer.

Events travel as pandas DataFrames (one row per event, a multi-line event is one row) rather than as
per-line Python objects, so that a gigabyte of logs stays a handful of columns in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

# Columns of every events DataFrame a parser yields, in this order.
#   path      str   the file the event came from, as given/discovered (for `-`: "<stdin>")
#   line      int   the event's first physical line, counting from 1
#   lines     int   how many physical lines the event spans (1 unless continuation lines were folded in)
#   time      datetime64[ns, UTC]; NaT when the line carried no timestamp and no neighbour lent one
#   service   str   named as the contract says (k8s workload, structured field, else dir/file name)
#   host      str   "" when unknown
#   level     str   one of LEVELS, or "" when neither the format nor the text tells
#   logger    str   logger/component, "" when unknown
#   message   str   the text after the header; continuation lines joined with "\n"
#   format    str   the format name that parsed this line (a mixed file has several)
#   parsed    bool  False when the header was not understood (the whole line is then the message)
EVENT_COLUMNS = ("path", "line", "lines", "time", "service", "host", "level", "logger", "message", "format", "parsed")

LEVELS = ("TRACE", "DEBUG", "INFO", "NOTICE", "WARN", "ERROR", "FATAL")
ERROR_LEVELS = frozenset({"ERROR", "FATAL"})


@dataclass
class ParseOptions:
    """How to read the inputs; every field has a sensible default for a user who sets nothing."""

    tz: str | None = None  # zone for timestamps that carry none; None means the machine's zone
    year: int | None = None  # year for year-less timestamps (syslog); None means from the file's context
    since: datetime | None = None  # aware UTC; events before it are skipped (and counted)
    until: datetime | None = None
    format: str | None = None  # force one format for every file
    config_path: str | None = None  # logrca.toml / pyproject.toml with custom formats
    batch_lines: int = 200_000  # events per yielded batch; bounds memory
    part_bytes: int = 8 << 20  # a large plain file is read in parts of about this size (by worker processes)
    # False: leave every event's time unread (NaT), for work whose output holds no time (`logrca templates`).
    # Reading times is about a sixth of reading; --since and --until need them. The sources' time statistics
    # (lines_without_time, first_time, last_time, timezone_assumed) then say nothing (0 and None).
    read_times: bool = True


@dataclass
class SourceStats:
    """What happened to one input file: every line read is either analysed or counted here as skipped."""

    path: str
    format: str = "unknown"  # the dominant detected (or forced) format; "binary" when skipped as such
    service: str = ""
    lines: int = 0  # physical lines read
    lines_unparsed: int = 0  # lines whose header was not understood (still analysed as message text)
    lines_skipped: int = 0  # lines read but not analysed (outside --since/--until), see skipped_reasons
    lines_without_time: int = 0  # lines that took a neighbour's timestamp (or none)
    bytes_undecodable: int = 0  # bytes replaced while decoding
    first_time: datetime | None = None
    last_time: datetime | None = None
    timezone_assumed: str | None = None  # set when timestamps carried no zone and this one was assumed
    skipped_reasons: dict[str, int] = field(default_factory=dict)  # reason -> lines
    warnings: list[str] = field(default_factory=list)
    formats_read: dict[str, int] = field(default_factory=dict)  # format name -> lines it read (internal)


@dataclass
class EventBatch:
    """A slice of one source's events, in input order. A source's stats are final after its last batch."""

    source: SourceStats
    events: pd.DataFrame  # EVENT_COLUMNS
    last: bool = True


@dataclass
class Deploy:
    """A deploy or release: from a --deploys file, a release tag, or a marker line in the logs."""

    time: datetime  # aware UTC
    version: str | None = None
    commit: str | None = None  # full sha once resolved against the repository
    service: str | None = None
    environment: str | None = None
    description: str | None = None
    origin: str = "file"  # "file" | "tag" | "log"
    ref: str | None = None  # where it was read: "deploys.csv:12", "tag v1.4.0", "logs/app.log:3312"
