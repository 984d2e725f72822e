"""Links to commit pages on GitHub, GitLab and Bitbucket, and making sure a link is safe to print.

The analyzer sets `Suspect.url` when it knows the repository's remote; `forge_commit_url` turns a remote (any of
the usual clone-URL shapes) into a commit page, for whoever holds a remote. A link from the findings is shown
only when it is plain http(s), and never with the credentials a clone URL may carry.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from analyzer.findings import Suspect

_FORGES = {
    "github.com": "{base}/commit/{sha}",
    "gitlab.com": "{base}/-/commit/{sha}",
    "bitbucket.org": "{base}/commits/{sha}",
}
# scp-like remotes: git@github.com:owner/repo.git
_SCP_REMOTE = re.compile(r"^(?:[\w.-]+@)?(?P<host>[\w.-]+):(?P<path>[^/\\][^\s]*)$")
_SHA = re.compile(r"^[0-9a-fA-F]{7,64}$")


def forge_commit_url(remote: str | None, sha: str | None) -> str | None:
    """The web page of commit `sha` for a GitHub/GitLab/Bitbucket remote (self-hosted GitLab too), else None."""
    if not remote or not sha or not _SHA.match(sha):
        return None
    host, path = _host_and_path(remote.strip())
    if not host or not path:
        return None
    path = path.strip("/").removesuffix(".git")
    if path.count("/") < 1:
        return None
    pattern = _FORGES.get(host) or ("{base}/-/commit/{sha}" if "gitlab" in host else None)
    if pattern is None:
        return None
    return pattern.format(base=f"https://{host}/{path}", sha=sha)


def safe_url(url: str | None) -> str | None:
    """The URL if it is http(s), with any user:password@ removed; None for anything else (javascript:, file:...)."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    netloc = parts.hostname + (f":{parts.port}" if _has_port(parts) else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def suspect_url(suspect: Suspect, remote: str | None = None) -> str | None:
    """Where a reader can see the suspect change: its own URL, else one built from the remote."""
    return safe_url(suspect.url) or forge_commit_url(remote, suspect.commit)


def _host_and_path(remote: str) -> tuple[str | None, str | None]:
    if "://" in remote:
        try:
            parts = urlsplit(remote)
        except ValueError:
            return None, None
        return (parts.hostname or "").lower() or None, parts.path
    match = _SCP_REMOTE.match(remote)
    if match:
        return match["host"].lower(), match["path"]
    return None, None


def _has_port(parts) -> bool:
    try:
        return parts.port is not None
    except ValueError:
        return False
