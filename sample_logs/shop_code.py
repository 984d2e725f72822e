"""The source files of the sample shop's monorepo: a Java payment service, two Python services, nginx and k8s.

The contents are what the logs' stack frames point into, so line numbers are never typed by hand: the simulator
asks `line_of(text, marker)` for the line a frame names, in the revision that was deployed.
"""

from __future__ import annotations

PAY = "payment-service/src/main/java/com/shop/payment"
GATEWAY_CLIENT = f"{PAY}/gateway/GatewayClient.java"
PAYMENT_SERVICE = f"{PAY}/service/PaymentService.java"
PAYMENT_CONTROLLER = f"{PAY}/api/PaymentController.java"
PAYMENT_REPOSITORY = f"{PAY}/repository/PaymentRepository.java"
PAYMENT_CONFIG = "payment-service/src/main/resources/application.yml"
CHECKOUT = "checkout-service/src/checkout"
INVENTORY = "inventory-service/inventory"


def line_of(text: str, marker: str) -> int:
    """1-based number of the only line containing `marker`; several or none is a bug in the sample itself."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if marker in line]
    if len(hits) != 1:
        raise ValueError(f"marker {marker!r} found on lines {hits}, expected exactly one")
    return hits[0]


_GATEWAY_HEAD = """\
package com.shop.payment.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.shop.payment.config.GatewayProperties;
import com.shop.payment.model.AuthorizationRequest;
import com.shop.payment.model.AuthorizationResult;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.http.client.config.RequestConfig;
import org.apache.http.client.methods.CloseableHttpResponse;
import org.apache.http.client.methods.HttpPost;
import org.apache.http.entity.ContentType;
import org.apache.http.entity.StringEntity;
import org.apache.http.impl.client.CloseableHttpClient;
import org.apache.http.impl.client.HttpClients;
import org.apache.http.impl.conn.PoolingHttpClientConnectionManager;
import org.apache.http.pool.PoolStats;
import org.apache.http.util.EntityUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Talks to the card acquirers (Adyen, Stripe, Worldpay) over HTTPS.
 *
 * <p>Each call is bounded by the acquirer's timeouts from {@link GatewayProperties}. A slow acquirer is
 * logged but never failed over automatically: a second authorisation elsewhere could charge the card twice.
 */
@Component
public class GatewayClient {

    private static final Logger log = LoggerFactory.getLogger(GatewayClient.class);
    private static final long SLOW_CALL_MILLIS = 2000;

    private final GatewayProperties properties;
    private final ObjectMapper mapper;
    private final MeterRegistry meters;
"""

GATEWAY_BEFORE = (
    _GATEWAY_HEAD
    + """\
    private final Map<String, PoolingHttpClientConnectionManager> pools = new ConcurrentHashMap<>();
    private final Map<String, CloseableHttpClient> clients = new ConcurrentHashMap<>();

    public GatewayClient(GatewayProperties properties, ObjectMapper mapper, MeterRegistry meters) {
        this.properties = properties;
        this.mapper = mapper;
        this.meters = meters;
    }

    private CloseableHttpClient clientFor(String acquirer) {
        return clients.computeIfAbsent(acquirer, name -> {
            PoolingHttpClientConnectionManager pool = new PoolingHttpClientConnectionManager();
            pool.setMaxTotal(properties.getMaxConnections());
            pool.setDefaultMaxPerRoute(properties.getMaxConnections());
            pools.put(name, pool);
            RequestConfig config = RequestConfig.custom()
                    .setConnectTimeout((int) properties.getConnectTimeout().toMillis())
                    .setSocketTimeout((int) properties.getReadTimeout().toMillis())
                    .setConnectionRequestTimeout((int) properties.getPoolTimeout().toMillis())
                    .build();
            return HttpClients.custom().setConnectionManager(pool).setDefaultRequestConfig(config).build();
        });
    }

    public AuthorizationResult authorize(AuthorizationRequest request) throws GatewayException {
        String acquirer = request.getAcquirer();
        HttpPost post = new HttpPost(properties.endpointFor(acquirer) + "/authorisations");
        post.setHeader("Idempotency-Key", request.getPaymentId());
        post.setEntity(new StringEntity(toJson(request), ContentType.APPLICATION_JSON));
        Timer.Sample timer = Timer.start(meters);
        long started = System.nanoTime();
        try (CloseableHttpResponse response = clientFor(acquirer).execute(post)) {
            int status = response.getStatusLine().getStatusCode();
            String body = EntityUtils.toString(response.getEntity(), StandardCharsets.UTF_8);
            warnIfSlow(acquirer, started);
            if (status == 202) {
                return AuthorizationResult.challenge(request.getPaymentId(), response.getFirstHeader("Location").getValue());
            }
            if (status == 402) {
                return AuthorizationResult.declined(request.getPaymentId(), readReason(body));
            }
            if (status >= 300) {
                throw new GatewayException("acquirer " + acquirer + " answered HTTP " + status);
            }
            return parse(request, body);
        } catch (IOException e) {
            throw new GatewayException("authorize failed for acquirer " + acquirer, e);
        } finally {
            timer.stop(meters.timer("gateway.authorize", "acquirer", acquirer));
        }
    }

    @Scheduled(fixedDelay = 60_000)
    public void logPoolStats() {
        pools.forEach((acquirer, pool) -> {
            PoolStats stats = pool.getTotalStats();
            log.info("Gateway pool stats: acquirer={} leased={} pending={} available={} max={}",
                    acquirer, stats.getLeased(), stats.getPending(), stats.getAvailable(), stats.getMax());
        });
    }
"""
    + """
    private void warnIfSlow(String acquirer, long startedNanos) {
        long millis = (System.nanoTime() - startedNanos) / 1_000_000;
        if (millis > SLOW_CALL_MILLIS) {
            log.warn("Acquirer {} responded slowly: {} ms (threshold {} ms)", acquirer, millis, SLOW_CALL_MILLIS);
        }
    }

    private String toJson(AuthorizationRequest request) throws GatewayException {
        try {
            return mapper.writeValueAsString(request.toAcquirerPayload());
        } catch (IOException e) {
            throw new GatewayException("cannot encode authorisation for " + request.getPaymentId(), e);
        }
    }

    private AuthorizationResult parse(AuthorizationRequest request, String body) throws IOException {
        JsonNode node = mapper.readTree(body);
        return AuthorizationResult.approved(request.getPaymentId(), node.path("pspReference").asText(),
                node.path("authCode").asText());
    }

    private String readReason(String body) throws IOException {
        return mapper.readTree(body).path("refusalReason").asText("unknown");
    }
}
"""
)

# The culprit: one shared pool for every acquirer, sized smaller, and a response that is only closed on the
# happy path. 3-D Secure challenges (202), declines (402) and error answers return without consuming or closing
# the response, so each leaks its pooled connection until the pool runs dry.
GATEWAY_CULPRIT = (
    _GATEWAY_HEAD
    + """\
    private final PoolingHttpClientConnectionManager pool;
    private final CloseableHttpClient httpClient;

    public GatewayClient(GatewayProperties properties, ObjectMapper mapper, MeterRegistry meters) {
        this.properties = properties;
        this.mapper = mapper;
        this.meters = meters;
        // One pool for every acquirer: the per-acquirer pools kept idle TLS sockets open for hours.
        this.pool = new PoolingHttpClientConnectionManager();
        pool.setMaxTotal(properties.getMaxConnections());
        pool.setDefaultMaxPerRoute(properties.getMaxConnections());
        RequestConfig config = RequestConfig.custom()
                .setConnectTimeout((int) properties.getConnectTimeout().toMillis())
                .setSocketTimeout((int) properties.getReadTimeout().toMillis())
                .setConnectionRequestTimeout((int) properties.getPoolTimeout().toMillis())
                .build();
        this.httpClient = HttpClients.custom().setConnectionManager(pool).setDefaultRequestConfig(config).build();
    }

    public AuthorizationResult authorize(AuthorizationRequest request) throws GatewayException {
        String acquirer = request.getAcquirer();
        HttpPost post = new HttpPost(properties.endpointFor(acquirer) + "/authorisations");
        post.setHeader("Idempotency-Key", request.getPaymentId());
        post.setEntity(new StringEntity(toJson(request), ContentType.APPLICATION_JSON));
        Timer.Sample timer = Timer.start(meters);
        long started = System.nanoTime();
        try {
            CloseableHttpResponse response = httpClient.execute(post);
            int status = response.getStatusLine().getStatusCode();
            warnIfSlow(acquirer, started);
            if (status == 202) {
                return AuthorizationResult.challenge(request.getPaymentId(), response.getFirstHeader("Location").getValue());
            }
            if (status == 402) {
                // The reason phrase says enough for a decline; no need to parse the body.
                return AuthorizationResult.declined(request.getPaymentId(), response.getStatusLine().getReasonPhrase());
            }
            if (status >= 300) {
                throw new GatewayException("acquirer " + acquirer + " answered HTTP " + status);
            }
            String body = EntityUtils.toString(response.getEntity(), StandardCharsets.UTF_8);
            response.close();
            return parse(request, body);
        } catch (IOException e) {
            throw new GatewayException("authorize failed for acquirer " + acquirer, e);
        } finally {
            timer.stop(meters.timer("gateway.authorize", "acquirer", acquirer));
        }
    }

    @Scheduled(fixedDelay = 60_000)
    public void logPoolStats() {
        PoolStats stats = pool.getTotalStats();
        log.info("Gateway pool stats: acquirer={} leased={} pending={} available={} max={}",
                "all", stats.getLeased(), stats.getPending(), stats.getAvailable(), stats.getMax());
        if (stats.getAvailable() == 0 && stats.getPending() > 0) {
            log.warn("Gateway connection pool exhausted: leased={} pending={} max={}",
                    stats.getLeased(), stats.getPending(), stats.getMax());
        }
    }
"""
    + """
    private void warnIfSlow(String acquirer, long startedNanos) {
        long millis = (System.nanoTime() - startedNanos) / 1_000_000;
        if (millis > SLOW_CALL_MILLIS) {
            log.warn("Acquirer {} responded slowly: {} ms (threshold {} ms)", acquirer, millis, SLOW_CALL_MILLIS);
        }
    }

    private String toJson(AuthorizationRequest request) throws GatewayException {
        try {
            return mapper.writeValueAsString(request.toAcquirerPayload());
        } catch (IOException e) {
            throw new GatewayException("cannot encode authorisation for " + request.getPaymentId(), e);
        }
    }

    private AuthorizationResult parse(AuthorizationRequest request, String body) throws IOException {
        JsonNode node = mapper.readTree(body);
        return AuthorizationResult.approved(request.getPaymentId(), node.path("pspReference").asText(),
                node.path("authCode").asText());
    }

}
"""
)

GATEWAY_EXCEPTION = """\
package com.shop.payment.gateway;

/** An acquirer call that did not produce an answer: network, pool or protocol failure, never a decline. */
public class GatewayException extends Exception {

    public GatewayException(String message) {
        super(message);
    }

    public GatewayException(String message, Throwable cause) {
        super(message, cause);
    }
}
"""

PAYMENT_SERVICE_JAVA = """\
package com.shop.payment.service;

import com.shop.payment.gateway.AcquirerRouter;
import com.shop.payment.gateway.GatewayClient;
import com.shop.payment.gateway.GatewayException;
import com.shop.payment.model.AuthorizationRequest;
import com.shop.payment.model.AuthorizationResult;
import com.shop.payment.model.Payment;
import com.shop.payment.model.PaymentStatus;
import com.shop.payment.repository.PaymentRepository;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * Authorises, captures and refunds card payments for orders.
 *
 * <p>The payment row is written before the acquirer is called so that a crash between the two leaves a
 * PENDING payment the reconciler can settle, never a charge the shop does not know about.
 */
@Service
public class PaymentService {

    private static final Logger log = LoggerFactory.getLogger(PaymentService.class);

    private final GatewayClient gateway;
    private final AcquirerRouter router;
    private final PaymentRepository payments;
    private final Clock clock;

    public PaymentService(GatewayClient gateway, AcquirerRouter router, PaymentRepository payments, Clock clock) {
        this.gateway = gateway;
        this.router = router;
        this.payments = payments;
        this.clock = clock;
    }

    @Transactional
    public Payment authorize(String orderId, BigDecimal amount, String currency, String cardToken) {
        String acquirer = router.route(currency, cardToken);
        Payment payment = payments.save(Payment.pending(orderId, amount, currency, acquirer, Instant.now(clock)));
        log.info("Authorizing payment {} for order {} amount={} {} via {}",
                payment.getId(), orderId, amount, currency, acquirer);
        AuthorizationRequest request = AuthorizationRequest.of(payment, cardToken);
        try {
            AuthorizationResult result = gateway.authorize(request);
            payment.apply(result);
            if (result.isApproved()) {
                log.info("Payment {} authorized by {} in {} ms (auth_code={})",
                        payment.getId(), acquirer, result.getLatencyMillis(), result.getAuthCode());
            } else {
                log.info("Payment {} declined by {}: {}", payment.getId(), acquirer, result.getReason());
            }
        } catch (GatewayException e) {
            payment.setStatus(PaymentStatus.ERROR);
            log.error("Authorization failed for payment {} (order {}, acquirer {}): {}",
                    payment.getId(), orderId, acquirer, e.getMessage(), e);
        }
        return payments.save(payment);
    }

    @Transactional
    public Payment refund(String paymentId, BigDecimal amount) {
        Payment payment = payments.findById(paymentId).orElseThrow(() -> new PaymentNotFoundException(paymentId));
        log.info("Refunding {} of payment {}", amount, paymentId);
        payment.refund(amount, Instant.now(clock));
        return payments.save(payment);
    }
}
"""

PAYMENT_CONTROLLER_JAVA = """\
package com.shop.payment.api;

import com.shop.payment.model.Payment;
import com.shop.payment.service.PaymentService;
import jakarta.validation.Valid;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** The HTTP API checkout-service calls. Every response carries the payment id so retries stay idempotent. */
@RestController
@RequestMapping("/v1/payments")
public class PaymentController {

    private final PaymentService payments;

    public PaymentController(PaymentService payments) {
        this.payments = payments;
    }

    @PostMapping("/authorize")
    public ResponseEntity<PaymentResponse> authorize(@Valid @RequestBody AuthorizeRequest body) {
        Payment payment = payments.authorize(body.orderId(), body.amount(), body.currency(), body.cardToken());
        HttpStatus status = switch (payment.getStatus()) {
            case AUTHORIZED -> HttpStatus.CREATED;
            case DECLINED -> HttpStatus.PAYMENT_REQUIRED;
            default -> HttpStatus.BAD_GATEWAY;
        };
        return ResponseEntity.status(status).body(PaymentResponse.from(payment));
    }

    @PostMapping("/{paymentId}/refund")
    public ResponseEntity<PaymentResponse> refund(@PathVariable String paymentId, @Valid @RequestBody RefundRequest body) {
        return ResponseEntity.ok(PaymentResponse.from(payments.refund(paymentId, body.amount())));
    }
}
"""

PAYMENT_REPOSITORY_JAVA = """\
package com.shop.payment.repository;

import com.shop.payment.model.Payment;
import java.time.Instant;
import java.util.List;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

public interface PaymentRepository extends JpaRepository<Payment, String> {

    @Query("select p from Payment p where p.status = 'PENDING' and p.createdAt < :before")
    List<Payment> findStalePending(Instant before);
}
"""

ACQUIRER_ROUTER_JAVA = """\
package com.shop.payment.gateway;

import com.shop.payment.config.GatewayProperties;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/** Picks the acquirer for a card: by currency first, then by the routing table ops maintain. */
@Component
public class AcquirerRouter {

    private static final Logger log = LoggerFactory.getLogger(AcquirerRouter.class);

    private final GatewayProperties properties;
    private volatile Map<String, String> byCurrency = Map.of("EUR", "adyen", "GBP", "worldpay", "USD", "stripe");

    public AcquirerRouter(GatewayProperties properties) {
        this.properties = properties;
    }

    public String route(String currency, String cardToken) {
        return byCurrency.getOrDefault(currency, properties.getDefaultAcquirer());
    }

    @Scheduled(fixedDelay = 600_000)
    public void refresh() {
        Map<String, String> table = properties.loadRoutingTable();
        byCurrency = table;
        log.info("Refreshed acquirer routing table ({} acquirers)", List.copyOf(table.values()).stream().distinct().count());
    }
}
"""

PAYMENT_APPLICATION_JAVA = """\
package com.shop.payment;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.scheduling.annotation.EnableScheduling;

@SpringBootApplication
@EnableScheduling
public class PaymentService {

    public static void main(String[] args) {
        SpringApplication.run(PaymentService.class, args);
    }
}
"""

PAYMENT_YML = """\
server:
  port: 8080
  tomcat:
    threads:
      max: 200

spring:
  datasource:
    url: jdbc:postgresql://db-01.shop.internal:5432/payments
    username: payments
    hikari:
      maximum-pool-size: 20
      connection-timeout: 30000

gateway:
  default-acquirer: adyen
  connect-timeout: 2s
  read-timeout: 8s
  pool-timeout: 10s
  max-connections: 50
  acquirers:
    adyen: https://pal-live.adyen.example/pal/servlet/Payment/v68
    stripe: https://api.stripe.example/v1
    worldpay: https://access.worldpay.example/payments

management:
  endpoints:
    web:
      exposure:
        include: health,prometheus
"""

PAYMENT_POM = """\
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <parent>
    <groupId>org.springframework.boot</groupId>
    <artifactId>spring-boot-starter-parent</artifactId>
    <version>3.2.3</version>
  </parent>
  <groupId>com.shop</groupId>
  <artifactId>payment-service</artifactId>
  <version>2.12.0</version>
  <properties>
    <java.version>17</java.version>
    <httpclient.version>4.5.14</httpclient.version>
  </properties>
  <dependencies>
    <dependency>
      <groupId>org.springframework.boot</groupId>
      <artifactId>spring-boot-starter-web</artifactId>
    </dependency>
    <dependency>
      <groupId>org.springframework.boot</groupId>
      <artifactId>spring-boot-starter-data-jpa</artifactId>
    </dependency>
    <dependency>
      <groupId>org.apache.httpcomponents</groupId>
      <artifactId>httpclient</artifactId>
      <version>${httpclient.version}</version>
    </dependency>
    <dependency>
      <groupId>org.postgresql</groupId>
      <artifactId>postgresql</artifactId>
      <version>42.7.2</version>
    </dependency>
    <dependency>
      <groupId>io.micrometer</groupId>
      <artifactId>micrometer-registry-prometheus</artifactId>
    </dependency>
    <dependency>
      <groupId>org.springframework.boot</groupId>
      <artifactId>spring-boot-starter-test</artifactId>
      <scope>test</scope>
    </dependency>
  </dependencies>
</project>
"""

GATEWAY_TEST_JAVA = """\
package com.shop.payment.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.junit5.WireMockTest;
import org.junit.jupiter.api.Test;

@WireMockTest
class GatewayClientTest {

    @Test
    void approvedAuthorisationCarriesTheAuthCode() throws Exception {
        AuthorizationFixture fixture = AuthorizationFixture.approved("A1B2C3");
        assertThat(fixture.client().authorize(fixture.request()).getAuthCode()).isEqualTo("A1B2C3");
    }
}
"""

CHECKOUT_APP = """\
\"\"\"checkout-service: turns a cart into an order — reserve stock, authorise payment, persist.\"\"\"

from __future__ import annotations

import structlog
from fastapi import FastAPI, HTTPException

from checkout import orders
from checkout.carts import CartStore
from checkout.inventory_client import InventoryClient
from checkout.payment_client import PaymentClient, PaymentUnavailable

log = structlog.get_logger("checkout.api")
app = FastAPI(title="checkout-service")
carts = CartStore()
inventory = InventoryClient()
payments = PaymentClient()


@app.post("/v1/checkout")
async def checkout(cart_id: str, user_id: str) -> dict:
    cart = await carts.load(cart_id)
    log.info("checkout started", cart_id=cart_id, user_id=user_id, items=len(cart.items))
    reservation = await inventory.reserve(cart)
    try:
        auth = await payments.authorize(cart, reservation.order_id)
    except PaymentUnavailable as exc:
        await inventory.release(reservation)
        log.error("checkout failed", order_id=reservation.order_id, reason=str(exc))
        raise HTTPException(status_code=504, detail="payment provider unavailable") from exc
    order = await orders.place(cart, reservation, auth)
    log.info("order placed", order_id=order.id, total=str(order.total), currency=order.currency)
    return {"order_id": order.id, "status": order.status}


@app.get("/healthz")
async def healthz() -> dict:
    return {"ok": True}
"""

CHECKOUT_PAYMENT_CLIENT = """\
\"\"\"Calls payment-service. Retries only timeouts: the payment id makes a retried authorisation idempotent.\"\"\"

from __future__ import annotations

import asyncio
import os

import httpx
import structlog

log = structlog.get_logger("checkout.payment_client")

# Production sets PAYMENT_URL from the payment-service-credentials secret (basic auth in the URL).
PAYMENT_URL = os.environ.get("PAYMENT_URL", "http://payment-service.shop.svc.cluster.local:8080/v1/payments/authorize")
TIMEOUT_SECONDS = 3.0
ATTEMPTS = 3


class PaymentUnavailable(Exception):
    pass


class PaymentClient:
    def __init__(self, client: httpx.AsyncClient | None = None):
        self._client = client or httpx.AsyncClient(timeout=TIMEOUT_SECONDS)

    async def authorize(self, cart, order_id: str) -> dict:
        body = {"orderId": order_id, "amount": str(cart.total), "currency": cart.currency, "cardToken": cart.card_token}
        for attempt in range(1, ATTEMPTS + 1):
            try:
                response = await self._client.post(PAYMENT_URL, json=body)
            except httpx.TimeoutException:
                log.error("timeout calling payment-service", order_id=order_id, attempt=attempt,
                          timeout_ms=int(TIMEOUT_SECONDS * 1000), url=PAYMENT_URL)
                await asyncio.sleep(0.2 * attempt)
                continue
            if response.status_code in (201, 402):
                return response.json()
            log.error("payment-service returned an error", order_id=order_id, status=response.status_code)
            break
        log.error("payment authorization failed", order_id=order_id, attempts=attempt)
        raise PaymentUnavailable(f"payment-service did not answer after {attempt} attempts")
"""

CHECKOUT_INVENTORY_CLIENT = """\
\"\"\"Calls inventory-service to reserve and release stock for a checkout.\"\"\"

from __future__ import annotations

import httpx

INVENTORY_URL = "http://inventory-service.shop.svc.cluster.local:8000/v1"


class InventoryClient:
    def __init__(self, client: httpx.AsyncClient | None = None):
        self._client = client or httpx.AsyncClient(timeout=2.0)

    async def reserve(self, cart):
        response = await self._client.post(f"{INVENTORY_URL}/reservations", json=cart.reservation_payload())
        response.raise_for_status()
        return Reservation(**response.json())

    async def release(self, reservation) -> None:
        await self._client.delete(f"{INVENTORY_URL}/reservations/{reservation.id}")


class Reservation:
    def __init__(self, id: str, order_id: str, items: list):
        self.id = id
        self.order_id = order_id
        self.items = items
"""

CHECKOUT_ORDERS = """\
\"\"\"Persisting orders once payment is authorised.\"\"\"

from __future__ import annotations

from checkout import db


async def place(cart, reservation, auth):
    async with db.transaction() as tx:
        order = await tx.insert_order(
            order_id=reservation.order_id,
            user_id=cart.user_id,
            total=cart.total,
            currency=cart.currency,
            payment_id=auth["paymentId"],
        )
        await tx.insert_order_lines(order.id, cart.items)
    return order
"""

CHECKOUT_DB = """\
\"\"\"The orders database (PostgreSQL on db-01). One pool per process.\"\"\"

from __future__ import annotations

import contextlib

import psycopg_pool

DSN = "postgresql://checkout@db-01.shop.internal:5432/orders"
pool = psycopg_pool.AsyncConnectionPool(DSN, min_size=2, max_size=10, open=False)


@contextlib.asynccontextmanager
async def transaction():
    async with pool.connection() as conn:
        async with conn.transaction():
            yield OrdersTx(conn)


class OrdersTx:
    def __init__(self, conn):
        self.conn = conn

    async def insert_order(self, **order):
        await self.conn.execute(
            "INSERT INTO orders (id, user_id, total, currency, payment_id) VALUES (%(order_id)s, %(user_id)s, "
            "%(total)s, %(currency)s, %(payment_id)s)",
            order,
        )
        return Order(order["order_id"], order["total"], order["currency"])

    async def insert_order_lines(self, order_id, items):
        async with self.conn.cursor() as cur:
            await cur.executemany(
                "INSERT INTO order_lines (order_id, sku, qty, price) VALUES (%s, %s, %s, %s)",
                [(order_id, item.sku, item.qty, item.price) for item in items],
            )


class Order:
    def __init__(self, id, total, currency, status="placed"):
        self.id = id
        self.total = total
        self.currency = currency
        self.status = status
"""

CHECKOUT_CARTS = """\
\"\"\"Carts live in Redis for 48 hours; checkout reads them and never writes prices back.\"\"\"

from __future__ import annotations

import redis.asyncio as redis

CART_TTL_SECONDS = 48 * 3600


class CartStore:
    def __init__(self, url: str = "redis://redis.shop.svc.cluster.local:6379/2"):
        self._redis = redis.from_url(url)

    async def load(self, cart_id: str):
        raw = await self._redis.get(f"cart:{cart_id}")
        if raw is None:
            raise KeyError(cart_id)
        return Cart.from_json(raw)

    async def sweep_abandoned(self) -> int:
        removed = 0
        async for key in self._redis.scan_iter("cart:*"):
            if await self._redis.ttl(key) < 0:
                removed += await self._redis.delete(key)
        return removed
"""

CHECKOUT_PYPROJECT = """\
[project]
name = "checkout-service"
version = "3.4.0"
requires-python = ">=3.12"
dependencies = [
    "fastapi==0.110.0",
    "uvicorn[standard]==0.27.1",
    "httpx==0.27.0",
    "psycopg[binary,pool]==3.1.18",
    "redis==5.0.2",
    "structlog==24.1.0",
]

[project.optional-dependencies]
test = ["pytest==8.0.2", "pytest-asyncio==0.23.5", "respx==0.20.2"]
"""

CHECKOUT_TEST_PAYMENT = """\
import httpx
import pytest
import respx

from checkout.payment_client import PAYMENT_URL, PaymentClient, PaymentUnavailable


@pytest.mark.asyncio
@respx.mock
async def test_three_timeouts_make_payment_unavailable(cart):
    respx.post(PAYMENT_URL).mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(PaymentUnavailable):
        await PaymentClient().authorize(cart, "ord_test")
"""

CHECKOUT_TEST_ORDERS = """\
import pytest

from checkout import orders


@pytest.mark.asyncio
async def test_place_writes_order_and_lines(fake_db, cart, reservation):
    order = await orders.place(cart, reservation, {"paymentId": "pay_1"})
    assert order.id == reservation.order_id
    assert fake_db.lines_for(order.id) == len(cart.items)
"""

INVENTORY_MAIN = """\
\"\"\"inventory-service: stock levels and reservations for the shop.\"\"\"

from __future__ import annotations

import logging

from fastapi import FastAPI

from inventory import reservations, supplier_feed

logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
log = logging.getLogger("inventory.main")
app = FastAPI(title="inventory-service")
app.include_router(reservations.router)


@app.on_event("startup")
async def start_background_jobs() -> None:
    supplier_feed.schedule(interval_seconds=900)
    log.info("supplier feed sync scheduled every 900s")


@app.get("/healthz")
async def healthz() -> dict:
    return {"ok": True}
"""

INVENTORY_RESERVATIONS = """\
\"\"\"Reservations hold stock for a checkout for 15 minutes, until the order is placed or released.\"\"\"

from __future__ import annotations

import logging
import uuid

from fastapi import APIRouter, HTTPException

from inventory import db

log = logging.getLogger("inventory.reservations")
router = APIRouter(prefix="/v1")
HOLD_SECONDS = 900


@router.get("/stock/{sku}")
async def stock(sku: str) -> dict:
    return {"sku": sku, "available": await db.available(sku)}


@router.post("/reservations")
async def reserve(payload: dict) -> dict:
    order_id = "ord_" + uuid.uuid4().hex[:12]
    items = payload["items"]
    async with db.transaction() as tx:
        for item in items:
            left = await tx.decrement_stock(item["sku"], item["qty"])
            if left < 0:
                raise HTTPException(status_code=409, detail=f"{item['sku']} out of stock")
        reservation_id = await tx.insert_reservation(order_id, items, HOLD_SECONDS)
    log.info("Reserved %d items for order %s (reservation %s)", len(items), order_id, reservation_id)
    return {"id": reservation_id, "order_id": order_id, "items": items}


@router.delete("/reservations/{reservation_id}")
async def release(reservation_id: str) -> dict:
    async with db.transaction() as tx:
        order_id = await tx.release_reservation(reservation_id)
    log.info("Released reservation %s for order %s", reservation_id, order_id)
    return {"released": reservation_id}
"""

INVENTORY_DB = """\
\"\"\"Stock and reservations in PostgreSQL (db-01, database `inventory`).\"\"\"

from __future__ import annotations

import contextlib

import psycopg_pool

# A short pool timeout: a checkout waits 2 s for a reservation, so waiting longer here helps nobody.
pool = psycopg_pool.AsyncConnectionPool(
    "postgresql://inventory@db-01.shop.internal:5432/inventory", open=False, timeout=1.5
)


@contextlib.asynccontextmanager
async def transaction():
    async with pool.connection() as conn:
        async with conn.transaction():
            yield InventoryTx(conn)


async def available(sku: str) -> int:
    async with pool.connection() as conn:
        row = await (await conn.execute("SELECT available FROM stock WHERE sku = %s", (sku,))).fetchone()
        return row[0] if row else 0


class InventoryTx:
    def __init__(self, conn):
        self.conn = conn

    async def decrement_stock(self, sku: str, qty: int) -> int:
        cur = await self.conn.execute(
            "UPDATE stock SET available = available - %s WHERE sku = %s RETURNING available", (qty, sku)
        )
        return (await cur.fetchone())[0]

    async def insert_reservation(self, order_id: str, items: list, hold_seconds: int) -> str:
        cur = await self.conn.execute(
            "INSERT INTO reservations (order_id, items, expires_at) "
            "VALUES (%s, %s, now() + make_interval(secs => %s)) RETURNING id",
            (order_id, items, hold_seconds),
        )
        return "res_" + str((await cur.fetchone())[0])

    async def release_reservation(self, reservation_id: str) -> str:
        cur = await self.conn.execute(
            "DELETE FROM reservations WHERE id = %s RETURNING order_id", (reservation_id.removeprefix("res_"),)
        )
        return (await cur.fetchone())[0]
"""

INVENTORY_SUPPLIER_FEED = """\
\"\"\"Pulls stock levels from the supplier's feed every 15 minutes.\"\"\"

from __future__ import annotations

import asyncio
import logging

import httpx

log = logging.getLogger("inventory.supplier_feed")
FEED_URL = "https://feeds.acme-supplies.example/v2/stock"


def schedule(interval_seconds: int) -> None:
    asyncio.get_event_loop().create_task(_loop(interval_seconds))


async def _loop(interval_seconds: int) -> None:
    while True:
        await sync_once(interval_seconds)
        await asyncio.sleep(interval_seconds)


async def sync_once(interval_seconds: int) -> None:
    async with httpx.AsyncClient(timeout=20.0) as client:
        response = await client.get(FEED_URL)
    if response.status_code != 200:
        log.error("Supplier feed sync failed: HTTP %d from %s (will retry in %ds)",
                  response.status_code, FEED_URL, interval_seconds)
        return
    rows = response.json()["items"]
    log.info("Supplier feed sync: %d skus updated", len(rows))
"""

INVENTORY_REQUIREMENTS = """\
fastapi==0.110.0
uvicorn[standard]==0.27.1
httpx==0.27.0
psycopg[binary,pool]==3.1.18
"""

INVENTORY_TEST = """\
import pytest

from inventory import reservations


@pytest.mark.asyncio
async def test_reserve_holds_stock_for_fifteen_minutes(fake_db):
    result = await reservations.reserve({"items": [{"sku": "SKU-10001", "qty": 2}]})
    assert fake_db.hold_seconds(result["id"]) == reservations.HOLD_SECONDS
"""

NGINX_CONF = """\
upstream checkout { server checkout-service.shop.svc.cluster.local:8000; keepalive 32; }
upstream catalog  { server catalog.shop.svc.cluster.local:8000; keepalive 32; }

server {
    listen 443 ssl http2;
    server_name shop.example.com;

    access_log /var/log/nginx/access.log combined;
    client_max_body_size 1m;

    location /static/ {
        root /srv/shop;
        expires 7d;
    }

    location /api/checkout {
        proxy_pass http://checkout/v1/checkout;
        proxy_read_timeout 10s;
    }

    location /api/ {
        proxy_pass http://catalog/;
        proxy_read_timeout 5s;
    }

    location / {
        proxy_pass http://catalog/pages/;
    }
}
"""

POSTGRES_CONF = """\
# db-01: shared PostgreSQL 16 for checkout, inventory and payments
listen_addresses = '*'
max_connections = 300
shared_buffers = 8GB
log_line_prefix = '%m [%p] '
log_timezone = 'UTC'
log_min_duration_statement = 1000
log_checkpoints = on
log_autovacuum_min_duration = 5000
wal_level = replica
archive_mode = on
archive_command = 'test ! -f /mnt/wal-archive/%f && cp %p /mnt/wal-archive/%f'
"""


def k8s_deployment(name: str, image: str, port: int, replicas: int) -> str:
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: shop
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app: {name}
  template:
    metadata:
      labels:
        app: {name}
    spec:
      containers:
        - name: {name}
          image: registry.shop.example/{image}
          ports:
            - containerPort: {port}
          readinessProbe:
            httpGet:
              path: /healthz
              port: {port}
            periodSeconds: 10
"""


README = """\
# shop

The shop's backend: a monorepo of the services behind shop.example.com.

| service | language | owner |
|---|---|---|
| payment-service | Java 17, Spring Boot | payments team |
| checkout-service | Python 3.12, FastAPI | checkout team |
| inventory-service | Python 3.12, FastAPI | checkout team |
| infra | nginx, Kubernetes, PostgreSQL | platform team |

Each service is released by tagging `<service>/vX.Y.Z`; the deploy pipeline rolls the tag out to production.
"""

RUNBOOK_PAYMENTS = """\
# Runbook: payments

## Authorisations failing
1. Check the acquirer status pages.
2. Look at `gateway.authorize` latency in Grafana.
3. Roll back payment-service with `deployctl rollback payment-service` if the last deploy is recent.
"""

RUNBOOK_DATABASE = """\
# Runbook: db-01

## Disk usage alerts
- `/var/lib/postgresql` holds data and WAL. WAL is archived to backup-nfs-01 (`/mnt/wal-archive`).
- If archiving fails, WAL accumulates in `pg_wal` until the archive is reachable again.
"""

CI_WORKFLOW = """\
name: ci
on: [push, pull_request]
jobs:
  payment-service:
    runs-on: ubuntu-22.04
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-java@v4
        with: {distribution: temurin, java-version: "17"}
      - run: mvn -B -f payment-service/pom.xml verify
  python:
    runs-on: ubuntu-22.04
    strategy:
      matrix: {service: [checkout-service, inventory-service]}
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with: {python-version: "3.12"}
      - run: pip install -e "${{ matrix.service }}[test]" && pytest ${{ matrix.service }}/tests
"""


def initial_tree() -> dict[str, str]:
    """Every file of the first commit, by path."""
    return {
        "README.md": README,
        ".github/workflows/ci.yml": CI_WORKFLOW,
        "docs/runbooks/payments.md": RUNBOOK_PAYMENTS,
        "docs/runbooks/database.md": RUNBOOK_DATABASE,
        "infra/nginx/shop.conf": NGINX_CONF,
        "infra/postgres/postgresql.conf": POSTGRES_CONF,
        "infra/k8s/payment-service.yaml": k8s_deployment("payment-service", "payment-service:2.12.0", 8080, 2),
        "infra/k8s/checkout-service.yaml": k8s_deployment("checkout-service", "checkout-service:3.4.0", 8000, 3),
        "infra/k8s/inventory-service.yaml": k8s_deployment("inventory-service", "inventory-service:1.8.0", 8000, 1),
        "payment-service/pom.xml": PAYMENT_POM,
        f"{PAY}/PaymentService.java": PAYMENT_APPLICATION_JAVA,
        PAYMENT_CONTROLLER: PAYMENT_CONTROLLER_JAVA,
        PAYMENT_SERVICE: PAYMENT_SERVICE_JAVA,
        PAYMENT_REPOSITORY: PAYMENT_REPOSITORY_JAVA,
        GATEWAY_CLIENT: GATEWAY_BEFORE,
        f"{PAY}/gateway/GatewayException.java": GATEWAY_EXCEPTION,
        f"{PAY}/gateway/AcquirerRouter.java": ACQUIRER_ROUTER_JAVA,
        PAYMENT_CONFIG: PAYMENT_YML,
        "payment-service/src/test/java/com/shop/payment/gateway/GatewayClientTest.java": GATEWAY_TEST_JAVA,
        "checkout-service/pyproject.toml": CHECKOUT_PYPROJECT,
        f"{CHECKOUT}/__init__.py": "",
        f"{CHECKOUT}/app.py": CHECKOUT_APP,
        f"{CHECKOUT}/payment_client.py": CHECKOUT_PAYMENT_CLIENT,
        f"{CHECKOUT}/inventory_client.py": CHECKOUT_INVENTORY_CLIENT,
        f"{CHECKOUT}/orders.py": CHECKOUT_ORDERS,
        f"{CHECKOUT}/db.py": CHECKOUT_DB,
        f"{CHECKOUT}/carts.py": CHECKOUT_CARTS,
        "checkout-service/tests/test_payment_client.py": CHECKOUT_TEST_PAYMENT,
        "checkout-service/tests/test_orders.py": CHECKOUT_TEST_ORDERS,
        "inventory-service/requirements.txt": INVENTORY_REQUIREMENTS,
        f"{INVENTORY}/__init__.py": "",
        f"{INVENTORY}/main.py": INVENTORY_MAIN,
        f"{INVENTORY}/reservations.py": INVENTORY_RESERVATIONS,
        f"{INVENTORY}/db.py": INVENTORY_DB,
        f"{INVENTORY}/supplier_feed.py": INVENTORY_SUPPLIER_FEED,
        "inventory-service/tests/test_reservations.py": INVENTORY_TEST,
    }
