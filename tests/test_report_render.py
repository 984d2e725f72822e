"""The postmortem draft in all three formats, rendered from a realistic Findings."""

from __future__ import annotations

import dataclasses
import html
import json
import re
from pathlib import Path

import jsonschema
import pytest
from markdown_it import MarkdownIt

from analyzer.findings import Findings, Incident, Inputs, RootCause, ServiceScore, SourceReport, load_schema
from parsers.errors import UserError
from reports import redact_text, render_json, write_reports
from tests.findings_factory import REVERT_SHA, SHA, make_findings, secret_corpus
from tests.test_redact import leaked_fragments

SECTIONS = [
    "Summary", "Impact", "Timeline", "Trigger", "Root cause", "Diagnosis", "Detection",
    "Resolution and recovery", "Action items", "Lessons learned", "Appendix",
]


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("report") / "nested" / "out"
    written = write_reports(make_findings(), out)
    return {p.name: p for p in written}


def visible_markdown(text: str) -> str:
    """What a reader sees: CommonMark backslash escapes removed."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)


def json_strings(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "\n".join(json_strings(k) + "\n" + json_strings(v) for k, v in value.items())
    if isinstance(value, list):
        return "\n".join(json_strings(v) for v in value)
    return str(value)


def markdown_to_html(text: str) -> str:
    """Render as a GFM-style renderer would, raw HTML allowed (GitHub passes some through), to see what readers get."""
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(text)


def test_all_formats_are_written_inside_out_dir(report):
    assert set(report) == {"postmortem.md", "postmortem-chart.svg", "postmortem.html", "findings.json"}
    parent = report["postmortem.md"].parent
    assert all(p.parent == parent and p.stat().st_size > 0 for p in report.values())
    assert not list(parent.glob(".*.tmp"))


def test_markdown_sections_in_order(report):
    headings = re.findall(r"^## (.+)$", report["postmortem.md"].read_text(), flags=re.M)
    assert headings == SECTIONS


def test_html_sections_in_order(report):
    headings = re.findall(r"<h2>(.+?)</h2>", report["postmortem.html"].read_text())
    assert headings == SECTIONS


def test_markdown_quotes_log_lines_with_file_and_line(report):
    md = report["postmortem.md"].read_text()
    # paths relative to the sources' shared directory, which the report names once
    assert "`payments/app.log:4521`" in md and "Paths in this report are relative to `logs`." in md
    # the stack trace is quoted whole, in a fenced block, its tab-indented frames intact
    block = re.search(r"```text\n(ERROR \[payments\].*?)\n```", md, flags=re.S)
    assert block and "\tat com.shop.payments.ChargeService.charge(ChargeService.java:88)" in block.group(1)


def test_markdown_renders_as_intended(report):
    rendered = markdown_to_html(report["postmortem.md"].read_text())
    assert re.findall(r"<h2>(.+?)</h2>", rendered) == SECTIONS
    assert rendered.count("<table>") == 8
    assert f'<a href="https://github.com/shop/shop/commit/{SHA}"><code>3f9c2a7</code></a>' in rendered
    assert '<pre><code class="language-text">ERROR [payments] c.s.p.ChargeService' in rendered
    assert "&lt;script&gt;alert" in rendered and "<script" not in rendered
    assert '<img src="postmortem-chart.svg"' in rendered
    # escaped prose comes out as the text it was
    assert "Alert on 'charge failed order=&lt;*&gt;' in payments" in rendered


def test_markdown_tables_have_consistent_columns(report):
    for table in re.findall(r"(?:^\|.*\|\n)+", report["postmortem.md"].read_text(), flags=re.M):
        rows = table.strip("\n").split("\n")
        widths = {len(re.findall(r"(?<!\\)\|", row)) for row in rows}
        assert len(widths) == 1, rows


def test_commit_links_in_markdown_and_html(report):
    md = report["postmortem.md"].read_text()
    page = report["postmortem.html"].read_text()
    url = f"https://github.com/shop/shop/commit/{SHA}"
    assert f"[`3f9c2a7`](<{url}>)" in md
    assert f'<a href="{url}"' in page
    # the revert is not a suspect but lives in the same repository: linked too
    assert f"https://github.com/shop/shop/commit/{REVERT_SHA}" in md


def test_timeline_rows_carry_file_line_or_commit(report):
    md = report["postmortem.md"].read_text()
    timeline = md.split("## Timeline")[1].split("## Trigger")[0]
    assert "| onset | payments: first 'Connection is not available' | `payments/app.log:4521` |" in timeline
    assert "`deploys.csv:14`" in timeline


def test_open_parts_are_marked_for_people(report):
    md = report["postmortem.md"].read_text()
    lessons = md.split("## Lessons learned")[1].split("## Appendix")[0]
    assert "To fill in" in lessons and "What went well?" in lessons
    assert "| _to fill in_ | _to fill in_ |" in md.split("## Action items")[1]


def test_json_is_valid_against_the_contract_schema(report):
    data = json.loads(report["findings.json"].read_text())
    jsonschema.validate(data, load_schema())
    assert data["suspects"][0]["commit"] == SHA
    assert data == json.loads(render_json(make_findings()))


def test_chart_is_svg_with_markers_and_referenced_by_markdown(report):
    svg = report["postmortem-chart.svg"].read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    for label in ("onset", "peak", "payments", "checkout", "3f9c2a7", "errors / min"):
        assert label in svg
    assert "](postmortem-chart.svg)" in report["postmortem.md"].read_text()


def test_html_is_self_contained(report):
    page = report["postmortem.html"].read_text()
    assert "<svg" in page and "<style>" in page
    assert not re.search(r"<(script|link|img|iframe|object|embed)\b", page, flags=re.I)
    assert not re.search(r"""\b(src|srcset)\s*=""", page, flags=re.I)
    assert not re.search(r"url\(\s*['\"]?(?!#|data:)", page)
    # the only external references are plain links a reader may click
    hrefs = re.findall(r'(?:xlink:)?href="([^"]*)"', page)
    assert {h[1:] for h in hrefs if h.startswith("#")} <= set(re.findall(r'\bid="([^"]+)"', page))
    assert all(h.startswith(("#", "https://github.com/")) for h in hrefs), hrefs


def test_script_in_a_log_line_stays_text(report):
    page = report["postmortem.html"].read_text()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    md = report["postmortem.md"].read_text()
    # in Markdown the line sits in a code block, where GitHub shows it as text
    assert re.search(r"```text\nERROR charge failed order=81731 <script>alert\('x'\)</script>\n```", md)
    assert "<script>" not in re.sub(r"```.*?```", "", md, flags=re.S)


PLANTED_PER_REPORT = 16  # the factory's spots that every output shows (examples beyond the first three are not)


@pytest.fixture(scope="module")
def planted_report(tmp_path_factory) -> dict[str, str]:
    """Every output, rendered from findings with the whole corpus planted (in chunks, so each line is shown)."""
    lines = [line for _, line, _ in secret_corpus()]
    texts: dict[str, list[str]] = {"md": [], "html": [], "svg": [], "json": [], "json-api": []}
    for start in range(0, len(lines), PLANTED_PER_REPORT):
        findings = make_findings(lines[start : start + PLANTED_PER_REPORT])
        out = tmp_path_factory.mktemp("planted")
        files = {p.name: p.read_text() for p in write_reports(findings, out)}
        texts["md"].append(visible_markdown(files["postmortem.md"]))
        texts["html"].append(html.unescape(files["postmortem.html"]))
        texts["svg"].append(html.unescape(files["postmortem-chart.svg"]))
        texts["json"].append(json_strings(json.loads(files["findings.json"])))
        texts["json-api"].append(json_strings(json.loads(render_json(findings))))
    return {name: "\n".join(parts) for name, parts in texts.items()}


@pytest.mark.parametrize("shape,line,secret", secret_corpus(), ids=[c[0] for c in secret_corpus()])
def test_no_planted_secret_survives_in_any_output(planted_report, shape, line, secret):
    for name, text in planted_report.items():
        assert leaked_fragments(secret, text) == [], f"{shape} leaked into {name}"


@pytest.mark.parametrize("shape,line,secret", secret_corpus(), ids=[c[0] for c in secret_corpus()])
def test_planted_lines_did_reach_the_outputs(planted_report, shape, line, secret):
    """Guards the test above: each line that held a secret is in every report, masked, so it was there to leak."""
    shown = redact_text(line).split("\n")[0]
    for name in ("md", "html", "json"):
        assert shown in planted_report[name].replace(" ⏎ ", "\n"), f"{shape} missing from {name}"


def test_no_redact_keeps_text_verbatim(tmp_path):
    corpus = secret_corpus()
    findings = make_findings([line for _, line, _ in corpus])
    written = write_reports(findings, tmp_path, formats=("json", "md"), redact=False)
    text = "".join(p.read_text() for p in written)
    assert corpus[0][2] in text
    assert "Redaction was turned off" in text


def test_pii_masked_on_request(tmp_path):
    (json_path,) = write_reports(make_findings(), tmp_path, formats=("json",), redact_pii=True)
    text = json_path.read_text()
    assert "dana@shop.example" not in text and "[EMAIL]" in text
    assert "dana@shop.example" in render_json(make_findings())


def test_only_requested_formats(tmp_path):
    written = write_reports(make_findings(), tmp_path, formats=["html"])
    assert [p.name for p in written] == ["postmortem.html"]
    assert not (tmp_path / "postmortem-chart.svg").exists()
    written = write_reports(make_findings(), tmp_path / "two", formats="json, md")
    assert [p.name for p in written] == ["postmortem-chart.svg", "postmortem.md", "findings.json"]


def test_unknown_format_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="pdf"):
        write_reports(make_findings(), tmp_path, formats=("md", "pdf"))


def test_unwritable_out_dir_is_a_user_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(UserError, match="output directory"):
        write_reports(make_findings(), blocker / "out")


def test_team_template_overrides_one_block(tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "postmortem.md.j2").write_text(
        '{% extends "default/postmortem.md.j2" %}{% block lessons %}## Lessons learned\n\nOur own retro format.\n'
        "{% endblock %}"
    )
    written = write_reports(make_findings(), tmp_path / "out", formats=("md", "html"), template_dir=templates)
    md = (tmp_path / "out" / "postmortem.md").read_text()
    assert "Our own retro format." in md and "What went well?" not in md
    assert re.findall(r"^## (.+)$", md, flags=re.M) == SECTIONS
    assert "What went well?" in (tmp_path / "out" / "postmortem.html").read_text()  # html: the default
    assert len(written) == 3


def test_missing_template_dir_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="template directory"):
        write_reports(make_findings(), tmp_path, template_dir=tmp_path / "nope")


def test_broken_team_template_is_a_user_error(tmp_path):
    (tmp_path / "postmortem.md.j2").write_text("{% if %}")
    with pytest.raises(UserError, match="syntax error"):
        write_reports(make_findings(), tmp_path / "out", formats=("md",), template_dir=tmp_path)


def bare_findings() -> Findings:
    """A pasted crash trace: no timestamps, no repository, nothing anomalous to rank."""
    return Findings(
        tool_version="0.1.0",
        inputs=Inputs([SourceReport("<stdin>", "unknown", "stdin", 12, 12)], 12, 12),
        incident=Incident(None, None, "none"),
        services=[],
        anomalies=[],
        suspects=[],
        root_cause=RootCause("", "none", None, None),
        timeline=[],
    )


def test_findings_without_time_or_repo_still_render(tmp_path):
    written = write_reports(bare_findings(), tmp_path)
    assert [p.name for p in written] == ["postmortem.md", "postmortem.html", "findings.json"]  # no chart to draw
    md = (tmp_path / "postmortem.md").read_text()
    assert re.findall(r"^## (.+)$", md, flags=re.M) == SECTIONS
    assert "no repository was given" in md and "unknown" in md
    jsonschema.validate(json.loads((tmp_path / "findings.json").read_text()), load_schema())


def test_markup_in_log_text_cannot_break_markdown(tmp_path):
    findings = make_findings(["``` | # not a heading ](javascript:alert(1)) <img src=x onerror=alert(1)>"])
    write_reports(findings, tmp_path, formats=("md",))
    md_path = tmp_path / "postmortem.md"
    md = md_path.read_text()
    assert "<img" not in re.sub(r"(`{3,}).*?\1", "", md, flags=re.S).replace("\\<img", "")
    assert re.findall(r"^## (.+)$", md, flags=re.M) == SECTIONS
    test_markdown_tables_have_consistent_columns({"postmortem.md": md_path})
    rendered = markdown_to_html(md)
    assert "<img src=x" not in rendered and 'href="javascript' not in rendered
    assert re.findall(r"<h2>(.+?)</h2>", rendered) == SECTIONS


def test_times_in_other_zones_are_shown_in_utc(tmp_path):
    from datetime import timedelta, timezone

    findings = make_findings()
    paris = timezone(timedelta(hours=1))
    findings.incident.start = findings.incident.start.astimezone(paris)
    write_reports(findings, tmp_path, formats=("md",))
    md = (tmp_path / "postmortem.md").read_text()
    assert "**First sign in the logs:** 2026-11-20 14:02:00 UTC" in md and "15:02:00" not in md


def test_huge_examples_are_cut_and_say_so(tmp_path):
    findings = make_findings()
    trace = "\n".join(f"\tat frame{i}(X.java:{i})" for i in range(3000))
    findings.anomalies[0].examples[0].text = "ERROR boom\n" + trace
    write_reports(findings, tmp_path, formats=("md", "html"))
    md = (tmp_path / "postmortem.md").read_text()
    assert "frame38(" in md and "frame39(" not in md and "2961 more lines not shown" in md
    assert "2961 more lines not shown" in (tmp_path / "postmortem.html").read_text()


def test_summary_uses_the_verdict_and_adds_the_duration(report):
    md = report["postmortem.md"].read_text()
    summary = md.split("## Summary")[1].split("## Impact")[0]
    assert "payments ran out of database connections after commit 3f9c2a7 shrank the pool to 4. It lasted 39 min." \
        in summary.replace("\n", " ")


def test_summary_is_written_when_the_verdict_gave_none(tmp_path):
    findings = make_findings()
    findings.root_cause.summary = ""
    write_reports(findings, tmp_path, formats=("md",))
    summary = (tmp_path / "postmortem.md").read_text().split("## Summary")[1].split("## Impact")[0]
    assert "From 2026-11-20 14:02:00 UTC, payments showed a new 'charge failed order=\\<\\*\\>' (1840 events)." in summary
    assert "It lasted 39 min. The likely cause is commit 3f9c2a7" in summary


def test_renders_what_the_verdict_stage_builds(tmp_path):
    """The analyzer's own assembly of findings (not the factory's) goes through every format."""
    from analyzer.stages import AnomalyResult, Correlation
    from analyzer.verdict import build_findings
    from parsers.records import Deploy, SourceStats

    base = make_findings()
    result = AnomalyResult(incident=base.incident, services=base.services, anomalies=base.anomalies,
                           state_changes=base.state_changes, series=base.series, bucket_seconds=base.bucket_seconds)
    correlation = Correlation(suspects=base.suspects, confidence="high", blamed=0, category="config change",
                              commits_considered=37, deploys_considered=1,
                              deploys=[Deploy(base.suspects[0].time, version="2.14.0", commit=SHA, ref="deploys.csv:14")])
    sources = [SourceStats(path=s.path, format=s.format, service=s.service, lines=s.lines,
                           first_time=s.first_time, last_time=s.last_time) for s in base.inputs.sources]
    findings = build_findings("0.1.0", sources, "shop.bundle", result, correlation, generated_at=base.generated_at)
    written = write_reports(findings, tmp_path)
    md = (tmp_path / "postmortem.md").read_text()
    assert re.findall(r"^## (.+)$", md, flags=re.M) == SECTIONS
    assert findings.root_cause.summary.split(".")[0][:40] in visible_markdown(md)
    assert f"https://github.com/shop/shop/commit/{SHA}" in md
    jsonschema.validate(json.loads((tmp_path / "findings.json").read_text()), load_schema())
    assert len(written) == 4


def test_long_container_ids_are_cut_in_tables_but_not_in_commands(tmp_path):
    findings = make_findings()
    long_name = "logs/containers/pay-7d9_shop_pay-" + "a9842ad0201afae8" * 4 + ".log"
    findings.inputs.sources[0].path = long_name
    findings.timeline[1].ref = f"{long_name}:5135"
    write_reports(findings, tmp_path, formats=("md",))
    md = (tmp_path / "postmortem.md").read_text()
    timeline = md.split("## Timeline")[1].split("## Trigger")[0]
    assert "`containers/pay-7d9_shop_pay-a9842ad0201a….log:5135`" in timeline
    assert "a9842ad0201afae8" * 4 in md  # the sources table and the commands keep the whole name


def test_line_accounting_is_in_the_appendix(tmp_path):
    findings = make_findings()
    findings.inputs.sources[1].bytes_undecodable = 1234
    write_reports(findings, tmp_path, formats=("md",))
    appendix = (tmp_path / "postmortem.md").read_text().split("## Appendix")[1]
    assert "291,042 lines read: 15 with an unrecognised header (analysed as text), 310 skipped; 1,234 undecodable " \
           "bytes replaced. Time zone assumed where the logs gave none: UTC." in appendix
    assert "| 310 (before --since: 310) |" in appendix


def test_state_changes_are_listed_in_the_appendix(report):
    appendix = report["postmortem.md"].read_text().split("## Appendix")[1]
    assert "| 2026-11-20 13:58:30 UTC | `payments` | restart | `Started PaymentsApplication in 7.2 seconds (version 2.14.0)` | `payments/app.log:4410` |" in appendix


def test_no_incident_found_is_not_reported_as_missing_timestamps(tmp_path):
    findings = bare_findings()
    findings.incident.detection = "auto"
    findings.services = [ServiceScore("nginx", 0.0, reasons=["nothing anomalous"])]
    write_reports(findings, tmp_path / "auto", formats=("md", "html"))
    md = (tmp_path / "auto" / "postmortem.md").read_text()
    assert "| **Incident window** | none: no incident was found in these logs |" in md
    assert "**Where it started:** no incident was found, so no service is ranked" in md
    assert "nothing anomalous" not in md and "timestamps" not in md
    assert "no incident was found in these logs" in (tmp_path / "auto" / "postmortem.html").read_text()
    write_reports(bare_findings(), tmp_path / "none", formats=("md",))
    assert "unknown: the logs carry no usable timestamps" in (tmp_path / "none" / "postmortem.md").read_text()


def test_every_changed_template_is_listed_not_only_the_top_ten(tmp_path):
    findings = make_findings()
    extra = [dataclasses.replace(findings.anomalies[3], template_id=900 + i, template=f"disk {i}: No space left on <*>")
             for i in range(12)]
    findings.anomalies += extra
    write_reports(findings, tmp_path, formats=("md", "html"))
    md = (tmp_path / "postmortem.md").read_text()
    assert "#### More templates whose behaviour changed" in md
    assert all(f"`disk {i}: No space left on <*>`" in md for i in range(12))
    assert "disk 11: No space left on &lt;*&gt;" in (tmp_path / "postmortem.html").read_text()
    test_markdown_tables_have_consistent_columns({"postmortem.md": tmp_path / "postmortem.md"})
