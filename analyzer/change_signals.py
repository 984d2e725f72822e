"""The signals that tie a change to an incident, each a pure function that returns weighed, checkable evidence.

Weights are in one additive scale (about 1 = "a reviewer would look at this change first for this reason"):
- timing: how close before the onset the change went live; after the onset it cannot be the cause. Timing
  multiplies the rest (`timing_factor`) rather than adding to it: being recent makes a change that the logs
  point at likelier, but does not by itself point at anything;
- code: files/functions/lines touched vs. the frames of the anomalous messages' stack traces, and `git blame`;
- text: identifiers the diff shares with the anomalous messages, rarer identifiers weighing more;
- change-kind: what kind of files changed (config, dependency, migration, infra; tests and docs nearly nothing);
- deploy/service: the deploy that carried the change, and the services whose errors began right after it.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from analyzer.findings import Evidence
from analyzer.stages import AnomalyResult, TemplateInfo
from parsers.frames import FileMatch, Frame, logger_frame, parse_frames
from parsers.git_history import Commit, FileChange
from parsers.records import Deploy

LIBRARY_FRAME_WEIGHT = 0.7
MAX_ANOMALIES = 12  # the most explanatory anomalies carry the signal; the tail is mostly noise
SPECIFIC_SIGNALS = frozenset({"code", "code-line", "blame", "text", "revert", "library"})
PRECISE_SIGNALS = frozenset({"code-line", "blame", "library", "revert"})  # point at lines, not just files

_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:[.\-/:][A-Za-z_][A-Za-z0-9_]*)*")
_STOP = frozenset("""
error errors exception failed failure fail warn warning info debug fatal critical trace traceback most recent call
last file line none null true false self this that with from into when then than while return returns value values
request response service server client connection timeout timed unable could not cannot invalid missing unknown
while after before message status code caused because unexpected found string object number index count total
http https localhost default main start started stop stopped thread pool worker task time user data java lang util
async await import export const static public private protected final void yield lambda raise throw throws
except catch finally function return class self none else elif pass break continue
""".split())
_DOTTED_MODULE = re.compile(r"\b[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*){1,}\.[A-Za-z_][A-Za-z0-9_]*\b")
_LIBRARY_ROOT = re.compile(
    r"(?:site-packages|dist-packages|node_modules|gems|vendor)/(?:@[\w.-]+/)?([\w.-]+)"
    r"|go/pkg/mod/((?:[\w.-]+/){1,3}?[\w.-]+)@"
)

# File classes, first match wins. Paths are matched lowercased.
_KINDS = (
    ("dependency", re.compile(
        r"(?:^|/)(?:requirements[^/]*\.(?:txt|in)|pipfile(?:\.lock)?|poetry\.lock|uv\.lock|setup\.cfg|package(?:-lock)?\.json|"
        r"yarn\.lock|pnpm-lock\.yaml|go\.(?:mod|sum)|gemfile(?:\.lock)?|cargo\.(?:toml|lock)|pom\.xml|build\.gradle(?:\.kts)?|"
        r"gradle\.lockfile|packages\.config|[^/]*\.csproj|composer\.(?:json|lock)|mix\.lock)$")),
    ("migration", re.compile(r"(?:^|/)(?:migrations?|migrate|alembic|flyway|liquibase|schema)/|\.sql$|(?:^|/)schema\.rb$")),
    ("docs", re.compile(r"(?:^|/)(?:docs?|documentation)/|\.(?:md|rst|adoc|txt)$|(?:^|/)(?:readme|changelog|license|authors|contributing)[^/]*$")),
    ("test", re.compile(r"(?:^|/)(?:tests?|spec|specs|__tests__|testdata|fixtures|e2e)/|(?:^|/)test_[^/]*$|_test\.\w+$|\.(?:test|spec)\.\w+$|(?:^|/|_)tests?\.\w+$")),
    ("ci", re.compile(r"(?:^|/)(?:\.github|\.circleci|\.gitlab-ci\.yml|jenkinsfile|\.travis\.yml|\.buildkite|azure-pipelines\.yml)")),
    ("infra", re.compile(
        r"(?:^|/)(?:dockerfile[^/]*|docker-compose[^/]*|helm|charts?|k8s|kubernetes|deploy(?:ment)?s?|terraform|ansible|"
        r"manifests?|infra|ops)(?:/|$)|\.(?:tf|tfvars|hcl)$|(?:^|/)(?:dockerfile|makefile|procfile)$")),
    ("config", re.compile(
        r"\.(?:ya?ml|toml|ini|cfg|conf|properties|env|json|xml|hocon)$|(?:^|/)(?:config|conf|settings|etc)/|"
        r"(?:^|/)\.env[^/]*$|(?:^|/)settings\.py$|(?:^|/)config\.\w+$")),
)
# What a change of each kind weighs before any evidence ties it to the incident: config, dependency, migration
# and infrastructure changes often break a system without appearing in any stack trace; tests and docs cannot.
KIND_PRIOR = {"code": 0.1, "config": 0.3, "dependency": 0.3, "migration": 0.3, "infra": 0.25, "ci": 0.0,
              "test": 0.0, "docs": 0.0, "other": 0.05}
KIND_CATEGORY = {"code": "code change", "config": "config change", "dependency": "dependency change",
                 "migration": "schema migration", "infra": "infrastructure change", "other": "code change",
                 "ci": "build change", "test": "code change", "docs": "code change"}
_KIND_PRIORITY = ("dependency", "migration", "config", "infra", "code", "other", "ci", "test", "docs")


@dataclass(frozen=True)
class WeightedFrame:
    frame: Frame
    weight: float  # the anomaly's weight times the frame's position weight
    anomaly: str  # the anomaly's template, shortened, for the evidence text


@dataclass
class IncidentContext:
    """What the anomalous messages say about code: frames, library frames, identifiers, services."""

    frames: list[WeightedFrame] = field(default_factory=list)
    libraries: dict[str, float] = field(default_factory=dict)  # third-party package in a frame -> weight
    tokens: dict[str, float] = field(default_factory=dict)  # identifier -> weight (anomaly weight x distinctiveness)
    services: dict[str, float] = field(default_factory=dict)  # service -> weight (origin highest)


def build_context(result: AnomalyResult, templates: dict[int, TemplateInfo]) -> IncidentContext:
    """Frames, identifiers and services of the most explanatory anomalies, each weighed by the anomaly's rank."""
    ctx = IncidentContext()
    for rank, anomaly in enumerate(result.anomalies[:MAX_ANOMALIES]):
        a_weight = (0.6 if anomaly.kind == "drop" else 1.0) / math.sqrt(1 + rank)
        texts = [anomaly.template] + [e.text for e in anomaly.examples]
        info = templates.get(anomaly.template_id) if isinstance(anomaly.template_id, int) else None
        if info is not None:
            texts += [e.text for e in info.examples[:3] + info.recent[:2]]
        label = _short(anomaly.template)
        seen: set[tuple] = set()
        for text in texts:
            frames = parse_frames(text)
            # Library frames stay in (weighed down): when the repository *is* that library, they are its code.
            # Depth counts project frames only, so a library's frames above the caller do not push it down.
            depth = 0
            for frame in _throw_point_first(frames):
                key = (frame.path, frame.module, frame.line)
                if key not in seen:
                    seen.add(key)
                    w = a_weight / (1 + 0.5 * depth)
                    ctx.frames.append(WeightedFrame(frame, w * (LIBRARY_FRAME_WEIGHT if frame.third_party else 1.0), label))
                depth += not frame.third_party
            for frame in frames:
                if frame.third_party and frame.path and (m := _LIBRARY_ROOT.search(frame.path.replace("\\", "/"))):
                    lib = (m.group(1) or m.group(2)).lower()
                    ctx.libraries[lib] = max(ctx.libraries.get(lib, 0.0), a_weight)
            for name in _module_names(text):
                frame = logger_frame(name)
                if frame and (frame.module, None, None) not in seen:
                    seen.add((frame.module, None, None))
                    ctx.frames.append(WeightedFrame(frame, a_weight * 0.5, label))
            # a frame's own line is code locality, not text: its path parts would match every commit nearby
            prose = "\n".join(line for line in text.splitlines() if not parse_frames(line))
            for token, distinct in message_tokens(prose).items():
                ctx.tokens[token] = max(ctx.tokens.get(token, 0.0), a_weight * distinct)
        for s in anomaly.services:
            ctx.services[s] = max(ctx.services.get(s, 0.0), 0.5 * a_weight)
    for rank, s in enumerate(result.services[:3]):
        if s.score > 0:
            ctx.services[s.name] = max(ctx.services.get(s.name, 0.0), 1.0 / (1 + rank))
    return ctx


_HOST_WORDS = frozenset("com net org io cloud internal local localdomain lan example svc cluster corp "
                        "amazonaws googleapis azure gov edu co uk de fr www".split())


def _module_names(text: str) -> list[str]:
    """Dotted module/class names (`com.shop.payment.Client`) on lines that are not already stack frames; host
    names (`db-01.shop.internal`, `pay.example.com`) look alike and are left out."""
    out = []
    for line in text.splitlines():
        if parse_frames(line):
            continue
        for name in _DOTTED_MODULE.findall(line):
            parts = name.lower().split(".")
            if parts[-1] in _HOST_WORDS or (parts[0] in _HOST_WORDS and parts[0] not in ("com", "org", "io")):
                continue
            out.append(name)
    return out


def message_tokens(text: str) -> dict[str, float]:
    """Identifiers in a message worth matching against a diff, with how distinctive each looks (0..1)."""
    out: dict[str, float] = {}
    for tok in _TOKEN.findall(text):
        for part in {tok, *re.split(r"[.\-/:]", tok)}:
            if len(part) < 4 or part.lower() in _STOP:
                continue
            out[part] = max(out.get(part, 0.0), _distinctiveness(part))
    return out


def _distinctiveness(token: str) -> float:
    if re.search(r"[_.\-/:]", token) or re.search(r"[a-z][A-Z]", token) or (token.isupper() and len(token) >= 5):
        return 1.0
    if re.search(r"\d", token):
        return 0.6
    return 0.3 if len(token) >= 7 else 0.15


def _throw_point_first(frames: list[Frame]) -> list[Frame]:
    """Python and Ruby-from traces print the throw point last; the others print it first."""
    if frames and frames[0].language == "python":
        return list(reversed(frames))
    return frames


def _short(text: str, n: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


# -- kind of change --------------------------------------------------------------------------------------------
@lru_cache(maxsize=65536)  # a pure function of a path; the same paths recur across a window's commits
def classify_file(path: str) -> str:
    p = path.lower()
    for kind, pattern in _KINDS:
        if pattern.search(p):
            return kind
    return "code" if re.search(r"\.\w+$", p) else "other"


def change_kind(files: list[FileChange]) -> str:
    """The kind of a whole change: the most consequential kind among its files, weighed by lines changed."""
    if not files:
        return "other"
    weight: Counter[str] = Counter()
    for f in files:
        weight[classify_file(f.path)] += 1 + f.insertions + f.deletions
    kinds = set(weight)
    if kinds <= {"test", "docs", "ci"}:
        return max(kinds, key=lambda k: weight[k])
    substantive = {k: w for k, w in weight.items() if k not in ("test", "docs", "ci")}
    # a code change that also edits a lockfile is a code change; a change that is mostly config is config
    top = max(substantive, key=lambda k: (substantive[k], -_KIND_PRIORITY.index(k)))
    if top in ("code", "other"):
        return "code"
    return top


def kind_evidence(kind: str, files: list[FileChange]) -> Evidence:
    n = len(files)
    what = {"docs": "only documentation", "test": "only tests", "ci": "only CI configuration",
            "config": "configuration", "dependency": "dependency versions", "migration": "a schema migration",
            "infra": "infrastructure/deployment files", "code": "application code", "other": "other files"}[kind]
    sample = ", ".join(f.path for f in files[:3]) + (f" (+{n - 3} more)" if n > 3 else "")
    return Evidence("change-kind", f"changes {what}: {sample}", KIND_PRIOR[kind])


# -- timing ----------------------------------------------------------------------------------------------------
def timing_weight(live_at: datetime, onset: datetime) -> float:
    """1 at the onset, 0.71 half an hour before, 0.45 two hours, 0.14 a day, 0.05 a week; 0 after the onset."""
    minutes = (onset - live_at).total_seconds() / 60
    if minutes < 0:
        return 0.0
    return 1.0 / math.sqrt(1 + minutes / 30)


def timing_factor(timing: float) -> float:
    """What timing multiplies a change's other evidence by: 1 at the onset, 0.24 a week before."""
    return 0.2 + 0.8 * timing


def timing_evidence(commit_time: datetime, onset: datetime, deploy: Deploy | None) -> Evidence:
    live = deploy.time if deploy is not None else commit_time
    w = timing_weight(live, onset)
    ago = duration(onset - live)
    if deploy is not None:
        detail = f"went live with deploy {deploy_name(deploy)} {ago} before the onset (committed {duration(onset - commit_time)} before)"
    else:
        detail = f"committed {ago} before the onset (no deploy record; landing time used)"
    return Evidence("timing", detail, round(w, 3))


def deploy_evidence(deploy: Deploy, onset: datetime | None, services: dict[str, float], carried: int) -> Evidence:
    """The deploy that carried a change: stronger when it went out just before the onset, to a service whose
    errors began after it, and carried few commits (one of fifty is a weaker suspect than one of one)."""
    w = 0.3 / (1 + math.log10(max(1, carried)))
    parts = [f"shipped in deploy {deploy_name(deploy)} ({deploy.ref or deploy.origin}), with {carried} commit(s)"]
    if deploy.service and services:
        match = _service_weight(deploy.service, services)
        if match:
            w += 0.4 * match
            parts.append(f"deployed to {deploy.service}, one of the erroring services")
    if onset is not None:
        w *= timing_weight(deploy.time, onset) ** 0.5
    return Evidence("deploy", "; ".join(parts), round(w, 3))


def deploy_name(d: Deploy) -> str:
    return d.version or (d.commit[:12] if d.commit else "?")


def _service_weight(name: str, services: dict[str, float]) -> float:
    n = _norm_service(name)
    return max((w for s, w in services.items() if _norm_service(s) == n), default=0.0)


@lru_cache(maxsize=65536)
def _norm_service(name: str) -> str:
    """A name reduced to what a repository directory and a service share: `payment-service`, `payment_svc` and
    `payment` all match. (parsers.services names a log's service; this only compares names with paths.)"""
    n = name.lower().strip()
    n = re.sub(r"[-_](?:service|svc|server|api|app|worker|deployment)$", "", n)
    return re.sub(r"^(?:svc|service)[-_]", "", n).replace("_", "-")


def service_evidence(files: list[FileChange], services: dict[str, float], share: float) -> Evidence | None:
    """A changed path under a directory named like an erroring service (`payment-service/...` for `payment`).

    `share` is the fraction of the window's commits that touch that service at all: in a repository holding a
    single service every commit matches, and the signal carries nothing."""
    best, where = 0.0, ""
    for f in files:
        comps = {_norm_service(c) for c in f.path.split("/")[:-1]}
        for s, w in services.items():
            if _norm_service(s) in comps and w > best:
                best, where = w, f"{f.path} is in {s}, an erroring service"
    if not best:
        return None
    return Evidence("service", where, round(0.4 * best * (1 - share), 3))


def path_services(files: list[FileChange], services) -> bool:
    """Whether any changed path lies under a directory named like one of `services`."""
    names = {_norm_service(s) for s in services}
    return any(_norm_service(c) in names for f in files for c in f.path.split("/")[:-1])


# -- code locality ---------------------------------------------------------------------------------------------
def code_evidence(commit: Commit, matches: dict[str, list[tuple[FileMatch, float]]], blamed: dict[tuple, str]) -> list[Evidence]:
    """Frames that resolve to files this commit touched; more when its hunks cover the frame's line or name its
    function; most when `git blame` at the deployed revision says this commit last changed the frame's line.

    `matches`: repository path -> (match, frame weight); `blamed`: (path, line) -> sha that blame names."""
    out: list[Evidence] = []
    best_per_frame: dict[Frame, Evidence] = {}
    for fc in commit.files:
        for match, fw in matches.get(fc.path, []):
            frame = match.frame
            base = 1.2 * match.strength * fw
            ev = Evidence("code", f"{frame.label} ({_short(frame.raw, 90)}) is in {fc.path}, which this commit changed "
                          f"(+{fc.insertions}/-{fc.deletions})", base)
            if frame.line and blamed.get((fc.path, frame.line)) == commit.sha:
                ev = Evidence("blame", f"git blame: line {frame.line} of {fc.path} ({frame.label}, in the trace) was "
                              "last changed by this commit", round(base + 2.0 * fw, 3))
            elif frame.line and fc.status != "A" and _covers(fc, frame.line):
                # (a commit that created the file "covers" every line of it; blame says more than that)
                ev = Evidence("code-line", f"a hunk of {fc.path} covers line {frame.line}, the trace's {frame.label}",
                              round(base + 0.8 * match.strength * fw, 3))
            elif frame.function and fc.status != "A" and _short_name(frame.function) in fc.functions:
                ev = Evidence("code-line", f"changes {_short_name(frame.function)}() in {fc.path}, the function in the trace "
                              f"at {frame.label}", round(base + 0.6 * match.strength * fw, 3))
            else:
                ev = Evidence(ev.signal, ev.detail, round(ev.weight, 3))
            old = best_per_frame.get(frame)
            if old is None or ev.weight > old.weight:
                best_per_frame[frame] = ev
    out = sorted(best_per_frame.values(), key=lambda e: -e.weight)
    # several frames of one trace in one file say the same thing: diminishing returns
    return [Evidence(e.signal, e.detail, round(e.weight / (1 + i), 3)) for i, e in enumerate(out[:4])]


def library_evidence(commit: Commit, libraries: dict[str, float]) -> Evidence | None:
    """A dependency file change that names a library whose code is in the trace (a bump that broke a caller)."""
    # a lockfile that is created (an initial import) names every library; a bump modifies one
    dep_files = [f for f in commit.files if classify_file(f.path) == "dependency" and f.status != "A"]
    if not dep_files or not libraries:
        return None
    for lib, w in sorted(libraries.items(), key=lambda kv: -kv[1]):
        variants = {lib, lib.replace("_", "-"), lib.replace("-", "_"), lib.rsplit("/", 1)[-1]}
        for f in dep_files:
            if variants & {i.lower() for i in f.identifiers}:
                return Evidence("library", f"{f.path} changes the version of {lib}, whose code is in the trace", round(1.5 * w, 3))
    return None


def _covers(fc: FileChange, line: int, slack: int = 2) -> bool:
    return any(start - slack <= line <= start + max(length, 1) - 1 + slack for _, _, start, length in fc.hunks)


def _short_name(function: str) -> str:
    return re.split(r"[.:#]", function.strip("`'<>"))[-1]


# -- text ------------------------------------------------------------------------------------------------------
def commit_tokens(commit: Commit) -> set[str]:
    """Identifiers a change introduces or removes (from its diff), plus its file names and title words."""
    toks: set[str] = set()
    for f in commit.files:
        for ident in f.identifiers:
            toks.add(ident)
            toks.update(p for p in re.split(r"[.\-/:]", ident) if len(p) >= 4)
        stem = f.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        if len(stem) >= 4:
            toks.add(stem)
    toks.update(t for t in _TOKEN.findall(commit.title) if len(t) >= 4)
    return toks


def repo_rarity(files_with: int) -> float:
    """How telling an identifier is by how many files of the repository hold it: 1 for up to two files,
    0.5 for five, 0.06 for fifty (`conn`, `await`, `payment` in a payments repository tell nothing)."""
    return 1.0 / (1.0 + max(0, files_with - 2) / 3)


def text_evidence(tokens: set[str], ctx_tokens: dict[str, float], doc_freq: Counter, n_commits: int,
                  changed_lines: int, rarity: dict[str, float] | None = None) -> Evidence | None:
    """Identifiers shared by the diff and the anomalous messages; one present in many commits or many files of
    the repository (`rarity`) weighs little, and a huge change (an initial import, a vendored library) shares
    words with anything, so its size discounts it."""
    shared = []
    for tok in tokens & ctx_tokens.keys():
        idf = math.log((n_commits + 1) / (doc_freq[tok] + 0.5)) / math.log(n_commits + 2)
        w = ctx_tokens[tok] * max(0.0, min(1.0, idf)) * (rarity or {}).get(tok, 1.0)
        if w > 0.05:
            shared.append((w, tok))
    if not shared:
        return None
    shared.sort(reverse=True)
    total = sum(w / (1 + 0.5 * i) for i, (w, _) in enumerate(shared[:6]))
    names = ", ".join(f"`{t}`" for _, t in shared[:5])
    size = min(1.0, math.sqrt(60 / max(60, changed_lines)))
    return Evidence("text", f"the diff and the anomalous messages share {names}", round(min(1.5, 1.2 * total) * size, 3))


def duration(delta) -> str:
    s = abs(delta.total_seconds())
    if s < 90:
        return f"{int(s)} s"
    if s < 5400:
        return f"{round(s / 60)} min"
    if s < 172800:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} days"
