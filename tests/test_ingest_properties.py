"""Any bytes in: no exception out, and every line read is accounted for (in an event or counted as skipped)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsers.ingest import read_logs
from parsers.records import ParseOptions

_LINE_PIECES = st.sampled_from([
    "2024-03-05 14:02:11,482 INFO [main] com.x.App: ", "Dec 31 23:59:59 web1 sshd[1]: ", '{"level":"error","msg":"',
    '{"log":"x\\n","stream":"stdout","time":"2024-03-05T14:02:11Z"}', "2024-03-05T14:02:11.1Z stdout P ",
    "\tat com.x.App.run(App.java:12)", "Traceback (most recent call last):", "panic: boom", "level=info msg=",
    '10.0.0.1 - - [05/Mar/2024:14:02:11 +0000] "GET / HTTP/1.1" 200 1', "<34>1 2024-03-05T14:02:11Z h a - - - ",
    "\u00e9\u4e2d", "\x00", "\r", "   ", "", "1117838570 ", "081109 203615 148 INFO dfs.X: ",
])
_TEXT = st.lists(st.one_of(_LINE_PIECES, st.text(max_size=30)), max_size=6).map("".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(_TEXT, max_size=40), raw=st.binary(max_size=200), batch=st.integers(1, 9))
def test_any_input_is_read_without_error_and_every_line_counted(lines, raw, batch):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.log"
        path.write_bytes("\n".join(lines).encode("utf-8", errors="surrogatepass") + raw)
        try:
            batches = list(read_logs([str(path)], ParseOptions(tz="UTC", batch_lines=batch)))
        except Exception as exc:  # only "nothing readable" is allowed, for binary-looking bytes
            assert exc.__class__.__name__ == "UserError", exc
            return
    stats = batches[-1].source
    if stats.format == "binary":
        return
    read = sum(int(b.events["lines"].sum()) for b in batches)
    assert read + stats.lines_skipped == stats.lines
    assert all(len(b.events) <= batch for b in batches)
    for b in batches:
        assert b.events["line"].is_monotonic_increasing


_BYTES = st.lists(st.one_of(st.sampled_from([b"\n", b"\r\n", b"\r", b"\xc3\xa9", b"\xe4\xb8\xad", b"\xff", b"\xc3",
                                             b"\xe2\x82", b"\xef\xbb\xbf", b""]), st.binary(max_size=12)),
                  max_size=40).map(b"".join)


@settings(max_examples=150, deadline=None)
@given(data=_BYTES, block=st.integers(1, 48), head=st.integers(1, 48))
def test_lines_read_in_blocks_are_the_file_split_at_its_newlines(data, block, head):
    """Lines are split by Arrow and decoded by Python only when they are not UTF-8: either way they are the
    file's bytes split at each newline (CRLF as one), undecodable bytes replaced and counted, whatever the block
    size."""
    from unittest import mock

    from parsers import discovery
    from parsers.discovery import LineReader, Source
    from parsers.records import SourceStats

    data = b"x" + data  # (a first byte that is no compression magic and no byte-order mark)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bytes.log"
        path.write_bytes(data)
        stats = SourceStats(path=str(path))
        with mock.patch.object(discovery, "_BLOCK", block), mock.patch.object(discovery, "_HEAD", head):
            reader = LineReader(Source(str(path)), stats)
            lines = [line for array in reader.blocks() for line in array.to_pylist()]
            reader.close()
    expected = data.replace(b"\r\n", b"\n").split(b"\n")
    if expected[-1] == b"":
        expected.pop()
    assert lines == [line.decode("utf-8", errors="replace") for line in expected]
    assert stats.lines == len(expected)
    assert stats.bytes_undecodable == sum(line.decode("utf-8", errors="replace").count("\ufffd")
                                          - line.decode("utf-8", errors="ignore").count("\ufffd") for line in expected)


@settings(max_examples=80, deadline=None)
@given(text=st.lists(st.sampled_from(["\n", "\r\n", "\r", "é", "中", "😀", "a", " ", "\x00"]), max_size=40).map("".join),
       block=st.integers(1, 48), head=st.integers(2, 48))
def test_utf16_lines_read_in_blocks_are_the_text_split_at_its_newlines(text, block, head):
    """UTF-16 takes Python's incremental decoder: a code unit or a CRLF cut by a block edge is joined again."""
    from unittest import mock

    from parsers import discovery
    from parsers.discovery import LineReader, Source
    from parsers.records import SourceStats

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "wide.log"
        path.write_bytes("x".encode("utf-16") + text.encode("utf-16-le"))  # (a BOM, then the text)
        with mock.patch.object(discovery, "_BLOCK", block), mock.patch.object(discovery, "_HEAD", head):
            reader = LineReader(Source(str(path)), SourceStats(path=str(path)))
            lines = [line for array in reader.blocks() for line in array.to_pylist()]
            reader.close()
    expected = ("x" + text).replace("\r\n", "\n").split("\n")
    assert lines == (expected[:-1] if expected[-1] == "" else expected)
