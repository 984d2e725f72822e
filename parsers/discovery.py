"""Finding the log files under the given paths and reading their lines: plain or compressed, any encoding,
binary files recognised and skipped, standard input for `-`."""

from __future__ import annotations

import bz2
import codecs
import gzip
import lzma
import os
import re
import struct
import sys
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import BinaryIO

import pyarrow as pa
import pyarrow.compute as pc

from parsers.errors import UserError
from parsers.records import SourceStats

STDIN = "<stdin>"
NO_LINES = pa.array([], type=pa.large_string())
_BLOCK = 4 << 20  # bytes read at a time
_HEAD = 8192  # bytes read first, to tell text from binary and compressed streams
_MAX_LINE = 16 << 20  # a "line" longer than this is cut (and the cut counted in a warning)
_MAGIC = ((b"\x1f\x8b", "gz"), (b"BZh", "bz2"), (b"\xfd7zXZ\x00", "xz"), (b"\x28\xb5\x2f\xfd", "zst"))
_ROTATION_NUMBER = re.compile(r"^(?P<base>.*?)\.(?P<n>\d{1,3})(?:\.(?:gz|bz2|xz|zst|zstd))?$")


@dataclass(frozen=True)
class Source:
    """One input: a file (or standard input), with the root directory it was found under."""

    path: str
    root: str | None = None  # the directory given on the command line, when found by walking it
    mtime: datetime | None = None


def _rotation_key(path: str) -> tuple:
    # app.log.2.gz, app.log.1, app.log: oldest first, so a service's lines come in time order.
    directory, name = os.path.split(path)
    found = _ROTATION_NUMBER.match(name)
    if found:
        return (directory, found["base"], -int(found["n"]))
    base = re.sub(r"\.(?:gz|bz2|xz|zst|zstd)$", "", name)
    return (directory, base, 0)


def _mtime(path: str) -> datetime | None:
    try:
        return datetime.fromtimestamp(os.stat(path).st_mtime, tz=timezone.utc)
    except OSError:
        return None


def discover(paths: Sequence[str]) -> list[Source]:
    """Every file under the given paths, rotations oldest first. Missing or unreadable paths are a UserError."""
    if not paths:
        raise UserError("No log path was given; name a log file, a directory of logs, or - for standard input.")
    sources: list[Source] = []
    for given in paths:
        if given == "-":
            sources.append(Source(STDIN))
            continue
        if not os.path.exists(given):
            raise UserError(f"The log path {given} does not exist; check the spelling or give another path.")
        if not os.access(given, os.R_OK):
            raise UserError(f"The log path {given} cannot be read; check its permissions.")
        if os.path.isdir(given):
            found = []
            for directory, subdirs, files in os.walk(given, followlinks=False):
                subdirs.sort()
                found.extend(os.path.join(directory, f) for f in files)
            found = [f for f in found if os.path.isfile(f)]
            if not found:
                raise UserError(f"The directory {given} holds no files; point logrca at the logs themselves.")
            sources.extend(Source(f, given, _mtime(f)) for f in sorted(found, key=_rotation_key))
        else:
            sources.append(Source(given, None, _mtime(given)))
    return _first_of_each_file(sources)


def _first_of_each_file(sources: list[Source]) -> list[Source]:
    """A file named twice (`a.log a.log`, a file and its directory, a symlink beside its target) is read once:
    under its own name when that is among them, else under the first name given."""
    chosen: dict[str, Source] = {}
    for source in sources:
        key = source.path if source.path == STDIN else os.path.realpath(source.path)
        held = chosen.get(key)
        if held is None or (os.path.islink(held.path) and not os.path.islink(source.path)):
            chosen[key] = source
    return list(chosen.values())


def _open(source: Source) -> tuple[BinaryIO, str | None]:
    if source.path == STDIN:
        return sys.stdin.buffer, None
    raw = open(source.path, "rb")  # noqa: SIM115 - handed to the caller, closed there
    head = raw.peek(8)[:8] if hasattr(raw, "peek") else b""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            if kind == "gz":
                return _Salvaging(raw, lambda: zlib.decompressobj(wbits=31)), kind
            if kind == "bz2":
                return _Salvaging(raw, bz2.BZ2Decompressor), kind
            if kind == "xz":
                return _Salvaging(raw, lzma.LZMADecompressor), kind
            import zstandard

            return zstandard.ZstdDecompressor().stream_reader(raw, closefd=True), kind
    return raw, None


class _Salvaging:
    """A decompressing reader that keeps what a damaged file yields up to the damage.

    gzip.GzipFile and its kin decompress a whole read() request at once and discard all of it when they hit a
    truncated or corrupt spot, so a 4 MiB read lost every line before the damage. Feeding the decompressor small
    pieces keeps what each piece gave; the error is raised on the read after that, once nothing is left to give.
    Concatenated members (gzip) and streams (bz2, xz) are read one after another, as the command-line tools do.
    """

    PIECE = 1 << 16

    def __init__(self, raw: BinaryIO, new_decompressor):
        self._raw = raw
        self._new = new_decompressor
        self._decompressor = new_decompressor()
        self._out = bytearray()
        self._error: Exception | None = None
        self._done = False

    def read(self, size: int = -1) -> bytes:
        while not self._done and self._error is None and (size < 0 or len(self._out) < size):
            self._feed(self._raw.read(self.PIECE))
        if not self._out and self._error is not None:
            error, self._error, self._done = self._error, None, True
            raise error
        take = len(self._out) if size < 0 else min(size, len(self._out))
        data = bytes(self._out[:take])
        del self._out[:take]
        return data

    def _feed(self, piece: bytes) -> None:
        if not piece:
            self._done = True
            if not self._decompressor.eof:
                self._error = EOFError("the compressed file ends before its end-of-stream marker")
            return
        try:
            self._out += self._decompressor.decompress(piece)
            while self._decompressor.eof and self._decompressor.unused_data.strip(b"\0"):
                rest = self._decompressor.unused_data
                self._decompressor = self._new()
                self._out += self._decompressor.decompress(rest)
        except _CORRUPT as error:
            self._error = error

    def close(self) -> None:
        self._raw.close()


def bisect_offset(path: str, since, time_of, resolution: int = 1 << 20) -> int:
    """Byte offset of a line start before which a time-sorted file holds only lines older than `since`.

    `time_of(lines)` gives the time of the first of a few decoded lines that has one (or None). The search
    stops at `resolution` bytes, and at 0 when the file does not say (no time, or times that go backwards)."""
    size = os.path.getsize(path)
    low, high, low_time = 0, size, None
    with open(path, "rb") as fh:
        while high - low > resolution:
            middle = (low + high) // 2
            fh.seek(middle)
            fh.readline()  # the rest of a line cut by the seek
            start = fh.tell()
            probe = [fh.readline().decode("utf-8", errors="replace").rstrip("\r\n") for _ in range(64)]
            found = time_of(probe)
            if found is None or (low_time is not None and found < low_time):
                return 0  # no time, or not sorted: read it all
            if found < since:
                low, low_time = start, found
            else:
                high = middle
    return low


def _as_lines(pieces: list[str] | pa.LargeStringArray) -> pa.LargeStringArray:
    """Text split at its newlines, as lines: the empty piece after a final newline is no line."""
    if not isinstance(pieces, pa.Array):
        pieces = pa.array(pieces, type=pa.large_string())
    return pieces.slice(0, len(pieces) - 1) if len(pieces) and pieces[-1].as_py() == "" else pieces


def looks_binary(head: bytes) -> bool:
    """NUL bytes (outside UTF-16 text) or many control characters mean this is not a text log."""
    if not head or head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    if b"\x00" in head:
        return True
    control = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27, 8))
    return control > 0.1 * len(head)


_CORRUPT = (EOFError, OSError, zlib.error, lzma.LZMAError)


class LineReader:
    """Decoded lines of one source in blocks, counting what could not be decoded or read."""

    def __init__(self, source: Source, stats: SourceStats, start: int = 0, end: int | None = None):
        """`start`/`end` (line starts of a plain file) read only that byte range: one part of a split file."""
        self.source = source
        self.stats = stats
        self.compression: str | None = None
        self._stream: BinaryIO | None = None
        self._head = b""
        self._left = None if end is None else end - start  # bytes of the range not read yet
        self.binary = False
        self.error: str | None = None
        try:
            self._stream, self.compression = _open(source)
            if start:
                self._stream.seek(start)
            self._head = self._read(_HEAD)
        except _CORRUPT as exc:
            self.error = f"could not be read ({exc.__class__.__name__}: {exc})"
            self._head = b""
        except Exception as exc:  # zstandard raises its own error type
            self.error = f"could not be read ({exc.__class__.__name__}: {exc})"
        self.binary = self.error is None and looks_binary(self._head)

    @property
    def seekable(self) -> bool:
        """A plain UTF-8 file on disk: it can be entered at a byte offset."""
        return (self.source.path != STDIN and self.compression is None and self.error is None
                and not self._head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)))

    def skip_to(self, offset: int) -> int:
        """Start reading at byte `offset` (a line start) instead of the beginning; returns the lines passed
        over, counted (not decoded) so that line numbers stay right. Call before blocks()."""
        self._stream.seek(0)
        skipped = 0
        remaining = offset
        while remaining > 0:
            data = self._stream.read(min(_BLOCK, remaining))
            if not data:
                break
            skipped += data.count(b"\n")
            remaining -= len(data)
        self._stream.seek(offset)
        self._head = b""
        self.stats.lines += skipped
        return skipped

    def _read(self, size: int) -> bytes:
        if self._left is None:
            return self._stream.read(size)
        data = self._stream.read(min(size, self._left)) if self._left > 0 else b""
        self._left -= len(data)
        return data

    def close(self) -> None:
        if self._stream is not None and self.source.path != STDIN:
            self._stream.close()

    def _decoder(self):
        if self._head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return codecs.getincrementaldecoder("utf-16")(errors="replace"), "utf-16"
        return None, "utf-8"

    def _decode(self, data: bytes, decoder, final: bool = False) -> str:
        if decoder is not None:
            text = decoder.decode(data, final)
            self.stats.bytes_undecodable += text.count("\ufffd")
            return text
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("utf-8", errors="replace")
            self.stats.bytes_undecodable += text.count("\ufffd") - data.count("\ufffd".encode())
            return text

    def _utf8_lines(self, data: bytes) -> pa.LargeStringArray:
        """The lines of a run of UTF-8 bytes that ends a line (or the file). Split by Arrow: the lines never
        become Python strings, which would cost more than the rest of reading them (and be copied to Arrow
        again for parsing). Bytes that are not UTF-8 take the decoder's way, replaced and counted."""
        data = data.replace(b"\r\n", b"\n") if b"\r" in data else data
        try:
            whole = pa.LargeStringArray.from_buffers(1, pa.py_buffer(struct.pack("=2q", 0, len(data))),
                                                     pa.py_buffer(data))
            whole.validate(full=True)
        except pa.ArrowInvalid:
            return _as_lines(self._decode(data, None).split("\n"))
        return _as_lines(pc.split_pattern(whole, "\n").flatten())

    def blocks(self) -> Iterator[pa.LargeStringArray]:
        """The lines (no line ends) as Arrow strings, a few megabytes at a time, in file order."""
        decoder, _ = self._decoder()
        pending = self._head
        if decoder is None and pending.startswith(codecs.BOM_UTF8):
            pending = pending[len(codecs.BOM_UTF8):]
        carry = ""  # UTF-16: the decoded start of a line the next block completes
        exhausted = False
        while not exhausted:
            try:
                data = self._read(_BLOCK) if self._stream is not None else b""
            except _CORRUPT as exc:
                self.stats.warnings.append(
                    f"the file is damaged after {self.stats.lines} lines ({exc.__class__.__name__}); "
                    "the lines before the damage were kept (the last few may be garbled where the data is corrupt)")
                data = b""
            except Exception as exc:  # zstandard's own error type
                self.stats.warnings.append(f"the file is damaged after {self.stats.lines} lines ({exc})")
                data = b""
            exhausted = not data
            pending += data
            if decoder is not None:
                # One incremental decoder for the whole stream: it keeps a code unit cut by a block edge.
                text = carry + self._decode(pending, decoder, final=exhausted)
                pending = b""
                text = text.replace("\r\n", "\n")
                cut = len(text) if exhausted else text.rfind("\n") + 1
                text, carry = text[:cut], text[cut:]
                lines = _as_lines(text.split("\n"))
            else:
                cut = len(pending) if exhausted else pending.rfind(b"\n") + 1
                if cut == 0 and len(pending) > _MAX_LINE:
                    warning = f"a line longer than {_MAX_LINE >> 20} MiB was cut into pieces"
                    if warning not in self.stats.warnings:
                        self.stats.warnings.append(warning)
                    cut = len(pending)
                if cut == 0:
                    continue
                lines = self._utf8_lines(pending[:cut])
                pending = pending[cut:]
            if len(lines):
                self.stats.lines += len(lines)
                yield lines
