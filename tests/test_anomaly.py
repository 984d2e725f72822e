"""detect_anomalies end to end on realistic synthetic event tables (tests/anomaly_scenarios.py)."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from analyzer.anomaly import detect_anomalies
from analyzer.findings import Findings
from analyzer.stages import AnomalyOptions
from parsers.errors import UserError
from tests import anomaly_scenarios as sc

ONE_MINUTE = 60.0


def run(scenario: sc.Scenario, **options) -> object:
    baseline = options.pop("baseline", None)
    return detect_anomalies(scenario.events, scenario.templates, AnomalyOptions(**options), baseline=baseline)


def seconds_off(found, truth) -> float:
    return abs((found - truth).total_seconds())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cascade_origin_ranks_first_although_callers_log_ten_times_more_errors(seed):
    scenario = sc.cascade(seed)
    result = run(scenario)

    by_name = {s.name: s for s in result.services}
    origin = by_name["payment-service"]
    callers = [by_name["checkout-service"], by_name["frontend"]]
    assert sum(c.error_events_incident for c in callers) >= 10 * origin.error_events_incident
    assert result.services[0].name == "payment-service"
    assert all(c.score < origin.score for c in callers)
    assert result.incident.detection == "auto"
    assert seconds_off(result.incident.start, scenario.fault) <= ONE_MINUTE
    assert any("blamed by" in r for r in origin.reasons)
    assert any("victim" in r for r in by_name["checkout-service"].reasons)


def test_cascade_anomalies_are_the_new_errors_and_chronic_noise_is_ruled_out():
    scenario = sc.cascade(4)
    result = run(scenario)

    kinds = {a.template: a.kind for a in result.anomalies}
    deadlock = sc.template_id(scenario.templates, "Deadlock")
    assert kinds[scenario.templates[deadlock].text] == "new"
    assert kinds["Payment authorized for order <*>"] == "drop"
    noise = {
        "Cache refresh failed for key <*>, serving stale value",
        "Failed to send metrics batch: connection reset by peer",
    }
    assert not noise & set(kinds)
    assert any("Cache refresh failed" in r or "Failed to send metrics" in r for r in result.ruled_out)
    # The origin's own error outranks the louder complaints of its callers.
    order = [a.template_id for a in result.anomalies]
    timeout = sc.template_id(scenario.templates, "Timeout calling")
    assert order.index(deadlock) < order.index(timeout)


def test_anomaly_examples_come_from_the_incident_window_and_name_real_lines():
    scenario = sc.cascade(5)
    result = run(scenario)
    lines = set(zip(scenario.events["path"].astype(str), scenario.events["line"]))
    for anomaly in result.anomalies:
        assert 1 <= len(anomaly.examples) <= 3
        assert all((e.path, e.line) in lines for e in anomaly.examples)
    timeout = next(a for a in result.anomalies if a.template.startswith("Timeout calling"))
    assert "payment-service" in timeout.examples[0].text
    assert timeout.first_seen >= result.incident.start


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_heartbeat_that_stops_is_a_drop_and_sets_the_onset(seed):
    scenario = sc.heartbeat_stops(seed)
    result = run(scenario)

    heartbeat = next(a for a in result.anomalies if a.template.startswith("heartbeat ok"))
    assert heartbeat.kind == "drop"
    assert heartbeat.count_incident == 0 and heartbeat.count_baseline > 50
    assert heartbeat.services == ["scheduler"]
    assert seconds_off(result.incident.start, scenario.fault) <= ONE_MINUTE
    assert result.services[0].name == "scheduler"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_one_minute_baseline_is_enough(seed):
    scenario = sc.cascade(seed, baseline=60.0, fault_length=300.0)
    result = run(scenario)
    assert seconds_off(result.incident.start, scenario.fault) <= ONE_MINUTE
    assert result.services[0].name == "payment-service"
    assert result.incident.baseline_start is not None
    assert (result.incident.baseline_end - result.incident.baseline_start) <= timedelta(seconds=75)
    assert any(a.kind == "new" and "Deadlock" in a.template for a in result.anomalies)


@pytest.mark.parametrize("seed", range(6))
def test_logs_without_an_incident_get_no_onset(seed):
    scenario = sc.quiet(seed)
    result = run(scenario)
    assert result.incident.start is None and result.incident.end is None
    assert result.incident.detection == "auto"
    assert result.anomalies == []
    assert result.incident.method.startswith("No incident found")
    assert {s.name for s in result.services} == set(scenario.events["service"].astype(str))
    assert all(s.score == 0 for s in result.services)


@pytest.mark.parametrize("offset", [-6.0, 6.0])
def test_clocks_a_few_seconds_apart_do_not_move_the_blame(offset):
    # The callers' clocks run `offset` seconds off: behind, their complaints seem to precede the fault.
    scenario = sc.cascade(3, clock_offset={"checkout-service": offset, "frontend": offset})
    result = run(scenario)
    assert result.services[0].name == "payment-service"
    assert seconds_off(result.incident.start, scenario.fault) <= ONE_MINUTE


def test_recovery_is_found_when_the_logs_reach_it():
    scenario = sc.cascade(1, after=300.0)
    result = run(scenario)
    assert result.incident.end is not None
    assert seconds_off(result.incident.end, scenario.recovered) <= 2 * ONE_MINUTE
    assert result.incident.start <= result.incident.peak <= result.incident.end


def test_incident_not_recovered_by_the_end_of_the_logs_has_no_end():
    result = run(sc.cascade(2))
    assert result.incident.end is None
    assert result.incident.peak is not None


def test_given_window_overrides_detection():
    scenario = sc.cascade(0)
    start = scenario.fault + timedelta(seconds=30)
    end = scenario.fault + timedelta(seconds=200)
    result = run(scenario, incident_start=start, incident_end=end)
    assert result.incident.detection == "given"
    assert result.incident.start == start and result.incident.end == end
    assert any("Deadlock" in a.template for a in result.anomalies)


def test_separate_baseline_logs_are_the_healthy_period():
    healthy = sc.quiet(7, duration=900.0)
    # Logs that start when the trouble already started: nothing to compare within them.
    scenario = sc.cascade(0, baseline=0.0, fault_length=400.0)
    result = run(scenario, baseline=healthy.events)
    assert result.incident.detection == "auto"
    assert result.incident.start is not None
    assert seconds_off(result.incident.start, scenario.fault) <= ONE_MINUTE
    new = {a.template for a in result.anomalies if a.kind == "new"}
    assert any("Deadlock" in t for t in new)
    assert seconds_off(result.incident.baseline_start, healthy.events["time"].min()) < 0.001


def test_no_timestamps_still_lists_error_templates_and_services():
    events, templates = sc.build(
        [
            sc.Stream("billing", "Processing invoice <*>", "INFO", 1.0, end=60),
            sc.Stream("billing", "NullPointerException in InvoiceRenderer.render", "ERROR", 0.2, start=40, end=60),
            sc.Stream("gateway", "Request to billing failed with 500", "ERROR", 0.5, start=41, end=60),
        ],
        duration=60,
        drop_times=True,
    )
    result = detect_anomalies(events, templates, AnomalyOptions())
    assert result.incident.detection == "none" and result.incident.start is None
    assert {a.template for a in result.anomalies} == {
        "NullPointerException in InvoiceRenderer.render",
        "Request to billing failed with 500",
    }
    assert result.services[0].name == "billing"
    assert result.series == []


def test_series_counts_every_timed_event_per_service_and_bucket():
    scenario = sc.cascade(0)
    result = run(scenario)
    assert result.bucket_seconds and result.series
    assert sum(p.events for p in result.series) == len(scenario.events)
    per_service = {}
    for p in result.series:
        per_service[p.service] = per_service.get(p.service, 0) + p.events
    assert per_service == scenario.events["service"].astype(str).value_counts().to_dict()
    assert sum(p.anomalous for p in result.series if p.time < scenario.fault - timedelta(seconds=20)) == 0


def test_result_serialises_into_schema_valid_findings():
    jsonschema = pytest.importorskip("jsonschema")
    from analyzer.findings import Inputs, RootCause, load_schema

    result = run(sc.cascade(0))
    findings = Findings(
        tool_version="test", inputs=Inputs(sources=[], lines_total=0, lines_unparsed=0), incident=result.incident,
        services=result.services, anomalies=result.anomalies, suspects=[],
        root_cause=RootCause(summary="", confidence="low", suspect=None, service=result.services[0].name),
        timeline=[], state_changes=result.state_changes, series=result.series,
        bucket_seconds=result.bucket_seconds, notes=result.notes,
    )
    jsonschema.validate(findings.to_dict(), load_schema())


def test_missing_columns_are_a_user_error():
    with pytest.raises(UserError):
        detect_anomalies(pd.DataFrame({"time": []}), {}, AnomalyOptions())


def test_empty_event_table_is_handled():
    scenario = sc.cascade(0)
    result = detect_anomalies(scenario.events.iloc[0:0], {}, AnomalyOptions())
    assert result.incident.start is None and result.anomalies == [] and result.services == []


def test_given_start_alone_gets_its_end_from_the_logs():
    scenario = sc.cascade(1, after=300.0)
    result = run(scenario, incident_start=scenario.fault)
    assert result.incident.detection == "given" and result.incident.start == scenario.fault
    assert result.incident.end is not None
    assert seconds_off(result.incident.end, scenario.recovered) <= 2 * ONE_MINUTE
