"""Time buckets: counts per template and per service in fixed-width buckets sized to the span of the logs, the
event table as arrays of codes, and the per-bucket series for the chart.

Everything here works on whole columns (integer nanoseconds, category codes, np.bincount), never per event, so
ten million events cost a few array passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from analyzer.findings import SeriesPoint
from parsers.records import ERROR_LEVELS

# Bucket widths a reader can think in; the chosen one gives roughly TARGET_BUCKETS buckets over the logs' span,
# so a few minutes of logs get second-wide buckets and a day gets quarter hours.
NICE_SECONDS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
TARGET_BUCKETS = 240
NAT_NS = np.iinfo(np.int64).min
# Per-event passes go this many events at a time, so that their temporaries cost megabytes, not a copy of every
# column of ten million events.
CHUNK = 1 << 20


def choose_bucket_seconds(span_seconds: float, target: int = TARGET_BUCKETS) -> int:
    """The smallest nice width that covers the span in at most `target` buckets."""
    ideal = max(span_seconds, 0.0) / target
    for width in NICE_SECONDS:
        if width >= ideal:
            return width
    return int(np.ceil(ideal / 86400) * 86400)


def time_ns(times: pd.Series) -> np.ndarray:
    """UTC nanoseconds since the epoch as int64; NaT stays NAT_NS. Accepts any datetime unit or naive UTC."""
    if len(times) == 0:
        return np.empty(0, dtype=np.int64)
    # A zone-aware column already holds UTC nanoseconds: tz_convert returns a view of them, to_datetime a copy.
    aware = isinstance(times.dtype, pd.DatetimeTZDtype)
    converted = times.dt.tz_convert("UTC") if aware else pd.to_datetime(times, utc=True)
    if converted.dtype.unit != "ns":
        converted = converted.dt.as_unit("ns")
    return np.asarray(converted.array.asi8, dtype=np.int64)


@dataclass(frozen=True)
class Buckets:
    """A grid of equal buckets: bucket i covers [origin + i*seconds, origin + (i+1)*seconds)."""

    origin_ns: int
    seconds: int
    count: int

    @property
    def width_ns(self) -> int:
        return self.seconds * 1_000_000_000

    def start_ns(self, index: int) -> int:
        return self.origin_ns + index * self.width_ns

    def start(self, index: int) -> datetime:
        return to_datetime(self.start_ns(index))

    def index_of_ns(self, ns: int) -> int:
        """The bucket holding that instant, clipped to the grid."""
        return int(min(max((ns - self.origin_ns) // self.width_ns, 0), self.count - 1))

    def assign(self, ns: np.ndarray) -> np.ndarray:
        """Bucket index per instant; -1 for NaT or instants outside the grid."""
        out = np.empty(len(ns), dtype=np.int64 if self.count > np.iinfo(np.int32).max else np.int32)
        for start in range(0, len(ns), CHUNK):
            part = ns[start:start + CHUNK]
            index = (part - self.origin_ns) // self.width_ns
            index[(part == NAT_NS) | (index < 0) | (index >= self.count)] = -1
            out[start:start + CHUNK] = index
        return out


def make_buckets(ns: np.ndarray, bucket_seconds: int | None = None) -> Buckets | None:
    """A grid over the instants given (NaT ignored), aligned to whole multiples of the width; None if no instant."""
    span = time_span(ns)
    if span is None:
        return None
    first, last = span
    seconds = bucket_seconds or choose_bucket_seconds((last - first) / 1e9)
    width = seconds * 1_000_000_000
    origin = (first // width) * width
    return Buckets(origin_ns=origin, seconds=seconds, count=int((last - origin) // width) + 1)


def time_span(ns: np.ndarray, where: np.ndarray | None = None) -> tuple[int, int] | None:
    """First and last instant (NaT ignored, and those not `where`), without copying the selected times out."""
    timed = ns != NAT_NS if where is None else where & (ns != NAT_NS)
    if not timed.any():
        return None
    return int(np.min(ns, where=timed, initial=np.iinfo(np.int64).max)), int(np.max(ns, where=timed, initial=NAT_NS))


def code_counts(codes: np.ndarray, n_codes: int, where: np.ndarray | None = None) -> np.ndarray:
    """np.bincount(codes[where], minlength=n_codes), a chunk at a time: bincount copies narrow codes to int64."""
    counts = np.zeros(n_codes, dtype=np.int64)
    for start in range(0, len(codes), CHUNK):
        chunk = codes[start:start + CHUNK]
        keep = chunk >= 0 if where is None else where[start:start + CHUNK] & (chunk >= 0)
        found = np.bincount(chunk[keep], minlength=n_codes)
        if len(found) > n_codes:  # a code beyond n_codes: grow, as bincount would
            counts = np.concatenate([counts, np.zeros(len(found) - n_codes, dtype=np.int64)])
            n_codes = len(found)
        counts[: len(found)] += found
    return counts


def count_matrix(bucket: np.ndarray, codes: np.ndarray, n_buckets: int, n_codes: int,
                 where: np.ndarray | None = None) -> np.ndarray:
    """Counts[b, k] of events in bucket b with code k; events with bucket -1 or code -1 (or not `where`) are
    left out."""
    cells = n_buckets * n_codes
    counts = np.zeros(cells, dtype=np.int64)
    step = max(CHUNK, cells)  # each pass adds a whole matrix: no more passes than the events pay for
    for start in range(0, len(bucket), step):
        b, c = bucket[start:start + step], codes[start:start + step]
        keep = (b >= 0) & (c >= 0)
        if where is not None:
            keep &= where[start:start + step]
        counts += np.bincount(b[keep].astype(np.int64) * n_codes + c[keep], minlength=cells)
    return counts.reshape(n_buckets, n_codes)


def to_datetime(ns: int) -> datetime:
    ns = int(ns)
    return pd.Timestamp(ns - ns % 1000, tz="UTC").to_pydatetime()  # datetime holds microseconds


def dispersion(matrix: np.ndarray, shifts: int = 2) -> np.ndarray:
    """Per column, how much noisier than Poisson the bucket counts are (1.0 = Poisson, never below 1).

    Estimated from squared differences of neighbouring buckets with the largest `shifts` dropped, so that the
    level shifts of an incident (onset, recovery) do not pass for noise, while a template that is bursty all
    along does. For a window known to be healthy pass shifts=0.
    """
    rows, cols = matrix.shape
    if rows < 4:
        return np.ones(cols)
    squared = np.sort(np.diff(matrix.astype(np.float64), axis=0) ** 2, axis=0)
    squared = squared[: rows - 1 - shifts] if shifts else squared
    mean = matrix.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        phi = squared.mean(axis=0) / 2.0 / mean
    return np.where(np.isfinite(phi), np.maximum(phi, 1.0), 1.0)


@dataclass
class EventArrays:
    """The event table reduced to arrays the scoring works on (codes, not strings: ten million rows)."""

    events: pd.DataFrame
    ns: np.ndarray  # event time, int64 ns (NAT_NS when unknown); a view of the table's time column
    codes: np.ndarray  # template column per event (int32, -1 for an id not in `ids`)
    level: np.ndarray  # index into level_names per event (the narrowest integer type that holds it)
    level_names: list[str]  # upper case; "" unknown
    service: np.ndarray  # index into service_names per event (narrow integers, like level)
    service_names: np.ndarray  # object array of str
    path: np.ndarray
    path_names: np.ndarray
    is_error: np.ndarray | None = None

    def flag_errors(self, severity: np.ndarray) -> None:
        error_level = np.array([n in ERROR_LEVELS for n in self.level_names], dtype=bool)[self.level]
        unknown_level = np.array([n == "" for n in self.level_names], dtype=bool)[self.level]
        # A line without a level is an error when its template reads like one (looked up per template, so the
        # per-event temporary is a bool, not a float).
        self.is_error = error_level | (unknown_level & (severity >= 0.8)[self.codes])

    def services_present(self) -> list[str]:
        return sorted(str(n) for n in self.service_names[np.unique(self.service)])


def event_arrays(frame: pd.DataFrame, ids: pd.Index) -> EventArrays:
    """The columns as codes; `ids` gives each template id its column (get_indexer order)."""
    frame = frame.reset_index(drop=True)
    codes = _columns_of(frame["template_id"].to_numpy(), ids)
    level, level_names = _categorical(frame["level"])
    service, service_names = _categorical(frame["service"])
    path, path_names = _categorical(frame["path"])
    return EventArrays(events=frame, ns=time_ns(frame["time"]), codes=codes, level=level,
                  level_names=[str(n).upper() for n in level_names], service=service, service_names=service_names,
                  path=path, path_names=path_names)


def _columns_of(template_ids: np.ndarray, ids: pd.Index) -> np.ndarray:
    """ids.get_indexer as int32, a chunk at a time (get_indexer answers int64: 80 MB per ten million events)."""
    out = np.empty(len(template_ids), dtype=np.int32)
    for start in range(0, len(template_ids), CHUNK):
        out[start:start + CHUNK] = ids.get_indexer(template_ids[start:start + CHUNK].astype(np.int64, copy=False))
    return out


def majority_levels(tables: list[EventArrays | None], n_codes: int) -> list[str]:
    """The most common known level of each template's events ("" when none of its events had one)."""
    names = sorted({n for t in tables if t is not None for n in t.level_names if n})
    if not names:
        return [""] * n_codes
    counts = np.zeros((n_codes, len(names)), dtype=np.int64)
    for t in tables:
        if t is None:
            continue
        # Counted per (template, the table's own level code), then the level codes mapped to `names`.
        per_code = count_matrix(t.codes, t.level, n_codes, len(t.level_names))
        for level, name in enumerate(t.level_names):
            if name:
                counts[:, names.index(name)] += per_code[:, level]
    best = counts.argmax(axis=1)
    return [names[b] if counts[k, b] else "" for k, b in enumerate(best)]


def _categorical(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes per row and the names they stand for (missing values become "")."""
    cat = column if isinstance(column.dtype, pd.CategoricalDtype) else column.astype("category")
    names = np.array([str(c) for c in cat.cat.categories] + [""], dtype=object)
    codes = cat.cat.codes.to_numpy()
    missing = len(names) - 1
    codes = codes.astype(np.promote_types(codes.dtype, np.min_scalar_type(missing)))  # a copy: ours to change
    codes[codes < 0] = missing
    return codes, names


def series_points(table: EventArrays, buckets: Buckets, anomalous: list[int]) -> list[SeriesPoint]:
    """Events, errors and events of anomalous templates per bucket and service, for the chart."""
    bucket = buckets.assign(table.ns)
    service_codes, names = table.service, table.service_names
    n = len(names)
    events = count_matrix(bucket, service_codes, buckets.count, n)
    errors = count_matrix(bucket, service_codes, buckets.count, n, where=table.is_error)
    flagged = in_columns(table.codes, anomalous)
    anomalous_counts = count_matrix(bucket, service_codes, buckets.count, n, where=flagged)
    present = [s for s in range(n) if events[:, s].any()]
    points = []
    for b in range(buckets.count):
        when = buckets.start(b)
        for s in present:
            points.append(SeriesPoint(time=when, service=str(names[s]), events=int(events[b, s]),
                                      errors=int(errors[b, s]), anomalous=int(anomalous_counts[b, s])))
    return points


def in_columns(codes: np.ndarray, columns: list[int]) -> np.ndarray:
    """np.isin(codes, columns) by table lookup: isin sorts a copy of the codes when the list is long."""
    wanted = np.zeros(int(codes.max(initial=-1)) + 2, dtype=bool)
    chosen = [c for c in columns if 0 <= c < len(wanted) - 1]
    wanted[chosen] = True
    return wanted[codes]  # a code of -1 reads the last cell, always False
