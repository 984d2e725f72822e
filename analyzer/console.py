"""What the command line shows while it works: stage progress and the templates table."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from reports.redact import redact_text

STAGE_NAMES = {
    "baseline": "Reading the baseline logs",
    "parse": "Reading and mining the logs",
    "anomalies": "Scoring anomalies",
    "changes": "Correlating with changes",
}


@contextmanager
def stage_progress(console: Console, enabled: bool = True) -> Iterator[Callable[[str, int], None]]:
    """A progress callback for analyzer.pipeline.analyze: a spinner per stage with the events read so far."""
    if not enabled or not console.is_terminal:
        yield lambda stage, n: None
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.fields[done]}"),
                  TimeElapsedColumn(), console=console, transient=True) as progress:
        tasks: dict[str, int] = {}
        counts: dict[str, int] = {}

        def update(stage: str, n: int) -> None:
            if stage not in tasks:
                for other in tasks.values():
                    progress.update(other, visible=False)
                tasks[stage] = progress.add_task(STAGE_NAMES.get(stage, stage), done="")
                counts[stage] = 0
            counts[stage] += n
            progress.update(tasks[stage], done=f"{counts[stage]:,} events" if counts[stage] else "")

        yield update


def print_templates(summary, console: Console, limit: int) -> None:
    """The templates table of `logrca templates`: most frequent first, with a level and an example each."""
    table = Table(title=f"{len(summary.templates):,} templates from {summary.lines:,} lines", show_lines=False)
    table.add_column("id", justify="right")
    table.add_column("count", justify="right")
    table.add_column("level")
    table.add_column("template / example", overflow="fold")
    for row in summary.templates[:limit]:
        # The terminal lands in scrollback and screen shares: secrets in templates and examples are masked here too.
        example = redact_text((row.example or "").splitlines()[0][:200]) if row.example else ""
        table.add_row(str(row.id), f"{row.count:,}", row.level or "", f"{escape(redact_text(row.text))}\n[dim]{escape(example)}[/]")
    console.print(table)
    if summary.assignments_path:
        console.print(f"assignments written to {summary.assignments_path}")
    if len(summary.templates) > limit:
        console.print(f"[dim]{len(summary.templates) - limit:,} more templates not shown (--limit)[/]")


def print_health(rows: list[dict], console: Console) -> None:
    """`--health`: one block per file; names, counts, times and shapes only."""
    for row in rows:
        table = Table(title=escape(row["path"]), show_header=False, title_justify="left")
        table.add_column("what", style="dim")
        table.add_column("value", overflow="fold")
        table.add_row("service / format", escape(f"{row['service']} / {row['format']}"))
        if len(row["formats"]) > 1:
            table.add_row("formats", escape(", ".join(f"{k}: {v:,}" for k, v in row["formats"].items())))
        table.add_row("lines / events", f"{row['lines']:,} / {row['events']:,} ({row['multiline_events']:,} multi-line)")
        table.add_row("unparsed / skipped", f"{row['lines_unparsed']:,} / {row['lines_skipped']:,}")
        table.add_row("without time", f"{row['lines_without_time']:,}")
        table.add_row("time range", f"{row['first_time'] or '-'} .. {row['last_time'] or '-'}")
        table.add_row("zone assumed", escape(row["timezone_assumed"] or "none (zones in the log)"))
        if row["bytes_undecodable"]:
            table.add_row("undecodable bytes", f"{row['bytes_undecodable']:,}")
        for shape, count in row["unparsed_shapes"].items():
            table.add_row("unparsed shape", escape(f"{count:>7,}  {shape}"))
        for reason, count in row["skipped_reasons"].items():
            table.add_row("skipped", escape(f"{count:,} lines: {reason}"))
        for warning in row["warnings"]:
            table.add_row("warning", escape(warning))
        console.print(table)
