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
BURST_EVIDENCE = 12.0  # stricter than STRONG_EVIDENCE: a burst is judged after looking at many windows
BURST_RATIO = 5.0
BURST_MIN_EVENTS = 10  # a handful of lines of a rare template is how rare templates come


@dataclass
class ChangePoint:
    bucket: int  # first bucket of the changed regime
    score: float
    p_value: float
    rising: list[int] = field(default_factory=list)  # columns that rose at the boundary, strongest first
    falling: list[int] = field(default_factory=list)
    strong: bool = False  # some error-ish template rose (or a steady one fell) clearly enough to call it


def scan_change_point(
    counts: np.ndarray, severity: np.ndarray, min_before: int = MIN_BEFORE, seed: int = 0
) -> ChangePoint | None:
    """The most supported boundary in a buckets x templates count matrix, with its permutation p-value."""
    buckets = counts.shape[0]
    if buckets < min_before + 1 or counts.shape[1] == 0:
        return None
    counts = counts.astype(np.float64)
    phi = dispersion(counts)
    evidence, llr, up, presence = _evidence(counts, phi, severity, min_before)
    totals = evidence.sum(axis=1)
    best = int(np.argmax(totals))
    score = float(totals[best])
    if score <= 0:
        return None
    p_value = _permutation_p(counts, phi, severity, min_before, score, seed)
    tau = best + min_before
    column_evidence = evidence[best]
    order = np.argsort(-column_evidence)
    relevant = [int(k) for k in order if llr[best, k] / phi[k] >= 3.0 and column_evidence[k] > 0]
    rising = [k for k in relevant if up[best, k]]
    # Only a message that was steady can be missed; a sporadic one going quiet for a while is just sporadic.
    falling = [k for k in relevant if not up[best, k] and presence[best, k] >= MIN_DROP_PRESENCE]
    after = counts[tau:].sum(axis=0)
    strong = any(
        llr[best, k] / phi[k] >= STRONG_EVIDENCE and severity[k] >= ERROR_SEVERITY and after[k] >= MIN_RISE_EVENTS
        for k in rising
    ) or any(llr[best, k] / phi[k] >= STRONG_EVIDENCE and presence[best, k] >= MIN_DROP_PRESENCE for k in falling)
    return ChangePoint(bucket=tau, score=score, p_value=p_value, rising=rising, falling=falling, strong=strong)


def _evidence(
    counts: np.ndarray, phi: np.ndarray, severity: np.ndarray, min_before: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per boundary (rows: tau = min_before .. buckets-1) and template: weighted evidence of a rate change."""
    buckets = counts.shape[0]
    cumulative = np.cumsum(counts, axis=0)
    seen = np.cumsum(counts > 0, axis=0)
    tau = np.arange(min_before, buckets)[:, None].astype(np.float64)
    n1 = cumulative[min_before - 1 : buckets - 1]
    present_before = seen[min_before - 1 : buckets - 1] / tau
    total = cumulative[-1][None, :]
    n2 = total - n1
    length2 = buckets - tau
    llr = xlogy(n1, n1 / tau) + xlogy(n2, n2 / length2) - xlogy(total, total / buckets)
    llr = np.maximum(llr, 0.0)
    rate1, rate2 = (n1 + 0.5) / tau, (n2 + 0.5) / length2
    effect = np.minimum(np.abs(np.log(rate2 / rate1)) / np.log(FULL_EFFECT_RATIO), 1.0)
    up = rate2 > rate1
    weight = np.where(up, severity[None, :], DROP_WEIGHT * present_before)
    # What noise alone gives a template at its best boundary (a likelihood ratio of a few) is taken off first,
    # so a thousand sparse templates cannot add up to an incident.
    excess = np.maximum(llr / phi[None, :] - NOISE_EVIDENCE, 0.0)
    evidence = EVIDENCE_SCALE * np.log1p(excess / EVIDENCE_SCALE) * effect * weight
    return evidence, llr, up, present_before


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
        if _evidence(shuffled, phi, severity, min_before)[0].sum(axis=1).max() >= observed:
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


def isolation_forest_flags(counts: np.ndarray, seed: int = 0, max_columns: int = 200) -> np.ndarray:
    # Fitted on all windows: an incident that fills much of the logs is no outlier to it, which is why it is the
    # second opinion (and the detector of short bursts), not the first.
    """Windows an IsolationForest finds anomalous, over log counts of the most variable templates."""
    buckets = counts.shape[0]
    if buckets < 8 or counts.shape[1] == 0:
        return np.zeros(buckets, dtype=bool)
    x = np.log1p(counts.astype(np.float64))
    columns = np.argsort(-x.var(axis=0))[:max_columns]
    model = IsolationForest(n_estimators=100, contamination="auto", random_state=seed)
    model.fit(x[:, columns])
    return model.predict(x[:, columns]) == -1


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
