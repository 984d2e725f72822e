"""The whole run on the bundled sample incidents, checked against the ground truth their generator wrote."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.findings import load_schema
from analyzer.pipeline import AnalyzeOptions, analyze
from parsers.records import ParseOptions
from reports.render import write_reports
from sample_logs import SAMPLES, sample_dir


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _run(name: str, out: Path):
    root = sample_dir(name)
    options = AnalyzeOptions(parse=ParseOptions(tz="UTC"), repo=str(root / "repo.bundle"), deploys=str(root / "deploys.csv"))
    findings = analyze([str(root / "logs")], options)
    written = write_reports(findings, out)
    expected = json.loads((root / "expected.json").read_text(encoding="utf-8"))
    return findings, {p.name: p for p in written}, expected


@pytest.fixture(scope="module")
def code_change(tmp_path_factory):
    return _run("payment-pool-leak", tmp_path_factory.mktemp("code-change"))


@pytest.fixture(scope="module")
def infrastructure(tmp_path_factory):
    return _run("db-disk-full", tmp_path_factory.mktemp("infrastructure"))


@pytest.mark.parametrize("fixture", ["code_change", "infrastructure"])
def test_findings_of_every_sample_validate_against_the_contract(fixture, request):
    findings, written, _ = request.getfixturevalue(fixture)
    Draft202012Validator(load_schema()).validate(findings.to_dict())
    Draft202012Validator(load_schema()).validate(json.loads(written["findings.json"].read_text(encoding="utf-8")))
    assert set(written) >= {"postmortem.md", "postmortem.html", "findings.json"}


def test_every_line_of_the_sample_is_accounted_for(code_change):
    findings, _, expected = code_change
    by_path = {s.path.split("/logs/", 1)[-1]: s for s in findings.inputs.sources}
    for source in expected["sources"]:
        got = by_path[source["path"].removeprefix("logs/")]
        assert got.lines == source["lines"], source["path"]
    assert findings.inputs.lines_total == sum(s["lines"] for s in expected["sources"])


def test_code_change_sample_blames_the_culprit_first(code_change):
    findings, _, expected = code_change
    top = findings.suspects[0]
    assert top.commit == expected["culprit_commit"] or top.id == expected["culprit_commit"] or (
        top.kind == "deploy" and (top.id == expected["culprit_deploy_version"] or top.commit == expected["culprit_deploy_commit"])
    )
    assert findings.root_cause.suspect == 0
    assert findings.root_cause.confidence in ("high", "medium")


def test_code_change_sample_finds_the_onset_within_a_minute(code_change):
    findings, _, expected = code_change
    assert findings.incident.detection == "auto"
    assert abs((findings.incident.start - _when(expected["onset"])).total_seconds()) <= 60


def test_code_change_sample_ranks_the_broken_service_first_although_it_is_not_the_loudest(code_change):
    findings, _, expected = code_change
    assert findings.services[0].name == expected["origin_service"]
    assert findings.root_cause.service == expected["origin_service"]
    loudest = max(findings.services, key=lambda s: s.error_events_incident)
    assert loudest.name != expected["origin_service"]
    assert loudest.error_events_incident > 3 * findings.services[0].error_events_incident


def test_code_change_report_quotes_the_log_lines_and_the_files_that_tie_them(code_change):
    findings, written, expected = code_change
    markdown = written["postmortem.md"].read_text(encoding="utf-8")
    culprit_file = expected["culprit_files"][0]
    assert culprit_file in markdown
    assert "GatewayClient.java:" in markdown  # a stack frame quoted from the logs
    assert ".log.gz:" in markdown  # a file:line reference to a log line
    assert expected["culprit_commit"][:7] in markdown


def test_infrastructure_sample_blames_no_change_and_says_what_the_evidence_points_to(infrastructure):
    findings, written, expected = infrastructure
    assert findings.root_cause.suspect is None or findings.root_cause.confidence == "low"
    assert findings.root_cause.category in ("infrastructure", "capacity")
    assert findings.services[0].name == expected["origin_service"]
    markdown = written["postmortem.md"].read_text(encoding="utf-8")
    assert "No space left on device" in markdown
    assert "No change is to blame" in findings.root_cause.summary


def test_demo_command_writes_the_report(tmp_path):
    result = CliRunner().invoke(app, ["demo", "--out", str(tmp_path / "demo"), "--quiet"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "demo" / "postmortem.html").stat().st_size > 10_000
    assert set(SAMPLES) >= {"payment-pool-leak", "db-disk-full"}
