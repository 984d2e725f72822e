"""Rendering the findings: the postmortem draft (Markdown, HTML), the findings JSON and the terminal verdict."""

from reports.redact import redact_text
from reports.render import render_json, write_reports
from reports.terminal import print_summary

__all__ = ["write_reports", "render_json", "print_summary", "redact_text"]
