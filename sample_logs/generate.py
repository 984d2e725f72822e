"""Write the bundled sample incidents: `python -m sample_logs.generate [OUT_DIR]` (default: this package's dir).

Deterministic: fixed seeds, fixed UTC dates, git run with fixed identities and no user config. Logs are written
gzipped with a zero mtime and no file name in the header, so the same inputs give the same bytes.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import shutil
import sys
import tempfile
from pathlib import Path

from sample_logs.incident import Incident
from sample_logs.incident_db_disk_full import db_disk_full
from sample_logs.incident_payment_pool_leak import payment_pool_leak

BUILDERS = (payment_pool_leak, db_disk_full)
DEPLOY_COLUMNS = ("time", "version", "commit", "service", "environment", "description")


def gzip_bytes(text: str) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(text.encode("utf-8"))
    return buf.getvalue()


def write_incident(incident: Incident, out: Path) -> Path:
    """Replace `out/<name>` with the incident's logs, bundle, deploy record, ground truth and story."""
    target = out / incident.name
    if target.exists():
        shutil.rmtree(target)
    for rel, text in sorted(incident.logs.items()):
        path = target / "logs" / (rel + ".gz")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip_bytes(text))
    incident.repo.bundle(target / "repo.bundle")
    with (target / "deploys.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(DEPLOY_COLUMNS)
        for d in sorted(incident.deploys, key=lambda d: d.time):
            stamp = d.time.isoformat().replace("+00:00", "Z")
            writer.writerow([stamp, d.version, d.commit, d.service, d.environment, d.description])
    (target / "expected.json").write_text(json.dumps(incident.expected, indent=2) + "\n", encoding="utf-8")
    (target / "README.md").write_text(incident.readme, encoding="utf-8")
    return target


def generate(out: Path, names: list[str] | None = None) -> list[Path]:
    written = []
    for build in BUILDERS:
        with tempfile.TemporaryDirectory(prefix="logrca-sample-") as tmp:
            incident = build(Path(tmp))
            if names and incident.name not in names:
                continue
            written.append(write_incident(incident, out))
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else Path(__file__).resolve().parent
    for path in generate(out, args[1:] or None):
        lines = sum(gzip.decompress(p.read_bytes()).count(b"\n") for p in (path / "logs").rglob("*.gz"))
        print(f"{path}: {lines} log lines")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
