"""Which templates changed between the healthy period and the incident: new, spiking or gone quiet.

The tests are noise-aware: a template's expected count during the incident comes from its baseline rate, and its
spread from how bursty it was in the baseline (negative binomial with the measured dispersion), so a template that
always came in bursts needs a bigger burst to count. A template never seen in the baseline is judged by how
unlikely it is that the baseline would have missed it at the rate it shows now, so a short baseline makes weak
evidence and a long one strong evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from scipy import special

from analyzer.stages import TemplateInfo
from analyzer.timeseries import dispersion

LEVEL_SEVERITY = {"FATAL": 1.0, "ERROR": 1.0, "WARN": 0.6, "NOTICE": 0.3, "INFO": 0.2, "DEBUG": 0.1, "TRACE": 0.1}
UNKNOWN_LEVEL_SEVERITY = 0.3
ERROR_SEVERITY = 0.45  # at or above: an error-ish template

ERROR_WORDS = re.compile(
    r"error|exception|fail|fatal|panic|timeout|timed out|refused|unavailable|unreachable|denied|abort|crash|"
    r"killed|out of memory|oom|traceback|cannot|can't|unable|reset by peer|broken pipe|deadlock|corrupt|"
    r"invalid|rejected|\b5\d\d\b|not responding|lost|severe|critical|emerg",
    re.IGNORECASE,
)

MAX_SURPRISE = 30.0  # -log10 p beyond which more evidence adds nothing to the ranking
NEW_MIN_SURPRISE = 2.0  # a new template needs p <= 0.01 that the baseline would have missed it
FAMILY_ALPHA = 0.05  # spikes and drops: Bonferroni over the templates tested
SPIKE_MIN_RATIO = 1.5
DROP_MAX_RATIO = 0.5
DROP_MIN_PRESENCE = 0.5  # a drop only for templates seen in at least half the baseline buckets...
DROP_MIN_BUCKETS = 3  # ...and in at least this many


def template_severity(
    templates: dict[int, TemplateInfo], ids: np.ndarray, levels: list[str] | None = None
) -> np.ndarray:
    """0..1 per template id: how much an increase of it matters, from its level and, failing that, its words.

    `levels`, when given, is the most common level of each template's events (the logs' own word beats the
    template record's)."""
    severity = np.empty(len(ids))
    for i, tid in enumerate(ids):
        info = templates.get(int(tid))
        level = levels[i] if levels is not None and levels[i] else (info.level or "") if info else ""
        text = info.text if info else ""
        severity[i] = _severity(level.upper(), text)
    return severity


def _severity(level: str, text: str) -> float:
    base = LEVEL_SEVERITY.get(level, UNKNOWN_LEVEL_SEVERITY)
    if base >= ERROR_SEVERITY * 2 or not ERROR_WORDS.search(text):
        return base
    # Words like "failed" in a line without a level, or logged at INFO, still signal an error, less surely.
    return max(base, {"": 0.8, "WARN": 0.7}.get(level, ERROR_SEVERITY))


@dataclass
class WindowCounts:
    """Per template: events, buckets with any event, and burstiness in one window of buckets."""

    totals: np.ndarray
    buckets_present: np.ndarray
    dispersion: np.ndarray
    length: float  # the window's length in buckets (fractional edges allowed)

    @classmethod
    def from_matrix(cls, matrix: np.ndarray, length: float | None = None) -> "WindowCounts":
        return cls(
            totals=matrix.sum(axis=0),
            buckets_present=(matrix > 0).sum(axis=0),
            dispersion=_cautious_dispersion(matrix),
            length=float(length if length is not None else matrix.shape[0]),
        )


def _cautious_dispersion(matrix: np.ndarray) -> np.ndarray:
    """Burstiness measured on few buckets is usually underestimated (the big bursts are rare), so the excess over
    Poisson is raised to its 95% upper confidence bound; a short baseline then makes cautious tests."""
    phi = dispersion(matrix, shifts=0)
    df = max(matrix.shape[0] - 1, 1)
    return 1.0 + (phi - 1.0) * df / _chi2_quantile(0.05, df)


@dataclass
class TemplateChange:
    column: int  # index into the ids the counts were built over
    kind: str  # "new" | "spike" | "drop"
    surprise: float  # -log10 of the test's p-value, capped
    count_baseline: int
    count_incident: int
    presence_baseline: float  # share of baseline buckets with the template


def compare_windows(baseline: WindowCounts, incident: WindowCounts) -> list[TemplateChange]:
    """Every template whose incident count is surprising given the baseline, with its kind and surprise."""
    if incident.length <= 0:
        return []
    b, n = baseline.totals.astype(float), incident.totals.astype(float)
    scale = incident.length / max(baseline.length, 1e-9)
    presence = baseline.buckets_present / max(baseline.length, 1.0)
    tested = int(np.count_nonzero((b > 0) | (n > 0)))
    family = -np.log10(FAMILY_ALPHA / max(tested, 1))

    changes: list[TemplateChange] = []
    new = (b == 0) & (n > 0)
    if baseline.length > 0:
        # How unlikely the baseline saw none of it, at the rate of episodes (buckets with it) seen now.
        episodes_rate = incident.buckets_present / incident.length
        surprise_new = episodes_rate * baseline.length / np.log(10)
        for k in np.flatnonzero(new & (surprise_new >= NEW_MIN_SURPRISE)):
            changes.append(_change(k, "new", surprise_new[k], b, n, presence))
    else:
        for k in np.flatnonzero(new):
            changes.append(_change(k, "new", 0.0, b, n, presence))

    expected = (b + 0.5) * scale  # half an event of prior keeps a one-off baseline event from looking steady
    phi = baseline.dispersion
    up = (b > 0) & (n >= SPIKE_MIN_RATIO * expected)
    surprise_up = _neg_log10(_upper_tail(n[up], expected[up], phi[up]))
    for k, s in zip(np.flatnonzero(up), surprise_up):
        if s >= family:
            changes.append(_change(k, "spike", s, b, n, presence))

    steady = (presence >= DROP_MIN_PRESENCE) & (baseline.buckets_present >= DROP_MIN_BUCKETS)
    down = steady & (n <= DROP_MAX_RATIO * b * scale)
    surprise_down = _neg_log10(_lower_tail(n[down], (b * scale)[down], phi[down]))
    for k, s in zip(np.flatnonzero(down), surprise_down):
        if s >= family:
            changes.append(_change(k, "drop", s, b, n, presence))
    return changes


def _change(k: int, kind: str, surprise: float, b: np.ndarray, n: np.ndarray, presence: np.ndarray) -> TemplateChange:
    return TemplateChange(
        column=int(k),
        kind=kind,
        surprise=float(min(surprise, MAX_SURPRISE)),
        count_baseline=int(b[k]),
        count_incident=int(n[k]),
        presence_baseline=float(min(presence[k], 1.0)),
    )


def _upper_tail(observed: np.ndarray, mean: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """P(X >= observed) for counts with that mean and variance mean*phi."""
    k = np.asarray(observed) - 1
    poisson = np.where(k < 0, 1.0, special.pdtrc(np.maximum(k, 0), mean))
    r, p = _nbinom_params(mean, phi)
    negbin = _defined(r, np.where(k < 0, 1.0, special.betainc(np.maximum(k, 0) + 1.0, r, 1.0 - p)))
    return np.where(phi > 1.0 + 1e-9, negbin, poisson)


def _lower_tail(observed: np.ndarray, mean: np.ndarray, phi: np.ndarray) -> np.ndarray:
    k = np.asarray(observed)
    poisson = np.where(k < 0, 0.0, special.pdtr(np.maximum(k, 0), mean))
    r, p = _nbinom_params(mean, phi)
    negbin = _defined(r, np.where(k < 0, 0.0, special.betainc(r, np.maximum(k, 0) + 1.0, p)))
    return np.where(phi > 1.0 + 1e-9, negbin, poisson)


# The distributions' tails straight from scipy.special (what scipy.stats computes them with): importing
# scipy.stats costs most of a second at every start, longer than scoring a million events.
def _defined(r: np.ndarray, values: np.ndarray) -> np.ndarray:
    return np.where(np.asarray(r) > 0, values, np.nan)  # a negative binomial needs r > 0 (scipy.stats: nan)


def _chi2_quantile(q: float, df: int) -> float:
    return float(2.0 * special.gammaincinv(df / 2.0, q))


def _nbinom_params(mean: np.ndarray, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    excess = np.maximum(phi - 1.0, 1e-9)
    return mean / excess, 1.0 / np.maximum(phi, 1.0 + 1e-9)


def _neg_log10(p: np.ndarray) -> np.ndarray:
    return -np.log10(np.clip(p, 1e-300, 1.0))


def anomaly_score(surprise: float, weight: float, position: float) -> float:
    """0..1: evidence (surprise) times what it means (level, kind) times how early it came."""
    raw = min(surprise, MAX_SURPRISE) * weight * position
    return float(1.0 - np.exp(-raw / 15.0))


def position_weight(delay_seconds: float | None, scale_seconds: float) -> float:
    """First anomalous templates weigh up to twice as much as those that joined the cascade later."""
    if delay_seconds is None:
        return 0.75
    return 0.5 + 0.5 * float(np.exp(-max(delay_seconds, 0.0) / scale_seconds))
