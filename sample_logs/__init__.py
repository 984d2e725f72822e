"""The bundled sample incidents: logs, the system's git history as a bundle, deploy records and ground truth.

Each sample is a directory `<name>/` holding `logs/` (what `logrca analyze` reads), `repo.bundle`,
`deploys.csv`, `expected.json` and `README.md`. `python -m sample_logs.generate` rebuilds them.
"""

from __future__ import annotations

import json
import pathlib

SAMPLES: dict[str, str] = {
    "payment-pool-leak": "payment-service v2.14.0 leaks pooled acquirer connections; checkout and nginx time out",
    "db-disk-full": "db-01's disk fills when WAL archiving to a dead NFS server fails; no change is to blame",
}
DEMO = "payment-pool-leak"


def sample_dir(name: str) -> pathlib.Path:
    """The directory of a bundled sample, wherever the package is installed."""
    if name not in SAMPLES:
        raise KeyError(f"no bundled sample named {name!r}; there are: {', '.join(SAMPLES)}")
    return pathlib.Path(__file__).resolve().parent / name


def expected(name: str) -> dict:
    """The ground truth the generator knew: onset, origin service, culprit commit and deploy (or None), ..."""
    return json.loads((sample_dir(name) / "expected.json").read_text(encoding="utf-8"))
