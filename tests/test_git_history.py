"""Reading git history: what is read, and that a hostile repository cannot make logrca run anything or write."""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from analyzer.correlate import correlate
from analyzer.findings import Anomaly, Example, Incident, ServiceScore
from analyzer.stages import AnomalyResult
from parsers.errors import UserError
from parsers.git_history import commit_url, forge_base_url, open_repository
from tests.gitrepo import DB_PY, T0, GitRepoBuilder, build_shop

EVIL_CONFIG = """
[core]
\tfsmonitor = {evil}/fsmonitor
\tpager = {evil}/pager
\thooksPath = {evil}
\tsshCommand = {evil}/ssh
[log]
\tshowSignature = true
[gpg]
\tprogram = {evil}/gpg
[diff]
\texternal = {evil}/external-diff
[diff "evil"]
\ttextconv = {evil}/textconv
\tcommand = {evil}/diff-command
[diff "python"]
\ttextconv = {evil}/textconv-python
\tcommand = {evil}/diff-command-python
[diff "java"]
\ttextconv = {evil}/textconv-java
[filter "evil"]
\tclean = {evil}/clean
\tsmudge = {evil}/smudge
[diff]
\tnoprefix = true
\trelative = true
[i18n]
\tlogOutputEncoding = ISO-8859-1
"""
EVIL_NAMES = ("fsmonitor", "pager", "textconv-python", "diff-command-python", "textconv-java", "ssh", "gpg", "external-diff", "textconv", "diff-command", "clean", "smudge",
              "process", "pre-commit", "post-checkout", "reference-transaction", "post-index-change", "pre-auto-gc",
              "fsmonitor-watchman", "post-rewrite")


def _install_evil(repo: GitRepoBuilder, evil: Path, ran: Path) -> None:
    evil.mkdir()
    ran.mkdir()
    for name in EVIL_NAMES:
        script = evil / name
        script.write_text(f"#!/bin/sh\ntouch '{ran}/{name}'\nexit 0\n")
        script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        hook = repo.root / ".git" / "hooks" / name
        hook.write_text(script.read_text())
        hook.chmod(0o755)
    with open(repo.root / ".git" / "config", "a") as f:
        f.write(EVIL_CONFIG.format(evil=evil))
    (repo.root / ".gitattributes").write_text("* diff=evil filter=evil\n")
    # a dirty work tree, so that anything touching the index would have work for fsmonitor to do
    (repo.root / "orders" / "shop" / "orders" / "db.py").write_text(DB_PY + "# local edit\n")


def _snapshot(root: Path) -> dict[str, str]:
    out = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            p = Path(dirpath) / name
            out[str(p.relative_to(root))] = hashlib.sha1(p.read_bytes()).hexdigest() + f":{p.stat().st_mtime_ns}"
    return out


def test_a_malicious_repository_config_runs_nothing_and_nothing_is_written(tmp_path):
    repo = build_shop(tmp_path / "shop", T0 - timedelta(days=20))
    culprit = repo.commit({"orders/shop/orders/db.py": DB_PY.replace("row[0]", "row['id']")}, "Read id by name",
                          T0 - timedelta(hours=1))
    evil, ran = tmp_path / "evil", tmp_path / "ran"
    _install_evil(repo, evil, ran)

    # The trap is live: plain git, honouring the repository's config, runs the planted programs.
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    subprocess.run(["git", "status"], cwd=repo.root, env=env, capture_output=True, check=False,
                   stdin=subprocess.DEVNULL, timeout=60)
    subprocess.run(["git", "diff", "HEAD~1", "HEAD"], cwd=repo.root, env=env, capture_output=True, check=False,
                   stdin=subprocess.DEVNULL, timeout=60)
    assert {p.name for p in ran.iterdir()} >= {"fsmonitor", "diff-command"}, "the trap did not arm"
    for p in ran.iterdir():
        p.unlink()

    before = _snapshot(repo.root)
    trace = ('Traceback (most recent call last):\n  File "/srv/app/shop/orders/db.py", line 13, in fetch_order\n'
             "    return {\"id\": row['id'], \"total\": row[1]}\nIndexError: No item with that key")
    result = AnomalyResult(
        incident=Incident(start=T0, end=T0 + timedelta(minutes=30), detection="auto"),
        services=[ServiceScore("orders", 5.0)],
        anomalies=[Anomaly(1, "IndexError: No item with that key", "new", 5.0, "ERROR", T0, 0, 9, ["orders"],
                           [Example("orders.log", 3, trace)])],
    )
    corr = correlate(result, {}, str(repo.root), None)
    with open_repository(str(repo.root)) as git:
        commits = git.commits(["HEAD"], since=T0 - timedelta(days=30))
        git.add_patches(commits)
        fresh = git.commits(["HEAD"], since=T0 - timedelta(days=30), counts=False)
        git.add_counts(fresh)
        git.blame_line("HEAD", "orders/shop/orders/db.py", 13)
        git.files_at("HEAD")
        git.tags()

    assert sorted(p.name for p in ran.iterdir()) == []
    assert _snapshot(repo.root) == before  # not the index, not a ref, not a log: nothing written
    assert corr.suspects[0].id == culprit  # and the hostile settings did not garble what was read
    assert any(e.signal == "blame" for e in corr.suspects[0].evidence)  # nor stopped git blame
    assert any(f.path == "orders/shop/orders/db.py" and f.hunks for f in commits[0].files)


def test_commits_carry_zones_renames_counts_and_functions(tmp_path):
    repo = GitRepoBuilder(tmp_path / "r")
    plus2 = timezone(timedelta(hours=2))
    first = repo.commit({"src/pay.py": "def charge(x):\n    return x\n\n\ndef refund(x):\n    return -x\n"}, "Add pay",
                        datetime(2024, 5, 1, 10, 0, tzinfo=plus2))
    repo.git("mv", "src/pay.py", "src/payments.py")
    second = repo.commit({"src/payments.py": "def charge(x):\n    return x * 2\n\n\ndef refund(x):\n    return -x\n",
                          "docs/ünïcode name.md": "hi\n"},
                         "Rename pay and double charges\n\nBecause reasons.", datetime(2024, 5, 2, 9, 30, tzinfo=timezone.utc),
                         author="Zoë Dev", email="zoe@example.com")
    with open_repository(str(repo.root)) as git:
        commits = git.commits(["HEAD"])
        git.add_patches(commits)
    assert [c.sha for c in commits] == [second, first]
    c = commits[0]
    assert c.author == "Zoë Dev" and c.title == "Rename pay and double charges" and c.body == "Because reasons."
    assert commits[1].author_time.utcoffset() == timedelta(hours=2)
    assert commits[1].author_time == datetime(2024, 5, 1, 8, 0, tzinfo=timezone.utc)
    files = {f.path: f for f in c.files}
    assert files["src/payments.py"].old_path == "src/pay.py" and files["src/payments.py"].status == "R"
    assert (files["src/payments.py"].insertions, files["src/payments.py"].deletions) == (1, 1)
    assert files["src/payments.py"].hunks == [(2, 1, 2, 1)]
    assert "charge" in files["src/payments.py"].functions
    assert files["docs/ünïcode name.md"].status == "A"
    assert c.insertions == 2 and c.deletions == 1


def test_window_reads_only_the_range_asked(tmp_path):
    repo = GitRepoBuilder(tmp_path / "r")
    shas = [repo.commit({"f.txt": f"{i}\n"}, f"c{i}", T0 + timedelta(hours=i)) for i in range(10)]
    with open_repository(str(repo.root)) as git:
        window = git.commits(["HEAD"], since=T0 + timedelta(hours=3), until=T0 + timedelta(hours=6))
        assert [c.sha for c in window] == shas[6:2:-1]
        assert [c.sha for c in git.commits(["HEAD"], max_count=2)] == shas[:-3:-1]
        assert [c.sha for c in git.commits([shas[7]], exclude=[shas[4]])] == shas[7:4:-1]
        assert git.resolve(shas[3][:8]) == shas[3]
        assert git.resolve("--output=/tmp/x") is None and git.resolve("no-such-ref") is None


def test_merges_and_tags(tmp_path):
    repo = GitRepoBuilder(tmp_path / "r")
    repo.commit({"a.txt": "a\n"}, "base", T0)
    repo.git("checkout", "--quiet", "-b", "feature")
    feature = repo.commit({"b.txt": "b\n"}, "feature work", T0 + timedelta(hours=1))
    repo.git("checkout", "--quiet", "main")
    repo.commit({"c.txt": "c\n"}, "main work", T0 + timedelta(hours=2))
    repo.git("merge", "--quiet", "--no-ff", "-m", "Merge feature", "feature", when=T0 + timedelta(hours=3))
    repo.tag("v2.0.0", T0 + timedelta(hours=4))
    repo.tag("nightly", T0 + timedelta(hours=4), annotated=False)
    with open_repository(str(repo.root)) as git:
        commits = git.commits(["HEAD"])
        tags = {t.name: t for t in git.tags()}
    merge = commits[0]
    assert merge.is_merge and merge.title == "Merge feature" and len(merge.parents) == 2
    assert feature in {c.sha for c in commits}
    assert tags["v2.0.0"].annotated and tags["v2.0.0"].commit == merge.sha
    assert tags["v2.0.0"].time == T0 + timedelta(hours=4)
    assert not tags["nightly"].annotated and tags["nightly"].commit == merge.sha


def test_shallow_clone_is_a_note_not_an_error(tmp_path):
    repo = GitRepoBuilder(tmp_path / "r")
    for i in range(6):
        repo.commit({"f.txt": f"{i}\n"}, f"c{i}", T0 - timedelta(days=10 - i))
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "--quiet", "--depth", "2", f"file://{repo.root}", str(shallow)], check=True,
                   env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull})
    with open_repository(str(shallow)) as git:
        assert git.info.shallow and len(git.commits(["HEAD"])) == 2
    result = AnomalyResult(incident=Incident(start=T0, end=None, detection="auto"), services=[], anomalies=[])
    corr = correlate(result, {}, str(shallow), None)
    assert any("shallow" in n for n in corr.notes)
    assert corr.confidence == "none" and corr.blamed is None


def test_forge_urls():
    assert forge_base_url("git@github.com:acme/shop.git") == "https://github.com/acme/shop"
    assert forge_base_url("https://user:tok@gitlab.example.com/grp/sub/shop.git") == "https://gitlab.example.com/grp/sub/shop"
    assert forge_base_url("ssh://git@bitbucket.org:22/acme/shop") == "https://bitbucket.org/acme/shop"
    assert forge_base_url("/srv/git/shop.git") is None
    assert commit_url("https://gitlab.com/a/b", "abc") == "https://gitlab.com/a/b/-/commit/abc"
    assert commit_url("https://bitbucket.org/a/b", "abc") == "https://bitbucket.org/a/b/commits/abc"


def test_a_directory_inside_a_checkout_is_not_taken_for_the_repository(tmp_path):
    repo = GitRepoBuilder(tmp_path / "r")
    repo.commit({"logs/app.log": "x\n"}, "c", T0)
    with pytest.raises(UserError, match="not a git repository") as err:
        open_repository(str(repo.root / "logs"))
    assert f"inside the repository at {repo.root}" in str(err.value)


def test_hunk_headers_name_the_method_not_the_class(tmp_path):
    repo = GitRepoBuilder(tmp_path / "r")
    body = "class Client:\n" + "".join(f"    def m{i}(self):\n        return {i}\n\n" for i in range(6))
    repo.commit({"pay/client.py": body}, "add", T0)
    repo.commit({"pay/client.py": body.replace("return 4", "return 40")}, "change m4", T0 + timedelta(hours=1))
    with open_repository(str(repo.root)) as git:
        commits = git.commits(["HEAD"], max_count=1, counts=False)
        git.add_patches(commits)
    f = commits[0].files[0]
    assert f.functions == ["m4"] and (f.insertions, f.deletions) == (1, 1)
    assert f.identifiers == {"return"}  # only the changed lines, not their neighbours


def test_a_bare_repository_whose_head_names_no_branch_still_reads(tmp_path):
    repo = GitRepoBuilder(tmp_path / "r")
    sha = repo.commit({"a.txt": "a\n"}, "only", T0)
    bare = tmp_path / "bare.git"
    repo.git("clone", "--quiet", "--bare", str(repo.root), str(bare))
    subprocess.run(["git", "--git-dir", str(bare), "symbolic-ref", "HEAD", "refs/heads/gone"], check=True)
    with open_repository(str(bare)) as git:
        assert git.info.head == sha and git.info.bare


def test_history_entirely_after_the_onset_ranks_nothing(tmp_path):
    repo = GitRepoBuilder(tmp_path / "r")
    repo.commit({"a.py": "x = 1\n"}, "later", T0 + timedelta(hours=2))
    result = AnomalyResult(incident=Incident(start=T0, end=None, detection="auto"), services=[], anomalies=[])
    corr = correlate(result, {}, str(repo.root), None)
    assert corr.suspects == [] and corr.confidence == "none" and corr.blamed is None
    assert any("No commit landed" in n for n in corr.notes)


def test_blame_survives_a_config_naming_a_missing_ignore_revs_file(tmp_path):
    repo = GitRepoBuilder(tmp_path / "r")
    first = repo.commit({"a.py": "x = 1\ny = 2\n"}, "one", T0)
    second = repo.commit({"a.py": "x = 1\ny = 3\n"}, "two", T0 + timedelta(hours=1))
    repo.git("config", "blame.ignoreRevsFile", ".git-blame-ignore-revs")  # common, and often missing
    with open_repository(str(repo.root)) as git:
        assert git.blame_line("HEAD", "a.py", 2) == second
        assert git.blame_line("HEAD", "a.py", 1) == first
        assert git.blame_line("HEAD", "a.py", 1, since=T0 + timedelta(minutes=30)) is None  # older than asked
        assert git.blame_line("HEAD", "a.py", 9) is None
