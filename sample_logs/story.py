"""Replays a repository's history in time order: fillers, feature branches, merges, releases and tags."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sample_logs import shop_code as code
from sample_logs.gitbuild import RepoBuilder
from sample_logs.shop_history import TEAM, Edit, apply_edits


@dataclass
class History:
    """Collects dated actions, then runs them oldest first; remembers the shas and tags it made."""

    repo: RepoBuilder
    actions: list[tuple[datetime, int, Callable[[], None]]] = field(default_factory=list)
    shas: dict[str, str] = field(default_factory=dict)  # label -> sha
    tags: dict[str, str] = field(default_factory=dict)  # tag -> sha of the tagged commit
    commits: list[dict] = field(default_factory=list)  # every non-merge commit, for expected.json

    def _at(self, when: datetime, action: Callable[[], None]) -> None:
        self.actions.append((when, len(self.actions), action))

    def commit(self, who: str, when: datetime, message: str, edits: list[Edit], label: str | None = None,
               branch: str | None = None) -> None:  # fmt: skip
        def run() -> None:
            if branch is not None:
                exists = branch in self.repo.git("branch", "--list", branch)
                self.repo.checkout(branch, create=not exists)
            apply_edits(self.repo, edits)
            sha = self.repo.commit(TEAM[who], when, message)
            self.commits.append(
                {"sha": sha, "time": when, "title": message.splitlines()[0], "files": sorted({e.path for e in edits})}
            )
            if label:
                self.shas[label] = sha
            if branch is not None:
                self.repo.checkout("main")

        self._at(when, run)

    def merge(self, who: str, when: datetime, branch: str, number: int, title: str) -> None:
        def run() -> None:
            message = f"Merge pull request #{number} from shop/{branch}\n\n{title}"
            self.shas[f"merge:{branch}"] = self.repo.merge(branch, TEAM[who], when, message)
            self.repo.git("branch", "-q", "-d", branch)

        self._at(when, run)

    def release(self, service: str, version: str, when: datetime) -> None:
        """The release bot bumps the version where the service declares it and tags `<service>/v<version>`."""

        def run() -> None:
            bump = _version_edits(self.repo, service, version)
            apply_edits(self.repo, bump)
            sha = self.repo.commit(TEAM["bot"], when, f"{service}: release {version}")
            self.commits.append(
                {
                    "sha": sha,
                    "time": when,
                    "title": f"{service}: release {version}",
                    "files": sorted({e.path for e in bump}),
                }
            )
            tag = f"{service}/v{version}"
            self.repo.tag(tag, sha, TEAM["bot"], when, f"{service} {version}")
            self.tags[tag] = sha

        self._at(when, run)

    def run(self) -> None:
        for _, _, action in sorted(self.actions, key=lambda a: (a[0], a[1])):
            action()


def _version_edits(repo: RepoBuilder, service: str, version: str) -> list[Edit]:
    manifest = f"infra/k8s/{service}.yaml"
    image = re.search(rf"image: registry\.shop\.example/{service}:[0-9.]+", repo.read(manifest)).group(0)
    edits = [Edit("replace", manifest, f"image: registry.shop.example/{service}:{version}", old=image)]
    if service == "payment-service":
        pom = repo.read("payment-service/pom.xml")
        old = re.search(r"<artifactId>payment-service</artifactId>\n  <version>[0-9.]+</version>", pom).group(0)
        edits.append(
            Edit(
                "replace",
                "payment-service/pom.xml",
                f"<artifactId>payment-service</artifactId>\n  <version>{version}</version>",
                old=old,
            )
        )
    elif service == "checkout-service":
        old = re.search(r'version = "[0-9.]+"', repo.read("checkout-service/pyproject.toml")).group(0)
        edits.append(Edit("replace", "checkout-service/pyproject.toml", f'version = "{version}"', old=old))
    else:
        edits.append(Edit("create", "inventory-service/VERSION", version + "\n"))
    return edits


def initial_import(history: History, when: datetime) -> None:
    history.commit(
        "jonas",
        when,
        "Import the shop services into one repository\n\n"
        "payment-service, checkout-service and inventory-service move here from their own repositories\n"
        "so that cross-service changes land in one pull request.",
        [Edit("create", path, text) for path, text in code.initial_tree().items()],
        label="import",
    )
