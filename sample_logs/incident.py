"""What both bundled incidents share: the records a scenario returns and the helpers that build them.

A scenario returns everything the writer needs: the rendered logs, the repository to bundle, the deploy records
and the ground truth. All dates are fixed UTC instants; all randomness comes from the scenario's seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sample_logs import shop_code as code
from sample_logs.gitbuild import RepoBuilder
from sample_logs.shop_history import Edit, filler_plan
from sample_logs.shop_world import dt
from sample_logs.story import History, initial_import


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


def iso(t: datetime | int | None) -> str | None:
    if t is None:
        return None
    if isinstance(t, int):
        t = dt(t)
    return t.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def routine_history(h: History, rng: random.Random, begin: datetime, until: datetime) -> None:
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


def write_repo(history: History) -> None:
    history.run()
    history.repo.git("gc", "-q", "--prune=now")


def deploy_history(h: History, rows: list[tuple[str, str, datetime]]) -> list[Deploy]:
    return [Deploy(t, f"v{v}", h.tags[f"{svc}/v{v}"], svc, "production", f"release {v}") for svc, v, t in rows]


def sources(logs: dict[str, str]) -> list[dict]:
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


def blame(repo: RepoBuilder, rev: str, path: str, line: int) -> str:
    """The commit that last changed one line at a revision: what `git blame` on a frame should answer."""
    return repo.git("blame", "--porcelain", "-L", f"{line},{line}", rev, "--", path).split()[0]


def cid(rng: random.Random) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(64))


def loudest(logs: dict[str, str]) -> str:
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
