"""State changes near the onset and deploy markers read from the logs."""

from __future__ import annotations

from datetime import timedelta

import pytest

from analyzer.anomaly import detect_anomalies
from analyzer.stages import AnomalyOptions
from analyzer.state_changes import classify, version_and_commit
from tests import anomaly_scenarios as sc


@pytest.mark.parametrize(
    "line, kind",
    [
        ("Memory cgroup out of memory: Killed process 4242 (java)", "oom"),
        ("java.lang.OutOfMemoryError: Java heap space", "oom"),
        ("write /var/lib/data/segment-7: no space left on device", "disk"),
        ("Configuration reloaded from /etc/app/app.yaml", "config-reload"),
        ("Raft: node 3 became leader for term 12", "leader-change"),
        ("Feature flag new-pricing enabled for 25% of traffic", "feature-flag"),
        ("Applying migration 0042_add_order_index", "migration"),
        ("Starting checkout version 2.4.1 (build 1f2e3d4)", "version"),
        ("Received SIGTERM, shutting down gracefully", "restart"),
        ("GET /api/cart 200 in 12 ms", None),
    ],
)
def test_lines_are_classified_by_the_change_they_announce(line, kind):
    assert classify(line) == kind


@pytest.mark.parametrize(
    "line, version, commit",
    [
        ("Starting payment-service version 2.4.1 (commit 9f3c2ab1d4)", "2.4.1", "9f3c2ab1d4"),
        ("deployed image registry/shop/cart:v1.8.0-rc2", "v1.8.0-rc2", None),
        ("build sha=4b825dc642cb6eb9a060e54bf8d69288fbee4904 ready", None, "4b825dc642cb6eb9a060e54bf8d69288fbee4904"),
        ("Starting PaymentService v2.14.0 (git 9f18c74) using Java 17.0.10 with PID 1", "v2.14.0", "9f18c74"),
        ("inventory-service 1.8.3 starting", "1.8.3", None),
        ("Starting Servlet engine: [Apache Tomcat/10.1.19]", None, None),
        ("Server started in 3.2 seconds", None, None),
    ],
)
def test_versions_and_commits_are_taken_as_written(line, version, commit):
    assert version_and_commit(line) == (version, commit)


def test_state_changes_near_the_onset_are_listed_and_banners_become_deploy_markers():
    fault = 1200.0
    scenario = sc.with_lines(sc.cascade(0, baseline=fault, fault_length=300), [
        (fault - 40, "payment-service", "INFO", "Starting payment-service version 2.4.1 (commit 9f3c2ab1d4)"),
        (fault + 40, "payment-service", "ERROR", "Memory cgroup out of memory: Killed process 4242 (java)"),
        (5, "inventory-service", "INFO", "Configuration reloaded from /etc/inventory/app.yaml"),
    ])
    result = detect_anomalies(scenario.events, scenario.templates, AnomalyOptions())

    kinds = {c.kind: c for c in result.state_changes}
    assert kinds["version"].service == "payment-service"
    assert kinds["oom"].time == scenario.fault + timedelta(seconds=40)
    # Twenty minutes before the onset, beyond the look-back: not a candidate, though still a state change.
    assert "config-reload" not in kinds
    [deploy] = result.deploy_markers
    assert (deploy.version, deploy.commit, deploy.origin) == ("2.4.1", "9f3c2ab1d4", "log")
    assert deploy.time == scenario.fault - timedelta(seconds=40)
    path, line = deploy.ref.rsplit(":", 1)
    assert path == "payment-service/app.log"
    rows = scenario.events[(scenario.events["path"] == path) & (scenario.events["line"] == int(line))]
    assert len(rows) == 1


def test_routine_lines_that_look_like_state_changes_are_not_listed():
    streams = sc.background(["api", "worker"]) + [
        sc.Stream("worker", "Started job <*> in queue default", "INFO", 1.0),  # every second: routine
    ]
    events, templates = sc.build(streams, 600, seed=1)
    result = detect_anomalies(events, templates, AnomalyOptions())
    assert result.state_changes == []


def test_classifying_a_line_of_megabytes_looks_at_its_start_only():
    from analyzer.state_changes import CLASSIFY_PREFIX, classify

    assert classify("Out of memory: Killed process 1234 (java) " + "pad " * 1_000_000) == "oom"
    # A line megabytes long is not scanned whole (that took minutes): what it says after its start is not read.
    assert classify("pad " * (CLASSIFY_PREFIX // 4) + "Out of memory: Killed process 1234") is None
