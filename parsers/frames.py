"""Stack frames and logger names in log messages, and the repository files they point at.

Frames are read from Python, Java/Kotlin/Scala, Go, Node, Ruby, .NET and PHP traces; a logger name such as
`com.shop.payment.Client` or `shop.payments.client` is a weaker pointer to a module. `FileIndex` maps either to
the repository's paths by suffix: the more trailing path components agree, the better the match, so
`/app/shop/payments/client.py` finds `services/shop/payments/client.py` and `com.shop.payment.Client`
finds `payment-service/src/main/java/com/shop/payment/Client.java`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

_PY = re.compile(r'File "([^"]+)", line (\d+)(?:, in ([^\s]+))?')
_JAVA = re.compile(r"\bat\s+((?:[\w$]+\.)+)([\w$<>]+)\(([\w$.-]+\.(?:java|kt|scala|groovy|clj)):(\d+)\)")
_JAVA_NOFILE = re.compile(r"\bat\s+((?:[\w$]+\.)+)([\w$<>]+)\((?:Unknown Source|Native Method)\)")
_DOTNET = re.compile(r"\bat\s+([\w.`<>+]+)\.([\w<>`]+)\([^)]*\)(?:\s+in\s+(.+?):line\s+(\d+))?")
_NODE = re.compile(r"\bat\s+(?:(?:async\s+)?([^\s()]+)(?:\s+\[as [^\]]+\])?\s+\()?(?:file://)?([^\s()]+?\.(?:[cm]?js|ts|tsx|jsx)):(\d+):(\d+)\)?")
_GO_FILE = re.compile(r"^\s+((?:[A-Za-z]:)?/?[\w.@+/-]+\.go):(\d+)(?:\s+\+0x[0-9a-f]+)?\s*$")
_GO_FUNC = re.compile(r"^([\w./@-]+(?:\.\(\*?[\w]+\))?\.[\w.]+)\(.*\)\s*$")
_RUBY = re.compile(r"(?:^|\s|from\s)([\w./-]+\.(?:rb|rake|erb)):(\d+):in\s+[`'](?:block (?:\(\d+ levels\) )?in\s+)?([^'`]+)'")
_PHP = re.compile(r"#\d+\s+([\w./-]+\.php)\((\d+)\):\s+([\w\\:>-]+)")
# pytest's short tracebacks: "pandas/core/frame.py:1234: in __getitem__" and the "path.py:12: KeyError" last line
_PYTEST = re.compile(r"^\s*((?:[\w.@+-]+/)*[\w.@+-]+\.py):(\d+):\s+(?:in\s+([\w<>]+)|\w+(?:Error|Exception)\b)")
# Rust: "panicked at src/main.rs:10:5" and backtrace lines "at ./src/lib.rs:42:9"
_RUST = re.compile(r"(?:panicked at\s+(?:'[^']*',\s*)?|^\s+at\s+)((?:[\w.@+-]*/)*[\w.@+-]+\.rs):(\d+)(?::\d+)?")
_LOGGER = re.compile(r"^[A-Za-z_][\w-]*(?:[.:/][A-Za-z_][\w$-]*)+$")

# Path parts that mean "not this project's code": a frame there is a library frame.
_THIRD_PARTY = re.compile(
    r"(?:^|/)(?:site-packages|dist-packages|node_modules|vendor|\.m2|gems|jdk|usr/lib|usr/local/lib|"
    r"usr/local/go/src|go/pkg/mod|Microsoft\.NET|internal/modules|lib/python\d|\.cargo/registry|rustc)(?:/|$)|^node:|^<"
)
_JAVA_LIBRARY = re.compile(r"^(?:java|javax|jdk|sun|com\.sun|kotlin|scala|org\.springframework|org\.apache|io\.netty|"
                           r"reactor|com\.fasterxml|org\.hibernate|com\.zaxxer|okhttp3|io\.grpc|System|Microsoft)\.")
_SOURCE_EXTS = (".py", ".java", ".kt", ".scala", ".go", ".js", ".ts", ".mjs", ".cjs", ".tsx", ".jsx", ".rb", ".cs",
                ".php", ".groovy", ".clj", ".rs", ".c", ".cc", ".cpp", ".h", ".swift", ".ex", ".exs", ".erl")


@dataclass(frozen=True)
class Frame:
    """One code reference: a stack frame (path and/or module, function, line) or a logger name."""

    language: str  # "python" | "java" | "go" | "node" | "ruby" | "dotnet" | "php" | "rust" | "logger"
    path: str | None  # file path as the trace wrote it (absolute, relative or a bare file name)
    module: str | None  # dotted module/class/package when the trace gives one
    function: str | None
    line: int | None
    raw: str  # the trace line, for the evidence a reviewer reads

    @property
    def third_party(self) -> bool:
        if self.path and _THIRD_PARTY.search(self.path.replace("\\", "/")):
            return True
        return bool(self.module and self.language in ("java", "dotnet") and _JAVA_LIBRARY.match(self.module + "."))

    @property
    def label(self) -> str:
        """`Client.java:142` / `payments/client.py:42` — what a reviewer greps for."""
        name = self.path.replace("\\", "/").rsplit("/", 2) if self.path else None
        where = "/".join(name[-2:]) if name else (self.module or "?")
        return f"{where}:{self.line}" if self.line else where


def parse_frames(text: str) -> list[Frame]:
    """Every stack frame in a message (a multi-line event keeps its trace), innermost-last as printed."""
    frames: list[Frame] = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        frame = _frame_of_line(line, lines[i - 1] if i else "")
        if frame is not None:
            frames.append(frame)
    return frames


def logger_frame(name: str) -> Frame | None:
    """A logger/component name as a weak code reference (`com.shop.payment.Client`, `shop.payments.client`)."""
    name = (name or "").strip()
    if not name or not _LOGGER.match(name) or name.count(".") + name.count(":") + name.count("/") < 1:
        return None
    return Frame("logger", None, re.sub(r"[:/]+", ".", name), None, None, name)


def _frame_of_line(line: str, previous: str) -> Frame | None:
    raw = line.strip()
    if m := _PY.search(line):
        return Frame("python", m.group(1), None, m.group(3), int(m.group(2)), raw)
    if m := _JAVA.search(line):
        module = m.group(1).rstrip(".")
        return Frame("java", _java_path(module, m.group(3)), module, m.group(2), int(m.group(4)), raw)
    if m := _DOTNET.search(line):
        if m.group(3):
            return Frame("dotnet", m.group(3).strip(), m.group(1), m.group(2), int(m.group(4)), raw)
    if m := _NODE.search(line):
        return Frame("node", m.group(2), None, m.group(1), int(m.group(3)), raw)
    if m := _GO_FILE.match(line):
        fn = _GO_FUNC.match(previous.strip())
        return Frame("go", m.group(1), None, fn.group(1).rsplit(".", 1)[-1] if fn else None, int(m.group(2)), raw)
    if m := _RUBY.search(line):
        return Frame("ruby", m.group(1), None, m.group(3).strip(), int(m.group(2)), raw)
    if m := _PYTEST.match(line):
        return Frame("python", m.group(1), None, m.group(3), int(m.group(2)), raw)
    if m := _RUST.search(line):
        return Frame("rust", m.group(1), None, None, int(m.group(2)), raw)
    if m := _PHP.search(line):
        return Frame("php", m.group(1), None, re.split(r"->|::|\\", m.group(3))[-1], int(m.group(2)), raw)
    if m := _JAVA_NOFILE.search(line):
        module = m.group(1).rstrip(".")
        return Frame("java", None, module, m.group(2), None, raw)
    if (m := _DOTNET.search(line)) and "." in m.group(1):
        return Frame("dotnet", None, m.group(1), m.group(2), None, raw)
    return None


def _java_path(module: str, file_name: str) -> str:
    """com.shop.payment.Client$Inner + Client.java -> com/shop/payment/Client.java (package path, file name)."""
    head = []
    for part in module.split("."):
        if not part[:1].islower():
            break  # the class (and any outer classes) start at the first capitalised part
        head.append(part)
    return "/".join(head + [file_name])


@dataclass(frozen=True)
class FileMatch:
    path: str  # repository path
    frame: Frame
    strength: float  # 0..1: how sure the mapping is (trailing components that agree, exact vs module-level)


class FileIndex:
    """The repository's files at one revision, searchable by trailing path components."""

    def __init__(self, paths: list[str]):
        self.paths = paths
        self._by_name: dict[str, list[str]] = defaultdict(list)
        self._by_stem: dict[str, list[str]] = defaultdict(list)
        self._dirs: dict[str, list[str]] = defaultdict(list)
        for p in paths:
            name = p.rsplit("/", 1)[-1]
            self._by_name[name.lower()].append(p)
            stem = name.rsplit(".", 1)[0].lower()
            if name.endswith(_SOURCE_EXTS):
                self._by_stem[stem].append(p)
            if "/" in p:
                self._dirs[p.rsplit("/", 2)[-2].lower()].append(p)

    def resolve(self, frame: Frame) -> list[FileMatch]:
        """Repository files a frame most likely means (best first; ties all returned, at most a few)."""
        if frame.path:
            return self._by_path(frame)
        if frame.module:
            return self._by_module(frame)
        return []

    def _by_path(self, frame: Frame) -> list[FileMatch]:
        parts = [p for p in frame.path.replace("\\", "/").split("/") if p not in ("", ".", "..")]
        if not parts:
            return []
        candidates = self._by_name.get(parts[-1].lower(), [])
        matches = _best(frame, candidates, parts, full=1.0)
        if frame.third_party and matches and _common_suffix(matches[0].path.lower().split("/"),
                                                            [p.lower() for p in parts], False) < 2:
            return []  # a library frame is this repository's code only if its package directory matches too
        return matches

    def _by_module(self, frame: Frame) -> list[FileMatch]:
        parts = [p for p in frame.module.replace("$", ".").split(".") if p]
        # try the longest dotted prefix that names a source file (`a.b.Client.method` -> a/b/Client.*)
        for end in range(len(parts), 0, -1):
            stem = parts[end - 1].lower()
            candidates = self._by_stem.get(stem, [])
            if candidates:
                matches = _best(frame, candidates, parts[:end], full=0.8, ignore_ext=True)
                if matches and (end > 1 or len(parts) == 1):
                    return matches
            # a package (directory) named by the logger: every file in it is a weak match. Only for a lowercase
            # part: a capitalised one is a class, and a class the repository lacks is not "its package".
            dir_files = self._dirs.get(stem, []) if parts[end - 1][:1].islower() else []
            if dir_files and end >= 2:
                matches = _best(frame, [p for p in dir_files], parts[:end] + ["*"], full=0.4, ignore_ext=True)
                if matches:
                    return matches[:8]
        return []


def _best(frame: Frame, candidates: list[str], parts: list[str], full: float, ignore_ext: bool = False) -> list[FileMatch]:
    scored = []
    for path in candidates:
        n = _common_suffix(path.lower().split("/"), [p.lower() for p in parts], ignore_ext)
        if n:
            scored.append((n, path))
    if not scored:
        return []
    top = max(n for n, _ in scored)
    best = [p for n, p in scored if n == top]
    # one trailing component (a bare file name) that several files share is ambiguous: weaker per file
    agree = min(1.0, top / max(1, min(len(parts), 3)))
    strength = full * agree / (1 if len(best) == 1 else min(len(best), 4) ** 0.5)
    return [FileMatch(p, frame, round(strength, 3)) for p in best[:6]]


def _common_suffix(path_parts: list[str], frame_parts: list[str], ignore_ext: bool) -> int:
    n = 0
    for a, b in zip(reversed(path_parts), reversed(frame_parts)):
        if b == "*":
            continue
        if ignore_ext and n == 0 and frame_parts[-1] != "*":
            a = a.rsplit(".", 1)[0]
        if a != b:
            break
        n += 1
    return n
