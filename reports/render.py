"""Writing the postmortem draft: postmortem.md (+ its chart), postmortem.html, findings.json.

Redaction happens once, on a copy of the findings, before anything is rendered: every output (text, chart labels,
JSON) is made from the redacted copy, so no renderer can forget it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Collection
from pathlib import Path

from analyzer.findings import Findings
from parsers.errors import UserError
from reports.chart import inline_svg, render_chart_svg
from reports.context import build_context
from reports.redact import redact_findings
from reports.templating import HTML_TEMPLATE, MARKDOWN_TEMPLATE, render
from reports.terminal import print_summary  # re-exported: the CLI imports the whole public API from here

__all__ = ["write_reports", "render_json", "print_summary", "FORMATS"]

FORMATS = ("md", "html", "json")
MARKDOWN_NAME = "postmortem.md"
HTML_NAME = "postmortem.html"
JSON_NAME = "findings.json"
CHART_NAME = "postmortem-chart.svg"


def write_reports(
    findings: Findings,
    out_dir: Path,
    formats: Collection[str] = FORMATS,
    template_dir: Path | None = None,
    redact: bool = True,
    redact_pii: bool = False,
) -> list[Path]:
    """Write the requested formats into out_dir (created if needed); returns the files written, in order."""
    if isinstance(formats, str):  # "md,html" straight from a command line
        formats = [part.strip() for part in formats.split(",") if part.strip()]
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise UserError(f"Unknown report format {', '.join(unknown)}: choose from {', '.join(FORMATS)}.")
    out_dir = _prepare_out_dir(Path(out_dir))
    shown = _shown(findings, redact, redact_pii)
    chart = render_chart_svg(shown) if {"md", "html"} & set(formats) else None
    flags = {"redacted": redact, "redacted_pii": redact and redact_pii}
    written: list[Path] = []
    if "md" in formats:
        if chart is not None:
            written.append(_write(out_dir, CHART_NAME, chart))
        context = build_context(shown, chart_file=CHART_NAME if chart else None)
        written.append(_write(out_dir, MARKDOWN_NAME, render(template_dir, MARKDOWN_TEMPLATE, False, r=context, **flags)))
    if "html" in formats:
        context = build_context(shown, chart_svg=inline_svg(chart) if chart else None)
        written.append(_write(out_dir, HTML_NAME, render(template_dir, HTML_TEMPLATE, True, r=context, **flags)))
    if "json" in formats:
        written.append(_write(out_dir, JSON_NAME, shown.to_json() + "\n"))
    return written


def render_json(findings: Findings, redact: bool = True, redact_pii: bool = False) -> str:
    """The findings JSON (per the contract's schema), redacted like the reports."""
    return _shown(findings, redact, redact_pii).to_json()


def _shown(findings: Findings, redact: bool, redact_pii: bool) -> Findings:
    return redact_findings(findings, pii=redact_pii) if redact else findings


def _prepare_out_dir(out_dir: Path) -> Path:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"Cannot create the output directory {out_dir}: {exc.strerror or exc}.") from exc
    if not out_dir.is_dir() or not os.access(out_dir, os.W_OK | os.X_OK):
        raise UserError(f"The output directory {out_dir} is not writable.")
    return out_dir


def _write(out_dir: Path, name: str, text: str) -> Path:
    """Write atomically (temp file + rename) so a reader never sees half a report; the name is ours, never a path
    taken from the findings, so nothing escapes out_dir."""
    target = out_dir / name
    temp: str | None = None
    try:
        fd, temp = tempfile.mkstemp(dir=out_dir, prefix=f".{name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(temp, target)
        temp = None
    except OSError as exc:
        raise UserError(f"Cannot write {target}: {exc.strerror or exc}.") from exc
    finally:
        if temp is not None and os.path.exists(temp):
            os.unlink(temp)
    return target
