"""The two bundled incidents: the history each repository went through and the day each set of logs records.

A scenario returns everything the writer needs: the rendered logs, the repository to bundle, the deploy records
and the ground truth. All dates are fixed UTC instants; all randomness comes from the scenario's seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sample_logs import shop_code as code
from sample_logs.gitbuild import RepoBuilder
from sample_logs.shop_history import Edit, filler_plan
from sample_logs.shop_sim import (
    SECRETS,
    DiskFull,
    PoolLeak,
    Release,
    S,
    Simulation,
    World,
    dt,
    us_of,
)
from sample_logs.story import History, initial_import
from sample_logs.traces import JavaFrames, PythonFrames


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@dataclass
class Deploy:
    time: datetime
    version: str
    commit: str
    service: str
    environment: str
    description: str


@dataclass
class Incident:
    name: str
    repo: RepoBuilder  # the built repository, bundled by the writer
    logs: dict[str, str]  # relative path under logs/ (without .gz) -> text
    deploys: list[Deploy]
    expected: dict
    readme: str


def _iso(t: datetime | int | None) -> str | None:
    if t is None:
        return None
    if isinstance(t, int):
        t = dt(t)
    return t.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _routine_history(h: History, rng: random.Random, begin: datetime, until: datetime) -> None:
    """The weeks of ordinary work both repositories share in shape (not in dates)."""
    initial_import(h, begin)
    for when, filler in filler_plan(rng, begin + timedelta(hours=3), until):
        h.commit(filler.author, when, filler.message, list(filler.edits))
    reconciler = f"{code.PAY}/reconcile/PendingReconciler.java"
    h.commit(
        "marta",
        begin + timedelta(days=8, hours=5),
        "payment: reconcile payments stuck in PENDING\n\n"
        "A crash between saving the payment and calling the acquirer left PENDING rows nobody settled.",
        [Edit("create", reconciler, _RECONCILER)],
        branch="feature/pending-reconciler",
    )
    h.merge(
        "jonas",
        begin + timedelta(days=9, hours=2),
        "feature/pending-reconciler",
        371,
        "payment: reconcile payments stuck in PENDING",
    )


_RECONCILER = """\
package com.shop.payment.reconcile;

import com.shop.payment.repository.PaymentRepository;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/** Settles payments left PENDING by a crash: asks the acquirer what happened, by idempotency key. */
@Component
public class PendingReconciler {

    private static final Logger log = LoggerFactory.getLogger(PendingReconciler.class);
    private static final Duration STALE = Duration.ofMinutes(15);

    private final PaymentRepository payments;
    private final Clock clock;

    public PendingReconciler(PaymentRepository payments, Clock clock) {
        this.payments = payments;
        this.clock = clock;
    }

    @Scheduled(fixedDelay = 1_800_000)
    public void reconcile() {
        int settled = payments.findStalePending(Instant.now(clock).minus(STALE)).size();
        log.info("Reconciled {} stale PENDING payments older than 15 minutes", settled);
    }
}
"""


def _write_repo(history: History) -> None:
    history.run()
    history.repo.git("gc", "-q", "--prune=now")


# ---------------------------------------------------------------------------------------------------------------
# Sample 1: payment-service v2.14.0 leaks pooled connections; checkout and nginx time out.
# ---------------------------------------------------------------------------------------------------------------

PAYMENT_NAME = "payment-pool-leak"


def payment_pool_leak(workdir: Path) -> Incident:
    rng = random.Random(20260317)
    repo = RepoBuilder(workdir / "shop")
    h = History(repo)
    _routine_history(h, rng, utc(2026, 2, 16, 8, 30), utc(2026, 3, 16, 18, 0))

    h.release("payment-service", "2.13.0", utc(2026, 3, 2, 10, 4))
    h.release("checkout-service", "3.5.0", utc(2026, 3, 9, 10, 31))
    h.release("inventory-service", "1.8.2", utc(2026, 3, 10, 9, 12))
    h.release("payment-service", "2.13.1", utc(2026, 3, 5, 15, 2))
    h.release("payment-service", "2.13.2", utc(2026, 3, 11, 11, 7))

    # The culprit: written the afternoon before (Kevin is in New York), merged next morning, released at 09:55.
    h.commit(
        "kevin",
        utc(2026, 3, 16, 19, 42),
        "gateway: share one pooled HTTP client across acquirers\n\n"
        "The per-acquirer pools held up to 150 idle TLS sockets per pod. One shared pool of 10 is plenty:\n"
        "p99 concurrent authorisations per pod is 4. Responses are now closed where they are read.",
        [
            Edit("create", code.GATEWAY_CLIENT, code.GATEWAY_CULPRIT),
            Edit("replace", code.PAYMENT_CONFIG, "max-connections: 10", old="max-connections: 50"),
        ],
        label="culprit",
        branch="feature/gateway-shared-pool",
    )
    h.merge(
        "marta",
        utc(2026, 3, 17, 8, 47),
        "feature/gateway-shared-pool",
        412,
        "gateway: share one pooled HTTP client across acquirers",
    )
    h.release("payment-service", "2.14.0", utc(2026, 3, 17, 9, 55))

    # Distractors: all land after the culprit and closer to the onset; none touches the code that fails.
    h.commit(
        "sofia",
        utc(2026, 3, 17, 10, 22),
        "docs: on-call checklist for checkout incidents",
        [Edit("append", "docs/runbooks/payments.md", _ONCALL_CHECKLIST)],
        label="d-docs",
    )
    h.commit(
        "priya",
        utc(2026, 3, 17, 11, 31),
        "inventory: upsert supplier feed rows in batches of 500",
        [Edit("replace", f"{code.INVENTORY}/supplier_feed.py", _BATCHED, old='    rows = response.json()["items"]\n')],
        label="d-inventory",
    )
    h.release("inventory-service", "1.8.3", utc(2026, 3, 17, 11, 52))
    h.commit(
        "priya",
        utc(2026, 3, 17, 12, 44),
        "checkout: test that three payment timeouts release the reservation",
        [Edit("append", "checkout-service/tests/test_payment_client.py", _CHECKOUT_TIMEOUT_TEST)],
        label="d-test",
    )
    h.commit(
        "dan",
        utc(2026, 3, 17, 13, 36),
        "infra: gzip application/json responses at the edge",
        [
            Edit(
                "replace",
                "infra/nginx/shop.conf",
                "    client_max_body_size 1m;\n    gzip on;\n    gzip_types application/json;\n",
                old="    client_max_body_size 1m;\n",
            )
        ],
        label="d-nginx",
    )
    h.commit(
        "kevin",
        utc(2026, 3, 17, 14, 9),
        "payment: test that declines carry the acquirer's refusal reason",
        [
            Edit(
                "java_method",
                "payment-service/src/test/java/com/shop/payment/gateway/GatewayClientTest.java",
                _DECLINE_TEST,
            )
        ],
        label="d-paytest",
    )
    _write_repo(h)

    culprit, deployed, previous = (
        h.shas["culprit"],
        h.tags["payment-service/v2.14.0"],
        h.tags["payment-service/v2.13.2"],
    )
    inv_183 = h.tags["inventory-service/v1.8.3"]
    files = {p: repo.show(deployed, p) for p in (code.GATEWAY_CLIENT, code.PAYMENT_SERVICE, code.PAYMENT_CONTROLLER)}
    inv_files = {p: repo.show(inv_183, p) for p in (f"{code.INVENTORY}/reservations.py", f"{code.INVENTORY}/db.py")}
    java = JavaFrames.from_sources(files)

    start, end = utc(2026, 3, 17, 9, 40), utc(2026, 3, 17, 15, 20)
    deploy_at, rollback_at = utc(2026, 3, 17, 14, 21, 30), utc(2026, 3, 17, 14, 55, 0)
    pod_up = [us_of(deploy_at) + 11 * S, us_of(deploy_at) + 83 * S]
    pod_back = [us_of(rollback_at) + 14 * S, us_of(rollback_at) + 71 * S]
    inventory_at = utc(2026, 3, 17, 13, 5, 12)
    world = World(
        start=us_of(start),
        end=us_of(end),
        host_year=2026,
        payment_releases=[
            [
                Release(us_of(start) - 86400 * S, "2.13.2", previous[:7]),
                Release(pod_up[i], "2.14.0", deployed[:7]),
                Release(pod_back[i], "2.13.2", previous[:7]),
            ]
            for i in (0, 1)
        ],
        inventory_pods=[
            (us_of(start) - 86400 * S, "inventory-service-5c7d9b8f6d-q8wzt", _cid(rng), "1.8.2"),
            (us_of(inventory_at) + 20 * S, "inventory-service-6f4b8d7c95-lm2vd", _cid(rng), "1.8.3"),
        ],
        checkout_release=None,
        java=java,
        python=PythonFrames.from_sources(inv_files),
        leak=PoolLeak(deployed=pod_up, rolled_back=pod_back),
    )
    sim = Simulation(world, seed=1703)
    logs = sim.run().rendered()
    leak = world.leak
    onset = sim.first_symptom
    if onset is None or not us_of(deploy_at) < onset < us_of(rollback_at):
        raise RuntimeError(f"sample 1's fault did not develop between deploy and rollback (onset {onset})")

    deploys = _deploy_history(
        h,
        [
            ("payment-service", "2.13.0", utc(2026, 3, 2, 13, 10)),
            ("payment-service", "2.13.1", utc(2026, 3, 5, 16, 40)),
            ("checkout-service", "3.5.0", utc(2026, 3, 9, 14, 2)),
            ("inventory-service", "1.8.2", utc(2026, 3, 10, 10, 15)),
            ("payment-service", "2.13.2", utc(2026, 3, 11, 13, 30)),
        ],
    )
    deploys += [
        Deploy(utc(2026, 3, 17, 10, 34, 5), "v2.14.0", deployed, "payment-service", "staging", "release 2.14.0"),
        Deploy(inventory_at, "v1.8.3", inv_183, "inventory-service", "production", "release 1.8.3"),
        Deploy(deploy_at, "v2.14.0", deployed, "payment-service", "production", "release 2.14.0"),
        Deploy(
            rollback_at,
            "v2.13.2",
            previous,
            "payment-service",
            "production",
            "rollback: authorisations timing out (INC-2291)",
        ),
    ]
    frame_lines = [
        {
            "file": code.GATEWAY_CLIENT,
            "line": line,
            "last_changed_by": _blame(repo, deployed, code.GATEWAY_CLIENT, line),
            "frame": f"at com.shop.payment.gateway.GatewayClient.authorize(GatewayClient.java:{line})",
        }
        for line in (java.gateway_execute, java.gateway_throw)
    ]
    expected = {
        "name": PAYMENT_NAME,
        "category": "code change",
        "onset": _iso(onset),
        "fault_start": _iso(min(t for t in leak.exhausted_at if t is not None)),
        "recovery": _iso(pod_back[1]),
        "origin_service": "payment-service",
        "loudest_service": _loudest(logs),
        "culprit_commit": culprit,
        "culprit_title": "gateway: share one pooled HTTP client across acquirers",
        "culprit_files": [code.GATEWAY_CLIENT, code.PAYMENT_CONFIG],
        "culprit_deploy_version": "v2.14.0",
        "culprit_deploy_time": _iso(deploy_at),
        "culprit_deploy_commit": deployed,
        "frames": frame_lines,
        "version_banner": f"Starting PaymentService v2.14.0 (git {deployed[:7]})",
        "distractor_commits": [h.shas[k] for k in ("d-docs", "d-inventory", "d-test", "d-nginx", "d-paytest")],
        "unrelated_deploys": [{"service": "inventory-service", "version": "v1.8.3", "time": _iso(inventory_at)}],
        "preexisting_noise": [
            "Supplier feed sync failed: HTTP 503 from https://feeds.acme-supplies.example/v2/stock (will retry in 900s)",
            "Acquirer adyen responded slowly: <n> ms (threshold 2000 ms)",
            "HHH90003004: firstResult/maxResults specified with collection fetch; applying in memory",
            "cart price changed during checkout",
            "Invalid user <user> from <ip> port <port>",
        ],
        "sources": _sources(logs),
        "secrets_in_logs": [SECRETS[0]],  # appear in the logs; must never appear in a report
        "symptoms": [
            "timeout calling payment-service",
            "POST /api/checkout ... 504",
            "Gateway connection pool exhausted",
            "ConnectionPoolTimeoutException: Timeout waiting for connection from pool",
        ],
    }
    return Incident(PAYMENT_NAME, repo, logs, deploys, expected, _readme_payment(expected))


_ONCALL_CHECKLIST = """
## On-call checklist for checkout incidents
- Which service logged the first error? Timeouts in checkout usually mean the callee is slow, not checkout.
- Was anything deployed in the last hour? `deployctl history --since 1h`.
"""

_BATCHED = """    rows = response.json()["items"]
    for start in range(0, len(rows), 500):
        await db.upsert_stock(rows[start:start + 500])
"""

_CHECKOUT_TIMEOUT_TEST = """

@pytest.mark.asyncio
@respx.mock
async def test_timeouts_are_retried_three_times(cart):
    route = respx.post(PAYMENT_URL).mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(PaymentUnavailable):
        await PaymentClient().authorize(cart, "ord_test")
    assert route.call_count == 3
"""

_DECLINE_TEST = """
    @Test
    void declineCarriesTheRefusalReason() throws Exception {
        AuthorizationFixture fixture = AuthorizationFixture.declined("Insufficient funds");
        assertThat(fixture.client().authorize(fixture.request()).getReason()).isEqualTo("Insufficient funds");
    }
"""


# ---------------------------------------------------------------------------------------------------------------
# Sample 2: db-01's disk fills because WAL archiving to an unreachable NFS server fails. No change is to blame.
# ---------------------------------------------------------------------------------------------------------------

DISK_NAME = "db-disk-full"


def db_disk_full(workdir: Path) -> Incident:
    rng = random.Random(20260408)
    repo = RepoBuilder(workdir / "shop")
    h = History(repo)
    _routine_history(h, rng, utc(2026, 3, 11, 8, 15), utc(2026, 4, 7, 17, 0))
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
    _write_repo(h)

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
        inventory_pods=[(us_of(start) - 86400 * S, "inventory-service-7d5c9f8b4-rt6jn", _cid(rng), "1.8.4")],
        checkout_release=Release(us_of(deploy_at) + 25 * S, "3.6.0", deployed[:7]),
        java=JavaFrames.from_sources(files),
        python=PythonFrames.from_sources(inv_files),
        disk=disk,
        rate_scale=0.85,
    )
    sim = Simulation(world, seed=408)
    logs = sim.run().rendered()

    deploys = _deploy_history(
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
        "onset": _iso(sim.first_symptom),
        "fault_start": _iso(disk.full),
        "precursor_start": _iso(disk.nfs_lost),
        "recovery": _iso(disk.fixed),
        "origin_service": "postgres",
        "origin_host": "db-01",
        "loudest_service": _loudest(logs),
        "culprit_commit": None,
        "culprit_files": [],
        "culprit_deploy_version": None,
        "culprit_deploy_time": None,
        "frames": [],
        "unrelated_deploys": [{"service": "checkout-service", "version": "v3.6.0", "time": _iso(deploy_at)}],
        "distractor_commits": [h.shas[k] for k in ("d-docs", "d-test", "d-config", "d-infra")],
        "sources": _sources(logs),
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


# ---------------------------------------------------------------------------------------------------------------


def _deploy_history(h: History, rows: list[tuple[str, str, datetime]]) -> list[Deploy]:
    return [Deploy(t, f"v{v}", h.tags[f"{svc}/v{v}"], svc, "production", f"release {v}") for svc, v, t in rows]


def _sources(logs: dict[str, str]) -> list[dict]:
    """Each log file with the format it is written in and the service a person would name for it."""

    def describe(rel: str) -> tuple[str, str]:
        top = rel.split("/")[0]
        if top == "containers":
            return "kubernetes CRI, wrapping Python logging", "inventory-service"
        return {
            "nginx": ("nginx combined access log", "nginx"),
            "checkout-service": ("JSON lines", "checkout-service"),
            "payment-service": ("logback text with Java stack traces", "payment-service"),
            "postgres": ("PostgreSQL stderr log (log_line_prefix '%m [%p] ')", "postgres"),
            "syslog": ("syslog RFC 5424", "per line: the APP-NAME (kernel, sshd, CRON, systemd, ...)"),
        }[top]

    return [
        {"path": f"logs/{rel}.gz", "format": describe(rel)[0], "service": describe(rel)[1], "lines": text.count("\n")}
        for rel, text in sorted(logs.items())
    ]


def _blame(repo: RepoBuilder, rev: str, path: str, line: int) -> str:
    """The commit that last changed one line at a revision: what `git blame` on a frame should answer."""
    return repo.git("blame", "--porcelain", "-L", f"{line},{line}", rev, "--", path).split()[0]


def _cid(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(64))


def _loudest(logs: dict[str, str]) -> str:
    """The service with the most error lines: the victim, usually, and what a naive count would blame."""
    counts: dict[str, int] = {}
    for path, text in logs.items():
        service = path.split("/")[0]
        if service == "containers":
            service = "inventory-service"
        n = sum(1 for line in text.splitlines() if any(k in line for k in (
            '"level":"error"', " ERROR ", '" 504 ', '" 500 ', " PANIC:", " FATAL:")))  # fmt: skip
        counts[service] = counts.get(service, 0) + n
    return max(sorted(counts), key=lambda s: counts[s])


def _readme_payment(e: dict) -> str:
    return f"""# Sample incident: {PAYMENT_NAME}

Tuesday 17 March 2026, production. A shop: nginx in front of `checkout-service` (Python, JSON logs), which
reserves stock in `inventory-service` (Python, Kubernetes container logs) and authorises cards through
`payment-service` (Java/Spring, logback text with stack traces). All share PostgreSQL on db-01; every host
forwards syslog (RFC 5424).

## What happened
At 09:55 UTC the release bot tagged `payment-service/v2.14.0`. It carried a change merged that morning and
written the day before: *"{e["culprit_title"]}"* ({e["culprit_commit"][:10]}). The new
`GatewayClient.authorize` only closes the acquirer's response on the happy path: every 3-D Secure challenge
and every decline leaks a pooled connection, and the shared pool holds just 10.

v2.14.0 reached production at 14:21:30 UTC. The pool stats line (`Gateway pool stats: ... leased=N`) climbs
minute by minute; at {e["fault_start"]} the first pod's pool is empty. From then on authorisations wait for a
connection that never comes: checkout gives up after 3 s and retries twice, nginx answers 504 to the browser, and
payment-service itself logs comparatively few errors — only the waits that reach the 10 s pool timeout, with a
`ConnectionPoolTimeoutException` whose frames point at `GatewayClient.java`. The callers are far louder than the
origin: `{e["loudest_service"]}` logs the most errors. On-call rolled back to v2.13.2 at 14:55; the errors stop once
both pods restart.

## Traps for an analyser
- The loudest service (checkout timeouts, nginx 504s) is the victim, not the cause.
- Five commits landed after the culprit and closer to the onset: a runbook, an inventory change that was
  deployed at 13:05, a checkout test, an nginx config tweak and a payment-service test. None was in v2.14.0
  except as history; none touches the failing code.
- Noise that was there all day: the supplier feed's 503s (an ERROR every half hour or so), Hibernate's
  in-memory paging warning in payment-service (several a minute), slow-acquirer and price-change warnings, ssh
  brute force and UFW blocks in syslog.
- A secret: checkout logs the payment URL it was configured with, basic-auth password included, on every
  timeout — the most quoted line of the incident. A report must mask it (`secrets_in_logs` in expected.json).

## Files
- `logs/` — point `logrca analyze` here. nginx `combined` access log, checkout JSON lines, payment logback text
  (two pods), inventory CRI container logs (two pods: one per release), PostgreSQL, syslog per host.
- `repo.bundle` — the monorepo's history (`git clone repo.bundle shop`).
- `deploys.csv` — the deploy pipeline's record.
- `expected.json` — the ground truth the generator knows.

Regenerate with `python -m sample_logs.generate`.
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
