"""Commit links: forge URLs from the usual remote shapes, and only safe links reach a report."""

from __future__ import annotations

import pytest

from analyzer.findings import Suspect
from reports.links import forge_commit_url, safe_url, suspect_url

SHA = "3f9c2a7be1d04c55a8e2f1b6c9d0e7a4b5c6d7e8"


@pytest.mark.parametrize(
    ("remote", "expected"),
    [
        ("git@github.com:shop/shop.git", f"https://github.com/shop/shop/commit/{SHA}"),
        ("https://github.com/shop/shop", f"https://github.com/shop/shop/commit/{SHA}"),
        ("https://ci-bot:ghp_secret@github.com/shop/shop.git", f"https://github.com/shop/shop/commit/{SHA}"),
        ("ssh://git@gitlab.com/group/sub/shop.git", f"https://gitlab.com/group/sub/shop/-/commit/{SHA}"),
        ("git@gitlab.example.org:team/shop.git", f"https://gitlab.example.org/team/shop/-/commit/{SHA}"),
        ("git@bitbucket.org:team/shop.git", f"https://bitbucket.org/team/shop/commits/{SHA}"),
    ],
)
def test_forge_commit_url(remote, expected):
    assert forge_commit_url(remote, SHA) == expected


@pytest.mark.parametrize("remote", ["/srv/git/shop.git", "git@git.internal:shop.git", "", None,
                                    "https://github.com/onlyowner"])
def test_unknown_remotes_give_no_link(remote):
    assert forge_commit_url(remote, SHA) is None


def test_not_a_sha_gives_no_link():
    assert forge_commit_url("git@github.com:shop/shop.git", "v1.2; rm -rf /") is None


def test_safe_url_drops_credentials_and_unsafe_schemes():
    assert safe_url("https://user:tok@github.com/a/b/commit/1") == "https://github.com/a/b/commit/1"
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("file:///etc/passwd") is None
    assert safe_url("https://[bad") is None


def test_suspect_url_prefers_its_own_then_the_remote():
    suspect = Suspect("commit", SHA, 0.5, [], commit=SHA, url="javascript:alert(1)")
    assert suspect_url(suspect, "git@github.com:shop/shop.git") == f"https://github.com/shop/shop/commit/{SHA}"
    suspect.url = f"https://github.com/x/y/commit/{SHA}"
    assert suspect_url(suspect) == suspect.url
