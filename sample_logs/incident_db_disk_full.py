"""Sample 2: db-01's disk fills because WAL archiving to an unreachable NFS server fails. No change is to blame.

The history has an unrelated deploy hours earlier (checkout gift cards) and commits during the afternoon.
"""

from __future__ import annotations

import random
from pathlib import Path

from sample_logs import shop_code as code
from sample_logs.gitbuild import RepoBuilder
from sample_logs.incident import (
    Deploy,
    Incident,
    cid,
    deploy_history,
    iso,
    loudest,
    routine_history,
    sources,
    utc,
    write_repo,
)
from sample_logs.incident_payment_pool_leak import PAYMENT_NAME
from sample_logs.shop_history import Edit
from sample_logs.shop_sim import Simulation
from sample_logs.shop_world import SECRETS, DiskFull, Release, S, World, us_of
from sample_logs.story import History
from sample_logs.traces import JavaFrames, PythonFrames

DISK_NAME = "db-disk-full"


def db_disk_full(workdir: Path) -> Incident:
    rng = random.Random(20260408)
    repo = RepoBuilder(workdir / "shop")
    h = History(repo)
    routine_history(h, rng, utc(2026, 3, 11, 8, 15), utc(2026, 4, 7, 17, 0))
    h.release("payment-service", "2.14.1", utc(2026, 3, 18, 10, 2))
    h.release("inventory-service", "1.8.4", utc(2026, 3, 24, 9, 40))
    h.release("checkout-service", "3.5.1", utc(2026, 3, 31, 11, 15))
    h.release("payment-service", "2.15.0", utc(2026, 4, 2, 9, 58))

    h.commit(
        "sofia",
        utc(2026, 4, 7, 13, 5),
        "checkout: accept gift cards as a payment method",
        [Edit("create", f"{code.CHECKOUT}/giftcards.py", _GIFTCARDS)],
        branch="feature/gift-cards",
        label="giftcards",
    )
    h.commit(
        "sofia",
        utc(2026, 4, 7, 15, 40),
        "checkout: show the remaining gift card balance",
        [Edit("append", f"{code.CHECKOUT}/giftcards.py", _GIFTCARD_BALANCE)],
        branch="feature/gift-cards",
        label="giftcards2",
    )
    h.merge("priya", utc(2026, 4, 8, 8, 52), "feature/gift-cards", 436, "checkout: gift cards")
    h.release("checkout-service", "3.6.0", utc(2026, 4, 8, 9, 41))
    h.commit(
        "jonas",
        utc(2026, 4, 8, 13, 18),
        "docs: describe the refund flow",
        [
            Edit(
                "append",
                "docs/runbooks/payments.md",
                "\n## Refunds\nRefunds go through `POST /v1/payments/{id}/refund`; partial refunds are allowed.\n",
            )
        ],
        label="d-docs",
    )
    h.commit(
        "priya",
        utc(2026, 4, 8, 14, 47),
        "inventory: test that a reservation holds stock for 15 minutes",
        [Edit("append", "inventory-service/tests/test_reservations.py", _HOLD_TEST)],
        label="d-test",
    )
    h.commit(
        "marta",
        utc(2026, 4, 8, 15, 33),
        "payment: raise tomcat max threads to 250",
        [Edit("replace", code.PAYMENT_CONFIG, "max: 250", old="max: 200")],
        label="d-config",
    )
    h.commit(
        "dan",
        utc(2026, 4, 8, 16, 6),
        "infra: four checkout replicas during the spring sale",
        [Edit("replace", "infra/k8s/checkout-service.yaml", "replicas: 4", old="replicas: 3")],
        label="d-infra",
    )
    write_repo(h)

    deployed = h.tags["checkout-service/v3.6.0"]
    pay_rel = h.tags["payment-service/v2.15.0"]
    files = {p: repo.show(pay_rel, p) for p in (code.GATEWAY_CLIENT, code.PAYMENT_SERVICE, code.PAYMENT_CONTROLLER)}
    inv_rel = h.tags["inventory-service/v1.8.4"]
    inv_files = {p: repo.show(inv_rel, p) for p in (f"{code.INVENTORY}/reservations.py", f"{code.INVENTORY}/db.py")}

    start, end = utc(2026, 4, 8, 11, 0), utc(2026, 4, 8, 17, 25)
    deploy_at = utc(2026, 4, 8, 12, 10, 4)
    disk = DiskFull(
        nfs_lost=us_of(utc(2026, 4, 8, 13, 12, 41)) + 310_442,
        full=us_of(utc(2026, 4, 8, 16, 41, 7)) + 183_907,
        fixed=us_of(utc(2026, 4, 8, 17, 7, 36)) + 511_020,
    )
    world = World(
        start=us_of(start),
        end=us_of(end),
        host_year=2026,
        payment_releases=[[Release(us_of(start) - 86400 * S, "2.15.0", pay_rel[:7])] for _ in (0, 1)],
        inventory_pods=[(us_of(start) - 86400 * S, "inventory-service-7d5c9f8b4-rt6jn", cid(rng), "1.8.4")],
        checkout_release=Release(us_of(deploy_at) + 25 * S, "3.6.0", deployed[:7]),
        java=JavaFrames.from_sources(files),
        python=PythonFrames.from_sources(inv_files),
        disk=disk,
        rate_scale=0.85,
    )
    sim = Simulation(world, seed=408)
    logs = sim.run().rendered()

    deploys = deploy_history(
        h,
        [
            ("payment-service", "2.14.1", utc(2026, 3, 18, 12, 0)),
            ("inventory-service", "1.8.4", utc(2026, 3, 24, 11, 5)),
            ("checkout-service", "3.5.1", utc(2026, 3, 31, 13, 20)),
            ("payment-service", "2.15.0", utc(2026, 4, 2, 11, 45)),
        ],
    )
    deploys += [
        Deploy(utc(2026, 4, 8, 10, 2, 40), "v3.6.0", deployed, "checkout-service", "staging", "release 3.6.0"),
        Deploy(deploy_at, "v3.6.0", deployed, "checkout-service", "production", "release 3.6.0 (gift cards)"),
    ]
    expected = {
        "name": DISK_NAME,
        "category": "infrastructure",
        "onset": iso(sim.first_symptom),
        "onset_is": "the first log line, in any service, that shows the failure (precursors excluded)",
        "fault_start": iso(disk.full),
        "precursor_start": iso(disk.nfs_lost),
        "recovery": iso(disk.fixed),
        "origin_service": "postgres",
        "origin_host": "db-01",
        "loudest_service": loudest(logs),
        "culprit_commit": None,
        "culprit_files": [],
        "culprit_deploy_version": None,
        "culprit_deploy_time": None,
        "frames": [],
        "unrelated_deploys": [{"service": "checkout-service", "version": "v3.6.0", "time": iso(deploy_at)}],
        "distractor_commits": [h.shas[k] for k in ("d-docs", "d-test", "d-config", "d-infra")],
        "sources": sources(logs),
        "secrets_in_logs": [SECRETS[1]],  # appear in the logs; must never appear in a report
        "evidence": [
            'PANIC:  could not write to file "pg_wal/xlogtemp.<pid>": No space left on device',
            "archive command failed with exit code 1",
            "nfs: server backup-nfs-01 not responding, still trying",
            "WARNING /var/lib/postgresql above 90%",
        ],
        "preexisting_noise": [
            "Supplier feed sync failed: HTTP 503 from https://feeds.acme-supplies.example/v2/stock (will retry in 900s)",
            "Acquirer adyen responded slowly: <n> ms (threshold 2000 ms)",
            "HHH90003004: firstResult/maxResults specified with collection fetch; applying in memory",
            "cart price changed during checkout",
        ],
    }
    return Incident(DISK_NAME, repo, logs, deploys, expected, _readme_disk(expected))


_GIFTCARDS = '''"""Gift cards: a balance in cents, redeemed before the card is charged for the rest."""

from __future__ import annotations

import structlog

log = structlog.get_logger("checkout.giftcards")


def split_payment(total_cents: int, balance_cents: int) -> tuple[int, int]:
    """How much the gift card covers and how much is left for the card."""
    covered = min(total_cents, balance_cents)
    return covered, total_cents - covered
'''

_GIFTCARD_BALANCE = """

def remaining_balance(balance_cents: int, covered_cents: int) -> int:
    left = balance_cents - covered_cents
    log.info("gift card balance", remaining_cents=left)
    return left
"""

_HOLD_TEST = """

@pytest.mark.asyncio
async def test_reservation_expires_after_hold(fake_db, frozen_clock):
    result = await reservations.reserve({"items": [{"sku": "SKU-10008", "qty": 1}]})
    frozen_clock.advance(reservations.HOLD_SECONDS + 1)
    assert fake_db.is_expired(result["id"])
"""


def _readme_disk(e: dict) -> str:
    return f"""# Sample incident: {DISK_NAME}

Wednesday 8 April 2026, production: the same shop as `{PAYMENT_NAME}`, three weeks later.

## What happened
At {e["precursor_start"]} the backup NFS server `backup-nfs-01` stops answering (kernel: `nfs: server
backup-nfs-01 not responding`). PostgreSQL on db-01 archives its write-ahead log there, so every archive attempt
fails (`archive command failed with exit code 1`) and WAL piles up in `pg_wal`. db-01's disk-usage agent reports
the volume filling all afternoon. At {e["fault_start"]} the volume is full: PostgreSQL PANICs with `No space left
on device` and crash-loops, restarted by systemd every half minute. inventory-service (tracebacks), checkout
(failed orders), payment-service (HikariCP timeouts) and nginx (500s) all fail, far louder than the database.
At about 17:06 on-call grows the volume (`resize2fs`); PostgreSQL recovers at {e["recovery"]}.

**No change is to blame.** checkout-service v3.6.0 (gift cards) was deployed at 12:10 UTC, four and a half
hours earlier, and commits landed during the afternoon (docs, a test, a payment config value, a replica count);
none of them touches storage, WAL or archiving. The evidence points at infrastructure: db-01's disk and the
unreachable archive server.

A secret: after the fix on-call runs `psql` with `PGPASSWORD=...` under sudo, and syslog records the command
line. A report must mask it (`secrets_in_logs` in expected.json).

## Files
As in `{PAYMENT_NAME}`: `logs/`, `repo.bundle`, `deploys.csv`, `expected.json`.
Regenerate with `python -m sample_logs.generate`.
"""
