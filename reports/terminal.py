"""The verdict printed in the terminal after an analysis: short enough to read at a glance during an outage."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from analyzer.findings import Findings
from reports.context import PathDisplay, format_duration, format_time, short_sha
from reports.redact import redact_findings

SPARK_BLOCKS = "▁▂▃▄▅▆▇█"
SPARK_WIDTH = 60
_CONFIDENCE_STYLE = {"high": "bold green", "medium": "bold yellow", "low": "bold red", "none": "dim"}


def print_summary(findings: Findings, written: list[Path], console: Console, *, redact: bool = True,
                  redact_pii: bool = False) -> None:
    """Root cause and confidence, onset, top evidence, errors sparkline, top three suspects, files written.

    Terminal output lands in scrollback, CI logs and screen shares, so it is redacted unless the caller opts out.
    """
    shown = redact_findings(findings, pii=redact_pii) if redact else findings
    parts = [_verdict(shown)]
    spark = _spark_line(shown)
    if spark is not None:
        parts.append(spark)
    if shown.suspects:
        parts.append(_suspects_table(shown))
    console.print(Panel(Group(*parts), title="logrca verdict", title_align="left", border_style="cyan"))
    for path in written:
        console.print(f"  wrote [bold]{escape(str(path))}[/]")


def sparkline(values: Sequence[float], width: int = SPARK_WIDTH) -> str:
    """Values as a row of block characters, resampled (by maximum, so spikes survive) to at most `width`."""
    if not values:
        return ""
    if len(values) > width:
        step = len(values) / width
        values = [max(values[int(i * step) : max(int((i + 1) * step), int(i * step) + 1)]) for i in range(width)]
    top = max(values)
    if top <= 0:
        return SPARK_BLOCKS[0] * len(values)
    return "".join(SPARK_BLOCKS[min(len(SPARK_BLOCKS) - 1, int(v / top * (len(SPARK_BLOCKS) - 1) + 0.5))] for v in values)


def _verdict(findings: Findings) -> Text:
    cause, incident = findings.root_cause, findings.incident
    lines = [Text.assemble(("Root cause: ", "bold"), cause.summary or "not determined", "  [confidence: ",
                           (cause.confidence, _CONFIDENCE_STYLE.get(cause.confidence, "")), "]")]
    if incident.start is not None:
        onset = Text.assemble(("Onset: ", "bold"), format_time(incident.start))
        if cause.service:
            onset.append(f" in {cause.service}")
        if incident.end is not None:
            onset.append(f", recovered after {format_duration(incident.end - incident.start)}")
        else:
            onset.append(", not recovered by the end of the logs")
        lines.append(onset)
    elif incident.detection == "none":
        lines.append(Text("Onset: unknown (the logs carry no usable timestamps)", style="dim"))
    else:
        lines.append(Text("Onset: none found (no change in the logs stood out from their noise)", style="dim"))
    if findings.anomalies:
        top = findings.anomalies[0]
        evidence = Text.assemble(("Top evidence: ", "bold"),
                                 f"{top.kind} '{top.template}' ({top.count_baseline} → {top.count_incident})")
        if top.examples:
            # as the user gave the paths (they know them), only long container ids cut
            where = PathDisplay(None).ref(f"{top.examples[0].path}:{top.examples[0].line}")
            evidence.append(f" at {where}", style="dim")
        lines.append(evidence)
    return Text("\n").join(lines)


def _spark_line(findings: Findings) -> Text | None:
    totals: dict = {}
    for point in findings.series:
        if point.time is not None:
            totals[point.time] = totals.get(point.time, 0) + point.errors
    if not totals:
        return None
    values = [totals[t] for t in sorted(totals)]
    line = Text("Errors: ", style="bold")
    line.append(sparkline(values), style="red")
    line.append(f"  peak {max(values)}/bucket", style="dim")
    return line


def _suspects_table(findings: Findings) -> Table:
    table = Table(title="Top suspects", title_justify="left", show_edge=False, pad_edge=False)
    for column in ("#", "change", "score", "author", "title"):
        table.add_column(column, overflow="fold")
    for rank, suspect in enumerate(findings.suspects[:3], start=1):
        marker = " ◀" if findings.root_cause.suspect == rank - 1 else ""
        table.add_row(
            f"{rank}{marker}",
            Text(f"{suspect.kind} {short_sha(suspect.commit or suspect.id)}"),
            f"{suspect.score:.2f}",
            Text(suspect.author or ""),
            Text(suspect.title or ""),
        )
    return table
