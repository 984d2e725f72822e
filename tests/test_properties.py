"""Property tests: whatever bytes a log holds, reading raises nothing but UserError and accounts for every line;
masking and template mining never raise on any text.

tests/test_ingest_properties.py fuzzes one file built from log-like pieces; these add raw bytes in every
encoding shape (BOMs, lone CRs, NULs, invalid UTF-8, UTF-16 without a BOM), several files in one directory,
gzip around it, and the line count checked against a count made independently of the reader.
"""

from __future__ import annotations

import codecs
import gzip
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from analyzer.masking import WILDCARD, mask_message, mask_messages
from analyzer.templates import TemplateMiner
from parsers.errors import UserError
from parsers.ingest import read_logs
from parsers.records import ParseOptions

FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_HEADERS = st.sampled_from([
    b"2024-03-10 09:00:00,123 ERROR [main] com.shop.Orders: ", b"Mar 10 09:00:00 web1 nginx[12]: ",
    b'{"ts":"2024-03-10T09:00:00Z","level":"warn","msg":"', b"2024-03-10T09:00:00.1Z stderr F ",
    b"level=error ts=2024-03-10T09:00:00Z msg=", b"\tat com.shop.Orders.place(Orders.java:12)",
    b"Caused by: java.io.IOException: ", b"1710061200123 ", b"",
])
_NASTY = st.sampled_from([
    b"\x00", b"\r", b"\r\n", b"\n\n", b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf", b"\xc3\x28", b"\xe2\x82",
    b"\xf0\x9f\x92\xa9", b"\x1b[31m", b"\x85", b"\xe2\x80\xa8", b"\x0b\x0c\x1c\x1d\x1e", b"<*>", b"\\", b'"}',
])
_LINE = st.lists(st.one_of(_HEADERS, _NASTY, st.binary(max_size=24), st.text(max_size=24).map(str.encode)),
                 max_size=5).map(b"".join)
_FILE = st.lists(_LINE, max_size=30).map(lambda lines: b"\n".join(lines))


def physical_lines(data: bytes) -> int:
    """Lines as a reader of the decoded text sees them: split on LF (CRLF is one end), a final unterminated line
    counts, a trailing newline adds none. For UTF-16 text the split is made on the decoded text."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16", errors="replace")
    else:
        text = data.decode("utf-8", errors="replace").removeprefix("\ufeff")  # a byte-order mark is not text
    if not text:
        return 0
    return len(text.split("\n")) - (1 if text.endswith("\n") else 0)


def read_all(paths: list[Path], batch_lines: int) -> list:
    try:
        return list(read_logs([str(p) for p in paths], ParseOptions(tz="UTC", batch_lines=batch_lines)))
    except UserError as error:
        assert str(error).strip(), "a UserError must say something"
        return []


def per_source(batches: list) -> dict[str, tuple[object, int]]:
    """path -> (final stats, lines in that source's events)."""
    out: dict[str, tuple[object, int]] = {}
    for batch in batches:
        _, seen = out.get(batch.source.path, (None, 0))
        out[batch.source.path] = (batch.source, seen + int(batch.events["lines"].sum()))
    return out


@FUZZ
@given(data=_FILE, batch=st.integers(1, 7))
@example(data=b"\xef\xbb\xbf2024-03-10 09:00:00,1 INFO x: a\r\nb\rc\n\n", batch=1)
@example(data=b"a\x85b\xe2\x80\xa8c\n", batch=2)
def test_any_bytes_in_one_file_every_line_accounted_for(data, batch):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.log"
        path.write_bytes(data)
        batches = read_all([path], batch)
    if not batches:
        return
    stats, in_events = per_source(batches)[str(path)]
    if stats.format in ("binary", "unreadable"):
        return
    assert in_events + stats.lines_skipped == stats.lines
    assert stats.lines == physical_lines(data)
    for b in batches:
        assert len(b.events) <= batch  # batch_lines is a maximum, held-back events included
        assert (b.events["lines"] >= 1).all()
        assert b.events["line"].is_monotonic_increasing


@FUZZ
@given(files=st.lists(_FILE, min_size=1, max_size=4), compress=st.lists(st.booleans(), min_size=4, max_size=4))
def test_any_bytes_in_a_directory_of_plain_and_gzipped_files(files, compress):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "logs"
        root.mkdir()
        expected = {}
        for i, data in enumerate(files):
            path = root / (f"svc{i}.log.gz" if compress[i] else f"svc{i}.log")
            path.write_bytes(gzip.compress(data) if compress[i] else data)
            expected[str(path)] = data
        batches = read_all([root], 3)
    if not batches:
        return
    sources = per_source(batches)
    assert set(sources) == set(expected)  # every file is reported, readable or not
    for path, (stats, in_events) in sources.items():
        if stats.format in ("binary", "unreadable"):
            assert stats.warnings, stats  # a skipped file says why
            continue
        assert in_events + stats.lines_skipped == stats.lines == physical_lines(expected[path]), path


@FUZZ
@given(text=st.text(max_size=300))
def test_utf16_without_a_bom_or_with_one_is_read_without_error(text):
    assume("\x00" not in text)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "win.log"
        path.write_bytes(text.encode("utf-16"))
        batches = read_all([path], 5)
    if not batches:
        return
    stats, in_events = per_source(batches)[str(path)]
    if stats.format not in ("binary", "unreadable"):
        assert in_events + stats.lines_skipped == stats.lines


# -- masking and mining ----------------------------------------------------------------------------------------
_ANY_TEXT = st.one_of(
    st.text(max_size=400),
    st.lists(st.sampled_from(["<*>", "=", '"', "'", "://", "0x", "-", "_", "/", ":", "1.2.3.4", "\n", "\t", " ",
                              "é", "\u200b", "\ufffd", "\x00", "\\1", "$1", "a", "9"]), max_size=60).map("".join),
)


@FUZZ
@given(messages=st.lists(_ANY_TEXT, max_size=20))
def test_masking_never_raises_and_keeps_one_output_per_message(messages):
    series = pd.Series(messages, dtype="str", index=pd.RangeIndex(len(messages)) * 3)
    masked = mask_messages(series)
    assert list(masked.index) == list(series.index)
    for original, out in zip(messages, masked):
        assert isinstance(out, str)
        assert mask_message(original) == out
        if WILDCARD not in original and WILDCARD in out:
            assert len(out) > 0


@FUZZ
@given(messages=st.lists(_ANY_TEXT, max_size=30), repeat=st.booleans())
def test_template_mining_never_raises_and_assigns_every_message(messages, repeat):
    miner = TemplateMiner()
    series = pd.Series(messages * (2 if repeat else 1), dtype="str")
    ids = miner.add(series)
    assert len(ids) == len(series)
    templates = miner.finish()
    final = templates.final_ids(ids)
    assert {int(t) for t in final} <= set(templates.texts)  # every message has a final template
    if repeat and messages:
        first, second = list(ids[: len(messages)]), list(ids[len(messages):])
        assert first == second  # the same message, mined again, joins the same template
