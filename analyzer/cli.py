"""The `logrca` command: a thin layer over analyzer.pipeline, analyzer.export and analyzer.assignments.

Exit status (the contract): 0 the analysis ran, 1 the input could not be analysed (one sentence says why),
2 the command line was wrong.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape

from analyzer import __version__
from analyzer.timeopts import parse_time, parse_zone
from parsers.errors import UserError
from parsers.records import ParseOptions

app = typer.Typer(
    name="logrca",
    help="Find when an incident began, what changed in the logs, and which change caused it; write the postmortem draft.",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

REPORT_FORMATS = ("md", "html", "json")

# Options shared by the commands that read logs. Their help text is the documentation users see first.
PathsArg = Annotated[
    list[str],
    typer.Argument(metavar="PATH", help="Log files or directories (read recursively; .gz/.bz2/.xz/.zst too), or - for standard input.", show_default=False),
]
TzOpt = Annotated[Optional[str], typer.Option("--tz", metavar="ZONE", help="Zone of timestamps that carry none (IANA name or +HH:MM). Default: this machine's zone.")]
YearOpt = Annotated[Optional[int], typer.Option("--year", metavar="YEAR", help="Year for timestamps written without one (syslog). Default: from each file's modification time.")]
LogFormatOpt = Annotated[Optional[str], typer.Option("--log-format", metavar="NAME", help="Read every file as this format instead of detecting it (see `logrca parse --list-formats`).")]
ConfigOpt = Annotated[Optional[Path], typer.Option("--config", metavar="FILE", help="A logrca.toml (or pyproject.toml with \\[tool.logrca]) declaring custom formats. Default: ./logrca.toml if present.")]
SinceOpt = Annotated[Optional[str], typer.Option("--since", metavar="TIME", help="Skip events before this time (ISO 8601; zone-less times use --tz). Skipped lines are counted.")]
UntilOpt = Annotated[Optional[str], typer.Option("--until", metavar="TIME", help="Skip events after this time (ISO 8601; zone-less times use --tz). Skipped lines are counted.")]
StateOpt = Annotated[Optional[Path], typer.Option("--state", metavar="FILE", help="Learned templates file (JSON): loaded if it exists, so a healthy period learned once is reused; `templates` also saves to it.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors (for scripts).")]
JobsOpt = Annotated[Optional[int], typer.Option("--jobs", "-j", min=1, metavar="N", help="Worker processes that parse and mask the logs (the results are the same for any N). Default: one per CPU core; inputs under 48 MB are read in one process.")]


def main() -> None:
    """Console-script entry point."""
    app()


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"logrca {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version_callback, is_eager=True, help="Print the version and exit.")] = False,
) -> None:
    """logrca: log analysis and root-cause assistant."""


@app.command()
def analyze(
    paths: PathsArg,
    repo: Annotated[Optional[str], typer.Option("--repo", metavar="REPO", help="The system's git repository: a work tree, a bare repository or a .bundle file. Read only; nothing in it is run.")] = None,
    deploys: Annotated[Optional[Path], typer.Option("--deploys", metavar="FILE", help="Deploy records: CSV or JSON lines with a time and a version or commit per row (optional: service, environment, description).")] = None,
    baseline: Annotated[Optional[list[str]], typer.Option("--baseline", metavar="PATH", help="Logs from a known-healthy period to compare against (repeatable). Default: the logs before the onset.")] = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    incident_start: Annotated[Optional[str], typer.Option("--incident-start", metavar="TIME", help="The onset, if you know it (ISO 8601); skips onset detection.")] = None,
    incident_end: Annotated[Optional[str], typer.Option("--incident-end", metavar="TIME", help="The recovery time, if you know it (ISO 8601).")] = None,
    tz: TzOpt = None,
    year: YearOpt = None,
    log_format: LogFormatOpt = None,
    config: ConfigOpt = None,
    out: Annotated[Optional[Path], typer.Option("--out", metavar="DIR", help="Directory for postmortem.md, postmortem.html and findings.json. Default: ./logrca-report unless --json is given.")] = None,
    json_out: Annotated[Optional[str], typer.Option("--json", metavar="FILE", help="Write the findings JSON to this file; - writes it to standard output and nothing else there.")] = None,
    formats: Annotated[str, typer.Option("--format", metavar="LIST", help="Which report files to write into --out, comma-separated: md, html, json.")] = "md,html,json",
    template: Annotated[Optional[Path], typer.Option("--template", metavar="DIR", help="Directory with your own postmortem.md.j2 / postmortem.html.j2 Jinja templates.")] = None,
    no_redact: Annotated[bool, typer.Option("--no-redact", help="Do not mask secrets (tokens, passwords, keys) in the report. Redaction is on by default.")] = False,
    redact_pii: Annotated[bool, typer.Option("--redact-pii", help="Also mask e-mail addresses and IP addresses.")] = False,
    max_commits: Annotated[int, typer.Option("--max-commits", min=1, metavar="N", help="At most this many commits are read from the repository's history.")] = 5000,
    state: StateOpt = None,
    jobs: JobsOpt = None,
    health: Annotated[bool, typer.Option("--health", help="Only print per-file diagnostics (formats, line counts, shapes of unparsed lines, time range, zones) with no log content, safe to paste into a bug report.")] = False,
    quiet: QuietOpt = False,
) -> None:
    """Analyse an incident's logs (and the system's repository) and write the postmortem draft."""
    zone = _zone(tz)
    report_formats = _report_formats(formats)
    options = _analyze_options(
        repo=repo, deploys=deploys, baseline=baseline or [], state=state,
        incident_start=_time(incident_start, zone, "--incident-start"),
        incident_end=_time(incident_end, zone, "--incident-end"),
        parse=_parse_options(zone, year, log_format, config, _time(since, zone, "--since"), _time(until, zone, "--until")),
        max_commits=max_commits, jobs=jobs,
    )
    if options.incident_start and options.incident_end and options.incident_end <= options.incident_start:
        raise typer.BadParameter("the incident must end after it starts", param_hint="--incident-end")
    if health:
        _run(lambda: _print_health(paths, options.parse, json_out))
        return
    if out is None and json_out is None:
        out = Path("logrca-report")
    _run(lambda: _analyze_and_write(paths, options, out, json_out, report_formats, template, not no_redact, redact_pii, quiet))


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", metavar="DIR", help="Directory for the demo's report.")] = Path("logrca-demo"),
    quiet: QuietOpt = False,
) -> None:
    """Run the analysis on the bundled sample incident (a bad deploy in a small shop) and write its report."""
    from sample_logs import DEMO, sample_dir

    root = sample_dir(DEMO)
    options = _analyze_options(repo=str(root / "repo.bundle"), deploys=root / "deploys.csv", baseline=[], state=None,
                               incident_start=None, incident_end=None, parse=ParseOptions(tz="UTC"), max_commits=5000)
    if not quiet:
        Console(stderr=True).print(f"[bold]logrca demo[/]: analysing the bundled sample [cyan]{DEMO}[/] ({root})")
    _run(lambda: _analyze_and_write([str(root / "logs")], options, out, None, REPORT_FORMATS, None, True, False, quiet))


@app.command()
def parse(
    paths: PathsArg,
    output: Annotated[Optional[str], typer.Option("--output", "-o", metavar="FILE", help="Write the events to FILE.csv, FILE.jsonl or FILE.parquet. Default: CSV on standard output.")] = None,
    tz: TzOpt = None,
    year: YearOpt = None,
    log_format: LogFormatOpt = None,
    config: ConfigOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    list_formats: Annotated[bool, typer.Option("--list-formats", help="List the formats logrca recognises, and exit.")] = False,
) -> None:
    """Parse logs into one row per event (path, line, time, service, host, level, logger, message, format)."""
    if list_formats:
        from parsers.ingest import format_names

        typer.echo("\n".join(format_names()))
        return
    zone = _zone(tz)
    options = _parse_options(zone, year, log_format, config, _time(since, zone, "--since"), _time(until, zone, "--until"))

    def work() -> None:
        from analyzer.export import export_events, export_kind
        from parsers.ingest import read_logs

        export_kind(output)  # a bad extension fails before any reading
        sources = export_events(read_logs(paths, options), output)
        if output not in (None, "-"):
            lines = sum(s.lines for s in sources)
            Console(stderr=True).print(f"parsed {lines:,} lines from {len(sources)} file(s) into {output}")

    _run(work)


@app.command()
def templates(
    paths: PathsArg,
    assignments: Annotated[Optional[Path], typer.Option("--assignments", metavar="FILE.csv", help="Write one row per input line (path,line,template_id,template) to this CSV file.")] = None,
    state: StateOpt = None,
    tz: TzOpt = None,
    year: YearOpt = None,
    log_format: LogFormatOpt = None,
    config: ConfigOpt = None,
    limit: Annotated[int, typer.Option("--limit", min=1, metavar="N", help="How many templates the table shows (most frequent first).")] = 50,
    jobs: JobsOpt = None,
) -> None:
    """Mine log templates and show them with counts, levels and an example; optionally write per-line assignments."""
    zone = _zone(tz)
    options = _parse_options(zone, year, log_format, config, None, None)

    def work() -> None:
        from analyzer.assignments import run_templates
        from analyzer.console import print_templates

        summary = run_templates(paths, options, str(assignments) if assignments else None, str(state) if state else None,
                                jobs)
        print_templates(summary, Console(), limit)

    _run(work)


# ---- helpers ---------------------------------------------------------------------------------------------------


def _analyze_and_write(paths, options, out, json_out, report_formats, template, redact, redact_pii, quiet) -> None:
    from analyzer.pipeline import analyze as run_analysis
    from reports.render import print_summary, render_json, write_reports

    console = Console(stderr=json_out == "-" or quiet, quiet=quiet)
    with _progress(console, quiet) as progress:
        findings = run_analysis(paths, options, progress=progress)
    written: list[Path] = []
    if out is not None:
        written += write_reports(findings, out, report_formats, template, redact, redact_pii)
    if json_out == "-":
        sys.stdout.write(render_json(findings, redact, redact_pii) + "\n")
    elif json_out is not None:
        written.append(_write_text(Path(json_out), render_json(findings, redact, redact_pii)))
    if not quiet:
        print_summary(findings, written, console, redact=redact, redact_pii=redact_pii)


def _print_health(paths, parse_options: ParseOptions, json_out: str | None) -> None:
    from analyzer.console import print_health
    from analyzer.health import collect_health, health_table
    from parsers.ingest import read_logs

    rows = health_table(collect_health(read_logs(paths, parse_options)))
    if json_out is not None:
        import json

        text = json.dumps(rows, indent=2, ensure_ascii=False)
        sys.stdout.write(text + "\n") if json_out == "-" else _write_text(Path(json_out), text)
        return
    print_health(rows, Console())


def _analyze_options(**kwargs):
    from analyzer.pipeline import AnalyzeOptions

    deploys = kwargs.pop("deploys")
    state = kwargs.pop("state")
    return AnalyzeOptions(deploys=str(deploys) if deploys else None, state=str(state) if state else None, **kwargs)


def _parse_options(zone, year, log_format, config, since, until) -> ParseOptions:
    if log_format is not None:
        from parsers.ingest import format_names

        if log_format not in format_names():
            raise typer.BadParameter(f"unknown format {log_format!r}; known: {', '.join(format_names())}", param_hint="--log-format")
    return ParseOptions(tz=zone, year=year, since=since, until=until, format=log_format,
                        config_path=str(config) if config else None)


def _zone(tz: str | None) -> str | None:
    try:
        return parse_zone(tz)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--tz") from None


def _time(text: str | None, zone: str | None, option: str):
    try:
        return parse_time(text, zone)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint=option) from None


def _report_formats(text: str) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))
    unknown = [f for f in chosen if f not in REPORT_FORMATS]
    if unknown or not chosen:
        raise typer.BadParameter(f"choose from {', '.join(REPORT_FORMATS)} (comma-separated)", param_hint="--format")
    return chosen


def _write_text(path: Path, text: str) -> Path:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
    except OSError as error:
        raise UserError(f"cannot write {path}: {error.strerror}; choose another --json path.") from None
    return path


def _progress(console: Console, quiet: bool):
    from analyzer.console import stage_progress

    return stage_progress(console, enabled=not quiet)


def _run(work: Callable[[], None]) -> None:
    """Run a command's work: a user's mistake is one sentence and exit 1, never a traceback."""
    try:
        work()
    except UserError as error:
        _fail(str(error))
    except KeyboardInterrupt:
        _fail("interrupted.", status=130)
    except Exception as error:  # noqa: BLE001 - the last line of defence: no traceback for users
        if os.environ.get("LOGRCA_DEBUG"):
            raise
        _fail(f"internal error ({type(error).__name__}: {error}); please report it, and run with LOGRCA_DEBUG=1 for details.")


def _fail(message: str, status: int = 1) -> None:
    Console(stderr=True).print(f"[bold red]logrca: error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(status)
