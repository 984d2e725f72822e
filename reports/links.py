"""Making sure a link from the findings is safe to print in a report.

The parsers build commit pages from the repository's GitHub/GitLab/Bitbucket remote (`Suspect.url`). A report only
shows a link that is plain http(s), and never with the credentials a clone URL may have carried: the report is
shared in tickets, and a crafted or careless URL must not become a `javascript:` link or leak a token.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from analyzer.findings import Suspect

_SHA = re.compile(r"[0-9a-fA-F]{40,64}")


def safe_url(url: str | None) -> str | None:
    """The URL if it is http(s), with any user:password@ removed; None for anything else (javascript:, file:...)."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    netloc = host + (f":{port}" if port is not None else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def suspect_url(suspect: Suspect) -> str | None:
    return safe_url(suspect.url)


def sibling_commit_url(known: dict[str, str], sha: str | None) -> str | None:
    """The page of commit `sha` in the repository whose commit pages `known` maps (sha -> url), e.g. a revert that
    is not itself a suspect. None when `sha` is not a full sha or no page is known."""
    if not sha or not _SHA.fullmatch(sha):
        return None
    if sha in known:
        return known[sha]
    for other, url in known.items():
        if other in url:
            return safe_url(url.replace(other, sha))
    return None
