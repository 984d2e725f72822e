"""`logrca analyze --health`: per-file diagnostics that carry no log content, safe to paste into a bug report.

What a file holds is described by its *shape*: letters become `a`, digits `9`, punctuation and spacing stay. That is
enough to see why a header was not understood, and it cannot leak a token, a user name or a host.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from parsers.records import EventBatch, SourceStats

SHAPE_WIDTH = 60
SHAPES_PER_FILE = 5


@dataclass
class FileHealth:
    stats: SourceStats
    formats: Counter = field(default_factory=Counter)  # format name -> events
    unparsed_shapes: Counter = field(default_factory=Counter)  # shape -> lines
    events: int = 0
    multiline_events: int = 0


def shape_of(texts: pd.Series) -> pd.Series:
    """Letters to `a`, digits to `9` (runs folded), first line only, cut to SHAPE_WIDTH characters."""
    first_lines = texts.astype(str).str.split("\n", n=1).str[0]
    shapes = first_lines.str.replace(r"[^\W\d_]+", "a", regex=True).str.replace(r"\d+", "9", regex=True)
    return shapes.str.slice(0, SHAPE_WIDTH)


def collect_health(batches: Iterable[EventBatch]) -> list[FileHealth]:
    """Per source: formats seen, events, multi-line events and the shapes of lines whose header was not understood."""
    health: dict[int, FileHealth] = {}
    order: list[FileHealth] = []
    for batch in batches:
        key = id(batch.source)
        if key not in health:
            health[key] = FileHealth(stats=batch.source)
            order.append(health[key])
        entry = health[key]
        events = batch.events
        if events.empty:
            continue
        entry.events += len(events)
        entry.multiline_events += int((events["lines"] > 1).sum())
        entry.formats.update(events["format"].astype(str).value_counts().to_dict())
        unparsed = events.loc[~events["parsed"].astype(bool), "message"]
        if len(unparsed):
            entry.unparsed_shapes.update(shape_of(unparsed).value_counts().to_dict())
    return order


def health_table(files: list[FileHealth]) -> list[dict]:
    """Plain rows (for JSON or a terminal table): no message text, only counts, names, times and shapes."""
    rows = []
    for entry in files:
        s = entry.stats
        rows.append(
            {
                "path": s.path,
                "service": s.service,
                "format": s.format,
                "formats": dict(entry.formats.most_common()),
                "lines": s.lines,
                "events": entry.events,
                "multiline_events": entry.multiline_events,
                "lines_unparsed": s.lines_unparsed,
                "lines_skipped": s.lines_skipped,
                "skipped_reasons": dict(s.skipped_reasons),
                "lines_without_time": s.lines_without_time,
                "bytes_undecodable": s.bytes_undecodable,
                "first_time": s.first_time.isoformat() if s.first_time else None,
                "last_time": s.last_time.isoformat() if s.last_time else None,
                "timezone_assumed": s.timezone_assumed,
                "unparsed_shapes": dict(entry.unparsed_shapes.most_common(SHAPES_PER_FILE)),
                "warnings": list(s.warnings),
            }
        )
    return rows
