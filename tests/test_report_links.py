"""Only safe commit links reach a report."""

from __future__ import annotations

from analyzer.findings import Suspect
from reports.links import safe_url, sibling_commit_url, suspect_url

SHA = "3f9c2a7be1d04c55a8e2f1b6c9d0e7a4b5c6d7e8"
REVERT = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a291807"


def test_safe_url_keeps_plain_links():
    url = f"https://gitlab.example.org:8443/team/shop/-/commit/{SHA}"
    assert safe_url(url) == url


def test_safe_url_drops_credentials_and_unsafe_schemes():
    assert safe_url("https://ci-bot:ghp_token@github.com/a/b/commit/1") == "https://github.com/a/b/commit/1"
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("file:///etc/passwd") is None
    assert safe_url("https://[bad") is None
    assert safe_url("https://host:99999/x") is None


def test_suspect_url_is_vetted():
    suspect = Suspect("commit", SHA, 0.5, [], commit=SHA, url="javascript:alert(1)")
    assert suspect_url(suspect) is None
    suspect.url = f"https://github.com/x/y/commit/{SHA}"
    assert suspect_url(suspect) == suspect.url


def test_a_revert_links_into_the_same_repository():
    known = {SHA: f"https://github.com/shop/shop/commit/{SHA}"}
    assert sibling_commit_url(known, REVERT) == f"https://github.com/shop/shop/commit/{REVERT}"
    assert sibling_commit_url(known, SHA) == known[SHA]
    assert sibling_commit_url(known, "deploys.csv:14") is None
    assert sibling_commit_url({}, REVERT) is None
