"""Anomaly scoring: when the incident began, what changed in the logs, and which service it started in.

    events + templates (+ baseline) ──► buckets x templates counts (timeseries)
        ──► onset (onset: change point, IsolationForest second opinion; or --incident-start)
        ──► template changes new/spike/drop against the healthy period (template_anomalies)
        ──► peak and recovery ──► services ranked as origins (service_rank) ──► state changes (state_changes)

The healthy period is the --baseline logs when given, else the logs before the onset.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analyzer.findings import Anomaly, Example, Incident, SeriesPoint
from analyzer.onset import (
    ALPHA,
    ChangePoint,
    MIN_BEFORE,
    burst_change,
    flagged_runs,
    isolation_forest_flags,
    peak_and_recovery,
    scan_change_point,
)
from analyzer.service_rank import Complaint, ServiceActivity, blame_targets, rank_services, service_aliases
from analyzer.stages import EVENT_TABLE_COLUMNS, AnomalyOptions, AnomalyResult, TemplateInfo
from analyzer.state_changes import find_state_changes
from analyzer.template_anomalies import (
    ERROR_SEVERITY,
    TemplateChange,
    WindowCounts,
    anomaly_score,
    compare_windows,
    position_weight,
    template_severity,
)
from analyzer.timeseries import NAT_NS, Buckets, count_matrix, make_buckets, time_ns, to_datetime
from parsers.errors import UserError
from parsers.records import ERROR_LEVELS

SKEW_SECONDS = 10.0  # clocks of different hosts may disagree by this much; earlier by less is not earlier
MAX_SCAN_TEMPLATES = 5000
STATE_LOOKBACK_SECONDS = 900
IF_MIN_RUN = 3
PRECISE_GAP_NS = 20_000_000_000  # a steady message whose usual gap is longer cannot date an onset
BLAME_DISCOUNT = 0.7  # a complaint about another service explains less than that service's own error


@dataclass
class _Table:
    """The event table reduced to arrays the scoring works on (codes, not strings: ten million rows)."""

    events: pd.DataFrame
    ns: np.ndarray  # event time, int64 ns (NAT_NS when unknown)
    codes: np.ndarray  # template column per event
    level: np.ndarray  # index into level_names per event
    level_names: list[str]  # upper case; "" unknown
    service: np.ndarray  # index into service_names per event
    service_names: np.ndarray  # object array of str
    path: np.ndarray
    path_names: np.ndarray
    is_error: np.ndarray | None = None

    def flag_errors(self, severity: np.ndarray) -> None:
        error_level = np.array([n in ERROR_LEVELS for n in self.level_names], dtype=bool)[self.level]
        unknown_level = np.array([n == "" for n in self.level_names], dtype=bool)[self.level]
        # A line without a level is an error when its template reads like one.
        self.is_error = error_level | (unknown_level & (severity[self.codes] >= 0.8))

    def services_present(self) -> list[str]:
        return sorted(str(n) for n in self.service_names[np.unique(self.service)])


@dataclass
class _Window:
    onset_ns: int | None
    end_ns: int | None  # recovery; None while not recovered
    peak_ns: int | None
    detection: str
    method: str
    notes: list[str] = field(default_factory=list)


def detect_anomalies(
    events: pd.DataFrame,
    templates: dict[int, TemplateInfo],
    options: AnomalyOptions,
    baseline: pd.DataFrame | None = None,
) -> AnomalyResult:
    """Onset, peak and recovery; templates that are new, spiking or gone quiet; services ranked as the origin;
    state changes and deploy markers seen in the logs; the per-bucket series for the chart."""
    _check_columns(events, "events")
    if baseline is not None:
        _check_columns(baseline, "baseline")
    ids = pd.Index(pd.unique(np.concatenate([_ids(events), _ids(baseline)])))
    table = _table(events, ids)
    base = _table(baseline, ids) if baseline is not None and len(baseline) else None
    severity = template_severity(templates, ids.to_numpy(), _majority_levels([table, base], len(ids)))
    for t in (table, base):
        if t is not None:
            t.flag_errors(severity)
    notes = _time_notes(table)
    if not (table.ns != NAT_NS).any():
        return _without_time(table, base, ids, severity, templates, notes)

    buckets = make_buckets(table.ns, options.bucket_seconds)
    matrix = count_matrix(buckets.assign(table.ns), table.codes, buckets.count, len(ids))
    base_counts = _baseline_counts(base, len(ids), buckets.seconds)
    window = _locate(table, matrix, buckets, severity, base_counts, options)
    notes += window.notes
    if window.onset_ns is None:
        return _no_incident(table, base, ids, severity, templates, buckets, window, notes)

    changes, healthy = _changes(table, matrix, buckets, base_counts, window)
    if window.detection == "auto" and _settle_onset(window, table, matrix, buckets, changes, healthy, severity):
        changes, healthy = _changes(table, matrix, buckets, base_counts, window)
    if window.detection == "auto" and not _explains(changes, severity):
        window = _Window(None, None, None, "auto", "No incident found: the change at "
                         f"{to_datetime(window.onset_ns):%H:%M:%S} leaves no error template new or spiking and no "
                         "steady message gone quiet against the healthy period.", window.notes)
        return _no_incident(table, base, ids, severity, templates, buckets, window, notes)
    if window.detection == "auto" or options.incident_end is None:
        _settle_peak_and_end(window, changes, matrix, buckets, severity, healthy, options)
        changes, healthy = _changes(table, matrix, buckets, base_counts, window)
    return _result(table, base, ids, severity, templates, buckets, window, changes, healthy, notes)


# ---------------------------------------------------------------- inputs


def _check_columns(frame: pd.DataFrame, what: str) -> None:
    missing = [c for c in EVENT_TABLE_COLUMNS if c not in frame.columns]
    if missing:
        raise UserError(f"The {what} table lacks the column(s) {', '.join(missing)}; run the template miner first.")


def _ids(frame: pd.DataFrame | None) -> np.ndarray:
    if frame is None or frame.empty:
        return np.empty(0, dtype=np.int64)
    return frame["template_id"].to_numpy(dtype=np.int64)


def _table(frame: pd.DataFrame, ids: pd.Index) -> _Table:
    frame = frame.reset_index(drop=True)
    codes = ids.get_indexer(frame["template_id"].to_numpy(dtype=np.int64))
    level, level_names = _categorical(frame["level"])
    service, service_names = _categorical(frame["service"])
    path, path_names = _categorical(frame["path"])
    return _Table(events=frame, ns=time_ns(frame["time"]), codes=codes, level=level,
                  level_names=[str(n).upper() for n in level_names], service=service, service_names=service_names,
                  path=path, path_names=path_names)


def _majority_levels(tables: list[_Table | None], n_codes: int) -> list[str]:
    """The most common known level of each template's events ("" when none of its events had one)."""
    names = sorted({n for t in tables if t is not None for n in t.level_names if n})
    if not names:
        return [""] * n_codes
    counts = np.zeros((n_codes, len(names)), dtype=np.int64)
    for t in tables:
        if t is None:
            continue
        index = np.array([names.index(n) if n else -1 for n in t.level_names])[t.level]
        known = index >= 0
        counts += count_matrix(t.codes[known], index[known], n_codes, len(names))
    best = counts.argmax(axis=1)
    return [names[b] if counts[k, b] else "" for k, b in enumerate(best)]


def _categorical(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes per row and the names they stand for (missing values become "")."""
    cat = column if isinstance(column.dtype, pd.CategoricalDtype) else column.astype("category")
    codes = cat.cat.codes.to_numpy().astype(np.int64)
    names = np.array([str(c) for c in cat.cat.categories] + [""], dtype=object)
    return np.where(codes < 0, len(names) - 1, codes), names


def _time_notes(table: _Table) -> list[str]:
    untimed = int((table.ns == NAT_NS).sum())
    if untimed and untimed < len(table.ns):
        return [f"{untimed} event(s) carry no timestamp: they count in the templates but not in the timing."]
    if untimed:
        return ["No event carries a timestamp, so the incident's time is unknown; anomalies are ranked by level."]
    return []


def _baseline_counts(base: _Table | None, n_codes: int, seconds: int) -> np.ndarray | None:
    if base is None:
        return None
    grid = make_buckets(base.ns, seconds)
    if grid is None:
        return None
    return count_matrix(grid.assign(base.ns), base.codes, grid.count, n_codes)


# ---------------------------------------------------------------- onset, peak, recovery


def _locate(
    table: _Table,
    matrix: np.ndarray,
    buckets: Buckets,
    severity: np.ndarray,
    base_counts: np.ndarray | None,
    options: AnomalyOptions,
) -> _Window:
    if options.incident_start is not None:
        start = int(pd.Timestamp(options.incident_start).tz_convert("UTC").value)
        end = int(pd.Timestamp(options.incident_end).tz_convert("UTC").value) if options.incident_end else None
        return _Window(start, end, None, "given", "window given with --incident-start/--incident-end")

    columns = _scan_columns(matrix)
    cp = scan_change_point(matrix[:, columns], severity[columns])
    flags = isolation_forest_flags(matrix, severity)
    runs = flagged_runs(flags, MIN_BEFORE)
    if cp is not None and cp.p_value <= ALPHA and cp.strong:
        onset = _refine(table, matrix, buckets, cp, columns)
        window = _Window(onset, None, None, "auto", _cp_method(cp, buckets, columns, onset))
        window.notes += _if_note(runs, cp.bucket, buckets)
        return window
    if base_counts is not None:
        window = _against_baseline(table, matrix, buckets, base_counts, severity)
        if window is not None:
            return window
    burst = _burst_onset(table, matrix, buckets, severity, columns, runs, cp)
    if burst is not None:
        return burst
    reason = (
        f"no boundary between buckets where error rates or steady messages changed beyond noise "
        f"(permutation p = {cp.p_value:.2f})"
        if cp is not None
        else "too few buckets to look for a change"
    )
    notes = []
    if runs:
        notes.append(
            f"IsolationForest flagged {int(flags.sum())} unusual window(s), the first at "
            f"{buckets.start(runs[0][0]):%H:%M:%S}, but no error template burst in them, so no onset was placed."
        )
    return _Window(None, None, None, "auto", f"No incident found: {reason}.", notes)


def _burst_onset(table, matrix, buckets, severity, columns, runs, cp) -> _Window | None:
    """A short incident: a run of windows IsolationForest finds unusual, in which error templates burst far above
    their rate elsewhere. The change-point scan misses these, since a burst is not a lasting change."""
    for start, length in runs:
        drivers = burst_change(matrix[:, columns], severity[columns], start, start + length)
        if not drivers:
            continue
        chosen = [int(columns[k]) for k in drivers[:8]]
        mask = np.isin(table.codes, chosen) & (table.ns >= buckets.start_ns(start))
        onset = int(table.ns[mask].min())
        p = f"p = {cp.p_value:.2f}" if cp is not None else "too few buckets"
        # Until the recovery is settled the window is the flagged run: a burst measured against the rest of the
        # logs would be diluted into looking like background.
        return _Window(
            onset, buckets.start_ns(start + length), None, "auto",
            f"IsolationForest over windows x template counts flagged {length} window(s) of {buckets.seconds} s from "
            f"{buckets.start(start):%H:%M:%S} in which {len(drivers)} error template(s) burst; the change-point scan "
            f"found no lasting change ({p}); the onset is the first event of the burst, {to_datetime(onset):%H:%M:%S}",
        )
    return None


def _scan_columns(matrix: np.ndarray) -> np.ndarray:
    """Templates with enough events to show a change in rate, the busiest first if there are too many."""
    totals = matrix.sum(axis=0)
    columns = np.flatnonzero(totals >= 2)
    if columns.size > MAX_SCAN_TEMPLATES:
        columns = columns[np.argsort(-totals[columns])[:MAX_SCAN_TEMPLATES]]
    return columns


def _refine(table: _Table, matrix: np.ndarray, buckets: Buckets, cp: ChangePoint, columns: np.ndarray) -> int:
    """The onset to the event: the earliest first event of the templates that rose at the boundary (errors first),
    or for a steady message that stopped, when its next occurrence was due."""
    tau = cp.bucket
    rising = [int(columns[k]) for k in cp.rising[:8]]
    falling = [int(columns[k]) for k in cp.falling[:4]]
    candidates = []
    lower = buckets.start_ns(max(tau - 1, 0))
    for column in rising:
        # New at the boundary: its first event may sit in the bucket before; a rise of an old one starts at tau.
        fresh = matrix[: max(tau - 1, 0), column].sum() == 0
        since = lower if fresh else buckets.start_ns(tau)
        hits = table.ns[(table.codes == column) & (table.ns >= since)]
        if hits.size:
            candidates.append(int(hits.min()))
    for column in falling:
        times = np.sort(table.ns[(table.codes == column) & (table.ns != NAT_NS) & (table.ns < buckets.start_ns(tau + 1))])
        due = int(times[-1] + np.median(np.diff(times))) if times.size >= 2 else None
        if due is not None and due >= lower:
            candidates.append(due)
    return min(candidates) if candidates else buckets.start_ns(tau)


def _cp_method(cp: ChangePoint, buckets: Buckets, columns: np.ndarray, onset: int) -> str:
    what = []
    if cp.rising:
        what.append(f"{len(cp.rising)} template(s) rose")
    if cp.falling:
        what.append(f"{len(cp.falling)} steady template(s) fell")
    return (
        f"change-point scan over {len(columns)} templates in {buckets.seconds} s buckets: at "
        f"{buckets.start(cp.bucket):%H:%M:%S} {' and '.join(what)} (permutation p = {cp.p_value:.2f}); the onset is "
        f"the first event of the earliest of them, {to_datetime(onset):%H:%M:%S}"
    )


def _if_note(runs: list[tuple[int, int]], cp_bucket: int, buckets: Buckets) -> list[str]:
    """Where the IsolationForest's first sustained run of unusual windows stands relative to the change point."""
    sustained = [start for start, length in runs if length >= IF_MIN_RUN]
    if not sustained:
        return ["IsolationForest over windows x template counts found no sustained run of unusual windows (the "
                "incident may be too large a share of the logs to be an outlier); the onset rests on the "
                "change-point scan."]
    nearest = min(sustained, key=lambda b: abs(b - cp_bucket))
    if abs(nearest - cp_bucket) <= 2:
        return [f"IsolationForest agrees: a run of unusual windows starts at {buckets.start(nearest):%H:%M:%S}."]
    gap = (sustained[0] - cp_bucket) * buckets.seconds
    side = "after" if gap > 0 else "before"
    return [
        f"IsolationForest disagrees: its first sustained run of unusual windows starts at "
        f"{buckets.start(sustained[0]):%H:%M:%S}, {_seconds(abs(gap))} {side} the change point."
    ]


def _seconds(value: float) -> str:
    return f"{value:.0f} s" if value < 120 else f"{value / 60:.0f} min"


def _against_baseline(
    table: _Table, matrix: np.ndarray, buckets: Buckets, base_counts: np.ndarray, severity: np.ndarray
) -> _Window | None:
    """No change inside the logs, but --baseline given: the incident may span all of them. The onset is then the
    first event of the earliest template that is clearly new or spiking against the baseline."""
    changes = compare_windows(WindowCounts.from_matrix(base_counts), WindowCounts.from_matrix(matrix))
    strong = [c for c in changes if c.kind != "drop" and severity[c.column] >= ERROR_SEVERITY and c.surprise >= 3]
    if not strong:
        return None
    mask = np.isin(table.codes, [c.column for c in strong]) & (table.ns != NAT_NS)
    onset = int(table.ns[mask].min())
    return _Window(
        onset, None, None, "auto",
        f"no change inside the logs; compared with the baseline logs, {len(strong)} error template(s) are new or "
        f"spiking, the earliest at {to_datetime(onset):%H:%M:%S}",
    )


def _settle_peak_and_end(
    window: _Window,
    changes: list[TemplateChange],
    matrix: np.ndarray,
    buckets: Buckets,
    severity: np.ndarray,
    healthy: WindowCounts,
    options: AnomalyOptions,
) -> None:
    """Peak: the bucket where the anomalous templates are busiest; recovery: from when they stay at healthy levels
    for a minute (at least three buckets) until the end of the logs."""
    up = [c.column for c in changes if c.kind != "drop"]
    down = [c.column for c in changes if c.kind == "drop"]
    per_bucket = healthy.totals / max(healthy.length, 1.0)
    intensity = matrix[:, up] @ severity[up] if up else np.zeros(matrix.shape[0])
    if down:
        intensity = intensity + 0.6 * np.maximum(per_bucket[down][None, :] - matrix[:, down], 0).sum(axis=1)
    onset_bucket = buckets.index_of_ns(window.onset_ns)
    before = intensity[:onset_bucket]
    threshold = float(before.mean() + 3 * before.std()) if before.size else 0.0
    threshold = max(threshold, 0.05 * float(intensity[onset_bucket:].max(initial=0.0)))
    quiet = max(3, math.ceil(60 / buckets.seconds))
    peak, recovery = peak_and_recovery(intensity, onset_bucket, threshold, quiet)
    window.peak_ns = max(buckets.start_ns(peak), window.onset_ns)
    if options.incident_end is None:
        window.end_ns = buckets.start_ns(recovery) if recovery is not None else None


def _changes(
    table: _Table, matrix: np.ndarray, buckets: Buckets, base_counts: np.ndarray | None, window: _Window
) -> tuple[list[TemplateChange], WindowCounts]:
    """Template changes between the healthy period and the incident window, and the healthy counts used."""
    timed = table.ns != NAT_NS
    end = window.end_ns if window.end_ns is not None else int(table.ns[timed].max()) + 1
    end = max(end, window.onset_ns + buckets.width_ns)  # a window shorter than a bucket has no rate to compare
    onset_bucket, end_bucket = buckets.index_of_ns(window.onset_ns), buckets.index_of_ns(end)
    n = len(matrix[0])
    inside = timed & (table.ns >= window.onset_ns) & (table.ns <= end)
    incident = WindowCounts.from_matrix(matrix[onset_bucket : end_bucket + 1])
    incident.totals = np.bincount(table.codes[inside], minlength=n)
    incident.length = max((end - window.onset_ns) / buckets.width_ns, 1.0)
    if base_counts is not None:
        healthy = WindowCounts.from_matrix(base_counts)
    else:
        before = timed & (table.ns < window.onset_ns)
        healthy = WindowCounts.from_matrix(matrix[:onset_bucket])
        healthy.totals = np.bincount(table.codes[before], minlength=n)
        first = int(table.ns[timed].min())
        healthy.length = max((window.onset_ns - first) / buckets.width_ns, 0.0)
    return compare_windows(healthy, incident), healthy


def _settle_onset(
    window: _Window,
    table: _Table,
    matrix: np.ndarray,
    buckets: Buckets,
    changes: list[TemplateChange],
    healthy: WindowCounts,
    severity: np.ndarray,
) -> bool:
    """The onset to the first anomalous event: the scan finds the boundary with the most evidence, often the
    loud cascade a little after the first sign. Each changed template gives its first sign (a new one its first
    event, a spiking one the start of its own run of abnormal buckets, a steady one the moment it was missed),
    looked for a few minutes back from the boundary; the earliest is the onset."""
    onset_bucket = buckets.index_of_ns(window.onset_ns)
    earliest_bucket = max(onset_bucket - max(3, math.ceil(300 / buckets.seconds)), 0)
    lower = buckets.start_ns(earliest_bucket)
    rate = healthy.totals / max(healthy.length, 1.0)
    since = np.full(matrix.shape[1], np.iinfo(np.int64).max)
    signs: list[int] = []
    for change in changes:
        if not _counts_as_incident(change, severity):
            continue
        k = change.column
        if change.kind == "new":
            since[k] = lower
        elif change.kind == "spike":
            start = _rise_start(matrix[:, k], onset_bucket, earliest_bucket, rate[k], healthy.dispersion[k])
            since[k] = buckets.start_ns(start) if start is not None else since[k]
    mask = (table.ns != NAT_NS) & (table.ns >= since[np.maximum(table.codes, 0)]) & (table.codes >= 0)
    if mask.any():
        signs.append(int(table.ns[mask].min()))
    for change in changes:
        if change.kind == "drop" and _counts_as_incident(change, severity):
            if _dates_its_silence(table, change.column, window.onset_ns):
                times = np.sort(table.ns[(table.codes == change.column) & (table.ns != NAT_NS)])
                due = _silence_start(times, window.onset_ns, int(table.ns[table.ns != NAT_NS].max()))
                if due >= lower:
                    signs.append(due)
    if not signs or min(signs) == window.onset_ns:
        return False
    window.onset_ns = min(signs)
    window.method += f"; the first anomalous event is at {to_datetime(window.onset_ns):%H:%M:%S}"
    return True


def _dates_its_silence(table: _Table, column: int, onset: int) -> bool:
    """A sparse message's silence is only known to within its usual gap: too vague to date an onset by."""
    times = np.sort(table.ns[(table.codes == column) & (table.ns != NAT_NS) & (table.ns < onset)])
    return times.size >= 3 and float(np.median(np.diff(times))) <= PRECISE_GAP_NS


def _rise_start(counts: np.ndarray, onset_bucket: int, earliest: int, rate: float, phi: float) -> int | None:
    """First bucket of a template's own run of abnormally high buckets around the onset (three standard
    deviations above its healthy rate), walking back from the first such bucket at or after the onset."""
    threshold = rate + 3.0 * math.sqrt(max(rate * phi, 1e-9)) + 0.5
    high = np.flatnonzero(counts[onset_bucket:] > threshold)
    if high.size == 0:
        return None
    start = onset_bucket + int(high[0])
    while start - 1 >= earliest and counts[start - 1] > threshold:
        start -= 1
    return start


def _counts_as_incident(change: TemplateChange, severity: np.ndarray) -> bool:
    if change.kind == "drop":
        return change.presence_baseline >= 0.7
    return severity[change.column] >= ERROR_SEVERITY


def _explains(changes: list[TemplateChange], severity: np.ndarray) -> bool:
    """An onset stands only if the window it opens holds a real change: an error-ish template new or spiking, or
    a steady message gone quiet."""
    return any(_counts_as_incident(c, severity) for c in changes)


# ---------------------------------------------------------------- results


def _result(
    table: _Table,
    base: _Table | None,
    ids: pd.Index,
    severity: np.ndarray,
    templates: dict[int, TemplateInfo],
    buckets: Buckets,
    window: _Window,
    changes: list[TemplateChange],
    healthy: WindowCounts,
    notes: list[str],
) -> AnomalyResult:
    timed = table.ns != NAT_NS
    end = window.end_ns if window.end_ns is not None else int(table.ns[timed].max()) + 1
    slack = buckets.width_ns
    inside = timed & (table.ns >= window.onset_ns - slack) & (table.ns <= end)
    firsts = _first_seen(table, inside, changes, window.onset_ns)
    services_of = _services_by_template(table, inside, base, timed & (table.ns < window.onset_ns))
    texts = _texts_by_service(table, templates)
    names = table.services_present()
    aliases = service_aliases(names)

    activities = _activities(table, base, ids, severity, templates, changes, firsts, services_of, texts, aliases,
                             names, inside, window)
    spread = max(3 * buckets.seconds, 30.0)
    services = rank_services(activities, SKEW_SECONDS, spread)
    origin = services[0].name if services and services[0].score > 0 else None
    anomalies = _anomalies(table, ids, severity, templates, changes, firsts, services_of, texts, aliases,
                           origin, window, spread, inside)
    baseline_range = _baseline_range(table, base, window)
    lookback = max(STATE_LOOKBACK_SECONDS, 10 * buckets.seconds) * 1_000_000_000
    state = find_state_changes(table.events, templates,
                               (window.onset_ns - lookback, (window.end_ns or end) + slack))
    anomalous_columns = [c.column for c in changes if c.kind != "drop"]
    return AnomalyResult(
        incident=Incident(
            start=to_datetime(window.onset_ns),
            end=to_datetime(window.end_ns) if window.end_ns is not None else None,
            detection=window.detection,
            peak=to_datetime(window.peak_ns) if window.peak_ns is not None else None,
            baseline_start=baseline_range[0],
            baseline_end=baseline_range[1],
            method=window.method,
        ),
        services=services,
        anomalies=anomalies,
        ruled_out=_ruled_out(table, ids, severity, templates, changes, healthy, window, end),
        state_changes=state.changes,
        deploy_markers=state.deploys,
        series=_series(table, buckets, anomalous_columns),
        bucket_seconds=buckets.seconds,
        notes=notes + _external_notes(activities),
    )


def _first_seen(table: _Table, inside: np.ndarray, changes: list[TemplateChange], onset: int) -> dict[int, int]:
    """Column -> ns: first event in the window for a rise; for a drop, when its next occurrence was due."""
    firsts: dict[int, int] = {}
    up = [c.column for c in changes if c.kind != "drop"]
    if up:
        mask = inside & np.isin(table.codes, up)
        frame = pd.DataFrame({"c": table.codes[mask], "t": table.ns[mask]}).groupby("c")["t"].min()
        firsts.update({int(k): int(v) for k, v in frame.items()})
    log_end = int(table.ns[table.ns != NAT_NS].max())
    for change in changes:
        if change.kind == "drop":
            times = np.sort(table.ns[(table.codes == change.column) & (table.ns != NAT_NS)])
            firsts[change.column] = _silence_start(times, onset, log_end)
    return firsts


def _silence_start(times: np.ndarray, onset: int, log_end: int) -> int:
    """When a steady message was first missed: its usual gap after the last occurrence before its first long
    silence near or after the onset."""
    before = times[times < onset]
    if before.size < 3:
        return onset
    normal = np.diff(before)
    usual = float(np.median(normal))
    # Longer than any silence it had while healthy (twice over), so Poisson-like gaps are not taken for silence.
    silence = max(3 * usual, 2 * float(normal.max()))
    gaps = np.diff(np.append(times, log_end + 1))
    long = np.flatnonzero((gaps > silence) & (times >= onset - silence))
    last = times[long[0]] if long.size else times[-1]
    return int(last + usual)


def _services_by_template(
    table: _Table, inside: np.ndarray, base: _Table | None, before: np.ndarray
) -> dict[str, dict[int, dict[str, int]]]:
    """{"incident"|"baseline": {column: {service: events}}}."""
    def count(t: _Table, mask: np.ndarray | None) -> dict[int, dict[str, int]]:
        codes, services = (t.codes, t.service) if mask is None else (t.codes[mask], t.service[mask])
        grouped = pd.DataFrame({"c": codes, "s": services}).groupby(["c", "s"]).size()
        out: dict[int, dict[str, int]] = {}
        for (c, s), n in grouped.items():
            out.setdefault(int(c), {})[str(t.service_names[s])] = int(n)
        return out

    healthy = count(base, None) if base is not None else count(table, before)
    return {"incident": count(table, inside), "baseline": healthy}


def _texts_by_service(table: _Table, templates: dict[int, TemplateInfo]) -> dict[tuple[int, str], list[Example]]:
    """(template id, service) -> examples from that service, via the path each example was read from."""
    pairs = pd.DataFrame({"p": table.path, "s": table.service}).drop_duplicates("p")
    service_of = {str(table.path_names[p]): str(table.service_names[s]) for p, s in zip(pairs["p"], pairs["s"])}
    out: dict[tuple[int, str], list[Example]] = {}
    for tid, info in templates.items():
        for example in [*info.examples, *info.recent]:
            service = service_of.get(example.path)
            if service is not None:
                out.setdefault((tid, service), []).append(example)
    return out


def _activities(
    table, base, ids, severity, templates, changes, firsts, services_of, texts, aliases, names, inside, window
) -> list[ServiceActivity]:
    activities = {name: ServiceActivity(name=name) for name in names}
    before = (table.ns != NAT_NS) & (table.ns < window.onset_ns)
    for name, n in _per_service(table, inside & table.is_error).items():
        activities[name].errors_incident = n
    base_errors = _per_service(base, base.is_error) if base is not None else _per_service(table, before & table.is_error)
    for name, n in base_errors.items():
        if name in activities:
            activities[name].errors_baseline = n

    first_by_service = _first_by_service(table, inside, [c.column for c in changes if c.kind != "drop"])
    for change in changes:
        tid = int(ids[change.column])
        text = templates[tid].text if tid in templates else f"template {tid}"
        if change.kind == "drop":
            precise = _dates_its_silence(table, change.column, window.onset_ns)
            for service in services_of["baseline"].get(change.column, {}):
                if service in activities:
                    activities[service].dropped.append(text)
                    if precise:
                        _earliest(activities[service], firsts.get(change.column))
            continue
        if severity[change.column] < ERROR_SEVERITY:
            continue
        evidence = severity[change.column] * min(1.0, change.surprise / 5.0)
        for service in services_of["incident"].get(change.column, {}):
            activity = activities[service]
            _earliest(activity, first_by_service.get((change.column, service)))
            complaint = _complaints(tid, service, text, texts, aliases)
            for target, strength in complaint.services.items():
                activity.blames[target] = activity.blames.get(target, 0.0) + strength * evidence
                activity.blame_examples.setdefault(target, text)
            for host, strength in complaint.external.items():
                activity.external[host] = activity.external.get(host, 0.0) + strength * evidence
            if not complaint.services and (complaint.external or complaint.about_dependency):
                activity.unnamed += evidence
            elif not complaint.services:
                activity.own.append((text, evidence))
    return [activities[name] for name in names]


def _per_service(table: _Table, mask: np.ndarray) -> dict[str, int]:
    counts = np.bincount(table.service[mask], minlength=len(table.service_names))
    return {str(table.service_names[i]): int(n) for i, n in enumerate(counts) if n}


def _first_by_service(table: _Table, inside: np.ndarray, columns: list[int]) -> dict[tuple[int, str], int]:
    if not columns:
        return {}
    mask = inside & np.isin(table.codes, columns) & (table.ns != NAT_NS)
    frame = pd.DataFrame({"c": table.codes[mask], "s": table.service[mask], "t": table.ns[mask]})
    firsts = frame.groupby(["c", "s"])["t"].min()
    return {(int(c), str(table.service_names[s])): int(t) for (c, s), t in firsts.items()}


def _earliest(activity: ServiceActivity, ns: int | None) -> None:
    if ns is None:
        return
    when = to_datetime(ns)
    if activity.onset is None or when < activity.onset:
        activity.onset = when


def _complaints(tid, service, text, texts, aliases) -> Complaint:
    """Who the template complains about, read in the service's own examples (the template text may mask names;
    of a stack trace the first line and the last ones, where the final exception and its "Caused by" are)."""
    merged = Complaint()
    for candidate in [text, *(e.text for e in texts.get((tid, service), []))]:
        found = blame_targets(_telling_lines(candidate), aliases, service)
        for k, v in found.services.items():
            merged.services[k] = max(merged.services.get(k, 0.0), v)
        for k, v in found.external.items():
            merged.external[k] = max(merged.external.get(k, 0.0), v)
        merged.about_dependency |= found.about_dependency
    return merged


def _telling_lines(text: str) -> str:
    lines = text.strip().splitlines()
    if len(lines) <= 4:
        return " ".join(lines)
    caused = [line for line in lines if "caused by" in line.lower()]
    return " ".join([lines[0], *caused[-2:], *lines[-3:]])


def _anomalies(
    table, ids, severity, templates, changes, firsts, services_of, texts, aliases, origin, window, spread, inside
) -> list[Anomaly]:
    examples_inside = _example_times(table, templates, ids, changes)
    out = []
    for change in changes:
        tid = int(ids[change.column])
        info = templates.get(tid)
        text = info.text if info else f"template {tid}"
        first = firsts.get(change.column)
        delay = None if first is None else (first - window.onset_ns) / 1e9
        side = "baseline" if change.kind == "drop" else "incident"
        services = sorted(services_of[side].get(change.column, {}), key=lambda s: -services_of[side][change.column][s])
        weight = 0.6 * change.presence_baseline if change.kind == "drop" else float(severity[change.column])
        complains = any(blame_targets(text, aliases, s).services for s in services) if services else False
        if complains and origin not in services:
            weight *= BLAME_DISCOUNT
        if origin is not None and origin in services:
            weight *= 1.2
        out.append(
            Anomaly(
                template_id=tid,
                template=text,
                kind=change.kind,
                score=round(anomaly_score(change.surprise, weight, position_weight(delay, spread)), 4),
                level=(info.level or None) if info else None,
                first_seen=to_datetime(first) if first is not None else None,
                count_baseline=change.count_baseline,
                count_incident=change.count_incident,
                services=services,
                examples=_pick_examples(info, examples_inside, window),
            )
        )
    return sorted(out, key=lambda a: (-a.score, a.first_seen or to_datetime(0), str(a.template_id)))


def _example_times(table, templates, ids, changes) -> dict[tuple[str, int], int]:
    """(path, line) -> ns for the examples of the changed templates, looked up in the event table."""
    wanted = [int(ids[c.column]) for c in changes]
    keys = {(e.path, e.line) for tid in wanted if tid in templates
            for e in [*templates[tid].examples, *templates[tid].recent]}
    if not keys:
        return {}
    path_code = {str(name): i for i, name in enumerate(table.path_names)}
    wanted_keys = pd.DataFrame([(path_code[p], line) for p, line in keys if p in path_code], columns=["p", "line"])
    mask = np.isin(table.codes, [c.column for c in changes])
    frame = pd.DataFrame({"p": table.path[mask], "line": table.events["line"].to_numpy()[mask], "t": table.ns[mask]})
    found = frame.merge(wanted_keys.astype({"p": frame["p"].dtype, "line": frame["line"].dtype}), on=["p", "line"])
    return {(str(table.path_names[p]), int(l)): int(t) for p, l, t in zip(found["p"], found["line"], found["t"])}


def _pick_examples(info: TemplateInfo | None, times: dict[tuple[str, int], int], window: _Window) -> list[Example]:
    """Up to three, those inside the incident window first (in time order), then the others."""
    if info is None:
        return []
    seen, pool = set(), []
    for example in [*info.examples, *info.recent]:
        if (example.path, example.line) not in seen:
            seen.add((example.path, example.line))
            pool.append(example)
    end = window.end_ns if window.end_ns is not None else np.iinfo(np.int64).max

    def key(e: Example) -> tuple[int, int]:
        t = times.get((e.path, e.line), NAT_NS)
        within = t != NAT_NS and window.onset_ns is not None and window.onset_ns <= t <= end
        return (0 if within else 1, t)

    return sorted(pool, key=key)[:3]


def _ruled_out(table, ids, severity, templates, changes, healthy, window, end) -> list[str]:
    """Error-ish templates already present in the healthy period at about the same rate: noise, not the cause."""
    changed = {c.column for c in changes}
    timed = table.ns != NAT_NS
    inside = timed & (table.ns >= window.onset_ns) & (table.ns <= end)
    during = np.bincount(table.codes[inside], minlength=len(ids))
    candidates = [k for k in np.flatnonzero((healthy.totals > 0) & (severity >= ERROR_SEVERITY)) if k not in changed]
    out = []
    for k in sorted(candidates, key=lambda k: -healthy.totals[k])[:5]:
        tid = int(ids[k])
        text = templates[tid].text if tid in templates else f"template {tid}"
        out.append(
            f"“{_first_line(text)}” was already logged {int(healthy.totals[k])} time(s) in the healthy period "
            f"({int(during[k])} during the incident, within its usual noise): it predates the onset."
        )
    return out


def _baseline_range(table: _Table, base: _Table | None, window: _Window):
    source = base if base is not None else table
    timed = source.ns[source.ns != NAT_NS]
    if base is None:
        timed = timed[timed < (window.onset_ns or 0)]
    if timed.size == 0:
        return None, None
    return to_datetime(int(timed.min())), to_datetime(int(timed.max()) if base is not None else window.onset_ns)


def _series(table: _Table, buckets: Buckets, anomalous: list[int]) -> list[SeriesPoint]:
    bucket = buckets.assign(table.ns)
    service_codes, names = table.service, table.service_names
    n = len(names)
    events = count_matrix(bucket, service_codes, buckets.count, n)
    errors = count_matrix(np.where(table.is_error, bucket, -1), service_codes, buckets.count, n)
    flagged = np.isin(table.codes, anomalous)
    anomalous_counts = count_matrix(np.where(flagged, bucket, -1), service_codes, buckets.count, n)
    present = [s for s in range(n) if events[:, s].any()]
    points = []
    for b in range(buckets.count):
        when = buckets.start(b)
        for s in present:
            points.append(SeriesPoint(time=when, service=str(names[s]), events=int(events[b, s]),
                                      errors=int(errors[b, s]), anomalous=int(anomalous_counts[b, s])))
    return points


def _external_notes(activities: list[ServiceActivity]) -> list[str]:
    hosts: dict[str, list[str]] = {}
    for a in activities:
        for host in a.external:
            hosts.setdefault(host, []).append(a.name)
    return [f"Errors of {', '.join(sorted(who))} name {host}, which is not among the services in these logs: "
            "an outside dependency may be the origin." for host, who in sorted(hosts.items())[:5]]


def _first_line(text: str, limit: int = 120) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


# ---------------------------------------------------------------- degenerate inputs


def _no_incident(table, base, ids, severity, templates, buckets, window, notes) -> AnomalyResult:
    """No onset: no window, no anomalies; services listed (all alike), the series still drawn."""
    names = table.services_present()
    activities = [ServiceActivity(name=n) for n in names]
    for name, n in _per_service(table, table.is_error).items():
        activities[names.index(name)].errors_incident = n
    state = find_state_changes(table.events, templates, None)
    return AnomalyResult(
        incident=Incident(start=None, end=None, detection="auto", method=window.method),
        services=rank_services(activities, SKEW_SECONDS, 30.0),
        anomalies=[],
        state_changes=state.changes,
        deploy_markers=state.deploys,
        series=_series(table, buckets, []),
        bucket_seconds=buckets.seconds,
        notes=notes,
    )


def _without_time(table, base, ids, severity, templates, notes) -> AnomalyResult:
    """No timestamps (a pasted crash trace): error templates ranked by level and by how early they appear;
    against --baseline when given, only those the baseline lacks or has fewer of."""
    counts = np.bincount(table.codes, minlength=len(ids))
    base_counts = np.bincount(base.codes, minlength=len(ids)) if base is not None else np.zeros(len(ids), int)
    first_row = pd.Series(np.arange(len(table.codes))).groupby(table.codes).min()
    columns = [k for k in np.flatnonzero((counts > 0) & (severity >= ERROR_SEVERITY)) if counts[k] > base_counts[k]]
    columns.sort(key=lambda k: first_row.get(k, 0))
    changes = [TemplateChange(column=int(k), kind="new" if base_counts[k] == 0 else "spike", surprise=5.0,
                              count_baseline=int(base_counts[k]), count_incident=int(counts[k]),
                              presence_baseline=0.0) for k in columns]
    window = _Window(None, None, None, "none", "no timestamps in the logs, so no onset; error templates are listed")
    everything = np.ones(len(table.codes), dtype=bool)
    services_of = _services_by_template(table, everything, None, ~everything)
    texts = _texts_by_service(table, templates)
    names = table.services_present()
    aliases = service_aliases(names)
    window_all = _Window(np.iinfo(np.int64).min + 1, None, None, "none", window.method)
    activities = _activities(table, None, ids, severity, templates, changes, {}, services_of, texts, aliases,
                             names, everything, window_all)
    services = rank_services(activities, SKEW_SECONDS, 30.0)
    origin = services[0].name if services and services[0].score > 0 else None
    anomalies = []
    for rank, change in enumerate(changes):
        tid = int(ids[change.column])
        info = templates.get(tid)
        svcs = sorted(services_of["incident"].get(change.column, {}))
        weight = float(severity[change.column]) * (1.2 if origin in svcs else 1.0)
        anomalies.append(Anomaly(
            template_id=tid, template=info.text if info else f"template {tid}", kind=change.kind,
            score=round(anomaly_score(5.0, weight, position_weight(rank * 10.0, 30.0)), 4),
            level=(info.level or None) if info else None, count_baseline=change.count_baseline,
            count_incident=change.count_incident, services=svcs,
            examples=[*info.examples][:3] if info else []))
    anomalies.sort(key=lambda a: -a.score)
    state = find_state_changes(table.events, templates, None)
    return AnomalyResult(
        incident=Incident(start=None, end=None, detection="none", method=window.method),
        services=services, anomalies=anomalies, state_changes=state.changes, deploy_markers=state.deploys,
        notes=notes,
    )
