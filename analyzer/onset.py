"""When the incident began, peaked and ended, from the bucketed template counts.

The onset is a change point found jointly over all templates: for every candidate boundary between buckets each
template contributes the evidence (a Poisson likelihood ratio, deflated by how bursty that template is) that its
rate differs before and after, weighted by what the change means (errors rising, steady messages falling). The
boundary with the most evidence wins; a permutation test (the same statistic on bucket orders shuffled) says
whether it beats what noise alone produces, so logs without an incident get no invented onset. IsolationForest
over windows x template counts gives a second, model-based opinion.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import xlogy
from sklearn.ensemble import IsolationForest

from analyzer.template_anomalies import ERROR_SEVERITY
from analyzer.timeseries import dispersion

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
    evidence, llr, up, presence, inside = _window_evidence(counts, phi, severity, np.array([tau]), length)
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
    lengths, w = [], 1
    while w < buckets:
        lengths.append(w)
        w *= 2
    return lengths + [buckets]


def _scan(counts: np.ndarray, phi: np.ndarray, severity: np.ndarray, min_before: int) -> _Scan:
    buckets = counts.shape[0]
    taus = np.arange(min_before, buckets)
    totals = np.full(len(taus), -np.inf)
    windows = np.zeros(len(taus), dtype=np.int64)
    for length in _window_lengths(buckets):
        total = _window_evidence(counts, phi, severity, taus, length)[0].sum(axis=1)
        better = total > totals
        totals[better], windows[better] = total[better], length
    return _Scan(totals=totals, windows=windows)


def _window_evidence(
    counts: np.ndarray, phi: np.ndarray, severity: np.ndarray, taus: np.ndarray, length: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per boundary in `taus` and template: weighted evidence that the rate in the `length` buckets from tau
    differs from the rate in all buckets before tau; also the raw likelihood ratio, the direction, the share of
    buckets before tau with the template, and the events inside the window."""
    buckets = counts.shape[0]
    cumulative = np.vstack([np.zeros((1, counts.shape[1])), np.cumsum(counts, axis=0)])
    seen = np.vstack([np.zeros((1, counts.shape[1])), np.cumsum(counts > 0, axis=0)])
    stop = np.minimum(taus + length, buckets)
    before = taus[:, None].astype(np.float64)
    span = (stop - taus)[:, None].astype(np.float64)
    n1 = cumulative[taus]
    n2 = cumulative[stop] - n1
    total, both = n1 + n2, before + span
    llr = xlogy(n1, n1 / before) + xlogy(n2, n2 / span) - xlogy(total, total / both)
    llr = np.maximum(llr, 0.0)
    rate1, rate2 = (n1 + 0.5) / before, (n2 + 0.5) / span
    effect = np.minimum(np.abs(np.log(rate2 / rate1)) / np.log(FULL_EFFECT_RATIO), 1.0)
    up = rate2 > rate1
    present_before = seen[taus] / before
    weight = np.where(up, severity[None, :], DROP_WEIGHT * present_before)
    # What noise alone gives a template at its best boundary (a likelihood ratio of a few) is taken off first,
    # so a thousand sparse templates cannot add up to an incident.
    excess = np.maximum(llr / phi[None, :] - NOISE_EVIDENCE, 0.0)
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
