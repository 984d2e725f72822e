"""Read a git history the user does not necessarily trust: read-only, no hooks, no helpers, no network.

Every git process runs with the repository's executable hooks and helpers neutralised on the command line
(command-line `-c` beats the repository's own config) and with the system/global config ignored, so a cloned
repository whose `.git/config` names a `core.fsmonitor`, a pager, a textconv or external diff, or asks for
signatures to be shown (which runs `gpg.program`) cannot make logrca run anything. Nothing here writes to the
repository: no index refresh (`GIT_OPTIONAL_LOCKS=0`), no fetch, no checkout. A `.bundle` is unbundled into a
private temporary bare repository that is deleted when the `GitRepository` is closed.

GitPython opens and validates the repository (its object database reading runs no git hooks); history is read
with a handful of `git log` calls whose output is parsed here, so a 100,000-commit history costs only the
window that is asked for.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import git

from parsers.errors import UserError

# Overrides that make a hostile repository config inert. Order does not matter; each is a `-c key=value`.
_SAFE_CONFIG = (
    "core.fsmonitor=",
    "core.hooksPath=/dev/null",
    "core.pager=cat",
    "core.untrackedCache=false",
    "core.quotePath=false",
    "core.sshCommand=false",
    "core.askPass=",
    "credential.helper=",
    "diff.external=",
    "diff.noprefix=false",
    "diff.mnemonicPrefix=false",
    "diff.relative=false",
    "diff.srcPrefix=a/",
    "diff.dstPrefix=b/",
    "log.showSignature=false",
    "log.follow=false",
    "log.showRoot=true",
    "i18n.logOutputEncoding=UTF-8",
    "protocol.allow=never",
    "color.ui=false",
    "gc.auto=0",
    "maintenance.auto=false",
    "safe.directory=*",
)

# git's built-in hunk-header patterns (regexes only, no programs) so `@@ ... @@ def charge` names the method
# rather than the enclosing class; a repository's own .gitattributes still wins.
_FUNCNAME_ATTRIBUTES = "".join(
    f"*.{ext} diff={driver}\n" for ext, driver in (
        ("py", "python"), ("java", "java"), ("kt", "kotlin"), ("go", "golang"), ("rb", "ruby"), ("cs", "csharp"),
        ("php", "php"), ("rs", "rust"), ("c", "cpp"), ("cc", "cpp"), ("cpp", "cpp"), ("h", "cpp"),
        ("js", "cpp"), ("ts", "cpp"), ("scala", "java"), ("ex", "elixir"), ("exs", "elixir"),
    )
)
_FIELD = "\x1f"
_RECORD = "\x1e"
_HEADER_END = "\x1d"
_LOG_FORMAT = "%x1e%H%x1f%P%x1f%an%x1f%ae%x1f%aI%x1f%cI%x1f%s%x1f%b%x1d"
_BODY_LIMIT = 4000
_QUERY_TIMEOUT = 60  # seconds for one blame/grep/rev-parse; the history reads themselves are not bounded
_IDENTIFIERS_PER_FILE = 400  # changed lines scanned for identifiers per file; the counts still cover all lines
_REV_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/+@{}^~-]{0,200}$")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:[.\-/:][A-Za-z_][A-Za-z0-9_]*)*")
_DEF = re.compile(
    r"\b(?:def|class|func|function|fn|sub|module|interface|struct|enum)\s+(?:\([^)]*\)\s*)?([A-Za-z_][A-Za-z0-9_]*)"
    r"|\b(?:public|private|protected|static|internal|override|async|final|virtual)\b[^=;(]*?\b([A-Za-z_][A-Za-z0-9_]*)\s*\("
)
_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$")


@dataclass
class FileChange:
    """One file touched by a commit (against its first parent)."""

    path: str  # path after the commit ("" never; for a deletion, the deleted path)
    old_path: str | None = None  # set for renames and copies
    status: str = "M"  # A added, M modified, D deleted, R renamed, C copied, T type change
    insertions: int = 0
    deletions: int = 0
    # Filled by GitRepository.add_patches only:
    hunks: list[tuple[int, int, int, int]] = field(default_factory=list)  # old_start, old_len, new_start, new_len
    functions: list[str] = field(default_factory=list)  # hunk-header functions and definitions in changed lines
    identifiers: set[str] = field(default_factory=set)  # identifiers on added/removed lines


@dataclass
class Commit:
    sha: str
    parents: tuple[str, ...]
    author: str
    author_email: str
    author_time: datetime  # aware, in the author's own zone
    commit_time: datetime  # aware, in the committer's own zone ("landed")
    title: str
    body: str = ""
    files: list[FileChange] = field(default_factory=list)
    patched: bool = False  # hunks/functions/identifiers read
    counted: bool = False  # insertions/deletions read (from --numstat or from the patch)

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1

    @property
    def insertions(self) -> int:
        return sum(f.insertions for f in self.files)

    @property
    def deletions(self) -> int:
        return sum(f.deletions for f in self.files)


@dataclass
class Tag:
    name: str
    commit: str  # full sha of the commit it points at
    time: datetime  # tagger date for an annotated tag, else the commit's date
    annotated: bool


@dataclass
class RepoInfo:
    path: str  # as the user gave it
    git_dir: str
    bare: bool
    shallow: bool
    from_bundle: bool
    head: str  # full sha of HEAD (or of the newest branch when HEAD names none)
    forge_url: str | None  # https base of the project page on GitHub/GitLab/Bitbucket, credentials removed


class GitRepository:
    """A read-only handle on a repository. Use as a context manager (a bundle's temporary clone is removed)."""

    def __init__(self, path: str):
        # A private scratch directory: the working directory of every git process (never the repository), the
        # home of an unbundled bundle, and of the attributes file that gives hunk headers their function names.
        self._tmp: str | None = tempfile.mkdtemp(prefix="logrca-git-")
        self._attributes = os.path.join(self._tmp, "attributes")
        Path(self._attributes).write_text(_FUNCNAME_ATTRIBUTES, encoding="utf-8")
        self._git_dir = ""
        try:
            self.info = self._open(path)
        except BaseException:
            self.close()
            raise

    # -- opening ---------------------------------------------------------------------------------------------
    def _open(self, path: str) -> RepoInfo:
        p = Path(path).expanduser()
        if not p.exists():
            raise UserError(f"--repo {path}: no such file or directory.")
        from_bundle = p.is_file()
        if from_bundle:
            git_dir = self._unbundle(p)
        else:
            git_dir = self._discover(p)
        self._git_dir = git_dir
        head = self.resolve("HEAD") or self._newest_branch()
        if head is None:
            raise UserError(f"--repo {path}: the repository is empty (it has no commits).")
        bare = self._run(["rev-parse", "--is-bare-repository"]).strip() == "true"
        shallow = self._run(["rev-parse", "--is-shallow-repository"]).strip() == "true"
        return RepoInfo(
            path=str(path),
            git_dir=git_dir,
            bare=bare,
            shallow=shallow,
            from_bundle=from_bundle,
            head=head,
            forge_url=None if from_bundle else self._forge_url(),
        )

    def _discover(self, p: Path) -> str:
        # GitPython finds the git dir of a work tree or bare repository without running git or its hooks;
        # search_parent_directories=False so a log directory inside some other checkout is not mistaken for --repo.
        try:
            repo = git.Repo(str(p), search_parent_directories=False)
        except git.exc.NoSuchPathError:
            raise UserError(f"--repo {p}: no such directory.") from None
        except (git.exc.InvalidGitRepositoryError, git.exc.GitError, OSError, ValueError):
            top = _enclosing_work_tree(p)
            hint = f"; it is inside the repository at {top}, give that" if top else \
                " (give a work tree, a bare repository or a .bundle file)"
            raise UserError(f"--repo {p}: not a git repository{hint}.") from None
        git_dir = str(Path(repo.git_dir).resolve())
        repo.close()
        return git_dir

    def _unbundle(self, bundle: Path) -> str:
        with open(bundle, "rb") as f:
            head = f.read(64)
        if not head.startswith(b"# v2 git bundle") and not head.startswith(b"# v3 git bundle"):
            raise UserError(f"--repo {bundle}: not a git repository or bundle file.")
        git_dir = os.path.join(self._tmp, "repo.git")
        # --template= : no sample hooks or other template files; the clone is ours, bare, and never checked out.
        self._git_dir = self._tmp
        cmd = ["init", "--quiet", "--bare", "--template=", git_dir]
        self._run_raw(cmd, cwd=self._tmp)
        self._git_dir = git_dir
        try:
            self._run(
                ["-c", "protocol.file.allow=always", "fetch", "--quiet", "--no-write-fetch-head",
                 "--no-recurse-submodules", str(bundle.resolve()), "+refs/*:refs/*"],
                allow_config=False,
            )
        except UserError:
            raise UserError(f"--repo {bundle}: the bundle could not be read (corrupt or incomplete bundle).") from None
        return git_dir

    def _newest_branch(self) -> str | None:
        """The tip of the most recently committed branch (a bundle or bare repository whose HEAD names no branch)."""
        out = self._try(["for-each-ref", "--sort=-committerdate", "--count=1", "--format=%(objectname)",
                         "refs/heads", "refs/remotes", "refs/tags"]) or ""
        return self.resolve(out.strip()) if out.strip() else None

    def close(self) -> None:
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __enter__(self) -> GitRepository:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- running git -----------------------------------------------------------------------------------------
    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        env.update(
            GIT_CONFIG_NOSYSTEM="1",
            GIT_CONFIG_GLOBAL=os.devnull,
            GIT_TERMINAL_PROMPT="0",
            GIT_OPTIONAL_LOCKS="0",  # never refresh (write) the index
            GIT_NO_REPLACE_OBJECTS="1",
            GIT_PAGER="cat",
            PAGER="cat",
            GIT_EDITOR="false",
            GIT_ASKPASS="false",
            SSH_ASKPASS="false",
            GIT_SSH_COMMAND="false",
            GIT_ALLOW_PROTOCOL="file",
            LC_ALL="C.UTF-8",
            LANGUAGE="C",
        )
        return env

    def _argv(self, args: list[str], allow_config: bool = True) -> list[str]:
        argv = ["git", "--no-pager", "--no-replace-objects"]
        for kv in _SAFE_CONFIG:
            if not allow_config and kv.startswith("protocol.allow"):
                continue
            argv += ["-c", kv]
        argv += ["-c", f"core.attributesFile={self._attributes}"]
        return argv + ["--git-dir", self._git_dir] + args

    def _run_raw(self, args: list[str], cwd: str | None = None) -> bytes:
        argv = ["git", "--no-pager"] + [x for kv in _SAFE_CONFIG for x in ("-c", kv)] + args
        return self._exec(argv, cwd=cwd)

    def _exec(self, argv: list[str], stdin: bytes | None = None, cwd: str | None = None, check: bool = True) -> bytes:
        proc = subprocess.run(
            argv, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            env=self._env(), cwd=cwd or self._tmp or "/", check=False,
        )
        if check and proc.returncode != 0:
            msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            what = next((a for a in argv[1:] if a.isalpha() and a not in ("git",)), "command")
            raise UserError(f"Reading the repository failed (git {what}: {msg[-1] if msg else 'exit ' + str(proc.returncode)}).")
        return proc.stdout

    def _run(self, args: list[str], stdin: bytes | None = None, allow_config: bool = True) -> str:
        return self._exec(self._argv(args, allow_config), stdin=stdin).decode("utf-8", "replace")

    def _try(self, args: list[str], stdin: bytes | None = None) -> str | None:
        """A query whose failure only means "no answer" (a line that is not there, a word found nowhere). Bounded
        in time: one pathological file must not stall the analysis for the sake of one signal."""
        try:
            proc = subprocess.run(
                self._argv(args), input=stdin, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                stdin=None if stdin is not None else subprocess.DEVNULL, env=self._env(), cwd=self._tmp or "/",
                check=False, timeout=_QUERY_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            return None
        return proc.stdout.decode("utf-8", "replace") if proc.returncode == 0 else None

    # -- small queries ---------------------------------------------------------------------------------------
    def resolve(self, rev: str) -> str | None:
        """Full sha of the commit a revision names (sha prefix, tag, branch), or None. Never an option."""
        rev = rev.strip()
        if not _REV_SAFE.match(rev):
            return None
        out = self._try(["rev-parse", "--verify", "--quiet", "--end-of-options", rev + "^{commit}"])
        return out.strip() if out and out.strip() else None

    def is_ancestor(self, older: str, newer: str) -> bool:
        return self._try(["merge-base", "--is-ancestor", older, newer]) is not None

    def files_at(self, rev: str) -> list[str]:
        """Every file path in the tree of a revision."""
        out = self._run(["ls-tree", "-r", "-z", "--name-only", "--full-tree", rev])
        return [p for p in out.split("\0") if p]

    def blame_line(self, rev: str, path: str, line: int, since: datetime | None = None) -> str | None:
        """The commit that last changed one line of a file as of `rev` (None when the line or file is not there,
        or when the line is older than `since`: blame then stops walking at the boundary, which keeps it cheap
        on a long history)."""
        if line < 1 or not _REV_SAFE.match(rev):
            return None
        args = ["blame", "--porcelain", "--no-textconv", "-L", f"{line},{line}"]
        if since is not None:
            args.append(f"--since={_git_time(since)}")
        out = self._try(args + [rev, "--", path])
        if out is None:
            # blame dies when the repository's config names a blame.ignoreRevsFile that is not there (and no
            # command-line setting clears that list); the line's history from `log -L` says the same thing
            return self._last_change_by_log(rev, path, line, since)
        if not out:
            return None
        sha = out.split(" ", 1)[0]
        if "\nboundary\n" in out or not re.fullmatch(r"[0-9a-f]{40,64}", sha):
            return None
        return sha

    def _last_change_by_log(self, rev: str, path: str, line: int, since: datetime | None) -> str | None:
        args = ["log", "-1", "--format=%H", "-s", "--no-textconv", "--no-ext-diff", f"-L{line},{line}:{path}"]
        if since is not None:
            args.append(f"--since={_git_time(since)}")
        out = (self._try(args + ["--end-of-options", rev, "--"]) or "").strip()
        return out if re.fullmatch(r"[0-9a-f]{40,64}", out) else None

    def files_with_word(self, rev: str, word: str) -> int:
        """How many files of a revision contain `word` as a whole word (how generic an identifier is here)."""
        if not _REV_SAFE.match(rev) or not word or "\n" in word:
            return 0
        out = self._try(["grep", "-I", "-c", "-F", "-w", "--no-textconv", "--no-color", "-e", word, rev, "--"])
        return len(out.splitlines()) if out else 0

    def tags(self) -> list[Tag]:
        fmt = "%(refname:short)%00%(objecttype)%00%(objectname)%00%(*objectname)%00%(taggerdate:iso-strict)%00%(*committerdate:iso-strict)%00%(committerdate:iso-strict)"
        out = self._run(["for-each-ref", "--format=" + fmt, "refs/tags"])
        tags = []
        for row in out.splitlines():
            parts = row.split("\0")
            if len(parts) != 7:
                continue
            name, otype, obj, peeled, tagger_date, peeled_date, commit_date = parts
            annotated = otype == "tag"
            sha = peeled if annotated else obj
            when = _parse_time(tagger_date if annotated and tagger_date else (peeled_date or commit_date))
            if not sha or when is None or (annotated and not peeled_date):
                continue  # a tag of a tree or blob, or of another tag's tag: not a release of a commit
            tags.append(Tag(name=name, commit=sha, time=when, annotated=annotated))
        return tags

    def _forge_url(self) -> str | None:
        out = self._try(["config", "--get-regexp", r"^remote\..*\.url$"]) or ""
        urls = [line.split(" ", 1)[1] for line in out.splitlines() if " " in line]
        urls.sort(key=lambda u: 0 if "origin" in u else 1)
        for url in urls:
            base = forge_base_url(url)
            if base:
                return base
        return None

    # -- history ---------------------------------------------------------------------------------------------
    def commits(
        self,
        revs: list[str],
        since: datetime | None = None,
        until: datetime | None = None,
        max_count: int = 5000,
        exclude: list[str] | None = None,
        counts: bool = True,
    ) -> list[Commit]:
        """Commits reachable from `revs` (not from `exclude`), committed in [since, until], newest first.

        Only what the range needs is walked: git stops at the first commits older than `since`.
        Files come with rename detection, and with line counts unless `counts=False` (line counts need every
        blob of the range diffed, which doubles the cost; add_patches and add_counts fill them in later for the
        commits that need them). Patches are read separately (add_patches).
        """
        args = ["log", "-z", "--format=" + _LOG_FORMAT, "--raw", "-M", "--no-abbrev", "--no-color",
                "--no-textconv", "--no-ext-diff", "--encoding=UTF-8", "--date-order", f"--max-count={max(0, max_count)}"]
        if counts:
            args.append("--numstat")
        if since is not None:
            args.append(f"--since={_git_time(since)}")
        if until is not None:
            args.append(f"--until={_git_time(until)}")
        args += ["--stdin", "--end-of-options"]
        safe = [r for r in revs if _REV_SAFE.match(r)] + ["^" + r for r in (exclude or []) if _REV_SAFE.match(r)]
        if not safe:
            return []
        out = self._run(args + ["--"], stdin=("\n".join(safe) + "\n").encode())
        commits = [c for c in (_parse_log_record(rec) for rec in out.split(_RECORD)[1:]) if c is not None]
        for c in commits:
            c.counted = counts
        return commits

    def add_counts(self, commits: list[Commit]) -> None:
        """Lines added/removed per file for commits read without them."""
        todo = {c.sha: c for c in commits if not c.counted and not c.is_merge}
        if todo:
            args = ["log", "--no-walk=unsorted", "--stdin", "-z", "--format=" + _LOG_FORMAT, "--raw", "--numstat",
                    "-M", "--no-abbrev", "--no-color", "--no-textconv", "--no-ext-diff", "--encoding=UTF-8",
                    "--end-of-options", "--"]
            out = self._run(args, stdin=("\n".join(todo) + "\n").encode())
            for parsed in (_parse_log_record(rec) for rec in out.split(_RECORD)[1:]):
                if parsed is not None and parsed.sha in todo:
                    todo[parsed.sha].files = parsed.files
        for c in commits:
            c.counted = True

    def add_patches(self, commits: list[Commit]) -> None:
        """Read the -U0 patches of these commits: hunk ranges, function names and identifiers per file."""
        todo = {c.sha: c for c in commits if not c.patched and not c.is_merge}
        if not todo:
            for c in commits:
                c.patched = True
            return
        args = ["log", "--no-walk=unsorted", "--stdin", "--format=%x1e%H%x1d", "-p", "-U0", "-M", "--no-color",
                "--no-textconv", "--no-ext-diff", "--encoding=UTF-8", "--end-of-options", "--"]
        out = self._run(args, stdin=("\n".join(todo) + "\n").encode())
        for rec in out.split(_RECORD)[1:]:
            sha, _, patch = rec.partition(_HEADER_END)
            commit = todo.get(sha.strip())
            if commit is not None:
                _apply_patch(commit, patch)
                commit.counted = True
        for c in commits:
            c.patched = True


def _enclosing_work_tree(p: Path) -> str | None:
    """The work tree a directory lies inside, for the error message only (nothing is read from it)."""
    try:
        repo = git.Repo(str(p), search_parent_directories=True)
    except (git.exc.GitError, OSError, ValueError):
        return None
    top = repo.working_tree_dir
    repo.close()
    return str(top) if top else None


def open_repository(path: str) -> GitRepository:
    """Open a work tree, a bare repository or a `.bundle` file read-only; raises UserError on bad input."""
    return GitRepository(path)


def forge_base_url(remote: str) -> str | None:
    """https://host/owner/repo for a GitHub/GitLab/Bitbucket remote (ssh or https), without credentials."""
    m = re.match(r"^(?:[a-z+]+://)?(?:[^@/]+@)?([^/:]+)(?::\d+)?[:/](.+?)(?:\.git)?/?$", remote.strip())
    if not m:
        return None
    host, path = m.group(1).lower(), m.group(2).strip("/")
    if not any(name in host for name in ("github", "gitlab", "bitbucket")) or path.count("/") < 1:
        return None
    return f"https://{host}/{path}"


def commit_url(base: str | None, sha: str) -> str | None:
    if not base:
        return None
    if "gitlab" in base:
        return f"{base}/-/commit/{sha}"
    if "bitbucket" in base:
        return f"{base}/commits/{sha}"
    return f"{base}/commit/{sha}"


# -- parsing git's output -------------------------------------------------------------------------------------
def _git_time(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _parse_time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        return None


def _parse_log_record(rec: str) -> Commit | None:
    header, _, rest = rec.partition(_HEADER_END)
    parts = header.split(_FIELD)
    if len(parts) != 8:
        return None
    sha, parents, author, email, atime, ctime, title, body = parts
    at, ct = _parse_time(atime), _parse_time(ctime)
    if at is None or ct is None:
        return None
    commit = Commit(
        sha=sha, parents=tuple(parents.split()), author=author, author_email=email, author_time=at,
        commit_time=ct, title=title, body=body.strip()[:_BODY_LIMIT],
    )
    commit.files = _parse_raw_numstat(rest.split("\0"))
    return commit


def _parse_raw_numstat(tokens: list[str]) -> list[FileChange]:
    """--raw and --numstat output with -z: status records, then count records, keyed by the new path."""
    files: dict[str, FileChange] = {}
    i = 0
    while i < len(tokens):
        tok = tokens[i].lstrip("\n")
        i += 1
        if tok.startswith(":"):
            status = tok.rsplit(" ", 1)[-1]
            letter = status[:1]
            if letter in ("R", "C") and i + 1 < len(tokens):
                old, new = tokens[i], tokens[i + 1]
                i += 2
                files[new] = FileChange(path=new, old_path=old, status=letter)
            elif i < len(tokens):
                path = tokens[i]
                i += 1
                files[path] = FileChange(path=path, status=letter)
        elif "\t" in tok:
            ins, dels, path = (tok.split("\t", 2) + ["", ""])[:3]
            if path == "" and i + 1 < len(tokens):
                path = tokens[i + 1]
                i += 2
            fc = files.setdefault(path, FileChange(path=path))
            fc.insertions = int(ins) if ins.isdigit() else 0
            fc.deletions = int(dels) if dels.isdigit() else 0
    return list(files.values())


def _apply_patch(commit: Commit, patch: str) -> None:
    by_path = {f.path: f for f in commit.files}
    current: FileChange | None = None
    scanned, in_header = 0, False
    for line in patch.split("\n"):
        if line.startswith("diff --git "):
            current, scanned, in_header = None, 0, True
            continue
        if line.startswith("+++ ") and in_header:
            path = _patch_path(line[4:])
            current = by_path.get(path) if path else current
            in_header = False
            if current is not None:
                current.insertions = current.deletions = 0  # counted below, from the patch itself
            continue
        if line.startswith("--- ") and in_header:
            old = _patch_path(line[4:])
            current = by_path.get(old) if old else None  # a deletion's path; "+++ /dev/null" keeps it
            continue
        if current is None:
            continue
        if line.startswith("@@"):
            m = _HUNK.match(line)
            if m:
                current.hunks.append((int(m.group(1)), int(m.group(2) or 1), int(m.group(3)), int(m.group(4) or 1)))
                context = m.group(5).strip()
                name = _definition_name(context) if context else None
                if name and name not in current.functions:
                    current.functions.append(name)
            continue
        if line[:1] == "+":
            current.insertions += 1
        elif line[:1] == "-":
            current.deletions += 1
        else:
            continue
        if scanned < _IDENTIFIERS_PER_FILE:
            scanned += 1
            text = line[1:]
            current.identifiers.update(t for t in _IDENT.findall(text) if len(t) >= 3)
            name = _definition_name(text)
            if name and name not in current.functions:
                current.functions.append(name)


def _patch_path(text: str) -> str | None:
    text = text.rstrip("\t")
    if text == "/dev/null":
        return None
    if text.startswith('"') and text.endswith('"'):
        text = text[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape").encode("latin-1").decode("utf-8", "replace")
    return text[2:] if text[:2] in ("a/", "b/") else text


def _definition_name(text: str) -> str | None:
    m = _DEF.search(text)
    if not m:
        return None
    name = m.group(1) or m.group(2)
    if name in {"if", "for", "while", "switch", "return", "new", "catch", "void", "class"}:
        return None
    return name
