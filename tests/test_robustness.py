"""Bad, large and hostile input through the command line: one sentence and exit 1, or a warning in the report
and the run goes on; never a traceback, never a line lost without being counted."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer.cli import app
from tests import robust_inputs as bad

runner = CliRunner()


@pytest.fixture(autouse=True)
def _no_debug(monkeypatch):
    # LOGRCA_DEBUG re-raises internal errors; these tests check what a user without it sees.
    monkeypatch.delenv("LOGRCA_DEBUG", raising=False)


def logrca(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def analyze(tmp_path: Path, *args: str) -> tuple[object, dict | None]:
    """Run `logrca analyze ... --out tmp/out --quiet --tz UTC`; the result and the findings (None if not written)."""
    out = tmp_path / "out"
    result = logrca("analyze", *args, "--out", out, "--quiet", "--tz", "UTC")
    findings = out / "findings.json"
    return result, json.loads(findings.read_text()) if findings.exists() else None


def assert_one_sentence_error(result, *words: str) -> str:
    """Exit 1, no traceback, a single `logrca: error:` line that names what is wrong."""
    text = result.output
    assert result.exit_code == 1, text
    assert "Traceback" not in text and "internal error" not in text, text
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    errors = [line for line in text.splitlines() if line.startswith("logrca: error:")]
    assert len(errors) == 1, text
    for word in words:
        assert word.lower() in text.lower(), text
    return errors[0]


def assert_ran(result) -> None:
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output


def source(findings: dict, name: str) -> dict:
    matches = [s for s in findings["inputs"]["sources"] if s["path"].endswith(name)]
    assert len(matches) == 1, [s["path"] for s in findings["inputs"]["sources"]]
    return matches[0]


def accounted(src: dict) -> int:
    """Lines a source says it analysed or skipped (skipped lines carry a reason)."""
    skipped = src.get("lines_skipped", 0)
    if skipped:
        assert sum(src.get("skipped_reasons", {}).values()) == skipped, src
    return src["lines"]


# -- paths that are not logs -----------------------------------------------------------------------------------
def test_a_missing_path_is_one_sentence(tmp_path):
    result, findings = analyze(tmp_path, tmp_path / "no-such-dir")
    assert_one_sentence_error(result, "does not exist", "no-such-dir")
    assert findings is None


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file whatever its mode")
def test_an_unreadable_path_is_one_sentence(tmp_path):
    log = bad.write_lines(tmp_path / "secret.log", bad.service_lines(10)).path
    log.chmod(0)
    result, _ = analyze(tmp_path, log)
    assert_one_sentence_error(result, "cannot be read")


def test_an_empty_directory_is_one_sentence(tmp_path):
    (tmp_path / "empty").mkdir()
    result, findings = analyze(tmp_path, tmp_path / "empty")
    assert_one_sentence_error(result, "no files")
    assert findings is None


def test_only_binary_files_is_one_sentence(tmp_path):
    bad.binary_files(tmp_path / "cores")
    result, findings = analyze(tmp_path, tmp_path / "cores")
    assert_one_sentence_error(result, "binary")
    assert findings is None


def test_binary_files_beside_a_log_are_skipped_with_a_warning(tmp_path):
    cores = bad.binary_files(tmp_path / "dump")
    log = bad.write_lines(tmp_path / "dump" / "app.log", bad.service_lines(400))
    result, findings = analyze(tmp_path, tmp_path / "dump")
    assert_ran(result)
    for core in cores:
        skipped = source(findings, core.name)
        assert skipped["format"] == "binary"
        assert any("binary" in w for w in skipped["warnings"])
    assert source(findings, "app.log")["lines"] == log.lines


# -- damaged compression ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("builder", [bad.truncated_gz, bad.corrupt_gz], ids=["truncated", "corrupt"])
def test_a_damaged_gz_is_a_warning_and_the_other_logs_are_analysed(tmp_path, builder):
    built, written = builder(tmp_path / "logs")
    other = bad.write_lines(tmp_path / "logs" / "app.log", bad.service_lines(300, start=bad.T0 + timedelta(days=1)))
    result, findings = analyze(tmp_path, tmp_path / "logs")
    assert_ran(result)
    damaged = source(findings, built.path.name)
    assert any("damaged" in w for w in damaged["warnings"]), damaged
    assert 0 < damaged["lines"] < len(written)
    assert source(findings, "app.log")["lines"] == other.lines
    assert findings["inputs"]["lines_total"] == damaged["lines"] + other.lines
    # What was kept is the file's own beginning, line for line.
    parse_out = tmp_path / "events.jsonl"
    assert_ran(logrca("parse", built.path, "--output", parse_out, "--tz", "UTC"))
    events = [json.loads(line) for line in parse_out.read_text().split("\n") if line]
    assert events[0]["line"] == 1
    whole = [e for e in events if written[e["line"] - 1].endswith(e["message"])]
    # Everything up to the damage is kept. A truncated file ends on one cut line; a corrupt deflate stream is only
    # detected some way past the corrupt bytes, so the lines decoded from that stretch may be garbled too.
    if builder is bad.truncated_gz:
        assert len(whole) >= len(events) - 1
    else:  # the garbled stretch before a corrupt spot is decoded and counted, never more than a fifth here
        assert len(whole) >= 0.8 * len(events)
    assert [e["line"] for e in whole[:1000]] == list(range(1, 1001))


# -- encodings and long lines ----------------------------------------------------------------------------------
def test_utf16_is_decoded_and_every_line_read(tmp_path):
    built = bad.utf16_log(tmp_path / "logs")
    result, findings = analyze(tmp_path, tmp_path / "logs")
    assert_ran(result)
    src = source(findings, built.path.name)
    assert src["lines"] == built.lines
    assert src["lines_unparsed"] == 0
    assert src.get("bytes_undecodable", 0) == 0
    assert src["first_time"].startswith("2024-03-10T09:00:00")


def test_latin1_is_read_with_the_undecodable_bytes_counted(tmp_path):
    built = bad.latin1_log(tmp_path / "logs")
    result, findings = analyze(tmp_path, tmp_path / "logs")
    assert_ran(result)
    src = source(findings, built.path.name)
    assert src["lines"] == built.lines
    assert src["lines_unparsed"] == 0
    assert src.get("bytes_undecodable", 0) >= built.lines  # two accented letters per line were not UTF-8


def test_a_50_mb_line_is_cut_with_a_warning_and_its_neighbours_kept(tmp_path):
    built, ordinary = bad.huge_line_log(tmp_path / "logs")
    result, findings = analyze(tmp_path, tmp_path / "logs")
    assert_ran(result)
    src = source(findings, built.path.name)
    assert any("longer than" in w for w in src["warnings"]), src
    # The monster is counted as the pieces it was cut into; the ordinary lines are all there.
    assert built.lines <= src["lines"] <= built.lines + 4
    assert src["lines_unparsed"] <= src["lines"] - ordinary


# -- time ------------------------------------------------------------------------------------------------------
def test_a_log_without_timestamps_still_runs_with_no_incident_time(tmp_path):
    built = bad.no_timestamps_log(tmp_path / "logs")
    result, findings = analyze(tmp_path, tmp_path / "logs")
    assert_ran(result)
    src = source(findings, built.path.name)
    assert src["lines"] == built.lines
    assert src["first_time"] is None
    assert findings["incident"]["detection"] == "none"
    assert findings["incident"]["start"] is None


def test_out_of_order_timestamps_keep_every_line_and_the_true_range(tmp_path):
    built = bad.out_of_order_log(tmp_path / "logs")
    result, findings = analyze(tmp_path, tmp_path / "logs")
    assert_ran(result)
    src = source(findings, built.path.name)
    assert src["lines"] == built.lines and src["lines_unparsed"] == 0
    assert src["first_time"].startswith("2024-03-10T09:00:00")
    last = bad.T0 + (built.lines - 1) * timedelta(seconds=2)
    assert src["last_time"].startswith(last.strftime("%Y-%m-%dT%H:%M:%S"))


def test_far_future_and_past_timestamps_do_not_stretch_the_incident(tmp_path):
    built = bad.wild_times_log(tmp_path / "logs")
    result, findings = analyze(tmp_path, tmp_path / "logs")
    assert_ran(result)
    src = source(findings, built.path.name)
    assert src["lines"] == built.lines
    start = findings["incident"]["start"]
    assert start is not None and start.startswith("2024-03-10"), findings["incident"]


# -- many ------------------------------------------------------------------------------------------------------
def test_symlink_loops_end_and_the_real_log_is_read(tmp_path):
    built = bad.symlink_loops(tmp_path / "logs")
    result, findings = analyze(tmp_path, tmp_path / "logs")
    assert_ran(result)
    reads = [s for s in findings["inputs"]["sources"] if s["lines"]]
    assert any(s["path"].endswith("svc/app.log") for s in reads)
    assert findings["inputs"]["lines_total"] in (built.lines, 2 * built.lines)
