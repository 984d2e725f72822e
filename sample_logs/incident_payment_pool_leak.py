"""Sample 1: payment-service v2.14.0 leaks pooled connections; checkout and nginx time out.

The history: four weeks of ordinary work, the culprit written the day before and shipped in a release tagged
that morning, then five distractor commits closer to the onset than the culprit.
"""

from __future__ import annotations

import random
from pathlib import Path

from sample_logs import shop_code as code
from sample_logs.gitbuild import RepoBuilder
from sample_logs.incident import (
    Deploy,
    Incident,
    blame,
    cid,
    deploy_history,
    iso,
    loudest,
    routine_history,
    sources,
    utc,
    write_repo,
)
from sample_logs.shop_history import Edit
from sample_logs.shop_sim import Simulation
from sample_logs.shop_world import SECRETS, PoolLeak, Release, S, World, us_of
from sample_logs.story import History
from sample_logs.traces import JavaFrames, PythonFrames

PAYMENT_NAME = "payment-pool-leak"


def payment_pool_leak(workdir: Path) -> Incident:
    rng = random.Random(20260317)
    repo = RepoBuilder(workdir / "shop")
    h = History(repo)
    routine_history(h, rng, utc(2026, 2, 16, 8, 30), utc(2026, 3, 16, 18, 0))

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
    write_repo(h)

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
            (us_of(start) - 86400 * S, "inventory-service-5c7d9b8f6d-q8wzt", cid(rng), "1.8.2"),
            (us_of(inventory_at) + 20 * S, "inventory-service-6f4b8d7c95-lm2vd", cid(rng), "1.8.3"),
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

    deploys = deploy_history(
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
            "last_changed_by": blame(repo, deployed, code.GATEWAY_CLIENT, line),
            "frame": f"at com.shop.payment.gateway.GatewayClient.authorize(GatewayClient.java:{line})",
        }
        for line in (java.gateway_execute, java.gateway_throw)
    ]
    expected = {
        "name": PAYMENT_NAME,
        "category": "code change",
        "onset": iso(onset),
        "onset_is": "the first log line, in any service, that shows the failure",
        "fault_start": iso(min(t for t in leak.exhausted_at if t is not None)),
        "recovery": iso(pod_back[1]),
        "origin_service": "payment-service",
        "loudest_service": loudest(logs),
        "culprit_commit": culprit,
        "culprit_title": "gateway: share one pooled HTTP client across acquirers",
        "culprit_files": [code.GATEWAY_CLIENT, code.PAYMENT_CONFIG],
        "culprit_deploy_version": "v2.14.0",
        "culprit_deploy_time": iso(deploy_at),
        "culprit_deploy_commit": deployed,
        "frames": frame_lines,
        "version_banner": f"Starting PaymentService v2.14.0 (git {deployed[:7]})",
        "distractor_commits": [h.shas[k] for k in ("d-docs", "d-inventory", "d-test", "d-nginx", "d-paytest")],
        "unrelated_deploys": [{"service": "inventory-service", "version": "v1.8.3", "time": iso(inventory_at)}],
        "preexisting_noise": [
            "Supplier feed sync failed: HTTP 503 from https://feeds.acme-supplies.example/v2/stock (will retry in 900s)",
            "Acquirer adyen responded slowly: <n> ms (threshold 2000 ms)",
            "HHH90003004: firstResult/maxResults specified with collection fetch; applying in memory",
            "cart price changed during checkout",
            "Invalid user <user> from <ip> port <port>",
        ],
        "sources": sources(logs),
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
