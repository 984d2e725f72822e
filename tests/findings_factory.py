"""A realistic Findings for report tests: a shop whose payments change broke checkout.

Shaped like what the analyzer produces for the bundled shop incident: payments starts timing out against the
database after a commit that shrank its connection pool; checkout (the loudest service) is the victim.
Tests pass `planted` lines to put text (secrets, markup) everywhere log text can reach the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from analyzer.findings import (
    Anomaly,
    Evidence,
    Example,
    Findings,
    Incident,
    Inputs,
    RootCause,
    SeriesPoint,
    ServiceScore,
    SourceReport,
    StateChange,
    Suspect,
    TimelineEntry,
)

T0 = datetime(2026, 11, 20, 13, 0, tzinfo=timezone.utc)
ONSET = T0 + timedelta(minutes=62)
PEAK = T0 + timedelta(minutes=75)
RECOVERY = T0 + timedelta(minutes=101)
DEPLOY = T0 + timedelta(minutes=58)
SHA = "3f9c2a7be1d04c55a8e2f1b6c9d0e7a4b5c6d7e8"
OTHER_SHA = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
REVERT_SHA = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a291807"
BUCKET = 60

STACK_TRACE = (
    "ERROR [payments] c.s.p.ChargeService - charge failed order=81723\n"
    "java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out after 250ms.\n"
    "\tat com.zaxxer.hikari.pool.HikariPool.createTimeoutException(HikariPool.java:696)\n"
    "\tat com.shop.payments.ChargeService.charge(ChargeService.java:88)"
)


def make_findings(planted: Sequence[str] = (), with_repo: bool = True) -> Findings:
    """The shop incident. Each planted string is appended to a spot a log line (or commit text) can reach."""
    plant = _Planter(planted)
    # every other spot takes its planted line first; the anomalies' examples take all that is left
    suspects = _suspects(plant) if with_repo else []
    summary = "payments ran out of database connections after commit 3f9c2a7 shrank the pool to 4" + plant.next()
    timeline = _timeline(plant, with_repo)
    restart = "Started PaymentsApplication in 7.2 seconds (version 2.14.0)" + plant.next()
    note = "2 sources had no time zone; UTC was assumed" + plant.next()
    anomalies = _anomalies(plant)
    return Findings(
        tool_version="0.1.0",
        generated_at=T0 + timedelta(hours=3),
        inputs=_inputs(with_repo),
        incident=Incident(
            start=ONSET,
            end=RECOVERY,
            detection="auto",
            peak=PEAK,
            baseline_start=T0,
            baseline_end=ONSET,
            method="change point in the error rate of payments (Poisson test, p < 0.001), first new template at onset",
        ),
        services=_services(),
        anomalies=anomalies,
        suspects=suspects,
        root_cause=RootCause(
            summary=summary,
            confidence="high" if with_repo else "low",
            suspect=0 if with_repo else None,
            service="payments",
            category="config change" if with_repo else None,
            ruled_out=[
                "frontend 'upstream timeout' errors start 40 s after payments' and follow checkout (a victim)",
                "the cart cache-miss warnings were as frequent before the onset (noise)",
            ],
        ),
        timeline=timeline,
        state_changes=[StateChange(DEPLOY + timedelta(seconds=30), "payments", "restart", restart,
                                   "logs/payments/app.log", 4410)],
        series=_series(),
        bucket_seconds=BUCKET,
        notes=[note],
    )


class _Planter:
    """Hands out the planted strings one at a time, then nothing; `rest` gives all not yet used."""

    def __init__(self, planted: Sequence[str]) -> None:
        self._left = list(planted)

    def next(self, sep: str = " ") -> str:
        return sep + self._left.pop(0) if self._left else ""

    def rest(self) -> list[str]:
        left, self._left = self._left, []
        return left


def _inputs(with_repo: bool) -> Inputs:
    sources = [
        SourceReport("logs/payments/app.log", "logback", "payments", 48211, 12, T0, T0 + timedelta(hours=2)),
        SourceReport("logs/checkout/app.log", "json", "checkout", 91544, 0, T0, T0 + timedelta(hours=2)),
        SourceReport(
            "logs/frontend/access.log", "nginx-combined", "frontend", 130877, 3, T0, T0 + timedelta(hours=2),
            timezone_assumed="UTC", warnings=["41 lines had an unknown header and were read as message text"],
        ),
        SourceReport(
            "logs/cart/cart.log", "python-logging", "cart", 20410, 0, T0, T0 + timedelta(hours=2),
            timezone_assumed="UTC", lines_skipped=310, skipped_reasons={"before --since": 310},
        ),
    ]
    total = sum(s.lines for s in sources)
    return Inputs(
        sources=sources,
        lines_total=total,
        lines_unparsed=sum(s.lines_unparsed for s in sources),
        repo="~/src/shop" if with_repo else None,
        commits_considered=37 if with_repo else 0,
        deploys_considered=3 if with_repo else 0,
        lines_skipped=310,
    )


def _services() -> list[ServiceScore]:
    return [
        ServiceScore("payments", 0.91, ONSET, 3, 1840, ["first to change (13:02:04)", "new error template"]),
        ServiceScore("checkout", 0.42, ONSET + timedelta(seconds=20), 11, 9620, ["errors follow payments by 20 s"]),
        ServiceScore("frontend", 0.18, ONSET + timedelta(seconds=40), 30, 12903, ["502s follow checkout"]),
        ServiceScore("cart", 0.02, None, 220, 231, ["no change"]),
    ]


def _anomalies(plant: _Planter) -> list[Anomaly]:
    pool_examples = [
        Example("logs/payments/app.log", 4521, STACK_TRACE),
        Example("logs/payments/app.log", 4533, "ERROR charge failed order=81731 <script>alert('x')</script>"),
    ]
    pool_examples += [Example("logs/payments/app.log", 4600, "ERROR charge failed" + plant.next())]
    checkout_examples = [
        Example("logs/checkout/app.log", 77120, '{"level":"error","msg":"payment call failed | status=503"}'),
    ]
    checkout_examples += [Example("logs/checkout/app.log", 77200 + i, "payment call failed" + plant.next()) for i in range(2)]
    frontend_examples = [Example("logs/frontend/access.log", 88001 + i, 'GET /api/checkout 502' + plant.next()) for i in range(2)]
    cart_examples = [Example("logs/cart/cart.log", 15000 + i, "cache miss key=cart:<id>" + plant.next()) for i in range(2)]
    # whatever is left goes into small extra templates (reports show three examples each), so all of it is shown
    rest = plant.rest()
    extra = [
        Anomaly(140 + n, f"retrying <*> ({n})", "new", 0.02, "WARN", ONSET, 0, 3, ["payments"],
                [Example("logs/payments/app.log", 5000 + 3 * n + i, "WARN retrying " + s) for i, s in enumerate(rest[3 * n : 3 * n + 3])])
        for n in range((len(rest) + 2) // 3)
    ]
    return [
        Anomaly(101, "charge failed order=<*>", "new", 0.97, "ERROR", ONSET, 0, 1840, ["payments"], pool_examples),
        Anomaly(57, "payment call failed | status=<*>", "spike", 0.81, "ERROR", ONSET + timedelta(seconds=20), 4, 9420,
                ["checkout"], checkout_examples),
        Anomaly(12, "GET /api/checkout <*>", "spike", 0.55, "ERROR", ONSET + timedelta(seconds=40), 30, 12900,
                ["frontend"], frontend_examples),
        Anomaly(33, "reconciliation batch done in <*> ms", "drop", 0.31, "INFO", None, 120, 2, ["payments"], []),
        Anomaly(7, "cache miss key=<*>", "spike", 0.05, "WARN", T0, 200, 210, ["cart"], cart_examples),
    ] + extra


def _suspects(plant: _Planter) -> list[Suspect]:
    return [
        Suspect(
            kind="commit",
            id=SHA,
            commit=SHA,
            score=0.86,
            time=DEPLOY - timedelta(minutes=25),
            author="Dana Ops <dana@shop.example>",
            title="payments: shrink Hikari pool to 4 to save DB connections" + plant.next(),
            files=["payments/src/main/resources/application.yml", "payments/src/main/java/com/shop/payments/DbConfig.java"],
            url=f"https://github.com/shop/shop/commit/{SHA}",
            insertions=3,
            deletions=2,
            evidence=[
                Evidence("timing", "deployed 4 min before the onset (2.14.0 at 13:58)", 0.35),
                Evidence("code", "touches DbConfig.java; the new template's stack trace names HikariPool", 0.4),
                Evidence("text", "'maximumPoolSize' changed; 'Connection is not available' appears at onset", 0.2),
            ],
        ),
        Suspect(
            kind="commit",
            id=OTHER_SHA,
            commit=OTHER_SHA,
            score=0.22,
            time=DEPLOY - timedelta(minutes=40),
            author="Lee Dev <lee@shop.example>",
            title="checkout: log payment status codes",
            files=["checkout/app/payments_client.py"],
            url=f"https://github.com/shop/shop/commit/{OTHER_SHA}",
            insertions=8,
            deletions=1,
            evidence=[Evidence("timing", "in the same deploy", 0.15), Evidence("code", "touches the payments client", 0.07)],
        ),
        Suspect(
            kind="deploy",
            id="2.13.9",
            commit=None,
            score=0.05,
            time=T0 - timedelta(hours=20),
            title="deploy 2.13.9",
            evidence=[Evidence("timing", "20 h before the onset, healthy since", 0.05)],
        ),
    ]


def _timeline(plant: _Planter, with_repo: bool) -> list[TimelineEntry]:
    entries = [
        TimelineEntry(ONSET - timedelta(minutes=5), "baseline", "last healthy minute: 0 payment errors"),
        TimelineEntry(ONSET, "onset", "payments: first 'Connection is not available'" + plant.next(),
                      "logs/payments/app.log:4521"),
        TimelineEntry(ONSET + timedelta(seconds=20), "anomaly", "checkout: payment call failures spike",
                      "logs/checkout/app.log:77120"),
        TimelineEntry(PEAK, "peak", "peak: 412 errors/min across 3 services"),
        TimelineEntry(RECOVERY, "recovery", "error rate back to baseline"),
    ]
    if with_repo:
        entries += [
            TimelineEntry(DEPLOY - timedelta(minutes=25), "commit", "payments: shrink Hikari pool to 4", SHA),
            TimelineEntry(DEPLOY, "deploy", "deploy 2.14.0 (payments)" + plant.next(), "deploys.csv:14"),
            TimelineEntry(RECOVERY - timedelta(minutes=3), "revert", "Revert \"payments: shrink Hikari pool\"", REVERT_SHA),
        ]
    return sorted(entries, key=lambda e: e.time)


def _series() -> list[SeriesPoint]:
    """Two hours of one-minute buckets: quiet baseline, a ramp at the onset, a peak, recovery after the revert."""
    services = {"payments": 1.0, "checkout": 2.5, "frontend": 3.2, "cart": 0.4}
    points = []
    for minute in range(120):
        time = T0 + timedelta(minutes=minute)
        in_incident = ONSET <= time < RECOVERY
        intensity = 0.0
        if in_incident:
            intensity = min(1.0, (time - ONSET).total_seconds() / (PEAK - ONSET).total_seconds())
        for service, loudness in services.items():
            events = int(400 * loudness) + (minute * 7) % 23
            errors = int(120 * loudness * intensity) + (1 if minute % 17 == 0 else 0)
            anomalous = int(errors * (0.9 if service == "payments" else 0.6)) if service != "cart" else 3
            points.append(SeriesPoint(time, service, events, errors, anomalous))
    return points


# --- planted secrets -----------------------------------------------------------------------------------------------
# Built at run time from a seeded generator, so no real-looking credential sits in the repository for scanners to flag,
# and each run plants the same strings.


def secret_corpus() -> list[tuple[str, str, str]]:
    """(shape, log line, the secret itself) for the secret shapes that show up in logs. The secret must not survive."""
    import base64
    import random

    rng = random.Random(7)
    upper_digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    b64 = alnum + "+/"
    hexd = "0123456789abcdef"
    urlsafe = alnum + "-_"

    def r(alphabet: str, n: int) -> str:
        return "".join(rng.choice(alphabet) for _ in range(n))

    def b64url(raw: str) -> str:
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    jwt = ".".join([b64url('{"alg":"HS256","typ":"JWT"}'), b64url('{"sub":"42","role":"admin","n":"%s"}' % r(alnum, 8)),
                    r(urlsafe, 43)])
    rsa_body = "\n".join(r(b64, 64) for _ in range(4))
    ssh_body = "\n".join(r(b64, 70) for _ in range(3))
    gcp_body = "\\n".join(r(b64, 64) for _ in range(3))
    basic = base64.b64encode(f"deploy:{r(alnum, 14)}".encode()).decode()
    secrets = {
        "aws access key id": ("INFO s3 client init key_id={s} region=eu-west-1", "AKIA" + r(upper_digits, 16)),
        "aws secret key": ("DEBUG env aws_secret_access_key={s}", r(b64, 40)),
        "github classic token": ("WARN git fetch failed with token {s}", "ghp_" + r(alnum, 36)),
        "github fine-grained token": ("using {s} for api.github.com", "github_pat_" + r(alnum, 22) + "_" + r(alnum, 59)),
        "gitlab token": ("clone https://gitlab.example/x.git header PRIVATE-TOKEN {s}", "glpat-" + r(urlsafe, 20)),
        "slack bot token": ("slack notify using {s} failed", "xoxb-" + r("0123456789", 12) + "-" + r("0123456789", 13)
                            + "-" + r(alnum, 24)),
        "slack webhook": ("POST https://hooks.slack.com/services/{s} -> 404", "T" + r(upper_digits, 8) + "/B"
                          + r(upper_digits, 10) + "/" + r(alnum, 24)),
        "stripe live key": ("stripe.api_key set to {s}", "sk_live_" + r(alnum, 24)),
        "stripe webhook secret": ("webhook verify with {s}", "whsec_" + r(alnum, 32)),
        "google api key": ("GET /maps/api/geocode/json?address=x&key={s} 403", "AIza" + r(urlsafe, 35)),
        "jwt": ("ERROR invalid claims in {s}", jwt),
        "bearer header": ("DEBUG > Authorization: Bearer {s}", r(alnum, 40)),
        "basic auth header": ("DEBUG > authorization: Basic {s}", basic),
        "password in url": ("connecting to postgres://shop_app:{s}@db.internal:5432/shop", r(alnum, 12) + "!x"),
        "password key=value": ("login retry user=ops password={s} attempt=3", r(alnum, 14)),
        "client_secret in json": ('{{"oauth":{{"client_id":"web","client_secret":"{s}"}}}}', r(alnum, 30)),
        "api key in escaped json": ('payload="{{\\"api_key\\":\\"{s}\\",\\"n\\":1}}"', r(hexd, 32)),
        "rsa private key block": ("loaded key:\n-----BEGIN RSA PRIVATE KEY-----\n{s}\n-----END RSA PRIVATE KEY-----", rsa_body),
        "openssh private key block": ("-----BEGIN OPENSSH PRIVATE KEY-----\n{s}\n-----END OPENSSH PRIVATE KEY-----", ssh_body),
        "gcp service account key": ('{{"type":"service_account","private_key":"-----BEGIN PRIVATE KEY-----\\n{s}'
                                    '\\n-----END PRIVATE KEY-----\\n"}}', gcp_body),
        "azure storage connection string": ("DefaultEndpointsProtocol=https;AccountName=shop;AccountKey={s};"
                                            "EndpointSuffix=core.windows.net", r(b64, 86) + "=="),
        "azure sas url": ("GET https://shop.blob.core.windows.net/c/b?sv=2022-11-02&sp=r&sig={s} 403", r(alnum, 43) + "%3D"),
        "sendgrid key": ("mail send failed key {s}", "SG." + r(urlsafe, 22) + "." + r(urlsafe, 43)),
        "npm token": ("//registry.npmjs.org/:_authToken={s}", "npm_" + r(alnum, 36)),
        "twilio api key": ("twilio sid {s}", "SK" + r(hexd, 32)),
        "openai key": ("llm call with {s} rate limited", "sk-proj-" + r(urlsafe, 48)),
        "access token in query": ("GET /callback?code=1&access_token={s}&state=2 200", r(urlsafe, 32)),
        "mailchimp key": ("mailchimp list sync {s}", r(hexd, 32) + "-us12"),
        "telegram bot token": ("bot {s} getUpdates timeout", r("0123456789", 9) + ":" + r(urlsafe, 35)),
        "session cookie": ("DEBUG > Cookie: session_id={s}; theme=dark", r(hexd, 40)),
        "env password": ('DB_PASSWORD: "{s}"', r(alnum, 10) + " " + r(alnum, 6)),
    }
    return [(shape, line.format(s=secret), secret) for shape, (line, secret) in secrets.items()]
