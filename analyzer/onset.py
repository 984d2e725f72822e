"""When the incident began, peaked and ended, from the bucketed template counts.

The onset is a change point found jointly over all templates: for every candidate boundary between buckets each
template contributes the evidence (a Poisson likelihood ratio, deflated by how bursty that template is) that its
rate in a window after the boundary (1, 3, 9... buckets, or all the rest) differs from its rate before, weighted by
what the change means (errors rising, steady messages falling). The boundary with the most evidence wins; a
permutation test (the same statistic on shuffled blocks of buckets) says whether it beats what noise alone
produces, so logs without an incident get no invented onset. The onset is then moved to the first anomalous event
of the templates that changed. IsolationForest over window summaries gives a second, model-based opinion, and
finds the short bursts a change-point test cannot. Peak and recovery follow from the anomalous templates' counts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import xlogy

from analyzer.stages import AnomalyOptions
from analyzer.template_anomalies import ERROR_SEVERITY, TemplateChange, WindowCounts, compare_windows
from analyzer.timeseries import CHUNK, NAT_NS, Buckets, EventArrays, dispersion, to_datetime

EVIDENCE_SCALE = 10.0  # beyond about this (p ~ 1e-5) a template's evidence grows only logarithmically,
# so one busy template cannot outvote many, yet the best boundary still gets more than a nearby one
NOISE_EVIDENCE = 3.0
FULL_EFFECT_RATIO = 3.0  # rate ratios below this count only partly, so slow drifts in busy templates stay quiet
DROP_WEIGHT = 0.6
MIN_BEFORE = 2  # buckets of healthy logs needed before an onset can be placed
PERMUTATIONS = 99
BLOCK = 3  # buckets shuffled together in the permutation test
ALPHA = 0.01
STRONG_EVIDENCE = 6.0  # a driver's own likelihood ratio for the change to count as a real incident
MIN_RISE_EVENTS = 3
MIN_DROP_PRESENCE = 0.7
TOP_TEMPLATE_FEATURES = 20
MAX_SCAN_TEMPLATES = 600  # the scan and its permutations cost buckets x templates each
IF_MIN_RUN = 3
PRECISE_GAP_NS = 20_000_000_000  # a steady message whose usual gap is longer cannot date an onset
BURST_EVIDENCE = 12.0  # stricter than STRONG_EVIDENCE: a burst is judged after looking at many windows
BURST_RATIO = 5.0
BURST_MIN_EVENTS = 10  # a handful of lines of a rare template is how rare templates come


@dataclass
class ChangePoint:
    bucket: int  # first bucket of the changed regime
    score: float
    p_value: float
    length: int = 0  # buckets the change was measured over (it may end, as an incident that recovers does)
    rising: list[int] = field(default_factory=list)  # columns that rose at the boundary, strongest first
    falling: list[int] = field(default_factory=list)
    strong: bool = False  # some error-ish template rose (or a steady one fell) clearly enough to call it


@dataclass
class _Scan:
    """Per candidate boundary tau (rows: tau = min_before .. buckets-1) the best window's total evidence."""

    totals: np.ndarray
    windows: np.ndarray  # the window length (buckets) that gave it


def scan_change_point(
    counts: np.ndarray, severity: np.ndarray, min_before: int = MIN_BEFORE, seed: int = 0
) -> ChangePoint | None:
    """The most supported onset in a buckets x templates count matrix, with its permutation p-value.

    Each candidate boundary compares everything before it (the healthy reference) with windows of 1, 2, 4, ...
    buckets after it, so a change that lasts (a dead dependency) and one that recovers (an incident of twenty
    minutes in a day of logs) are both measured over their own length."""
    buckets = counts.shape[0]
    if buckets < min_before + 1 or counts.shape[1] == 0:
        return None
    counts = counts.astype(np.float64)
    phi = dispersion(counts)
    scan = _scan(counts, phi, severity, min_before)
    best = int(np.argmax(scan.totals))
    score = float(scan.totals[best])
    if score <= 0:
        return None
    tau, length = best + min_before, int(scan.windows[best])
    p_value = _permutation_p(counts, phi, severity, min_before, score, seed)
    evidence, llr, up, presence, inside = _window_evidence(_prefix(counts), phi, severity, np.array([tau]), length)
    evidence, llr, up, presence, inside = evidence[0], llr[0] / phi, up[0], presence[0], inside[0]
    relevant = [int(k) for k in np.argsort(-evidence) if llr[k] >= 3.0 and evidence[k] > 0]
    rising = [k for k in relevant if up[k]]
    # Only a message that was steady can be missed; a sporadic one going quiet for a while is just sporadic.
    falling = [k for k in relevant if not up[k] and presence[k] >= MIN_DROP_PRESENCE]
    strong = any(
        llr[k] >= STRONG_EVIDENCE and severity[k] >= ERROR_SEVERITY and inside[k] >= MIN_RISE_EVENTS for k in rising
    ) or any(llr[k] >= STRONG_EVIDENCE for k in falling)
    return ChangePoint(bucket=tau, score=score, p_value=p_value, length=length, rising=rising, falling=falling,
                       strong=strong)


def _window_lengths(buckets: int) -> list[int]:
    """1, 3, 9, ... buckets and all the rest: an incident of any length is within a factor 3 of one of them."""
    lengths, w = [], 1
    while w < buckets:
        lengths.append(w)
        w *= 3
    return lengths + [buckets]


@dataclass
class _Prefix:
    """Per template, running sums over buckets (row b: buckets before b) and what the scan needs of them."""

    cumulative: np.ndarray
    seen: np.ndarray  # buckets with the template
    xlogx: np.ndarray  # cumulative * log(cumulative)
    log_half: np.ndarray  # log(cumulative + 0.5)


def _prefix(counts: np.ndarray) -> _Prefix:
    zeros = np.zeros((1, counts.shape[1]), dtype=np.float32)
    cumulative = np.vstack([zeros, np.cumsum(counts, axis=0, dtype=np.float32)])
    return _Prefix(
        cumulative=cumulative,
        seen=np.vstack([zeros, np.cumsum(counts > 0, axis=0, dtype=np.float32)]),
        xlogx=xlogy(cumulative, cumulative),
        log_half=np.log(cumulative + np.float32(0.5)),
    )


def _scan(counts: np.ndarray, phi: np.ndarray, severity: np.ndarray, min_before: int) -> _Scan:
    buckets = counts.shape[0]
    taus = np.arange(min_before, buckets)
    totals = np.full(len(taus), -np.inf)
    windows = np.zeros(len(taus), dtype=np.int64)
    prefix = _prefix(counts)
    for length in _window_lengths(buckets):
        total = _window_evidence(prefix, phi, severity, taus, length)[0].sum(axis=1)
        better = total > totals
        totals[better], windows[better] = total[better], length
    return _Scan(totals=totals, windows=windows)


def _window_evidence(
    prefix: _Prefix, phi: np.ndarray, severity: np.ndarray, taus: np.ndarray, length: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per boundary in `taus` and template: weighted evidence that the rate in the `length` buckets from tau
    differs from the rate in all buckets before tau; also the raw likelihood ratio, the direction, the share of
    buckets before tau with the template, and the events inside the window."""
    buckets = prefix.cumulative.shape[0] - 1
    stop = np.minimum(taus + length, buckets)
    before = taus[:, None].astype(np.float32)
    span = (stop - taus)[:, None].astype(np.float32)
    n1, total = prefix.cumulative[taus], prefix.cumulative[stop]
    n2 = total - n1
    log_before, log_span, log_both = np.log(before), np.log(span), np.log(before + span)
    # n log(n/L) summed over the two sides minus the same for both together, from running sums where possible.
    llr = (prefix.xlogx[taus] - n1 * log_before) + (xlogy(n2, n2) - n2 * log_span) \
        - (prefix.xlogx[stop] - total * log_both)
    llr = np.maximum(llr, 0.0)
    log_ratio = (np.log(n2 + np.float32(0.5)) - log_span) - (prefix.log_half[taus] - log_before)
    effect = np.minimum(np.abs(log_ratio) / np.float32(np.log(FULL_EFFECT_RATIO)), 1.0)
    up = log_ratio > 0
    present_before = prefix.seen[taus] / before
    weight = np.where(up, severity[None, :].astype(np.float32), np.float32(DROP_WEIGHT) * present_before)
    # What noise alone gives a template at its best boundary (a likelihood ratio of a few) is taken off first,
    # so a thousand sparse templates cannot add up to an incident.
    excess = np.maximum(llr / phi[None, :].astype(np.float32) - NOISE_EVIDENCE, 0.0)
    evidence = EVIDENCE_SCALE * np.log1p(excess / EVIDENCE_SCALE) * effect * weight
    return evidence, llr, up, present_before, n2


def _permutation_p(
    counts: np.ndarray, phi: np.ndarray, severity: np.ndarray, min_before: int, observed: float, seed: int
) -> float:
    """Share of shuffled bucket orders scoring at least as high; stops once significance is out of reach."""
    rng = np.random.default_rng(seed)
    exceed, limit = 0, int(ALPHA * (PERMUTATIONS + 1))
    # Blocks of buckets are shuffled, not single buckets, so noise that lasts a few buckets stays noise.
    blocks = np.array_split(np.arange(counts.shape[0]), max(counts.shape[0] // BLOCK, 2))
    for done in range(1, PERMUTATIONS + 1):
        shuffled = counts[np.concatenate([blocks[i] for i in rng.permutation(len(blocks))])]
        if _scan(shuffled, phi, severity, min_before).totals.max() >= observed:
            exceed += 1
            if exceed >= limit:
                return (1 + exceed) / (1 + done)
    return (1 + exceed) / (1 + PERMUTATIONS)


def peak_and_recovery(
    intensity: np.ndarray, onset_bucket: int, threshold: float, quiet_buckets: int
) -> tuple[int, int | None]:
    """The bucket of the peak after the onset, and the first bucket from which `quiet_buckets` in a row stay at
    or below the healthy threshold (None when the logs end before that)."""
    after = intensity[onset_bucket:]
    peak = onset_bucket + int(np.argmax(after)) if after.size else onset_bucket
    calm = intensity <= threshold
    for b in range(peak + 1, len(intensity) - quiet_buckets + 1):
        if calm[b : b + quiet_buckets].all():
            return peak, b
    return peak, None


def isolation_forest_flags(counts: np.ndarray, severity: np.ndarray, seed: int = 0) -> np.ndarray:
    """Windows an IsolationForest finds anomalous.

    Fitted on all windows: an incident that fills much of the logs is no outlier to it, which is why it is the
    second opinion (and the finder of short bursts), not the first. Its features summarise each window (volume,
    errors, variety, templates never seen before, the busiest template's share) beside the counts of the most
    variable templates: over hundreds of sparse template columns alone a forest rarely splits on the one that
    matters."""
    buckets = counts.shape[0]
    if buckets < 8 or counts.shape[1] == 0:
        return np.zeros(buckets, dtype=bool)
    from sklearn.ensemble import IsolationForest  # 2 s to import: only when a model is fitted

    model = IsolationForest(n_estimators=200, contamination="auto", random_state=seed)
    features = window_features(counts, severity)
    model.fit(features)
    return model.predict(features) == -1


def window_features(counts: np.ndarray, severity: np.ndarray, top: int = TOP_TEMPLATE_FEATURES) -> np.ndarray:
    counts = counts.astype(np.float64)
    total = counts.sum(axis=1)
    errors = counts[:, severity >= ERROR_SEVERITY].sum(axis=1)
    distinct = (counts > 0).sum(axis=1)
    seen_before = np.vstack([np.zeros((1, counts.shape[1])), np.cumsum(counts, axis=0)[:-1]]) > 0
    novel = np.where(seen_before, 0.0, counts).sum(axis=1)
    busiest = counts.max(axis=1)
    share = np.divide(busiest, total, out=np.zeros_like(total), where=total > 0)
    logs = np.log1p(counts)
    columns = np.argsort(-logs.var(axis=0))[:top]
    summary = np.column_stack([np.log1p(total), np.log1p(errors), np.log1p(distinct), np.log1p(novel),
                               np.log1p(busiest), share])
    return np.column_stack([summary, logs[:, columns]])


def flagged_runs(flags: np.ndarray, start: int) -> list[tuple[int, int]]:
    """(first bucket, length) of each run of flagged windows at or after `start`, in time order."""
    runs, begin = [], None
    for b in range(start, len(flags) + 1):
        on = b < len(flags) and flags[b]
        if on and begin is None:
            begin = b
        elif not on and begin is not None:
            runs.append((begin, b - begin))
            begin = None
    return runs


def burst_change(counts: np.ndarray, severity: np.ndarray, start: int, stop: int) -> list[int]:
    """Error-ish templates concentrated in buckets [start, stop) far beyond their rate elsewhere: what makes a
    short burst (too short for the change-point scan) an incident. Strongest first; empty when none qualifies."""
    inside = counts[start:stop].sum(axis=0).astype(np.float64)
    outside = counts.sum(axis=0) - inside
    length_in, length_out = stop - start, counts.shape[0] - (stop - start)
    if length_out <= 0:
        return []
    total = inside + outside
    llr = (
        xlogy(inside, inside / length_in)
        + xlogy(outside, outside / length_out)
        - xlogy(total, total / counts.shape[0])
    )
    ratio = ((inside + 0.5) / length_in) / ((outside + 0.5) / length_out)
    elsewhere = np.delete(counts, np.s_[start:stop], axis=0)
    # Noise is judged by the template's own buckets elsewhere: its usual burstiness and its biggest burst.
    evidence = llr / dispersion(elsewhere, shifts=0)
    biggest_elsewhere = elsewhere.max(axis=0)
    keep = (
        (evidence >= BURST_EVIDENCE)
        & (ratio >= BURST_RATIO)
        & (inside >= BURST_MIN_EVENTS)
        & (severity >= ERROR_SEVERITY)
        & (counts[start:stop].max(axis=0) >= BURST_RATIO * biggest_elsewhere)
    )
    return [int(k) for k in np.argsort(-evidence) if keep[k]]


# ---------------------------------------------------------------- the incident's window in an event table


@dataclass
class IncidentWindow:
    onset_ns: int | None
    end_ns: int | None  # recovery; None while not recovered
    peak_ns: int | None
    detection: str
    method: str
    notes: list[str] = field(default_factory=list)


def locate_incident(
    table: EventArrays,
    matrix: np.ndarray,
    buckets: Buckets,
    severity: np.ndarray,
    base_counts: np.ndarray | None,
    options: AnomalyOptions,
) -> IncidentWindow:
    if options.incident_start is not None:
        start = int(pd.Timestamp(options.incident_start).tz_convert("UTC").value)
        end = int(pd.Timestamp(options.incident_end).tz_convert("UTC").value) if options.incident_end else None
        return IncidentWindow(start, end, None, "given", "window given with --incident-start/--incident-end")

    columns = _scan_columns(matrix, severity)
    cp = scan_change_point(matrix[:, columns], severity[columns])
    flags = isolation_forest_flags(matrix, severity)
    runs = flagged_runs(flags, MIN_BEFORE)
    if cp is not None and cp.p_value <= ALPHA and cp.strong:
        onset = _refine(table, matrix, buckets, cp, columns)
        window = IncidentWindow(onset, None, None, "auto", _cp_method(cp, buckets, columns, onset))
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
    return IncidentWindow(None, None, None, "auto", f"No incident found: {reason}.", notes)


def _burst_onset(table, matrix, buckets, severity, columns, runs, cp) -> IncidentWindow | None:
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
        return IncidentWindow(
            onset, buckets.start_ns(start + length), None, "auto",
            f"IsolationForest over windows x template counts flagged {length} window(s) of {buckets.seconds} s from "
            f"{buckets.start(start):%H:%M:%S} in which {len(drivers)} error template(s) burst; the change-point scan "
            f"found no lasting change ({p}); the onset is the first event of the burst, {to_datetime(onset):%H:%M:%S}",
        )
    return None


def _scan_columns(matrix: np.ndarray, severity: np.ndarray) -> np.ndarray:
    """Templates with enough events to show a change in rate. When there are too many, the error-ish ones (that
    can rise) and the steadiest (that can stop) come first, chosen without looking at when events happened, so
    the permutation test stays fair."""
    totals = matrix.sum(axis=0)
    columns = np.flatnonzero(totals >= 2)
    if columns.size <= MAX_SCAN_TEMPLATES:
        return columns
    presence = (matrix[:, columns] > 0).mean(axis=0)
    priority = np.where(severity[columns] >= ERROR_SEVERITY, 2.0, 0.0) + presence + np.log1p(totals[columns]) / 100
    return np.sort(columns[np.argsort(-priority)[:MAX_SCAN_TEMPLATES]])


def _refine(table: EventArrays, matrix: np.ndarray, buckets: Buckets, cp: ChangePoint, columns: np.ndarray) -> int:
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
        mine = (table.codes == column) & (table.ns != NAT_NS) & (table.ns < buckets.start_ns(tau + 1))
        times = np.sort(table.ns[mine])
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
    table: EventArrays, matrix: np.ndarray, buckets: Buckets, base_counts: np.ndarray, severity: np.ndarray
) -> IncidentWindow | None:
    """No change inside the logs, but --baseline given: the incident may span all of them. The onset is then the
    first event of the earliest template that is clearly new or spiking against the baseline."""
    changes = compare_windows(WindowCounts.from_matrix(base_counts), WindowCounts.from_matrix(matrix))
    strong = [c for c in changes if c.kind != "drop" and severity[c.column] >= ERROR_SEVERITY and c.surprise >= 3]
    if not strong:
        return None
    mask = np.isin(table.codes, [c.column for c in strong]) & (table.ns != NAT_NS)
    onset = int(table.ns[mask].min())
    return IncidentWindow(
        onset, None, None, "auto",
        f"no change inside the logs; compared with the baseline logs, {len(strong)} error template(s) are new or "
        f"spiking, the earliest at {to_datetime(onset):%H:%M:%S}",
    )


def settle_onset(
    window: IncidentWindow,
    table: EventArrays,
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
        if not counts_as_incident(change, severity):
            continue
        k = change.column
        if change.kind == "new":
            since[k] = lower
        elif change.kind == "spike":
            start = _rise_start(matrix[:, k], onset_bucket, earliest_bucket, rate[k], healthy.dispersion[k])
            since[k] = buckets.start_ns(start) if start is not None else since[k]
    first = _first_event_since(table, since)
    if first is not None:
        signs.append(first)
    for change in changes:
        if change.kind == "drop" and counts_as_incident(change, severity):
            if dates_its_silence(table, change.column, window.onset_ns):
                times = np.sort(table.ns[(table.codes == change.column) & (table.ns != NAT_NS)])
                due = silence_start(times, window.onset_ns, int(table.ns.max()))  # NaT is the least int64
                if due >= lower:
                    signs.append(due)
    if not signs or min(signs) == window.onset_ns:
        return False
    window.onset_ns = min(signs)
    window.method += f"; the first anomalous event is at {to_datetime(window.onset_ns):%H:%M:%S}"
    return True


def _first_event_since(table: EventArrays, since: np.ndarray) -> int | None:
    """The earliest event at or after its template's `since`; a chunk at a time, as the per-event lookup of
    `since` is an int64 per event."""
    first = None
    for start in range(0, len(table.ns), CHUNK):
        ns, codes = table.ns[start:start + CHUNK], table.codes[start:start + CHUNK]
        hit = (codes >= 0) & (ns != NAT_NS) & (ns >= since[np.maximum(codes, 0)])
        if hit.any():
            found = int(ns[hit].min())
            first = found if first is None else min(first, found)
    return first


def dates_its_silence(table: EventArrays, column: int, onset: int) -> bool:
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


def silence_start(times: np.ndarray, onset: int, log_end: int) -> int:
    """When a steady message stopped: its mean gap after the last occurrence before its first long silence near
    or after the onset. (For Poisson-like arrivals the last one precedes the stop by the mean gap on average; the
    median would date the stop early.)"""
    before = times[times < onset]
    if before.size < 3:
        return onset
    normal = np.diff(before)
    usual = float(np.mean(np.sort(normal)[: max(int(len(normal) * 0.95), 1)]))  # without the longest 5%
    # Longer than any silence it had while healthy (twice over), so Poisson-like gaps are not taken for silence.
    silence = max(3 * usual, 2 * float(normal.max()))
    gaps = np.diff(np.append(times, log_end + 1))
    long = np.flatnonzero((gaps > silence) & (times >= onset - silence))
    last = times[long[0]] if long.size else times[-1]
    return int(last + usual)


def counts_as_incident(change: TemplateChange, severity: np.ndarray) -> bool:
    if change.kind == "drop":
        return change.presence_baseline >= 0.7
    return severity[change.column] >= ERROR_SEVERITY


def explains(changes: list[TemplateChange], severity: np.ndarray) -> bool:
    """An onset stands only if the window it opens holds a real change: an error-ish template new or spiking, or
    a steady message gone quiet."""
    return any(counts_as_incident(c, severity) for c in changes)


def settle_peak_and_end(
    window: IncidentWindow,
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
    else:  # --incident-end without --incident-start: the onset is found, the end is as given
        window.end_ns = int(pd.Timestamp(options.incident_end).tz_convert("UTC").value)
