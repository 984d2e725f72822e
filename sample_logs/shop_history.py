"""Weeks of ordinary work on the shop monorepo: the commits every incident's history is built from.

A filler is one small, plausible change (a helper, a test, a doc line, a config value, a dependency bump) with
the message its author would write. Scenarios place them on working hours of the weeks before the incident and
add their own story commits (the culprit, releases, distractors) at fixed times.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sample_logs import shop_code as code
from sample_logs.gitbuild import Person, RepoBuilder

TEAM = {
    "jonas": Person("Jonas Weber", "jonas.weber@shop.example", "eu"),
    "priya": Person("Priya Raman", "priya.raman@shop.example", "india"),
    "kevin": Person("Kevin Liu", "kevin.liu@shop.example", "us-east"),
    "marta": Person("Marta Kowalska", "marta.kowalska@shop.example", "eu"),
    "dan": Person("Dan Okafor", "dan.okafor@shop.example", "uk"),
    "sofia": Person("Sofia Alvarez", "sofia.alvarez@shop.example", "eu"),
    "bot": Person("shop-release-bot", "release-bot@shop.example", "uk"),
}


@dataclass(frozen=True)
class Edit:
    kind: str  # "append" | "replace" | "java_method" | "create"
    path: str
    text: str
    old: str = ""


def apply_edits(repo: RepoBuilder, edits: list[Edit]) -> None:
    for edit in edits:
        target = repo.path / edit.path
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if edit.kind == "create":
            new = edit.text
        elif edit.kind == "append":
            new = current + edit.text
        elif edit.kind == "replace":
            if edit.old not in current:
                raise ValueError(f"{edit.path}: {edit.old!r} not found")
            new = current.replace(edit.old, edit.text, 1)
        elif edit.kind == "java_method":
            cut = current.rstrip().rfind("}")
            new = current[:cut] + edit.text + current[cut:]
        else:
            raise ValueError(edit.kind)
        repo.write({edit.path: new})


@dataclass(frozen=True)
class Filler:
    author: str
    message: str
    edits: tuple[Edit, ...]


def _fillers() -> list[Filler]:
    C, INV, P = code.CHECKOUT, code.INVENTORY, code.PAY
    return [
        Filler(
            "priya",
            "checkout: answer 404 for unknown carts instead of 500",
            (
                Edit(
                    "replace",
                    f"{C}/app.py",
                    """    try:
        cart = await carts.load(cart_id)
    except KeyError:
        raise HTTPException(status_code=404, detail="unknown cart") from None
""",
                    old="    cart = await carts.load(cart_id)\n",
                ),
            ),
        ),
        Filler(
            "dan",
            "ci: cache the maven repository between runs",
            (
                Edit(
                    "replace",
                    ".github/workflows/ci.yml",
                    'with: {distribution: temurin, java-version: "17", cache: maven}',
                    old='with: {distribution: temurin, java-version: "17"}',
                ),
            ),
        ),
        Filler(
            "marta",
            "payment: add findByOrderId to the payment repository",
            (Edit("java_method", code.PAYMENT_REPOSITORY, "\n    List<Payment> findByOrderId(String orderId);\n"),),
        ),
        Filler(
            "sofia",
            "docs: explain how releases are tagged",
            (
                Edit(
                    "append",
                    "README.md",
                    "\nReleases: `git tag -a payment-service/v2.13.0 -m ...` then `deployctl rollout`.\n",
                ),
            ),
        ),
        Filler(
            "priya",
            "inventory: expose reservation hold time in the response",
            (
                Edit(
                    "replace",
                    f"{INV}/reservations.py",
                    'return {"id": reservation_id, "order_id": order_id, "items": items, "hold_seconds": HOLD_SECONDS}',
                    old='return {"id": reservation_id, "order_id": order_id, "items": items}',
                ),
            ),
        ),
        Filler(
            "dan",
            "infra: cache static assets for 30 days",
            (Edit("replace", "infra/nginx/shop.conf", "expires 30d;", old="expires 7d;"),),
        ),
        Filler(
            "jonas",
            "payment: bump postgresql driver to 42.7.3",
            (Edit("replace", "payment-service/pom.xml", "<version>42.7.3</version>", old="<version>42.7.2</version>"),),
        ),
        Filler(
            "priya",
            "checkout: add test for empty carts",
            (
                Edit(
                    "append",
                    "checkout-service/tests/test_orders.py",
                    """

@pytest.mark.asyncio
async def test_empty_cart_is_rejected(fake_db, empty_cart, reservation):
    with pytest.raises(ValueError):
        await orders.place(empty_cart, reservation, {"paymentId": "pay_2"})
""",
                ),
            ),
        ),
        Filler(
            "marta",
            "payment: read the default acquirer from config",
            (
                Edit(
                    "replace",
                    code.PAYMENT_CONFIG,
                    "  default-acquirer: adyen\n  fallback-currency: EUR\n",
                    old="  default-acquirer: adyen\n",
                ),
            ),
        ),
        Filler(
            "kevin",
            "payment: add refund endpoint validation test",
            (
                Edit(
                    "create",
                    "payment-service/src/test/java/com/shop/payment/api/PaymentControllerTest.java",
                    """\
package com.shop.payment.api;

import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.web.servlet.WebMvcTest;
import org.springframework.test.web.servlet.MockMvc;

@WebMvcTest(PaymentController.class)
class PaymentControllerTest {

    @Autowired
    private MockMvc mvc;

    @Test
    void refundWithoutAmountIsBadRequest() throws Exception {
        mvc.perform(post("/v1/payments/pay_1/refund").contentType("application/json").content("{}"))
                .andExpect(status().isBadRequest());
    }
}
""",
                ),
            ),
        ),
        Filler(
            "sofia",
            "inventory: give the supplier feed 30s, its p99 is 18s",
            (
                Edit(
                    "replace",
                    f"{INV}/supplier_feed.py",
                    "httpx.AsyncClient(timeout=30.0)",
                    old="httpx.AsyncClient(timeout=20.0)",
                ),
            ),
        ),
        Filler(
            "dan",
            "infra: two inventory replicas during business hours",
            (Edit("replace", "infra/k8s/inventory-service.yaml", "replicas: 2", old="replicas: 1"),),
        ),
        Filler(
            "jonas",
            "checkout: pin structlog 24.1.0 in the lock file",
            (
                Edit(
                    "create",
                    "checkout-service/requirements.lock",
                    "structlog==24.1.0\nhttpx==0.27.0\nfastapi==0.110.0\n",
                ),
            ),
        ),
        Filler(
            "priya",
            "checkout: sweep abandoned carts every five minutes",
            (
                Edit(
                    "append",
                    f"{C}/carts.py",
                    """

async def sweep_forever(store: CartStore, interval_seconds: int = 300) -> None:
    import asyncio

    import structlog

    log = structlog.get_logger("checkout.carts")
    while True:
        removed = await store.sweep_abandoned()
        log.info("abandoned cart sweep", removed=removed)
        await asyncio.sleep(interval_seconds)
""",
                ),
            ),
        ),
        Filler(
            "marta",
            "payment: name the routing table refresh interval",
            (
                Edit(
                    "replace",
                    f"{P}/gateway/AcquirerRouter.java",
                    '@Scheduled(fixedDelayString = "${gateway.routing-refresh:600000}")',
                    old="@Scheduled(fixedDelay = 600_000)",
                ),
            ),
        ),
        Filler(
            "kevin",
            "docs: payment runbook, how to read gateway pool stats",
            (
                Edit(
                    "append",
                    "docs/runbooks/payments.md",
                    """
## Gateway pool stats
`Gateway pool stats: ... leased=N pending=M` is logged every minute. `pending > 0` for several minutes means
calls wait for a connection: check the acquirer latency first.
""",
                ),
            ),
        ),
        Filler(
            "sofia",
            "inventory: reject reservations with zero quantity",
            (
                Edit(
                    "replace",
                    f"{INV}/reservations.py",
                    """    items = payload["items"]
    if any(item["qty"] <= 0 for item in items):
        raise HTTPException(status_code=422, detail="quantities must be positive")
""",
                    old='    items = payload["items"]\n',
                ),
            ),
        ),
        Filler(
            "dan",
            "ci: run python tests on 3.12 and 3.13",
            (
                Edit(
                    "replace",
                    ".github/workflows/ci.yml",
                    'matrix: {service: [checkout-service, inventory-service], python: ["3.12", "3.13"]}',
                    old="matrix: {service: [checkout-service, inventory-service]}",
                ),
            ),
        ),
        Filler(
            "jonas",
            "payment: lower hikari connection timeout to 20s",
            (Edit("replace", code.PAYMENT_CONFIG, "connection-timeout: 20000", old="connection-timeout: 30000"),),
        ),
        Filler(
            "priya",
            "checkout: note that order totals are Decimal, never float",
            (
                Edit(
                    "replace",
                    f"{C}/orders.py",
                    '"""Persisting orders once payment is authorised; totals are Decimal, never float."""',
                    old='"""Persisting orders once payment is authorised."""',
                ),
            ),
        ),
        Filler(
            "marta",
            "payment: add PaymentNotFoundException",
            (
                Edit(
                    "create",
                    f"{P}/service/PaymentNotFoundException.java",
                    """\
package com.shop.payment.service;

public class PaymentNotFoundException extends RuntimeException {

    public PaymentNotFoundException(String paymentId) {
        super("no payment " + paymentId);
    }
}
""",
                ),
            ),
        ),
        Filler(
            "sofia",
            "inventory: test releasing an unknown reservation",
            (
                Edit(
                    "append",
                    "inventory-service/tests/test_reservations.py",
                    """

@pytest.mark.asyncio
async def test_release_unknown_reservation_is_404(fake_db):
    with pytest.raises(Exception):
        await reservations.release("res_999999")
""",
                ),
            ),
        ),
        Filler(
            "dan",
            "infra: readiness probe every 5s for checkout",
            (Edit("replace", "infra/k8s/checkout-service.yaml", "periodSeconds: 5", old="periodSeconds: 10"),),
        ),
        Filler(
            "kevin",
            "payment: log declines with the acquirer's reason",
            (
                Edit(
                    "append",
                    "docs/runbooks/payments.md",
                    "\nDeclines are logged at INFO with the acquirer's refusal reason; they are not errors.\n",
                ),
            ),
        ),
        Filler(
            "jonas",
            "build: bump spring boot to 3.2.4",
            (Edit("replace", "payment-service/pom.xml", "<version>3.2.4</version>", old="<version>3.2.3</version>"),),
        ),
        Filler(
            "priya",
            "checkout: bump httpx to 0.27.2",
            (Edit("replace", "checkout-service/pyproject.toml", '"httpx==0.27.2"', old='"httpx==0.27.0"'),),
        ),
        Filler(
            "marta",
            "payment: index payments by order id",
            (
                Edit(
                    "create",
                    "payment-service/src/main/resources/db/migration/V14__payments_order_idx.sql",
                    "CREATE INDEX CONCURRENTLY IF NOT EXISTS payments_order_id_idx ON payments (order_id);\n",
                ),
            ),
        ),
        Filler(
            "sofia",
            "inventory: bump uvicorn to 0.29.0",
            (
                Edit(
                    "replace",
                    "inventory-service/requirements.txt",
                    "uvicorn[standard]==0.29.0",
                    old="uvicorn[standard]==0.27.1",
                ),
            ),
        ),
        Filler(
            "dan",
            "infra: raise postgres max_connections to 400",
            (Edit("replace", "infra/postgres/postgresql.conf", "max_connections = 400", old="max_connections = 300"),),
        ),
        Filler(
            "jonas",
            "docs: architecture overview of the checkout flow",
            (
                Edit(
                    "create",
                    "docs/architecture.md",
                    """\
# Checkout flow

nginx → checkout-service → inventory-service (reserve) → payment-service (authorise) → acquirer.
A checkout that cannot authorise releases its reservation and answers 504 to the browser.
""",
                ),
            ),
        ),
        Filler(
            "priya",
            "checkout: test that a 402 is returned to the caller",
            (
                Edit(
                    "append",
                    "checkout-service/tests/test_payment_client.py",
                    """

@pytest.mark.asyncio
@respx.mock
async def test_decline_is_returned_not_retried(cart):
    route = respx.post(PAYMENT_URL).respond(402, json={"status": "DECLINED"})
    assert (await PaymentClient().authorize(cart, "ord_test"))["status"] == "DECLINED"
    assert route.call_count == 1
""",
                ),
            ),
        ),
        Filler(
            "marta",
            "payment: tidy imports in PaymentRepository",
            (
                Edit(
                    "replace",
                    code.PAYMENT_REPOSITORY,
                    "import java.util.List;\nimport java.util.Optional;\n",
                    old="import java.util.List;\n",
                ),
            ),
        ),
        Filler(
            "kevin",
            "ci: publish payment-service test reports",
            (
                Edit(
                    "append",
                    ".github/workflows/ci.yml",
                    """  reports:
    needs: payment-service
    runs-on: ubuntu-22.04
    steps:
      - uses: actions/upload-artifact@v4
        with: {name: surefire, path: payment-service/target/surefire-reports}
""",
                ),
            ),
        ),
        Filler(
            "sofia",
            "inventory: document the supplier feed contract",
            (
                Edit(
                    "replace",
                    f"{INV}/supplier_feed.py",
                    '"""Pulls stock levels from the supplier\'s feed every 15 minutes; a failed sync keeps the last levels."""',
                    old='"""Pulls stock levels from the supplier\'s feed every 15 minutes."""',
                ),
            ),
        ),
        Filler(
            "dan",
            "infra: log upstream response time in nginx access log (staging only)",
            (
                Edit(
                    "create",
                    "infra/nginx/staging.conf",
                    "log_format timed '$remote_addr [$time_iso8601] \"$request\" $status $upstream_response_time';\n",
                ),
            ),
        ),
        Filler(
            "jonas",
            "payment: bump micrometer to 1.12.4",
            (
                Edit(
                    "replace",
                    "payment-service/pom.xml",
                    "<artifactId>micrometer-registry-prometheus</artifactId>\n      <version>1.12.4</version>",
                    old="<artifactId>micrometer-registry-prometheus</artifactId>",
                ),
            ),
        ),
        Filler(
            "priya",
            "checkout: a CartMissing error for expired carts",
            (
                Edit(
                    "append",
                    f"{C}/carts.py",
                    """

class CartMissing(KeyError):
    \"\"\"A cart id that Redis no longer knows: expired or never created.\"\"\"
""",
                ),
            ),
        ),
        Filler(
            "jonas",
            "payment: expose authorisation latency percentiles",
            (
                Edit(
                    "replace",
                    code.PAYMENT_CONFIG,
                    """management:
  metrics:
    distribution:
      percentiles:
        gateway.authorize: 0.5, 0.95, 0.99
""",
                    old="management:\n",
                ),
            ),
        ),
        Filler(
            "marta",
            "payment: count payments by status for the dashboard",
            (Edit("java_method", code.PAYMENT_REPOSITORY, "\n    long countByStatus(String status);\n"),),
        ),
        Filler(
            "sofia",
            "inventory: db helper to check that a sku exists",
            (
                Edit(
                    "append",
                    f"{INV}/db.py",
                    """

async def exists(sku: str) -> bool:
    async with pool.connection() as conn:
        row = await (await conn.execute("SELECT 1 FROM stock WHERE sku = %s", (sku,))).fetchone()
        return row is not None
""",
                ),
            ),
        ),
        Filler(
            "dan",
            "infra: pod disruption budget for payment-service",
            (
                Edit(
                    "create",
                    "infra/k8s/payment-service-pdb.yaml",
                    """apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: payment-service
  namespace: shop
spec:
  minAvailable: 1
  selector:
    matchLabels:
      app: payment-service
""",
                ),
            ),
        ),
        Filler(
            "kevin",
            "payment: document the acquirer timeouts",
            (
                Edit(
                    "append",
                    "docs/runbooks/payments.md",
                    """
## Timeouts
connect 2 s, read 8 s, waiting for a pooled connection 10 s (`gateway.pool-timeout`). checkout gives up
after 3 s per attempt and retries twice with the same payment id.
""",
                ),
            ),
        ),
        Filler(
            "priya",
            "checkout: test the abandoned cart sweep",
            (
                Edit(
                    "create",
                    "checkout-service/tests/test_carts.py",
                    """import pytest

from checkout.carts import CartStore


@pytest.mark.asyncio
async def test_sweep_removes_carts_without_ttl(fake_redis):
    fake_redis.set("cart:c1", "{}")
    assert await CartStore(client=fake_redis).sweep_abandoned() == 1
""",
                ),
            ),
        ),
        Filler(
            "jonas",
            "ci: fail on new compiler warnings in payment-service",
            (
                Edit(
                    "replace",
                    ".github/workflows/ci.yml",
                    "      - run: mvn -B -f payment-service/pom.xml -Dmaven.compiler.failOnWarning=true verify",
                    old="      - run: mvn -B -f payment-service/pom.xml verify",
                ),
            ),
        ),
        Filler(
            "sofia",
            "inventory: test that releases log the order id",
            (
                Edit(
                    "append",
                    "inventory-service/tests/test_reservations.py",
                    """

@pytest.mark.asyncio
async def test_release_logs_the_order(fake_db, caplog):
    result = await reservations.reserve({"items": [{"sku": "SKU-10015", "qty": 1}]})
    await reservations.release(result["id"])
    assert result["order_id"] in caplog.text
""",
                ),
            ),
        ),
        Filler(
            "marta",
            "payment: refund requests must carry a positive amount",
            (
                Edit(
                    "create",
                    f"{P}/api/RefundRequest.java",
                    """package com.shop.payment.api;

import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.NotNull;
import java.math.BigDecimal;

public record RefundRequest(@NotNull @DecimalMin(value = "0.01") BigDecimal amount) {
}
""",
                ),
            ),
        ),
        Filler(
            "dan",
            "infra: alert when db-01's data volume passes 85%",
            (
                Edit(
                    "create",
                    "infra/monitoring/alerts.yaml",
                    """groups:
  - name: db
    rules:
      - alert: PostgresVolumeFilling
        expr: node_filesystem_avail_bytes{instance="db-01",mountpoint="/var/lib/postgresql"} / node_filesystem_size_bytes < 0.15
        for: 10m
        labels: {severity: page}
""",
                ),
            ),
        ),
        Filler(
            "kevin",
            "payment: AuthorizeRequest validation messages",
            (
                Edit(
                    "create",
                    f"{P}/api/AuthorizeRequest.java",
                    """package com.shop.payment.api;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import java.math.BigDecimal;

public record AuthorizeRequest(
        @NotBlank(message = "orderId is required") String orderId,
        @NotNull(message = "amount is required") BigDecimal amount,
        @NotBlank String currency,
        @NotBlank String cardToken) {
}
""",
                ),
            ),
        ),
        Filler(
            "priya",
            "checkout: bump structlog to 24.1.3",
            (Edit("replace", "checkout-service/pyproject.toml", '"structlog==24.1.3"', old='"structlog==24.1.0"'),),
        ),
        Filler(
            "jonas",
            "docs: how to roll back a service",
            (
                Edit(
                    "create",
                    "docs/runbooks/rollback.md",
                    """# Rolling back

`deployctl rollback <service>` redeploys the previous production tag. It takes about a minute per pod;
payment-service drains in-flight authorisations first (graceful shutdown, 30 s).
""",
                ),
            ),
        ),
        Filler(
            "sofia",
            "inventory: expose the supplier sync interval as a setting",
            (
                Edit(
                    "append",
                    f"{INV}/main.py",
                    """

SUPPLIER_SYNC_SECONDS = 900  # the supplier publishes every 15 minutes; polling faster only adds 503s
""",
                ),
            ),
        ),
        Filler(
            "marta",
            "payment: test the routing table refresh",
            (
                Edit(
                    "create",
                    "payment-service/src/test/java/com/shop/payment/gateway/AcquirerRouterTest.java",
                    """package com.shop.payment.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AcquirerRouterTest {

    @Test
    void gbpGoesToWorldpay() {
        assertThat(RouterFixture.router().route("GBP", "tok_visa")).isEqualTo("worldpay");
    }
}
""",
                ),
            ),
        ),
        Filler(
            "dan",
            "infra: nginx rate limit for /api/cart",
            (
                Edit(
                    "replace",
                    "infra/nginx/shop.conf",
                    """    location /api/cart {
        limit_req zone=cart burst=20 nodelay;
        proxy_pass http://catalog/cart;
    }

    location /api/ {""",
                    old="    location /api/ {",
                ),
            ),
        ),
        Filler(
            "kevin",
            "docs: the reconciler never re-authorises",
            (
                Edit(
                    "append",
                    "docs/runbooks/payments.md",
                    "\nThe reconciler asks the acquirer by idempotency key (the payment id); it never re-authorises.\n",
                ),
            ),
        ),
        Filler(
            "priya",
            "checkout: respx fixtures shared across tests",
            (
                Edit(
                    "create",
                    "checkout-service/tests/conftest.py",
                    """import pytest


@pytest.fixture
def cart():
    from decimal import Decimal
    from types import SimpleNamespace

    return SimpleNamespace(total=Decimal("59.90"), currency="EUR", card_token="tok_visa", user_id="u1", items=[])
""",
                ),
            ),
        ),
        Filler(
            "jonas",
            "docs: note which HttpClient the Java services use",
            (
                Edit(
                    "append",
                    "README.md",
                    "\nJava services use Apache HttpClient 4.5.14; do not mix in 5.x until the gateway is migrated.\n",
                ),
            ),
        ),
        Filler(
            "sofia",
            "inventory: bump psycopg to 3.1.19",
            (
                Edit(
                    "replace",
                    "inventory-service/requirements.txt",
                    "psycopg[binary,pool]==3.1.19",
                    old="psycopg[binary,pool]==3.1.18",
                ),
            ),
        ),
        Filler(
            "marta",
            "payment: migration for refund reasons",
            (
                Edit(
                    "create",
                    "payment-service/src/main/resources/db/migration/V15__refund_reason.sql",
                    "ALTER TABLE refunds ADD COLUMN reason text;\n",
                ),
            ),
        ),
        Filler(
            "dan",
            "infra: pin postgres exporter to 0.15.0",
            (Edit("create", "infra/k8s/postgres-exporter.yaml", k8s_exporter()),),
        ),
        Filler(
            "priya",
            "checkout: document the checkout flow's status codes",
            (
                Edit(
                    "append",
                    "checkout-service/README.md",
                    """# checkout-service

`POST /v1/checkout` answers 201 (order placed), 202 (3-D Secure challenge), 402 (declined), 404 (unknown cart),
409 (out of stock) or 504 (payment-service did not answer).
""",
                ),
            ),
        ),
    ]


def k8s_exporter() -> str:
    return code.k8s_deployment("postgres-exporter", "prometheuscommunity/postgres-exporter:v0.15.0", 9187, 1)


def working_slots(rng: random.Random, start: datetime, end: datetime, count: int) -> list[datetime]:
    """`count` commit times on weekdays between start and end, 08:00–18:00 UTC, sorted and distinct."""
    days = []
    day = start
    while day < end:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    slots = set()
    while len(slots) < count:
        d = rng.choice(days)
        t = d.replace(hour=0, minute=0, second=0) + timedelta(seconds=rng.randrange(8 * 3600, 18 * 3600))
        if start <= t < end:
            slots.add(t)
    return sorted(slots)


def filler_plan(rng: random.Random, start: datetime, end: datetime) -> list[tuple[datetime, Filler]]:
    fillers = _fillers()
    return list(zip(working_slots(rng, start, end, len(fillers)), fillers, strict=True))
