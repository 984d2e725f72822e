"""The noise-aware tests that call a template new, spiking or dropped, and its severity."""

from __future__ import annotations

import numpy as np
import pytest

from analyzer.findings import Example
from analyzer.stages import TemplateInfo
from analyzer.template_anomalies import WindowCounts, compare_windows, template_severity


def poisson(rng, buckets, rate):
    return rng.poisson(rate, size=buckets)


def bursty(rng, buckets, rate, dispersion):
    r = rate / (dispersion - 1)
    return rng.negative_binomial(r, 1 / dispersion, size=buckets)


def windows(before: list[np.ndarray], after: list[np.ndarray]) -> tuple[WindowCounts, WindowCounts]:
    return WindowCounts.from_matrix(np.column_stack(before)), WindowCounts.from_matrix(np.column_stack(after))


def kinds(changes):
    return {c.column: c.kind for c in changes}


def test_tripled_steady_template_is_a_spike_but_a_third_more_of_bursty_noise_rarely_is():
    spikes, false_alarms, busy_alarms = 0, 0, 0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        healthy, incident = windows(
            [poisson(rng, 60, 2.0), bursty(rng, 60, 2.0, dispersion=12.0), poisson(rng, 60, 20.0)],
            [poisson(rng, 30, 6.0), bursty(rng, 30, 2.6, dispersion=12.0), poisson(rng, 30, 20.0)],
        )
        found = kinds(compare_windows(healthy, incident))
        spikes += found.get(0) == "spike"
        false_alarms += 1 in found
        busy_alarms += 2 in found
    assert spikes == 20
    assert false_alarms <= 2  # 30% more of a template that always came in bursts of a dozen
    assert busy_alarms == 0


def test_a_template_never_seen_before_is_new_and_a_short_baseline_makes_weaker_evidence():
    rng = np.random.default_rng(1)
    incident = WindowCounts.from_matrix(np.column_stack([poisson(rng, 60, 3.0), poisson(rng, 60, 5.0)]))
    long_baseline = WindowCounts.from_matrix(np.column_stack([np.zeros(360, int), poisson(rng, 360, 5.0)]))
    short_baseline = WindowCounts.from_matrix(np.column_stack([np.zeros(6, int), poisson(rng, 6, 5.0)]))
    long_change = next(c for c in compare_windows(long_baseline, incident) if c.column == 0)
    short_change = next(c for c in compare_windows(short_baseline, incident) if c.column == 0)
    assert long_change.kind == short_change.kind == "new"
    assert long_change.surprise > short_change.surprise >= 2.0


def test_a_rare_new_template_against_a_short_baseline_is_not_called_new():
    incident = np.zeros((60, 1), dtype=int)
    incident[[10, 40], 0] = 1  # twice in ten minutes, never in the one-minute baseline: could be chance
    assert compare_windows(WindowCounts.from_matrix(np.zeros((6, 1), int)), WindowCounts.from_matrix(incident)) == []


def test_a_steady_message_that_goes_quiet_is_a_drop_but_a_sporadic_one_is_not():
    rng = np.random.default_rng(2)
    sporadic = np.zeros(60, dtype=int)
    sporadic[[3, 17, 44]] = 1
    healthy, incident = windows(
        [np.full(60, 2), sporadic, poisson(rng, 60, 10.0)],
        [np.zeros(30, int), np.zeros(30, int), poisson(rng, 30, 10.0)],
    )
    changes = compare_windows(healthy, incident)
    assert kinds(changes) == {0: "drop"}
    assert changes[0].count_baseline == 120 and changes[0].count_incident == 0
    assert changes[0].presence_baseline == 1.0


def test_severity_prefers_the_events_level_and_reads_words_when_there_is_none():
    templates = {
        1: TemplateInfo(1, "Connection refused to <*>", level=""),
        2: TemplateInfo(2, "GET /api/<*> 200", level="INFO"),
        3: TemplateInfo(3, "Request <*> failed", level="INFO"),
        4: TemplateInfo(4, "Order <*> placed", level="INFO",
                        examples=[Example("a.log", 1, "Order 7 placed")]),
    }
    severity = template_severity(templates, np.array([1, 2, 3, 4]), levels=["", "", "", "ERROR"])
    assert severity[0] == pytest.approx(0.8)  # no level, error words
    assert severity[1] == pytest.approx(0.2)
    assert 0.2 < severity[2] < 0.8  # INFO that says "failed"
    assert severity[3] == pytest.approx(1.0)  # its events say ERROR
