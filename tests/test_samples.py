"""The bundled sample incidents: reproducible, internally consistent, and as hard as their README says."""

from __future__ import annotations

import csv
import gzip
import json
import os
import re
import subprocess
import time
from datetime import datetime
from pathlib import Path

import pytest

from sample_logs import DEMO, SAMPLES, sample_dir
from sample_logs import expected as load_expected
from sample_logs.generate import generate

NAMES = sorted(SAMPLES)


def _git(cwd: Path, *args: str) -> str:
    env = {"PATH": os.environ["PATH"], "HOME": str(cwd), "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return done.stdout


def _time(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def _logs(name: str) -> dict[str, str]:
    root = sample_dir(name) / "logs"
    return {
        str(p.relative_to(root))[: -len(".gz")]: gzip.decompress(p.read_bytes()).decode()
        for p in sorted(root.rglob("*.gz"))
    }


def _expected(name: str) -> dict:
    return load_expected(name)


def _deploys(name: str) -> list[dict]:
    with (sample_dir(name) / "deploys.csv").open(newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> Path:
    # Regenerate in a far-away zone (UTC+13:45 in March): the committed output must not depend on it.
    out = tmp_path_factory.mktemp("samples")
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "Pacific/Chatham"
    time.tzset()
    try:
        generate(out)
    finally:
        if saved is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = saved
        time.tzset()
    return out


@pytest.fixture(scope="module")
def clones(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("clones")
    result = {}
    for name in NAMES:
        _git(root, "clone", "-q", "--no-checkout", str(sample_dir(name) / "repo.bundle"), name)
        result[name] = root / name
    return result


def test_registry_points_at_real_directories():
    assert DEMO in SAMPLES
    for name in NAMES:
        assert (sample_dir(name) / "logs").is_dir()
        assert (sample_dir(name) / "README.md").read_text().startswith(f"# Sample incident: {name}")
    with pytest.raises(KeyError):
        sample_dir("no-such-sample")


@pytest.mark.parametrize("name", NAMES)
def test_regeneration_reproduces_the_committed_sample(regenerated, name):
    # The gzip wrapper depends on the zlib build, so compare the decompressed bytes of every log.
    committed, fresh = sample_dir(name), regenerated / name
    fresh_logs = {str(p.relative_to(fresh / "logs"))[: -len(".gz")]: p for p in (fresh / "logs").rglob("*.gz")}
    assert sorted(fresh_logs) == sorted(_logs(name))
    for rel, text in _logs(name).items():
        assert gzip.decompress(fresh_logs[rel].read_bytes()).decode() == text, rel
    for small in ("deploys.csv", "expected.json", "README.md"):
        assert (fresh / small).read_bytes() == (committed / small).read_bytes(), small
    # A bundle's pack need not be byte-stable; its refs and their shas must be.
    heads = _git(committed, "bundle", "list-heads", str(committed / "repo.bundle"))
    assert heads == _git(fresh, "bundle", "list-heads", str(fresh / "repo.bundle"))
    assert "refs/heads/main" in heads and "refs/tags/" in heads


@pytest.mark.parametrize("name", NAMES)
def test_logs_are_tens_of_thousands_of_lines_in_several_zoned_formats(name):
    logs = _logs(name)
    total = sum(text.count("\n") for text in logs.values())
    assert 30_000 <= total <= 80_000
    nginx = logs["nginx/access.log"].splitlines()
    assert all(re.search(r"\[\d\d/\w{3}/2026:\d\d:\d\d:\d\d \+0000\] \"", line) for line in nginx)
    checkout = [json.loads(line) for line in logs["checkout-service/app.jsonl"].splitlines()]
    assert all(rec["ts"].endswith("Z") for rec in checkout)
    payment = logs["payment-service/payment-service-0.log"].splitlines()
    headers = [line for line in payment if not line.startswith(("\t", "Caused by:", "com.", "org."))]
    assert all(re.match(r"2026-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (INFO |WARN |ERROR)", line) for line in headers)
    assert len(headers) < len(payment)  # stack traces span lines
    cri = [text for rel, text in logs.items() if rel.startswith("containers/")]
    assert cri and all(re.match(r"2026-\S+Z (stdout|stderr) F ", line) for text in cri for line in text.splitlines())
    syslog = [line for rel, text in logs.items() if rel.startswith("syslog/") for line in text.splitlines()]
    assert all(re.match(r"<\d+>1 2026-\S+\+00:00 ", line) for line in syslog)
    assert all(
        " UTC [" in line or line.startswith("\t") for line in logs["postgres/postgresql-16-main.log"].splitlines()
    )


@pytest.mark.parametrize("name", NAMES)
def test_baseline_is_hours_long_and_keeps_its_noise(name):
    expected, logs = _expected(name), _logs(name)
    first = min(_time(json.loads(line)["ts"]) for line in logs["checkout-service/app.jsonl"].splitlines()[:50])
    assert (_time(expected["onset"]) - first).total_seconds() > 4 * 3600
    inventory = "".join(text for rel, text in logs.items() if rel.startswith("containers/"))
    before = [
        line
        for line in inventory.splitlines()
        if "Supplier feed sync failed" in line and line[:19] < expected["onset"][:19]
    ]
    assert len(before) >= 5  # pre-existing error noise that an analysis must not blame


def test_culprit_is_in_the_bundle_and_its_changed_lines_are_the_logged_frames(clones):
    expected, repo = _expected(DEMO), clones[DEMO]
    culprit, deployed = expected["culprit_commit"], expected["culprit_deploy_commit"]
    assert culprit in _git(repo, "rev-list", "--all").split()
    assert _git(repo, "merge-base", "--is-ancestor", culprit, deployed) == ""
    changed = _git(repo, "show", "--name-only", "--format=", culprit).split()
    assert sorted(changed) == sorted(expected["culprit_files"])
    payment_logs = "".join(text for rel, text in _logs(DEMO).items() if rel.startswith("payment-service/"))
    for frame in expected["frames"]:
        assert frame["file"] in changed
        assert "\t" + frame["frame"] + "\n" in payment_logs
        source = _git(repo, "show", f"{deployed}:{frame['file']}").splitlines()
        assert "GatewayException" in source[frame["line"] - 1] or "execute(" in source[frame["line"] - 1]
        blame = _git(
            repo, "blame", "--porcelain", "-L", f"{frame['line']},{frame['line']}", deployed, "--", frame["file"]
        )
        assert blame.split()[0] == frame["last_changed_by"]
    # git blame on the failing call at the deployed revision names the culprit.
    assert culprit in {frame["last_changed_by"] for frame in expected["frames"]}
    assert expected["version_banner"] in payment_logs
    assert deployed.startswith(expected["version_banner"].split("git ")[1].rstrip(")"))


def test_culprit_deploy_precedes_the_onset_and_distractors_are_closer(clones):
    expected, repo = _expected(DEMO), clones[DEMO]
    onset, deploy_time = _time(expected["onset"]), _time(expected["culprit_deploy_time"])
    assert 0 < (onset - deploy_time).total_seconds() < 30 * 60
    rows = [
        r
        for r in _deploys(DEMO)
        if r["environment"] == "production" and r["version"] == expected["culprit_deploy_version"]
    ]
    assert [(r["commit"], _time(r["time"])) for r in rows] == [(expected["culprit_deploy_commit"], deploy_time)]

    def committed(sha: str) -> datetime:
        return datetime.fromisoformat(_git(repo, "show", "-s", "--format=%cI", sha).strip())

    culprit_time = committed(expected["culprit_commit"])
    assert (onset - culprit_time).total_seconds() > 12 * 3600
    for sha in expected["distractor_commits"]:
        assert culprit_time < committed(sha) < onset
        assert not set(_git(repo, "show", "--name-only", "--format=", sha).split()) & set(expected["culprit_files"])


def test_callers_log_ten_times_more_errors_than_the_broken_service():
    logs, expected = _logs(DEMO), _expected(DEMO)
    payment_errors = sum(text.count(" ERROR [") for rel, text in logs.items() if rel.startswith("payment-service/"))
    checkout_errors = logs["checkout-service/app.jsonl"].count('"level":"error"')
    nginx_504 = logs["nginx/access.log"].count('" 504 ')
    assert 10 <= payment_errors <= 200
    assert checkout_errors + nginx_504 >= 10 * payment_errors
    assert expected["loudest_service"] != expected["origin_service"]


def test_infrastructure_incident_has_no_culprit_and_only_an_early_unrelated_deploy(clones):
    expected = _expected("db-disk-full")
    assert expected["culprit_commit"] is None and expected["culprit_deploy_version"] is None
    assert expected["category"] == "infrastructure"
    onset = _time(expected["onset"])
    production = [_time(r["time"]) for r in _deploys("db-disk-full") if r["environment"] == "production"]
    last_before = max(t for t in production if t < onset)
    assert (onset - last_before).total_seconds() > 3 * 3600
    for sha in expected["distractor_commits"]:
        assert sha in _git(clones["db-disk-full"], "rev-list", "--all").split()
    logs = _logs("db-disk-full")
    postgres = logs["postgres/postgresql-16-main.log"]
    first_panic = next(line for line in postgres.splitlines() if "No space left on device" in line)
    assert first_panic.startswith(expected["onset"][:10] + " " + expected["onset"][11:23])
    assert "archive command failed" in postgres
    assert "nfs: server backup-nfs-01 not responding" in logs["syslog/db-01.log"]


@pytest.mark.parametrize("name", NAMES)
def test_secrets_the_reports_must_hide_are_really_in_the_logs(clones, name):
    secrets = _expected(name)["secrets_in_logs"]
    text = "".join(_logs(name).values())
    assert secrets and all(len(secret) >= 12 and text.count(secret) >= 1 for secret in secrets)
    history = _git(clones[name], "log", "-p", "--all")
    assert "PAYMENT_URL" in history  # the code that logs the URL is there...
    assert not any(secret in history for secret in secrets)  # ...the credentials only arrive at runtime
