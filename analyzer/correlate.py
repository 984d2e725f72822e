"""Change correlation: which commits and deploys most likely caused the incident, with evidence and confidence.

The steps, top to bottom in `correlate`:
1. deploys: the --deploys file, release tags, and deploy markers seen in the logs, resolved to commits;
2. the window: commits that landed in the LOOKBACK before the onset (plus whatever the deploys before the onset
   carried, however old), and those after it up to a day past the incident (for reverts and hotfixes); with no
   onset (a pasted trace), the last `max_commits` commits up to HEAD;
3. what the logs say about code (analyzer.change_signals.build_context), mapped to files at the deployed revision,
   with `git blame` on the exact frame lines;
4. each change scored by the signals, ranked, and the confidence calibrated (analyzer.confidence).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from analyzer import change_signals as sig
from analyzer.confidence import calibrate
from analyzer.findings import Evidence, Suspect, TimelineEntry
from analyzer.stages import AnomalyResult, Correlation, TemplateInfo
from parsers.deploys import marker_of, merge_deploys, read_deploys, resolve_deploys, skipped_rows_note, tag_deploys
from parsers.frames import FileIndex, FileMatch
from parsers.git_history import Commit, GitRepository, commit_url, open_repository
from parsers.records import Deploy

LOOKBACK = timedelta(days=14)  # commits older than this before the onset are only considered if a deploy carried them
AFTER = timedelta(days=1)  # reverts and hotfixes are looked for this long after the incident
BLAME_LOOKBACK = timedelta(days=180)  # git blame on a frame's line walks back at most this far (or to the window)
DEPLOY_LOOKBACK = timedelta(hours=24)  # a deploy suspect (no commits known) must be this recent
MAX_SUSPECTS = 15
MAX_BLAMES = 30
MAX_RARITY_CHECKS = 16  # identifiers whose spread over the repository is measured
MAX_PATCHED = 800  # commits whose patches are read; the rest are scored on their file lists
MAX_CARRIED = 2000  # commits one deploy may carry
_REVERT = re.compile(r"This reverts commit ([0-9a-f]{7,40})", re.I)
_HOTFIX = re.compile(r"\b(?:hot-?fix|revert|roll(?:ed)?[ -]?back|fix(?:es|ed)?|patch)\b", re.I)
_INFRA_WORDS = re.compile(
    r"no space left|disk (?:is )?full|out of memory|oom|killed process|read-only file system|too many open files|"
    r"connection refused|network is unreachable|no route to host|certificate (?:has )?expired|dns|i/o error|"
    r"node (?:not ready|notready)|evicted|throttl", re.I)


@dataclass
class _Candidate:
    commit: Commit
    deploy: Deploy | None = None  # the first deploy that carried it
    not_deployed: bool = False  # landed before the onset, but no known deploy before the onset carried it
    evidence: list[Evidence] = field(default_factory=list)
    score: float = 0.0
    kind: str = "code"


def correlate(result: AnomalyResult, templates: dict[int, TemplateInfo], repo: str | None,
              deploys_file: str | None, max_commits: int = 5000, tz: str | None = None) -> Correlation:
    """Rank the changes that may have caused the incident `result` describes; see the module docstring."""
    onset = result.incident.start
    notes: list[str] = []
    file_deploys: list[Deploy] = []
    if deploys_file:
        records = read_deploys(deploys_file, tz)
        file_deploys = records.deploys
        notes += records.warnings
        notes += skipped_rows_note(deploys_file, records)
    log_deploys = list(result.deploy_markers) + _markers_from_state_changes(result)
    ctx = sig.build_context(result, templates)
    if repo is None:
        deploys = merge_deploys(file_deploys, log_deploys)
        return _without_repo(deploys, onset, ctx, notes)
    with open_repository(repo) as git:
        return _with_repo(git, result, ctx, file_deploys, log_deploys, max(1, max_commits), notes)


# -- with a repository -----------------------------------------------------------------------------------------
def _with_repo(git: GitRepository, result: AnomalyResult, ctx: sig.IncidentContext, file_deploys: list[Deploy],
               log_deploys: list[Deploy], max_commits: int, notes: list[str]) -> Correlation:
    onset = result.incident.start
    tags = git.tags()
    resolved_file, n1 = resolve_deploys(file_deploys, git, tags)
    resolved_log, _ = resolve_deploys(log_deploys, git, tags)  # a log marker that names no commit is still a marker
    deploys = merge_deploys(resolved_file, resolved_log, tag_deploys(tags))
    notes += n1
    if git.info.shallow:
        notes.append("The repository is a shallow clone: commits older than its shallow boundary are not visible.")

    commits, after = _read_window(git, onset, result.incident.end, result.incident.detection, deploys, max_commits,
                                  notes)
    carried, shipped = _carried_by(git, deploys, onset) if onset else ({}, [])
    # a commit that landed before the window but shipped in a deploy inside it is as much a candidate
    known = {c.sha for c in commits}
    commits += [c for c in shipped if c.sha not in known and c.commit_time <= onset]
    candidates = [_Candidate(c) for c in commits if not c.is_merge]
    live_deploys = [d for d in _deploy_stream(deploys) if onset and d.time <= onset]
    deployed_services = {d.service for d in live_deploys}
    for cand in candidates:
        cand.deploy = carried.get(cand.commit.sha)
        # Not carried by any deploy: probably not running -- if the deploy records cover its code at all (a
        # record per service says nothing about a service it never names).
        covered = None in deployed_services or sig.path_services(cand.commit.files, deployed_services)
        cand.not_deployed = bool(live_deploys) and cand.deploy is None and covered
    ruled_out = _rule_out_timing(candidates, onset, commits)
    candidates = [c for c in candidates if _live_time(c) is None or onset is None or _live_time(c) <= onset]

    rev = _deployed_revision(git, deploys, commits, onset)
    blame_since = None if onset is None else min([onset - BLAME_LOOKBACK] + [c.commit.commit_time for c in candidates])
    matches, blamed = _locate_frames(git, rev, ctx, blame_since)
    _add_blamed_commits(git, candidates, blamed, onset)
    _read_patches(git, candidates, matches)
    reverts = _reverts_and_hotfixes(after, candidates, onset)
    rollbacks = _rollbacks(git, deploys, onset, result.incident.end)
    rarity = _rarity(git, rev, candidates, ctx)
    _score_all(candidates, ctx, matches, blamed, onset, reverts, rollbacks, rarity)
    candidates.sort(key=lambda c: (-c.score, -(c.commit.commit_time.timestamp())))

    top = [c for c in candidates[:MAX_SUSPECTS] if c.score > 0]
    git.add_counts([c.commit for c in top])
    suspects = [_suspect(c, git.info.forge_url) for c in top]
    suspects += _deploy_suspects([d for d in _production(deploys) if d.commit is None], onset, ctx)
    suspects.sort(key=lambda s: -s.score)
    verdict = calibrate([s.score for s in suspects], [s.evidence for s in suspects], onset is not None)
    ruled_out += _ruled_out_suspects(suspects, verdict.blamed, candidates)
    if not matches and ctx.frames:
        ruled_out.append("No stack frame or module name in the anomalous messages maps to a file of the repository.")
    ruled_out += [f"Confidence is {verdict.confidence}: {r}." for r in verdict.reasons]
    return Correlation(
        suspects=suspects,
        confidence=verdict.confidence,
        blamed=verdict.blamed,
        category=_category(suspects, verdict.blamed, candidates, result),
        ruled_out=ruled_out,
        commits_considered=len(commits),
        deploys_considered=len(deploys),
        deploys=deploys,
        reverts=sorted([r.entry for r in _relevant(reverts, candidates[:3])] + [entry for _, entry in rollbacks],
                       key=lambda e: e.time),
        notes=notes,
    )


def _read_window(git: GitRepository, onset: datetime | None, end: datetime | None, detection: str,
                 deploys: list[Deploy], max_commits: int, notes: list[str]) -> tuple[list[Commit], list[Commit]]:
    """(commits that could have caused it, newest first; commits after the onset, for reverts and hotfixes)."""
    if onset is None:
        commits = git.commits([git.info.head], max_count=max_commits, counts=False)
        why = "The logs carry no timestamps" if detection == "none" else "No onset was found in the logs"
        notes.append(f"{why}: changes are ranked by the code they touch over the last {len(commits)} commit(s) "
                     "up to HEAD, not by when they went live.")
        return commits, []
    since, until = onset - LOOKBACK, (end or onset) + AFTER
    heads = [git.info.head] + sorted({d.commit for d in deploys if d.commit and since <= d.time <= until})
    commits = git.commits(heads, since=since, until=until, max_count=max_commits, counts=False)
    if len(commits) >= max_commits:
        notes.append(f"Only the newest {max_commits} commits of the window were read (--max-commits).")
    before = [c for c in commits if c.commit_time <= onset]
    after = [c for c in commits if c.commit_time > onset]
    if not before:
        notes.append(f"No commit landed in the {LOOKBACK.days} days before the onset.")
    elif not before[-1].parents or git.info.shallow:
        oldest = min(c.commit_time for c in before)
        if oldest > since:
            notes.append(f"The history read starts at {oldest.isoformat()}, after the window's start "
                         f"({since.isoformat()}): older changes are not visible.")
    return before, after


def _carried_by(git: GitRepository, deploys: list[Deploy], onset: datetime) -> tuple[dict[str, Deploy], list[Commit]]:
    """(sha -> the first deploy that carried it, the commits carried): the commits reachable from a deploy and
    not from the deploy of the same service before it. In a monorepo a service's deploy ships only that service's code: a commit under
    another deployed service's directory is not carried by it (shared code, under none of them, is)."""
    carried: dict[str, Deploy] = {}
    shipped: dict[str, Commit] = {}
    by_service: dict[str | None, list[Deploy]] = {}
    for d in sorted(_deploy_stream(deploys), key=lambda d: d.time):
        by_service.setdefault(d.service, []).append(d)
    named = {s for s in by_service if s}
    horizon = onset - LOOKBACK
    for stream in by_service.values():
        for prev, d in zip([None] + stream[:-1], stream):
            if d.time < horizon or d.time > onset + AFTER:
                continue
            exclude = [prev.commit] if prev is not None and prev.commit != d.commit else []
            if prev is not None and prev.commit == d.commit:
                continue  # a redeploy of the same revision carries nothing new
            since = None if exclude else horizon - LOOKBACK
            for c in git.commits([d.commit], exclude=exclude, since=since, max_count=MAX_CARRIED, counts=False):
                if d.service and not _ships(c, d.service, named):
                    continue
                if c.sha not in carried or d.time < carried[c.sha].time:
                    carried[c.sha] = d
                    shipped[c.sha] = c
    return carried, list(shipped.values())


def _ships(commit: Commit, service: str, services: set[str]) -> bool:
    """Whether a deploy of `service` ships this commit's changes: it touches the service's directory, or code
    under no deployed service's directory (shared libraries, the root of a single-service repository)."""
    if sig.path_services(commit.files, {service}):
        return True
    return not sig.path_services(commit.files, services)


_NON_PRODUCTION = re.compile(r"^(?:stag(?:e|ing)?|stg|dev(?:el(?:opment)?)?|test(?:ing)?|qa|uat|sandbox|preview|"
                             r"ci|int(?:egration)?|demo|local)\b", re.I)


def _deploy_stream(deploys: list[Deploy]) -> list[Deploy]:
    """The deploys that say when code went live where the logs come from: file records and log markers (release
    tags only when there are none: a tag says a version was cut, not that it ran), and of those, only the
    production ones when the records name environments (a staging deploy makes nothing live in production)."""
    real = [d for d in deploys if d.commit and d.origin != "tag"] or [d for d in deploys if d.commit]
    return _production(real)


def _production(deploys: list[Deploy]) -> list[Deploy]:
    """Drop deploys to named non-production environments, when some deploy names a production one."""
    def non_production(d: Deploy) -> bool:
        return bool(d.environment and _NON_PRODUCTION.match(d.environment.strip()))
    if any(d.environment and not non_production(d) for d in deploys):
        return [d for d in deploys if not non_production(d)]
    return deploys


def _live_time(c: _Candidate) -> datetime | None:
    return c.deploy.time if c.deploy is not None else c.commit.commit_time


def _rule_out_timing(candidates: list[_Candidate], onset: datetime | None, commits: list[Commit]) -> list[str]:
    out = []
    if onset is None:
        return out
    late = [c for c in candidates if c.deploy is not None and c.deploy.time > onset]
    if late:
        out.append(f"{len(late)} commit(s) landed before the onset but were deployed after it "
                   f"(first: {_cite(late[0].commit)}): they cannot have caused it.")
    undeployed = [c for c in candidates if c.not_deployed]
    if undeployed:
        out.append(f"{len(undeployed)} commit(s) were in no known deploy before the onset (first: "
                   f"{_cite(undeployed[0].commit)}): weighed down as probably not running.")
    merges = sum(c.is_merge for c in commits)
    if merges:
        out.append(f"{merges} merge commit(s) are not ranked themselves; the commits they merge are.")
    return out


def _deployed_revision(git: GitRepository, deploys: list[Deploy], commits: list[Commit], onset: datetime | None) -> str:
    """The revision that was running at the onset: the last resolved deploy before it, else the last commit
    landed before it, else HEAD."""
    if onset is not None:
        live = [d for d in _deploy_stream(deploys) if d.time <= onset]
        if live:
            return max(live, key=lambda d: d.time).commit
        if commits:
            return max(commits, key=lambda c: c.commit_time).sha
    return git.info.head


def _locate_frames(git: GitRepository, rev: str, ctx: sig.IncidentContext, since: datetime | None
                   ) -> tuple[dict[str, list[tuple[FileMatch, float]]], dict[tuple, str]]:
    """Repository path -> frames that resolve to it (with weights); (path, line) -> sha git blame names.
    Blame stops at `since` (the oldest candidate): a line older than every candidate blames none of them."""
    if not ctx.frames:
        return {}, {}
    index = FileIndex(git.files_at(rev))
    matches: dict[str, list[tuple[FileMatch, float]]] = {}
    to_blame: list[tuple[float, str, int]] = []
    for wf in ctx.frames:
        for m in index.resolve(wf.frame):
            matches.setdefault(m.path, []).append((m, wf.weight))
            if wf.frame.line and m.strength >= 0.5:
                to_blame.append((wf.weight * m.strength, m.path, wf.frame.line))
    blamed: dict[tuple, str] = {}
    for _, path, line in sorted(set(to_blame), key=lambda t: -t[0])[:MAX_BLAMES]:
        if (path, line) not in blamed:
            sha = git.blame_line(rev, path, line, since=since)
            if sha:
                blamed[(path, line)] = sha
    return matches, blamed


def _add_blamed_commits(git: GitRepository, candidates: list[_Candidate], blamed: dict[tuple, str],
                        onset: datetime | None) -> None:
    """The commit that last changed a frame's line is a candidate even when it is older than the window (a
    latent bug); its timing then weighs it down, and the confidence says so."""
    known = {c.commit.sha for c in candidates}
    for sha in sorted(set(blamed.values()) - known):
        for c in git.commits([sha], max_count=1, counts=False):
            if onset is None or c.commit_time <= onset:
                candidates.append(_Candidate(c))


def _read_patches(git: GitRepository, candidates: list[_Candidate], matches: dict) -> None:
    """Patches for the candidates most worth reading: those touching a traced file first, then the newest."""
    def priority(c: _Candidate):
        touches = any(f.path in matches or sig.classify_file(f.path) == "dependency" for f in c.commit.files)
        return (not touches, -c.commit.commit_time.timestamp())
    git.add_patches([c.commit for c in sorted(candidates, key=priority)[:MAX_PATCHED]])


@dataclass
class _Revert:
    entry: TimelineEntry
    commit: Commit
    reverted: str | None  # sha named by "This reverts commit ..."


def _reverts_and_hotfixes(after: list[Commit], candidates: list[_Candidate], onset: datetime | None) -> list[_Revert]:
    out = []
    for c in sorted(after, key=lambda c: c.commit_time):
        m = _REVERT.search(c.body) or _REVERT.search(c.title)
        if m or c.title.lower().startswith("revert"):
            out.append(_Revert(TimelineEntry(c.commit_time.astimezone(timezone.utc), "revert",
                                             f"revert after the onset: {c.title}", c.sha), c,
                               m.group(1).lower() if m else None))
        elif _HOTFIX.search(c.title):
            out.append(_Revert(TimelineEntry(c.commit_time.astimezone(timezone.utc), "revert",
                                             f"fix after the onset: {c.title}", c.sha), c, None))
    return out


def _rollbacks(git: GitRepository, deploys: list[Deploy], onset: datetime | None, end: datetime | None
               ) -> list[tuple[Deploy, TimelineEntry]]:
    """Deploys after the onset that went back to an older revision of the same service: (the deploy rolled
    back, the timeline entry of the rollback)."""
    if onset is None:
        return []
    stream = sorted(_deploy_stream(deploys), key=lambda d: d.time)
    out = []
    for d in stream:
        if not (onset < d.time <= (end or onset) + AFTER):
            continue
        before = [p for p in stream if p.service == d.service and p.time <= onset]
        if not before:
            continue
        live = before[-1]
        said = bool(re.search(r"roll(?:ed|ing)?[ -]?back|revert", d.description or "", re.I))
        older = live.commit != d.commit and git.is_ancestor(d.commit, live.commit)
        if said or older:
            entry = TimelineEntry(d.time, "revert", f"rollback of {d.service or 'the service'} from deploy "
                                  f"{sig.deploy_name(live)} to {sig.deploy_name(d)}", d.commit)
            out.append((live, entry))
    return out


def _relevant(reverts: list[_Revert], top: list[_Candidate]) -> list[_Revert]:
    """Reverts always; a "fix" after the onset only when it touches a file of a leading suspect that the logs
    point at (a busy repository lands unrelated fixes every hour)."""
    leading = [c for c in top if any(e.signal in sig.SPECIFIC_SIGNALS and e.weight > 0 for e in c.evidence)]
    files = {f.path for c in leading for f in c.commit.files if sig.classify_file(f.path) not in ("test", "docs")}
    return [r for r in reverts if r.reverted or r.commit.title.lower().startswith("revert")
            or files & {f.path for f in r.commit.files}]


def _rarity(git: GitRepository, rev: str, candidates: list[_Candidate], ctx: sig.IncidentContext) -> dict[str, float]:
    """Repository-wide rarity of the identifiers the diffs share with the messages, for the most telling few
    (one `git grep` each)."""
    shared = {t for c in candidates for t in sig.commit_tokens(c.commit) if t in ctx.tokens}
    telling = sorted(shared, key=lambda t: -ctx.tokens[t])[:MAX_RARITY_CHECKS]
    return {t: sig.repo_rarity(git.files_with_word(rev, t)) for t in telling}


def _score_all(candidates: list[_Candidate], ctx: sig.IncidentContext, matches: dict, blamed: dict,
               onset: datetime | None, reverts: list[_Revert], rollbacks: list[tuple[Deploy, TimelineEntry]],
               rarity: dict[str, float]) -> None:
    tokens = {c.commit.sha: sig.commit_tokens(c.commit) for c in candidates}
    doc_freq: Counter = Counter(t for toks in tokens.values() for t in toks)
    share = (sum(sig.path_services(c.commit.files, ctx.services) for c in candidates) / len(candidates)
             if candidates else 0.0)
    carried_count = Counter(id(c.deploy) for c in candidates if c.deploy is not None)
    n = len(candidates)
    for cand in candidates:
        c = cand.commit
        cand.kind = sig.change_kind(c.files)
        specific: list[Evidence] = []
        specific += sig.code_evidence(c, matches, blamed)
        specific += [e for e in [sig.library_evidence(c, ctx.libraries),
                                 sig.text_evidence(tokens[c.sha], ctx.tokens, doc_freq, n,
                                                   c.insertions + c.deletions, rarity)] if e]
        specific += _revert_evidence(c, reverts)
        context: list[Evidence] = [sig.kind_evidence(cand.kind, c.files)]
        factor = 1.0
        timing: list[Evidence] = []
        if onset is not None:
            timing.append(sig.timing_evidence(c.commit_time, onset, cand.deploy))
            factor = sig.timing_factor(timing[0].weight)
            if cand.deploy is not None:
                context.append(sig.deploy_evidence(cand.deploy, onset, ctx.services, carried_count[id(cand.deploy)]))
                for rolled, entry in rollbacks:
                    if rolled is cand.deploy:
                        context.append(Evidence("rollback", f"its deploy {sig.deploy_name(rolled)} was rolled back "
                                                f"{sig.duration(entry.time - onset)} after the onset", 0.4))
        if (s := sig.service_evidence(c.files, ctx.services, share)) and s.weight > 0:
            context.append(s)
        score = factor * sum(e.weight for e in specific + context)
        if cand.kind in ("test", "docs", "ci"):
            score *= 0.1
        if cand.not_deployed:
            score *= 0.4
            context.append(Evidence("deploy", "in no known deploy before the onset: probably not running", 0.0))
        context += timing
        cand.score = round(score, 3)
        cand.evidence = sorted(specific + context, key=lambda e: -e.weight)


def _revert_evidence(c: Commit, reverts: list[_Revert]) -> list[Evidence]:
    out = []
    for r in reverts:
        if r.reverted and c.sha.startswith(r.reverted):
            out.append(Evidence("revert", f"reverted after the onset by {_cite(r.commit)}", 1.5))
        elif r.reverted is None and r.commit.title.lower().startswith("revert") and c.title and c.title in r.commit.title:
            out.append(Evidence("revert", f"reverted after the onset by {_cite(r.commit)}", 1.2))
        elif r.reverted is None:
            shared = {f.path for f in c.files} & {f.path for f in r.commit.files}
            if shared and sig.classify_file(sorted(shared)[0]) not in ("test", "docs"):
                # a fix to the same file is a hint, not a pointer: busy files get fixes for unrelated reasons
                out.append(Evidence("fix-after", f"{_cite(r.commit)} changed {sorted(shared)[0]} again after the onset",
                                    0.25))
    return out[:2]


def _suspect(c: _Candidate, forge: str | None) -> Suspect:
    commit = c.commit
    return Suspect(
        kind="commit", id=commit.sha, score=c.score, evidence=c.evidence, commit=commit.sha,
        time=commit.commit_time, author=commit.author, title=commit.title,
        files=[f.path for f in commit.files][:50], url=commit_url(forge, commit.sha),
        insertions=commit.insertions, deletions=commit.deletions,
    )


def _deploy_suspects(deploys: list[Deploy], onset: datetime | None, ctx: sig.IncidentContext) -> list[Suspect]:
    """Deploys whose commits are unknown (no repository, or a version the repository does not know)."""
    out = []
    if onset is None:
        return out
    for d in deploys:
        if not (onset - DEPLOY_LOOKBACK <= d.time <= onset):
            continue
        t = sig.timing_weight(d.time, onset)
        dep = sig.deploy_evidence(d, onset, ctx.services, 1)
        ev = [dep, Evidence("timing", f"deploy {sig.deploy_name(d)} ({d.ref or d.origin}) went out "
                                      f"{sig.duration(onset - d.time)} before the onset", round(t, 3)),
              Evidence("deploy", "its commits are unknown, so its code cannot be checked", 0.0)]
        out.append(Suspect(kind="deploy", id=sig.deploy_name(d), score=round(sig.timing_factor(t) * dep.weight, 3),
                           evidence=ev, commit=d.commit, time=d.time, title=d.description))
    return out


def _ruled_out_suspects(suspects: list[Suspect], blamed: int | None, candidates: list[_Candidate]) -> list[str]:
    out = []
    skip = {blamed} if blamed is not None else set()
    for i, s in enumerate(suspects[:5]):
        if i in skip:
            continue
        signals = {e.signal for e in s.evidence if e.weight > 0}
        name = f"{s.id[:10]} \"{s.title or ''}\"" if s.kind == "commit" else f"deploy {s.id}"
        if not signals & sig.SPECIFIC_SIGNALS:
            out.append(f"{name}: only its timing and kind of change speak for it; nothing in the traces or "
                       "messages points at it.")
        elif blamed is not None:
            out.append(f"{name}: weaker evidence than the blamed change (score {s.score:.2f} vs "
                       f"{suspects[blamed].score:.2f}).")
    quiet = [c for c in candidates if c.kind in ("test", "docs", "ci")]
    if quiet:
        out.append(f"{len(quiet)} commit(s) change only tests, docs or CI (e.g. {_cite(quiet[0].commit)}): "
                   "they do not change what runs.")
    return out


def _category(suspects: list[Suspect], blamed: int | None, candidates: list[_Candidate], result: AnomalyResult) -> str:
    if blamed is not None:
        s = suspects[blamed]
        if s.kind == "deploy":
            return "deploy"
        kind = next((c.kind for c in candidates if c.commit.sha == s.id), "code")
        return sig.KIND_CATEGORY.get(kind, "code change")
    texts = [a.template for a in result.anomalies[:8]] + [s.text for s in result.state_changes]
    if any(_INFRA_WORDS.search(t) for t in texts):
        return "infrastructure"
    return "unknown"


def _markers_from_state_changes(result: AnomalyResult) -> list[Deploy]:
    """Version banners the anomaly stage kept as state changes but did not turn into deploy markers."""
    known = {(d.version, d.commit) for d in result.deploy_markers}
    seen_lines = {d.ref for d in result.deploy_markers}
    out = []
    for sc in result.state_changes:
        if sc.time is None or f"{sc.path}:{sc.line}" in seen_lines:
            continue
        version, sha = marker_of(sc.text)
        if (version or sha) and (version, sha) not in known:
            known.add((version, sha))
            out.append(Deploy(time=sc.time, version=version, commit=sha, service=sc.service or None,
                              origin="log", ref=f"{sc.path}:{sc.line}", description=sc.text[:200]))
    return out


# -- without a repository --------------------------------------------------------------------------------------
def _without_repo(deploys: list[Deploy], onset: datetime | None, ctx: sig.IncidentContext, notes: list[str]) -> Correlation:
    suspects = sorted(_deploy_suspects(_production(deploys), onset, ctx), key=lambda s: -s.score)
    verdict = calibrate([s.score for s in suspects], [s.evidence for s in suspects], onset is not None)
    notes.append("No repository given (--repo): deploys are ranked by timing only and no commit is examined.")
    return Correlation(
        suspects=suspects, confidence=verdict.confidence, blamed=verdict.blamed,
        category="deploy" if verdict.blamed is not None else "unknown",
        ruled_out=[f"Confidence is {verdict.confidence}: {r}." for r in verdict.reasons],
        deploys_considered=len(deploys), deploys=deploys, notes=notes,
    )


def _cite(c: Commit) -> str:
    return f"{c.sha[:10]} \"{c.title}\""
