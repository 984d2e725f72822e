"""Build a git repository whose commit shas are the same on every machine.

Every input to a commit object is fixed: author/committer names, e-mails, dates with their zones, the message and
the tree. Git runs with an empty global config and no system config, so a user's `commit.gpgsign`, hooks path or
`init.defaultBranch` cannot change a sha.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    region: str  # "eu", "uk", "us-east", "india": picks the UTC offset (with daylight saving) of a date


def utc_offset(region: str, when_utc: datetime) -> timedelta:
    """The person's UTC offset at that instant; DST switch dates of 2026 are fixed here, not read from tzdata."""
    eu_summer = (
        datetime(2026, 3, 29, 1, tzinfo=timezone.utc) <= when_utc < datetime(2026, 10, 25, 1, tzinfo=timezone.utc)
    )
    us_summer = datetime(2026, 3, 8, 7, tzinfo=timezone.utc) <= when_utc < datetime(2026, 11, 1, 6, tzinfo=timezone.utc)
    hours = {
        "eu": 2 if eu_summer else 1,
        "uk": 1 if eu_summer else 0,
        "us-east": -4 if us_summer else -5,
        "india": 5.5,
    }[region]
    return timedelta(hours=hours)


def git_date(person: Person, when_utc: datetime) -> str:
    """Git's internal date format `<epoch> <+hhmm>` in the person's local offset."""
    offset = utc_offset(person.region, when_utc)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"{int(when_utc.timestamp())} {sign}{minutes // 60:02d}{minutes % 60:02d}"


def _clean_env(path: Path) -> dict[str, str]:
    """An environment where no user or system git config can reach the repository being built."""
    empty = path.parent / (path.name + ".gitconfig")
    empty.write_text("")
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(path.parent),
        "GIT_CONFIG_GLOBAL": str(empty),
        "GIT_CONFIG_NOSYSTEM": "1",
        "LC_ALL": "C",
        "TZ": "UTC",
    }


class RepoBuilder:
    """A throw-away work tree where commits are made one by one with fixed identities and dates."""

    def __init__(self, path: Path):
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self._env = _clean_env(path)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, env: dict[str, str] | None = None) -> str:
        cmd = [
            "git", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", "-c", "core.autocrlf=false",
            "-c", "pack.threads=1", "-c", "core.hooksPath=/dev/null", *args,
        ]  # fmt: skip
        done = subprocess.run(
            cmd, cwd=self.path, env={**self._env, **(env or {})}, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def write(self, files: dict[str, str | None]) -> None:
        for rel, text in files.items():
            target = self.path / rel
            if text is None:
                target.unlink()
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8", newline="\n")

    def read(self, rel: str) -> str:
        return (self.path / rel).read_text(encoding="utf-8")

    def show(self, rev: str, rel: str) -> str:
        """A file as it was at a revision, read from the object store rather than the work tree."""
        return self.git("show", f"{rev}:{rel}") + "\n"

    def checkout(self, branch: str, create: bool = False) -> None:
        self.git("checkout", "-q", *(["-b"] if create else []), branch)

    def commit(self, author: Person, when: datetime, message: str, committer: Person | None = None,
               committed: datetime | None = None) -> str:  # fmt: skip
        committer = committer or author
        committed = committed or when
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message, env=self._identity(author, when, committer, committed))
        return self.git("rev-parse", "HEAD")

    def merge(self, branch: str, author: Person, when: datetime, message: str) -> str:
        self.git("merge", "-q", "--no-ff", "-m", message, branch, env=self._identity(author, when, author, when))
        return self.git("rev-parse", "HEAD")

    def tag(self, name: str, sha: str, tagger: Person, when: datetime, message: str) -> None:
        self.git("tag", "-a", name, sha, "-m", message, env=self._identity(tagger, when, tagger, when))

    def bundle(self, out: Path) -> None:
        self.git("bundle", "create", "-q", str(out.resolve()), "--all")

    @staticmethod
    def _identity(author: Person, when: datetime, committer: Person, committed: datetime) -> dict[str, str]:
        return {
            "GIT_AUTHOR_NAME": author.name,
            "GIT_AUTHOR_EMAIL": author.email,
            "GIT_AUTHOR_DATE": git_date(author, when),
            "GIT_COMMITTER_NAME": committer.name,
            "GIT_COMMITTER_EMAIL": committer.email,
            "GIT_COMMITTER_DATE": git_date(committer, committed),
        }
