"""How long reading an incident window's history takes on a 100,000-commit repository.

Builds the repository with `git fast-import` (one commit every two minutes, each touching one to three of 3,000
source files with a small hunk), then, in the same run, times:
  baseline   `git log --name-status` over the window (what a person would type);
  read       GitRepository.commits over the same window (rename detection, line counts, -z parsing);
  patches    GitRepository.add_patches for the commits correlation reads patches of (at most MAX_PATCHED);
  correlate  the whole analyzer.correlate.correlate on a Python trace into one of the files;
  full log   `git log --name-status` over all 100,000 commits, to show the window is all that is read.
Figures are printed as seconds and as ratios to the baseline.

    python bench/changes_speed.py [--commits 100000] [--window-hours 336] [--repo DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analyzer.correlate import MAX_PATCHED, correlate  # noqa: E402
from analyzer.findings import Anomaly, Example, Incident, ServiceScore  # noqa: E402
from analyzer.stages import AnomalyResult  # noqa: E402
from parsers.git_history import open_repository  # noqa: E402

START = datetime(2023, 1, 1, tzinfo=timezone.utc)
STEP = timedelta(minutes=2)
SERVICES = ("orders", "payments", "catalog", "users", "search", "gateway")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    return env


def _file(i: int) -> str:
    return f"{SERVICES[i % len(SERVICES)]}/src/shop/{SERVICES[i % len(SERVICES)]}/module_{i}.py"


def build(root: Path, n_commits: int, n_files: int = 3000, seed: int = 7) -> None:
    """A repository of n_commits linear commits written with git fast-import."""
    subprocess.run(["git", "init", "--quiet", "--bare", str(root)], check=True, env=_env())
    rng = random.Random(seed)
    versions = [0] * n_files
    proc = subprocess.Popen(["git", "fast-import", "--quiet", "--done"], cwd=root, stdin=subprocess.PIPE,
                            env=_env())
    write = proc.stdin.write
    for n in range(n_commits):
        when = int((START + n * STEP).timestamp())
        msg = f"Change {n}: adjust {rng.choice(SERVICES)} handling".encode()
        out = [b"commit refs/heads/main\n", f"mark :{n + 1}\n".encode(),
               f"author Dev{n % 40} <dev{n % 40}@example.com> {when} +0000\n".encode(),
               f"committer Dev{n % 40} <dev{n % 40}@example.com> {when} +0000\n".encode(),
               f"data {len(msg)}\n".encode(), msg, b"\n"]
        if n:
            out.append(f"from :{n}\n".encode())
        touched = range(n_files) if n == 0 else rng.sample(range(n_files), rng.randint(1, 3))
        for i in touched:
            versions[i] += 1
            body = "".join(f"def handler_{i}_{k}(request):\n    return {versions[i] if k == 3 else k}\n\n"
                           for k in range(8)).encode()
            out += [f"M 100644 inline {_file(i)}\n".encode(), f"data {len(body)}\n".encode(), body, b"\n"]
        write(b"".join(out))
    write(b"done\n")
    proc.stdin.close()
    if proc.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "--git-dir", str(root), "symbolic-ref", "HEAD", "refs/heads/main"], check=True, env=_env())


def _timed(fn):
    t = time.perf_counter()
    value = fn()
    return time.perf_counter() - t, value


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--commits", type=int, default=100_000)
    ap.add_argument("--window-hours", type=float, default=14 * 24, help="history before the onset to read")
    ap.add_argument("--repo", help="reuse (or create) the repository here instead of a temporary directory")
    args = ap.parse_args()

    tmp = None
    if args.repo:
        root = Path(args.repo)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="logrca-bench-")
        root = Path(tmp.name) / "big.git"
    if not (root / "HEAD").exists():
        t_build, _ = _timed(lambda: build(root, args.commits))
        print(f"built {args.commits} commits with fast-import in {t_build:.1f} s ({root})")

    last = START + (args.commits - 1) * STEP
    onset = last - timedelta(hours=1)
    since, until = onset - timedelta(hours=args.window_hours), last
    iso = "%Y-%m-%dT%H:%M:%S+0000"

    def baseline():
        return subprocess.run(["git", "--git-dir", str(root), "log", "--name-status", "--no-color",
                               f"--since={since.strftime(iso)}", f"--until={until.strftime(iso)}", "HEAD"],
                              stdout=subprocess.PIPE, check=True, env=_env()).stdout

    def full_log():
        return subprocess.run(["git", "--git-dir", str(root), "log", "--name-status", "--no-color", "HEAD"],
                              stdout=subprocess.PIPE, check=True, env=_env()).stdout

    baseline()  # warm the page cache so neither side pays for the first read
    t_base, out = _timed(baseline)
    n_base = out.count(b"\ncommit ") + out.startswith(b"commit ")
    with open_repository(str(root)) as git:
        t_read, commits = _timed(lambda: git.commits(["HEAD"], since=since, until=until, max_count=10**7, counts=False))
        subset = commits[:MAX_PATCHED]
        t_patch, _ = _timed(lambda: git.add_patches(subset))
    target = _file(5)
    trace = ('Traceback (most recent call last):\n'
             f'  File "/srv/app/{target.split("/src/", 1)[1]}", line 11, in handler_5_3\n'
             "    return 4\nKeyError: 'x'")
    result = AnomalyResult(
        incident=Incident(start=onset, end=onset + timedelta(minutes=30), detection="auto"),
        services=[ServiceScore(SERVICES[5], 3.0)],
        anomalies=[Anomaly(1, "KeyError: <*>", "new", 3.0, "ERROR", onset, 0, 10, [SERVICES[5]],
                           [Example("app.log", 1, trace)])],
    )
    t_corr, corr = _timed(lambda: correlate(result, {}, str(root), None, max_commits=10**7))
    t_full, _ = _timed(full_log)

    print(f"window: {args.window_hours:g} h before the onset to the last commit; {len(commits)} commits "
          f"(git log saw {n_base})")
    print(f"  baseline git log --name-status  {t_base:8.3f} s   1.00x")
    print(f"  GitRepository.commits           {t_read:8.3f} s   {t_read / t_base:5.2f}x")
    print(f"  add_patches ({len(subset)} commits)       {t_patch:8.3f} s   {t_patch / t_base:5.2f}x")
    print(f"  correlate (whole stage)         {t_corr:8.3f} s   {t_corr / t_base:5.2f}x   "
          f"({corr.commits_considered} commits, top: {corr.suspects[0].title if corr.suspects else '-'}, "
          f"confidence {corr.confidence})")
    print(f"  full-history git log ({args.commits})  {t_full:8.3f} s   {t_full / t_base:5.2f}x")
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    main()
