"""The chart: what it marks, and that its labels are redacted like the rest of the report."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from analyzer.findings import SeriesPoint, TimelineEntry
from reports import write_reports
from reports.chart import MAX_SERVICES, OTHER, chart_markers, render_chart_svg
from tests.findings_factory import DEPLOY, ONSET, PEAK, SHA, make_findings, secret_corpus


def test_markers_are_onset_peak_recovery_deploy_and_suspect_commits():
    markers = chart_markers(make_findings())
    kinds = {(m.kind, m.time) for m in markers}
    assert ("onset", ONSET) in kinds and ("peak", PEAK) in kinds and ("deploy", DEPLOY) in kinds
    assert [m.label for m in markers if m.kind == "commit"] == [SHA[:7], "a1b2c3d"]


def test_no_series_means_no_chart():
    assert render_chart_svg(dataclasses.replace(make_findings(), series=[])) is None


def test_many_services_are_folded_into_other():
    findings = make_findings()
    extra = [SeriesPoint(ONSET + timedelta(minutes=i), f"svc-{n}", 10, n, 0) for n in range(10) for i in range(5)]
    svg = render_chart_svg(dataclasses.replace(findings, series=findings.series + extra))
    assert OTHER in svg
    shown = [f"svc-{n}" for n in range(10) if f">svc-{n}<" in svg]
    assert len(shown) < 10 and MAX_SERVICES > 0


def test_dollar_signs_in_names_are_not_mathtext():
    findings = make_findings()
    series = [dataclasses.replace(p, service="$cost$ {svc}") if p.service == "cart" else p for p in findings.series]
    svg = render_chart_svg(dataclasses.replace(findings, series=series))
    assert "$cost$ {svc}" in svg


def test_chart_labels_are_redacted(tmp_path):
    _, _, token = next(c for c in secret_corpus() if c[0] == "github classic token")
    findings = make_findings()
    findings.timeline.append(TimelineEntry(DEPLOY + timedelta(minutes=1), "deploy", f"hotfix {token}"))
    findings.series = [dataclasses.replace(p, service=f"cart {token}") if p.service == "cart" else p
                       for p in findings.series]
    write_reports(findings, tmp_path / "on", formats=("md",))
    write_reports(findings, tmp_path / "off", formats=("md",), redact=False)
    assert token[:12] in (tmp_path / "off" / "postmortem-chart.svg").read_text()  # the labels do carry the text
    svg = (tmp_path / "on" / "postmortem-chart.svg").read_text()
    assert token[4:12] not in svg and "[REDACTED]" in svg


def test_services_with_nothing_to_show_are_left_out():
    findings = make_findings()
    quiet = [SeriesPoint(p.time, "cron", 5, 0, 0) for p in findings.series if p.service == "cart"]
    svg = render_chart_svg(dataclasses.replace(findings, series=findings.series + quiet))
    assert ">cron<" not in svg and ">payments<" in svg
    assert render_chart_svg(dataclasses.replace(findings, series=quiet)) is None
