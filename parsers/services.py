"""Naming the service a log file belongs to, as the contract says a person would."""

from __future__ import annotations

import re
from pathlib import PurePath

_COMPRESSION = r"(?:\.(?:gz|bz2|xz|zst|zstd))?"
_ROTATION = re.compile(r"(?:[.-](?:\d{1,3}|\d{8}(?:-\d+)?|\d{4}-\d{2}-\d{2}(?:[T_-][\d:-]+)?))?" + _COMPRESSION + "$")
# Pod names: Deployment `<name>-<replicaset hash>-<5 chars>`, DaemonSet/Job `<name>-<5 chars>`; Kubernetes draws
# these suffixes from an alphabet without vowels, so ordinary words are not mistaken for them.
_K8S_CHARS = "bcdfghjklmnpqrstvwxz2456789"
_DEPLOYMENT_POD = re.compile(rf"^(?P<name>.+?)-[{_K8S_CHARS}]{{6,10}}-[{_K8S_CHARS}]{{5}}$")
_SHORT_POD = re.compile(rf"^(?P<name>.+?)-[{_K8S_CHARS}]{{5}}$")
_STATEFUL_POD = re.compile(r"^(?P<name>.+?)-\d{1,3}$")
# /var/log/containers/<pod>_<namespace>_<container>-<64 hex>.log
_CONTAINERS_FILE = re.compile(r"^(?P<pod>[^_]+)_(?P<ns>[^_]+)_(?P<container>.+)-[0-9a-f]{64}\.log$")
# /var/log/pods/<namespace>_<pod>_<uid>/<container>/<n>.log
_PODS_DIR = re.compile(r"^(?P<ns>[^_]+)_(?P<pod>[^_]+)_[0-9a-f-]{36}$")


def workload_name(pod: str, known_pod: bool = False) -> str:
    """`ts-contacts-service-866bd68c97-xcqfx` -> `ts-contacts-service`; StatefulSet `redis-0` -> `redis` when
    the name is known to be a pod's."""
    for pattern in (_DEPLOYMENT_POD, _SHORT_POD) + ((_STATEFUL_POD,) if known_pod else ()):
        found = pattern.match(pod)
        if found and (pattern is not _SHORT_POD or known_pod or any(c.isdigit() for c in pod[-5:])):
            return found["name"]
    return pod


def strip_suffixes(file_name: str) -> str:
    """`app.log.2.gz` -> `app`, `api-2024-01-02.log` -> `api-2024-01-02`, `kern.log.1` -> `kern`."""
    name = _ROTATION.sub("", file_name)
    name = re.sub(r"\.(?:log|txt|out|err|json|jsonl|ndjson)$", "", name)
    name = _ROTATION.sub("", name)
    return name or file_name


def service_for_path(path: str, root: str | None = None) -> str:
    """The service a file's lines belong to when no line names its own."""
    parts = PurePath(path).parts
    file_name = parts[-1] if parts else path
    found = _CONTAINERS_FILE.match(re.sub(_COMPRESSION + "$", "", file_name))
    if found:
        return workload_name(found["pod"], known_pod=True)
    for i, part in enumerate(parts[:-1]):
        found = _PODS_DIR.match(part)
        if found and i > 0 and parts[i - 1] == "pods":
            return workload_name(found["pod"], known_pod=True)
    stem = strip_suffixes(file_name)
    pod = workload_name(stem)
    if pod != stem:
        return pod
    if root is not None:
        relative = PurePath(path).relative_to(root).parts if _is_under(path, root) else ()
        if len(relative) > 1:
            return workload_name(relative[0])
    return stem


def _is_under(path: str, root: str) -> bool:
    try:
        PurePath(path).relative_to(root)
        return True
    except ValueError:
        return False
