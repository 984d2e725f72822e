"""Time buckets: counts per template and per service in fixed-width buckets sized to the span of the logs.

Everything here works on whole columns (integer nanoseconds, category codes, np.bincount), never per event, so
ten million events cost a few array passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

# Bucket widths a reader can think in; the chosen one gives roughly TARGET_BUCKETS buckets over the logs' span,
# so a few minutes of logs get second-wide buckets and a day gets quarter hours.
NICE_SECONDS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
TARGET_BUCKETS = 240
NAT_NS = np.iinfo(np.int64).min


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
    converted = pd.to_datetime(times, utc=True)
    return np.asarray(converted.dt.as_unit("ns").array.asi8, dtype=np.int64)


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
        index = (ns - self.origin_ns) // self.width_ns
        valid = (ns != NAT_NS) & (index >= 0) & (index < self.count)
        return np.where(valid, index, -1).astype(np.int64)


def make_buckets(ns: np.ndarray, bucket_seconds: int | None = None) -> Buckets | None:
    """A grid over the instants given (NaT ignored), aligned to whole multiples of the width; None if no instant."""
    valid = ns[ns != NAT_NS]
    if valid.size == 0:
        return None
    first, last = int(valid.min()), int(valid.max())
    seconds = bucket_seconds or choose_bucket_seconds((last - first) / 1e9)
    width = seconds * 1_000_000_000
    origin = (first // width) * width
    return Buckets(origin_ns=origin, seconds=seconds, count=int((last - origin) // width) + 1)


def count_matrix(bucket: np.ndarray, codes: np.ndarray, n_buckets: int, n_codes: int) -> np.ndarray:
    """Counts[b, k] of events in bucket b with code k; events with bucket -1 or code -1 are left out."""
    keep = (bucket >= 0) & (codes >= 0)
    flat = bucket[keep] * n_codes + codes[keep]
    return np.bincount(flat, minlength=n_buckets * n_codes).reshape(n_buckets, n_codes)


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
