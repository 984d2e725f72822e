"""The verdict: summary sentence, confidence and timeline built from what the stages found."""

from datetime import datetime, timedelta, timezone

from jsonschema import Draft202012Validator

from analyzer.findings import (
    Anomaly,
    Evidence,
    Example,
    Incident,
    ServiceScore,
    StateChange,
    Suspect,
    TimelineEntry,
    load_schema,
)
from analyzer.stages import AnomalyResult, Correlation
from analyzer.verdict import build_findings
from parsers.records import Deploy, SourceStats

ONSET = datetime(2026, 11, 20, 14, 2, 10, tzinfo=timezone.utc)


def _result(**overrides) -> AnomalyResult:
    values = dict(
        incident=Incident(start=ONSET, end=None, detection="auto", peak=ONSET + timedelta(minutes=6),
                          baseline_start=ONSET - timedelta(hours=6), baseline_end=ONSET - timedelta(seconds=30),
                          method="change point in the ERROR rate"),
        services=[ServiceScore("payment-service", 0.9, ONSET, 0, 40), ServiceScore("checkout-service", 0.4, ONSET + timedelta(seconds=20), 3, 900)],
        anomalies=[Anomaly(7, "Payment authorization failed: java.lang.NullPointerException <*>", "new", 9.1, "ERROR", ONSET, 0, 40,
                           ["payment-service"], [Example("logs/payment-service/app.log", 5312, "Payment authorization failed: NPE\n\tat com.shop.GatewayClient.authorize(GatewayClient.java:142)")])],
        ruled_out=["“cache miss for key <*>” was as frequent before the onset"],
    )
    values.update(overrides)
    return AnomalyResult(**values)


def _culprit() -> Suspect:
    return Suspect("commit", "a" * 40, 0.92, [Evidence("code", "GatewayClient.java:142 in the new stack traces was changed by this commit", 0.6),
                                                Evidence("timing", "deployed 4 minutes before the onset", 0.3)],
                   commit="a" * 40, time=ONSET - timedelta(days=2), author="Dana Ruiz", title="Retry gateway authorization on 5xx",
                   files=["payment-service/src/main/java/com/shop/GatewayClient.java"])


def _correlation(**overrides) -> Correlation:
    values = dict(suspects=[_culprit()], confidence="high", blamed=0, category="code change",
                  ruled_out=["docs commit 1234567: touches only README.md"], commits_considered=41, deploys_considered=3,
                  deploys=[Deploy(ONSET - timedelta(minutes=4), version="v2.14.0", commit="a" * 40, service="payment-service", origin="file", ref="deploys.csv:7")])
    values.update(overrides)
    return Correlation(**values)


def _sources():
    return [SourceStats(path="logs/payment-service/app.log", format="logback", service="payment-service", lines=5400, lines_unparsed=3,
                        first_time=ONSET - timedelta(hours=6), last_time=ONSET + timedelta(minutes=30))]


def test_a_blamed_change_is_named_in_the_summary_with_its_best_evidence_and_confidence():
    findings = build_findings("0.1.0", _sources(), "repo.bundle", _result(), _correlation())
    summary = findings.root_cause.summary
    assert "payment-service" in summary and "2026-11-20 14:02:10 UTC" in summary
    assert "aaaaaaaaaa" in summary and "Dana Ruiz" in summary and "GatewayClient.java:142" in summary
    assert "high" in summary
    assert findings.root_cause.suspect == 0 and findings.root_cause.service == "payment-service"
    assert findings.root_cause.ruled_out == ["“cache miss for key <*>” was as frequent before the onset", "docs commit 1234567: touches only README.md"]


def test_timeline_is_in_time_order_with_deploy_onset_anomaly_and_peak():
    findings = build_findings("0.1.0", _sources(), None, _result(), _correlation())
    times = [entry.time for entry in findings.timeline]
    assert times == sorted(times)
    kinds = [entry.kind for entry in findings.timeline]
    assert kinds.index("deploy") < kinds.index("onset") < kinds.index("peak")
    anomaly = next(e for e in findings.timeline if e.kind == "anomaly")
    assert anomaly.ref == "logs/payment-service/app.log:5312"
    # The culprit was committed two days before: history, not the incident's timeline.
    assert "commit" not in kinds


DISK_FULL = StateChange(ONSET - timedelta(minutes=1), "postgres", "disk", "could not extend file: No space left on device", "logs/db/postgres.log", 88)


def test_no_change_blamed_points_at_the_full_disk():
    findings = build_findings("0.1.0", _sources(), None, _result(state_changes=[DISK_FULL]),
                              _correlation(blamed=None, confidence="none", category=None))
    assert findings.root_cause.suspect is None and findings.root_cause.confidence == "none"
    summary = findings.root_cause.summary
    assert "No change is to blame" in summary and "a full disk on postgres" in summary and "No space left on device" in summary
    assert findings.root_cause.category == "infrastructure"


def test_a_full_disk_at_the_onset_overrules_a_low_confidence_suspect_and_says_so():
    findings = build_findings("0.1.0", _sources(), None, _result(state_changes=[DISK_FULL]),
                              _correlation(confidence="low"))
    assert findings.root_cause.suspect is None and findings.root_cause.category == "infrastructure"
    assert any("was the closest change, but only with low confidence" in r and "a full disk" in r for r in findings.root_cause.ruled_out)


def test_a_full_disk_does_not_overrule_a_confident_suspect_nor_one_long_before_the_onset():
    confident = build_findings("0.1.0", _sources(), None, _result(state_changes=[DISK_FULL]), _correlation(confidence="high"))
    assert confident.root_cause.suspect == 0
    old = StateChange(ONSET - timedelta(hours=3), "postgres", "disk", "No space left on device", "logs/db/postgres.log", 9)
    low = build_findings("0.1.0", _sources(), None, _result(state_changes=[old]), _correlation(confidence="low"))
    assert low.root_cause.suspect == 0 and "No change clearly explains it; the closest is" in low.root_cause.summary


def test_no_incident_means_no_onset_no_blame_and_says_so():
    quiet = _result(incident=Incident(start=None, end=None, detection="auto"), anomalies=[])
    findings = build_findings("0.1.0", _sources(), None, quiet, _correlation())
    assert findings.root_cause.confidence == "none" and findings.root_cause.suspect is None
    assert findings.root_cause.summary.startswith("No incident was found")


def test_findings_json_validates_against_the_contract():
    findings = build_findings("0.1.0", _sources(), "repo.bundle", _result(), _correlation(reverts=[TimelineEntry(ONSET + timedelta(minutes=20), "revert", "Revert deployed")]),
                              generated_at=ONSET + timedelta(hours=1))
    document = findings.to_dict()
    Draft202012Validator(load_schema()).validate(document)
    assert document["incident"]["start"] == "2026-11-20T14:02:10Z"
    assert document["inputs"]["lines_total"] == 5400


def test_timeline_keeps_one_row_per_deploy_and_folds_a_restart_into_one_row():
    deploys = [
        Deploy(ONSET - timedelta(minutes=4), version="v2.14.0", service="payment-service", origin="file", ref="deploys.csv:7"),
        Deploy(ONSET - timedelta(minutes=3, seconds=50), version="v2.14.0", service="payment-service", origin="log", ref="app.log:2574"),
        Deploy(ONSET - timedelta(hours=4), version="payment-service/v2.14.0", origin="tag", ref="tag payment-service/v2.14.0"),
        Deploy(ONSET - timedelta(days=9), version="v2.13.0", service="payment-service", origin="file", ref="deploys.csv:2"),
    ]
    restart = [StateChange(ONSET - timedelta(minutes=3, seconds=s), "payment-service", kind, text, "app.log", 2570 + i)
               for i, (s, kind, text) in enumerate([(52, "restart", "Commencing graceful shutdown"), (50, "restart", "Graceful shutdown complete"),
                                                     (47, "version", "Starting PaymentService v2.14.0 (git 9f18c74)"), (40, "restart", "Started PaymentService in 6.9 seconds")])]
    findings = build_findings("0.1.0", _sources(), None, _result(state_changes=restart), _correlation(deploys=deploys))
    deploy_rows = [e for e in findings.timeline if e.kind == "deploy"]
    assert [e.ref for e in deploy_rows] == ["deploys.csv:7"]  # banner and tag are the same deploy; v2.13.0 is history
    state_rows = [e for e in findings.timeline if e.kind == "state-change"]
    assert len(state_rows) == 1 and state_rows[0].ref == "app.log:2570"
    assert "Commencing graceful shutdown" in state_rows[0].text and "Started PaymentService" in state_rows[0].text and "4 lines" in state_rows[0].text


def test_rows_at_the_same_instant_read_in_causal_order():
    at_onset = _result(incident=Incident(start=ONSET, end=None, detection="auto", baseline_end=ONSET),
                       anomalies=[Anomaly(7, "Gateway connection pool exhausted", "new", 9.0, "ERROR", ONSET, 0, 3, ["payment-service"])])
    kinds = [e.kind for e in build_findings("0.1.0", _sources(), None, at_onset, _correlation()).timeline if e.time == ONSET]
    assert kinds == ["baseline", "onset", "anomaly"]
