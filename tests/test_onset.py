"""Onset detection: the joint change-point scan, its permutation test, short bursts and peak/recovery."""

from __future__ import annotations

import numpy as np
import pytest

from analyzer.anomaly import detect_anomalies
from analyzer.onset import burst_change, flagged_runs, peak_and_recovery, scan_change_point
from analyzer.stages import AnomalyOptions
from tests import anomaly_scenarios as sc

ERROR, INFO = 1.0, 0.2


def traffic(rng: np.random.Generator, buckets: int, rates: list[float], dispersion: float = 1.0) -> np.ndarray:
    """Buckets x templates counts: Poisson, or negative binomial with that variance/mean ratio."""
    columns = []
    for rate in rates:
        if dispersion > 1:
            r = rate / (dispersion - 1)
            columns.append(rng.negative_binomial(r, 1 / dispersion, size=buckets))
        else:
            columns.append(rng.poisson(rate, size=buckets))
    return np.column_stack(columns)


@pytest.mark.parametrize("seed", range(4))
def test_an_error_template_that_jumps_is_found_at_its_bucket(seed):
    rng = np.random.default_rng(seed)
    counts = traffic(rng, 90, [20.0, 5.0, 0.3, 0.5])
    counts[50:, 2] += rng.poisson(4.0, size=40)  # an error template rises from 0.3 to 4.3 per bucket
    cp = scan_change_point(counts, np.array([INFO, INFO, ERROR, ERROR]))
    assert cp is not None and cp.strong and cp.p_value <= 0.01
    assert abs(cp.bucket - 50) <= 1
    assert cp.rising[0] == 2


@pytest.mark.parametrize("seed", range(6))
def test_bursty_noise_without_a_change_is_not_an_incident(seed):
    rng = np.random.default_rng(100 + seed)
    counts = np.column_stack([traffic(rng, 120, [30.0, 8.0]), traffic(rng, 120, [2.0, 0.5], dispersion=6.0)])
    cp = scan_change_point(counts, np.array([INFO, INFO, ERROR, ERROR]))
    assert cp is None or not (cp.strong and cp.p_value <= 0.01)


def test_a_steady_message_that_stops_is_a_falling_change():
    rng = np.random.default_rng(7)
    counts = traffic(rng, 80, [10.0, 2.0])
    counts[60:, 1] = 0  # a heartbeat stops
    cp = scan_change_point(counts, np.array([INFO, INFO]))
    assert cp is not None and cp.strong
    assert cp.falling == [1] and cp.bucket == 60


def test_too_few_buckets_give_no_change_point():
    assert scan_change_point(np.ones((2, 3)), np.ones(3)) is None


def test_a_short_burst_of_a_new_error_is_a_burst_change_but_chronic_bursts_are_not():
    rng = np.random.default_rng(3)
    counts = np.column_stack([traffic(rng, 100, [20.0]), traffic(rng, 100, [1.0], dispersion=8.0),
                              np.zeros(100, dtype=int)])
    counts[70:72, 2] = [40, 35]  # never before, then 75 lines in two buckets
    severity = np.array([INFO, ERROR, ERROR])
    assert burst_change(counts, severity, 70, 72) == [2]
    biggest = int(np.argmax(counts[:, 1]))
    assert 1 not in burst_change(counts, severity, biggest, biggest + 1)


def test_flagged_runs_are_listed_in_order():
    flags = np.array([1, 0, 1, 1, 0, 0, 1, 1, 1], dtype=bool)
    assert flagged_runs(flags, 1) == [(2, 2), (6, 3)]


def test_peak_and_recovery_need_a_quiet_stretch():
    intensity = np.array([0, 0, 1, 0, 5, 9, 7, 0, 3, 0, 0, 0, 0], dtype=float)
    peak, recovery = peak_and_recovery(intensity, onset_bucket=4, threshold=1.0, quiet_buckets=3)
    assert peak == 5 and recovery == 9
    assert peak_and_recovery(intensity[:11], 4, 1.0, 3) == (5, None)


@pytest.mark.parametrize("seed", range(3))
def test_a_short_incident_is_caught_by_the_isolation_forest(seed):
    services = ["frontend", "checkout-service", "payment-service", "inventory-service"]
    streams = sc.background(services) + [
        sc.Stream("checkout-service", "Kafka broker <*> unreachable, dropping event", "ERROR", 4.0, start=900,
                  end=930, values=("kafka-1:9092",)),
    ]
    events, templates = sc.build(streams, 1800, seed)
    result = detect_anomalies(events, templates, AnomalyOptions())
    assert "IsolationForest" in result.incident.method
    assert abs((result.incident.start - sc.T0).total_seconds() - 900) <= 15
    assert result.incident.end is not None and (result.incident.end - result.incident.start).total_seconds() <= 120
    assert result.anomalies[0].kind == "new" and result.anomalies[0].template.startswith("Kafka broker")
    assert any("kafka-1:9092" in n for n in result.notes)


def test_isolation_forest_opinion_is_reported_next_to_the_change_point():
    result = detect_anomalies(sc.cascade(0).events, sc.cascade(0).templates, AnomalyOptions())
    assert any("IsolationForest" in n for n in result.notes)
