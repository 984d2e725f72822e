"""Any findings the analyzer may produce render without error, and log text never becomes structure."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from io import StringIO

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from analyzer.findings import (
    Anomaly,
    Evidence,
    Example,
    Findings,
    Incident,
    Inputs,
    RootCause,
    SeriesPoint,
    ServiceScore,
    SourceReport,
    StateChange,
    Suspect,
    TimelineEntry,
)
from reports import print_summary, write_reports
from tests.test_report_render import SECTIONS, markdown_to_html

TIME = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(timezone.utc))
MAYBE_TIME = st.none() | TIME
# log text at its worst: markup, fences, pipes, newlines, tabs, bidi override, NUL, emoji
TEXT = st.text(alphabet=st.sampled_from(list("ab<>&|`*_#[]()!\\\n\t -=~$'\"é😀\u202e\x00")), max_size=40)
NAME = st.sampled_from(["payments", "checkout", "a|b", "<svc>", "$x$", ""])
COUNT = st.integers(0, 10_000)
SCORE = st.floats(0, 1)
SHA = st.text(alphabet="0123456789abcdef", min_size=40, max_size=40)
EXAMPLE = st.builds(Example, path=TEXT, line=COUNT, text=TEXT)

FINDINGS = st.builds(
    Findings,
    tool_version=st.just("0.1.0"),
    inputs=st.builds(Inputs, sources=st.lists(st.builds(SourceReport, path=TEXT, format=TEXT, service=NAME, lines=COUNT,
                                                        lines_unparsed=COUNT, first_time=MAYBE_TIME, last_time=MAYBE_TIME,
                                                        timezone_assumed=st.none() | TEXT, warnings=st.lists(TEXT, max_size=2),
                                                        skipped_reasons=st.dictionaries(TEXT, COUNT, max_size=2)),
                                              max_size=3),
                     lines_total=COUNT, lines_unparsed=COUNT, repo=st.none() | TEXT),
    incident=st.builds(Incident, start=MAYBE_TIME, end=MAYBE_TIME, detection=st.sampled_from(["auto", "given", "none"]),
                       peak=MAYBE_TIME, baseline_start=MAYBE_TIME, baseline_end=MAYBE_TIME, method=TEXT),
    services=st.lists(st.builds(ServiceScore, name=NAME, score=SCORE, onset=MAYBE_TIME, error_events_baseline=COUNT,
                                error_events_incident=COUNT, reasons=st.lists(TEXT, max_size=2)), max_size=3),
    anomalies=st.lists(st.builds(Anomaly, template_id=COUNT, template=TEXT, kind=st.sampled_from(["new", "spike", "drop"]),
                                 score=SCORE, level=st.none() | TEXT, first_seen=MAYBE_TIME, count_baseline=COUNT,
                                 count_incident=COUNT, services=st.lists(NAME, max_size=2),
                                 examples=st.lists(EXAMPLE, max_size=3)), max_size=3),
    suspects=st.lists(st.builds(Suspect, kind=st.sampled_from(["commit", "deploy"]), id=TEXT | SHA, score=SCORE,
                                evidence=st.lists(st.builds(Evidence, signal=TEXT, detail=TEXT, weight=SCORE), max_size=2),
                                commit=st.none() | SHA, time=MAYBE_TIME, author=st.none() | TEXT, title=st.none() | TEXT,
                                files=st.lists(TEXT, max_size=2), url=st.none() | TEXT | st.just("https://github.com/a/b/commit/1")),
                      max_size=3),
    root_cause=st.builds(RootCause, summary=TEXT, confidence=st.sampled_from(["high", "medium", "low", "none"]),
                         suspect=st.none() | st.integers(0, 2), service=st.none() | NAME, category=st.none() | TEXT,
                         ruled_out=st.lists(TEXT, max_size=2)),
    timeline=st.lists(st.builds(TimelineEntry, time=TIME, kind=TEXT, text=TEXT, ref=st.none() | TEXT | SHA), max_size=4),
    state_changes=st.lists(st.builds(StateChange, time=MAYBE_TIME, service=NAME, kind=TEXT, text=TEXT, path=TEXT,
                                     line=COUNT), max_size=2),
    series=st.lists(st.builds(SeriesPoint, time=TIME, service=NAME, events=COUNT, errors=COUNT, anomalous=COUNT), max_size=8),
    bucket_seconds=st.none() | st.integers(1, 3600),
    notes=st.lists(TEXT, max_size=2),
    generated_at=MAYBE_TIME,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                 HealthCheck.function_scoped_fixture])
@given(findings=FINDINGS)
def test_any_findings_render_and_keep_their_structure(findings, tmp_path):
    write_reports(findings, tmp_path, formats=("md", "html", "json"))
    md = (tmp_path / "postmortem.md").read_text()
    assert re.findall(r"^## (.+)$", md, flags=re.M) == SECTIONS
    rendered = markdown_to_html(md)
    assert re.findall(r"<h2>(.+?)</h2>", rendered) == SECTIONS
    page = (tmp_path / "postmortem.html").read_text()
    assert re.findall(r"<h2>(.+?)</h2>", page) == SECTIONS
    assert not re.search(r"<(script|img|iframe)\b", page)
    print_summary(findings, [], Console(file=StringIO(), width=100))
