"""Builders of the nasty inputs an outage leaves behind, each written into a directory the test owns.

Every builder returns what a test needs to check that nothing was lost: the path(s) written and the number of
physical lines a reader should account for (or the lines that must survive the damage). The logs themselves are
ordinary Java-style service logs (`2024-03-10 09:00:00,123 INFO [main] com.shop.Orders: ...`), so what is tested
is the damage, not an exotic format.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tests.gitrepo import GitRepoBuilder

T0 = datetime(2024, 3, 10, 9, 0, tzinfo=timezone.utc)
_LOGGERS = ("com.shop.Orders", "com.shop.Payments", "com.shop.Stock")
_HEALTHY = (
    "order {n} accepted for customer {c}",
    "payment {n} authorised in {ms} ms",
    "stock level for sku-{c} is {ms}",
)
_FAILING = (
    "payment {n} failed: connection to db-primary:5432 refused",
    "order {n} rolled back after payment failure",
)


@dataclass(frozen=True)
class Built:
    """A built input: its path, and the physical lines (or bytes) it holds that must be accounted for."""

    path: Path
    lines: int


def stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S,") + f"{when.microsecond // 1000:03d}"


def service_lines(count: int, start: datetime = T0, step: timedelta = timedelta(seconds=2),
                  fail_from: float = 0.8) -> list[str]:
    """A service log: a quiet healthy period, then errors from `fail_from` (a fraction of the lines) on."""
    lines = []
    for i in range(count):
        when = start + i * step
        failing = i >= int(count * fail_from)
        pattern = _FAILING[i % len(_FAILING)] if failing and i % 2 else _HEALTHY[i % len(_HEALTHY)]
        level = "ERROR" if failing and i % 2 else "INFO"
        message = pattern.format(n=1000 + i, c=i % 37, ms=(i * 7) % 500)
        lines.append(f"{stamp(when)} {level} [worker-{i % 4}] {_LOGGERS[i % 3]}: {message}")
    return lines


def write_lines(path: Path, lines: list[str], encoding: str = "utf-8", newline_at_end: bool = True) -> Built:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(lines) + ("\n" if newline_at_end and lines else "")
    path.write_bytes(text.encode(encoding))
    return Built(path, len(lines))


def stray_lines_log(directory: Path, count: int = 400) -> tuple[Built, int]:
    """A service log with header-less stray lines (a print() to the log file, a half-written line) folded among
    its events, and Java and Python stack traces under its errors. Returns the build and the number of stray lines: those,
    and only those, are unparsed; a trace's exception line, frames and cause chain belong to their event."""
    lines, strays = [], 0
    for i, line in enumerate(service_lines(count)):
        lines.append(line)
        if " ERROR " in line and i % 3 == 0:
            lines += ["java.sql.SQLTransientConnectionException: pool exhausted",
                      "\tat com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:181)",
                      "\tat com.shop.Payments.charge(Payments.java:88)",
                      "Caused by: java.net.ConnectException: Connection refused", "\t... 12 more"]
        elif " ERROR " in line and i % 3 == 1:  # an exception whose message runs over two lines
            lines += ["Traceback (most recent call last):", '  File "/app/db.py", line 41, in connect',
                      "    conn = pool.getconn()",
                      "psycopg_pool.PoolTimeout: couldn't get a connection after 1.50 sec",
                      '(last error: connection to server at "10.0.4.21", port 5432 failed)']
        if i % 50 == 8:  # after an INFO line: what follows a stack trace is read as the trace's own text
            lines += [f"DEBUG dump of cart {i}", "=========="]
            strays += 2
    return write_lines(directory / "payments" / "app.log", lines), strays


# -- damaged and oddly encoded files ---------------------------------------------------------------------------
def truncated_gz(directory: Path, count: int = 20_000, keep_fraction: float = 0.5) -> tuple[Built, list[str]]:
    """A gzipped log cut off part-way (a copy interrupted by a full disk). Returns the file and the lines that
    were written before the cut (the survivors must be a prefix of these)."""
    lines = service_lines(count)
    packed = gzip.compress(("\n".join(lines) + "\n").encode(), compresslevel=6)
    path = directory / "app.log.1.gz"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(packed[: int(len(packed) * keep_fraction)])
    return Built(path, count), lines


def corrupt_gz(directory: Path, count: int = 20_000) -> tuple[Built, list[str]]:
    """A gzipped log whose middle bytes were overwritten (bit rot), not just cut."""
    lines = service_lines(count)
    packed = bytearray(gzip.compress(("\n".join(lines) + "\n").encode(), compresslevel=6))
    middle = len(packed) // 2
    packed[middle:middle + 64] = b"\xff" * 64
    path = directory / "app.log.2.gz"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(packed))
    return Built(path, count), lines


def utf16_log(directory: Path, count: int = 500, bom: bool = True) -> Built:
    """A log written by a Windows service: UTF-16 little-endian (with its BOM unless told otherwise), CRLF."""
    lines = [line + " \u00fcber \u6771\u4eac" for line in service_lines(count)]
    text = "\r\n".join(lines) + "\r\n"
    data = text.encode("utf-16") if bom else text.encode("utf-16-le")
    path = directory / "winsvc.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return Built(path, count)


def latin1_log(directory: Path, count: int = 500) -> Built:
    """A legacy service writing ISO-8859-1: accented bytes that are not valid UTF-8."""
    lines = [line + " client=M\u00fcller caf\u00e9" for line in service_lines(count)]
    return write_lines(directory / "legacy.log", lines, encoding="latin-1")


def huge_line_log(directory: Path, size: int = 50 << 20, before: int = 200, after: int = 200) -> tuple[Built, int]:
    """Ordinary lines, then one line of `size` bytes (a dumped payload), then ordinary lines; the last line has
    no newline at its end. Returns the file and how many ordinary lines surround the monster."""
    head = service_lines(before)
    tail = service_lines(after, start=T0 + timedelta(hours=2))
    path = directory / "dump.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        out.write(("\n".join(head) + "\n").encode())
        out.write(f"{stamp(T0 + timedelta(hours=1))} ERROR [main] com.shop.Orders: payload=".encode())
        chunk = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" * (1 << 15)
        remaining = size
        while remaining > 0:
            out.write(chunk[:remaining])
            remaining -= len(chunk)
        out.write(b"\n")
        out.write("\n".join(tail).encode())  # no newline after the last line
    return Built(path, before + 1 + after), before + after


def huge_line_only(directory: Path, size: int = 50 << 20, chunk: bytes = b"payload chunk ABCDEFGH ") -> Path:
    """A file that is one single line of `size` bytes (`chunk` repeated) with no newline at all."""
    path = directory / "oneline.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    block = chunk * ((1 << 20) // len(chunk) + 1)
    with path.open("wb") as out:
        remaining = size
        while remaining > 0:
            out.write(block[:remaining])
            remaining -= len(block)
    return path


def binary_files(directory: Path, count: int = 3) -> list[Path]:
    """Core dumps and images: NUL bytes everywhere."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = directory / f"core.{1000 + i}"
        path.write_bytes(bytes(range(256)) * 64)
        paths.append(path)
    return paths


# -- odd time ------------------------------------------------------------------------------------------------
def no_timestamps_log(directory: Path) -> Built:
    """A pasted crash: a Python traceback and some prints, with no timestamp anywhere."""
    lines = [
        "starting worker pool with 8 workers",
        "connecting to db-primary:5432",
        "Traceback (most recent call last):",
        '  File "/srv/shop/orders.py", line 88, in place_order',
        "    payment = charge(order)",
        '  File "/srv/shop/payments.py", line 41, in charge',
        "    raise PaymentError(order.id)",
        "shop.payments.PaymentError: order 4411 could not be charged",
        "worker 3 exited with status 1",
        "shutting down",
    ]
    return write_lines(directory / "crash.txt", lines)


def out_of_order_log(directory: Path, count: int = 2_000) -> Built:
    """Lines written by several threads and merged: timestamps jump backwards by up to a minute."""
    lines = service_lines(count)
    # Swap neighbouring blocks of 30 lines: every block after the first is older than the one before it.
    blocks = [lines[i:i + 30] for i in range(0, len(lines), 30)]
    for i in range(0, len(blocks) - 1, 2):
        blocks[i], blocks[i + 1] = blocks[i + 1], blocks[i]
    return write_lines(directory / "threads.log", [line for block in blocks for line in block])


def wild_times_log(directory: Path, count: int = 1_000) -> Built:
    """A log whose clock went wrong: a few lines dated 2099 and 1970 (an unset RTC) among normal ones."""
    lines = service_lines(count)
    for i in range(50, count, 97):
        lines[i] = lines[i].replace("2024-03-10", "2099-12-31", 1)
    for i in range(70, count, 113):
        lines[i] = lines[i].replace("2024-03-10", "1970-01-01", 1)
    return write_lines(directory / "clock.log", lines)


# -- many and large --------------------------------------------------------------------------------------------
def distinct_messages_log(directory: Path, count: int = 200_000) -> Built:
    """`count` messages that share no template: each is made of words seen nowhere else (no digits to mask)."""
    lines = []
    for i in range(count):
        words = " ".join(_word(i * 7 + k) for k in range(4))
        lines.append(f"{stamp(T0 + timedelta(milliseconds=50 * i))} INFO [main] com.shop.Fuzz: {words}")
    return write_lines(directory / "distinct.log", lines)


def _word(n: int) -> str:
    # Letters only (a digit would be masked into <*>, and the messages would collapse into one template).
    letters = "bcdfghjklmnpqrstvwxz"
    out = ""
    n += 1
    while n:
        n, r = divmod(n, len(letters))
        out += letters[r]
    return out + "a" * (len(out) % 3)


def many_small_files(directory: Path, files: int = 10_000, lines_each: int = 3) -> Built:
    """`files` tiny logs in a hundred sub-directories (a pod per directory), `lines_each` lines each."""
    for i in range(files):
        sub = directory / f"pod-{i // 100:03d}"
        if i % 100 == 0:
            sub.mkdir(parents=True, exist_ok=True)
        start = T0 + timedelta(seconds=i)
        text = "".join(f"{stamp(start + timedelta(milliseconds=k))} INFO [main] com.shop.Orders: tick {k} of {i}\n"
                       for k in range(lines_each))
        (sub / f"app-{i}.log").write_text(text)
    return Built(directory, files * lines_each)


def symlink_loops(directory: Path, count: int = 300) -> Built:
    """A log directory holding a real log and symlinks that loop back to it (and to each other)."""
    built = write_lines(directory / "svc" / "app.log", service_lines(count))
    os.symlink("..", directory / "svc" / "parent")  # svc/parent -> the directory itself
    os.symlink(".", directory / "svc" / "self")
    os.symlink(directory / "b", directory / "a")  # a -> b -> a
    os.symlink(directory / "a", directory / "b")
    os.symlink(directory / "svc" / "app.log", directory / "svc" / "again.log")  # a second name for the same file
    return Built(directory, built.lines)


# -- repositories ----------------------------------------------------------------------------------------------
def plain_directory(directory: Path) -> Path:
    """A directory with some source files in it, but no .git: not a repository."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "main.py").write_text("print('hello')\n")
    return directory


def empty_repo(directory: Path) -> Path:
    """`git init` and nothing committed."""
    GitRepoBuilder(directory)
    return directory


def repo_with_history(directory: Path, commits: int = 6, start: datetime = T0 - timedelta(days=3),
                      step: timedelta = timedelta(hours=8)) -> tuple[GitRepoBuilder, list[str]]:
    """A small work tree: `commits` commits touching payments and orders, `step` apart from `start`."""
    repo = GitRepoBuilder(directory)
    shas = []
    for i in range(commits):
        files = {f"shop/{'payments' if i % 2 else 'orders'}.py": f"VERSION = {i}\n\ndef charge(order):\n    return {i}\n"}
        shas.append(repo.commit(files, f"Change {i}: tune {'payments' if i % 2 else 'orders'}", start + i * step))
    return repo, shas


def shallow_clone(source: Path, directory: Path, depth: int = 2) -> Path:
    """`git clone --depth N` of a local repository (file:// so that depth is honoured)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    subprocess.run(["git", "clone", "--quiet", f"--depth={depth}", f"file://{source}", str(directory)],
                   check=True, capture_output=True, env=env)
    return directory


# -- deploy records --------------------------------------------------------------------------------------------
def deploys_csv(path: Path, good: list[tuple[datetime, str]], bad: list[dict]) -> Path:
    """A deploys CSV with good rows (time, version) and the given bad rows mixed in between them."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["time", "version", "service"], lineterminator="\n")
    writer.writeheader()
    rows = [{"time": t.isoformat(), "version": v, "service": "payments"} for t, v in good]
    for i, row in enumerate(bad):
        rows.insert(min(len(rows), 1 + 2 * i), {"time": "", "version": "", "service": "", **row})
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buffer.getvalue())
    return path


def deploys_jsonl(path: Path, good: list[tuple[datetime, str]], bad_lines: list[str]) -> Path:
    lines = [json.dumps({"time": t.isoformat(), "version": v}) for t, v in good]
    for i, bad in enumerate(bad_lines):
        lines.insert(min(len(lines), 1 + 2 * i), bad)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


# -- hostile content -------------------------------------------------------------------------------------------
HOSTILE_MESSAGES = (
    "<script>alert('xss')</script> in the request body",
    '"><img src=x onerror=alert(1)> user agent',
    "{{ 7*7 }} {% for x in range(3) %}jinja{% endfor %}",
    "path=../../../../etc/passwd file=..\\..\\windows\\win.ini",
    "](javascript:alert(1)) [click](http://evil.example/) `code` <!-- comment -->",
    "$(touch /tmp/logrca-pwned) `touch /tmp/logrca-pwned2`",
)


def hostile_log(directory: Path, count: int = 600) -> Built:
    """A log whose failing lines carry markup, template syntax, shell and path-traversal text."""
    lines = service_lines(count)
    for i in range(int(count * 0.8), count, 2):
        when = T0 + timedelta(seconds=2 * i)
        lines[i] = f"{stamp(when)} ERROR [main] com.shop.Orders: {HOSTILE_MESSAGES[i % len(HOSTILE_MESSAGES)]}"
    return write_lines(directory / "..%2f..%2fescape" / "<b>svc</b>.log", lines)
