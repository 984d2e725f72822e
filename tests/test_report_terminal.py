"""The terminal verdict: what it says, the sparkline, and that it is redacted and never interprets markup."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from rich.console import Console

from reports import print_summary
from reports.terminal import SPARK_BLOCKS, sparkline
from tests.findings_factory import make_findings, secret_corpus
from tests.test_report_render import bare_findings


def printed(findings, written=(), **options) -> str:
    console = Console(record=True, width=140, color_system=None)
    print_summary(findings, list(written), console, **options)
    return console.export_text()


def test_verdict_names_cause_confidence_onset_evidence_suspects_and_files():
    text = printed(make_findings(), [Path("out/postmortem.md"), Path("out/findings.json")])
    assert "shrank the pool to 4" in text and "[confidence: high]" in text
    assert "Onset: 2026-11-20 14:02:00 UTC in payments, recovered after 39 min" in text
    assert "new 'charge failed order=<*>' (0 → 1840) at logs/payments/app.log:4521" in text
    assert "commit 3f9c2a7" in text and "commit a1b2c3d" in text and "deploy 2.13.9" in text
    assert "out/postmortem.md" in text and "out/findings.json" in text


def test_only_three_suspects_are_listed():
    findings = make_findings()
    extra = dataclasses.replace(findings.suspects[1], id="f" * 40, commit="f" * 40, title="fourth")
    text = printed(dataclasses.replace(findings, suspects=findings.suspects + [extra]))
    assert "fourth" not in text


def test_sparkline_follows_the_errors():
    line = sparkline([0, 0, 5, 10, 5, 0])
    assert line == SPARK_BLOCKS[0] * 2 + SPARK_BLOCKS[4] + SPARK_BLOCKS[-1] + SPARK_BLOCKS[4] + SPARK_BLOCKS[0]
    assert sparkline([]) == "" and set(sparkline([0, 0])) == {SPARK_BLOCKS[0]}
    long = sparkline([0] * 500 + [9] + [0] * 499, width=50)
    assert len(long) == 50 and SPARK_BLOCKS[-1] in long  # a one-bucket spike survives resampling


def test_errors_sparkline_is_printed():
    text = printed(make_findings())
    spark = next(line for line in text.splitlines() if "Errors:" in line)
    assert SPARK_BLOCKS[-1] in spark and SPARK_BLOCKS[0] in spark


def test_secrets_are_masked_and_markup_is_literal():
    _, line, secret = next(c for c in secret_corpus() if c[0] == "stripe live key")
    findings = make_findings()
    findings.root_cause.summary = f"[bold red]boom[/] {line}"
    text = printed(findings)
    assert secret not in text and "[REDACTED]" in text
    assert "[bold red]boom[/]" in text
    assert secret in printed(findings, redact=False)


def test_findings_without_time_print_without_error():
    text = printed(bare_findings())
    assert "Onset: unknown (the logs carry no usable timestamps)" in text and "not determined" in text
    assert "\n\n" not in text.split("╰")[0]


def test_no_onset_found_is_not_blamed_on_timestamps():
    findings = bare_findings()
    findings.incident.detection = "auto"
    assert "Onset: none found" in printed(findings)
