"""The command line's contract: exit status 2 for a wrong command line, 1 with one sentence for bad input."""

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from analyzer.cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args))


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["analyze", "x.log", "--format", "pdf"], "--format"),
        (["analyze", "x.log", "--tz", "Mars/Olympus"], "--tz"),
        (["analyze", "x.log", "--since", "yesterday-ish"], "--since"),
        (["analyze", "x.log", "--incident-start", "14h"], "--incident-start"),
        (["analyze", "x.log", "--max-commits", "0"], "--max-commits"),
        (["analyze", "x.log", "--incident-start", "2026-11-20T14:00:00Z", "--incident-end", "2026-11-20T13:00:00Z"], "--incident-end"),
        (["analyze"], "PATH"),
        (["frobnicate"], "frobnicate"),
    ],
)
def test_a_wrong_command_line_exits_2_and_names_the_problem(args, complaint):
    result = run(*args)
    assert result.exit_code == 2
    assert complaint in result.output


def test_version():
    result = run("--version")
    assert result.exit_code == 0
    assert result.output.startswith("logrca ")


def test_console_script_module_runs_without_a_traceback():
    completed = subprocess.run([sys.executable, "-c", "from analyzer.cli import main; main()", "analyze", "--format", "x", "y"],
                               capture_output=True, text=True)
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr


def test_times_are_read_as_iso_8601_in_the_given_zone():
    from analyzer.timeopts import parse_time

    assert parse_time("2026-11-20T14:05:00Z", None).isoformat() == "2026-11-20T14:05:00+00:00"
    assert parse_time("2026-11-20 15:05", "Europe/Berlin").isoformat() == "2026-11-20T14:05:00+00:00"
    assert parse_time("2026-11-20T15:05:00", "+01:00").isoformat() == "2026-11-20T14:05:00+00:00"
    with pytest.raises(ValueError):
        parse_time("14:05", "UTC")
