"""Origin ranking: names messages use for services, who blames whom, and order over volume."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from analyzer.service_rank import ServiceActivity, blame_targets, rank_services, service_aliases

T = datetime(2026, 3, 14, 9, 0, tzinfo=timezone.utc)
K8S = ["ts-order-service", "ts-payment-service", "ts-travel-service", "ts-ui-dashboard"]


def test_aliases_strip_pod_hashes_shared_prefix_and_generic_suffixes():
    aliases = service_aliases(["ts-order-service-866bd68c97-xcqfx", "ts-payment-service", "ts-ui-dashboard"])
    assert aliases["ts-order-service"] == "ts-order-service-866bd68c97-xcqfx"
    assert aliases["order"] == "ts-order-service-866bd68c97-xcqfx"
    assert aliases["payment-service"] == "ts-payment-service"
    assert aliases["payment"] == "ts-payment-service"
    assert aliases["ui-dashboard"] == "ts-ui-dashboard"


def test_an_alias_two_services_could_claim_is_dropped():
    aliases = service_aliases(["payments-api", "payments-svc"])
    assert "payments" not in aliases
    assert aliases["payments-svc"] == "payments-svc"


def test_generic_words_and_url_paths_do_not_stand_for_services():
    aliases = service_aliases(["orders-api", "orders-worker", "cart"])
    assert "api" not in aliases and "worker" not in aliases
    complaint = blame_targets("GET /cart/items timed out after 30 s", aliases, own="orders-api")
    assert complaint.services == {} and complaint.about_dependency


@pytest.mark.parametrize(
    "message, target",
    [
        ("Timeout calling ts-payment-service after 5000 ms", "ts-payment-service"),
        ("connection refused to payment:8080", "ts-payment-service"),
        ("I/O error on POST request for \"http://ts-order-service:12031/api/v1/orderservice/order\": Read timed out",
         "ts-order-service"),
        ("503 Service Unavailable from travel.default.svc.cluster.local", "ts-travel-service"),
        ("upstream ts-order-service not responding, circuit open", "ts-order-service"),
    ],
)
def test_blame_is_read_from_the_ways_callers_complain(message, target):
    complaint = blame_targets(message, service_aliases(K8S), own="ts-ui-dashboard")
    assert complaint.services == {target: 1.0}


def test_a_service_naming_itself_blames_nobody_and_unknown_hosts_are_outside_dependencies():
    aliases = service_aliases(K8S)
    complaint = blame_targets("ts-payment-service failed to connect to postgres-main:5432: refused",
                              aliases, own="ts-payment-service")
    assert complaint.services == {}
    assert complaint.external == {"postgres-main:5432": 1.0}
    assert complaint.about_dependency


def test_a_bare_mention_without_complaint_counts_half():
    complaint = blame_targets("order 4411 handed to payment", service_aliases(K8S), own="ts-order-service")
    assert complaint.services == {"ts-payment-service": 0.5}
    assert not complaint.about_dependency


def activity(name, onset_s=None, own=0, blames=None, errors=0, dropped=()):
    return ServiceActivity(
        name=name,
        onset=T + timedelta(seconds=onset_s) if onset_s is not None else None,
        errors_incident=errors,
        own=[(f"{name} error {i}", 1.0) for i in range(own)],
        blames=blames or {},
        blame_examples={t: f"timeout calling {t}" for t in (blames or {})},
        dropped=list(dropped),
    )


def test_blame_follows_a_chain_to_its_end():
    # frontend blames checkout, checkout blames payment; payment has one error of its own.
    ranked = rank_services(
        [
            activity("frontend", 4, blames={"checkout": 3.0}, errors=900),
            activity("checkout", 2, blames={"payment": 3.0}, errors=1200),
            activity("payment", 0, own=1, errors=90),
            activity("inventory"),
        ],
        skew_seconds=10,
        spread_seconds=30,
    )
    assert [s.name for s in ranked] == ["payment", "checkout", "frontend", "inventory"]
    assert ranked[-1].score == 0
    assert any("blamed by 1 service(s): checkout" in r for r in ranked[0].reasons)


def test_blamed_service_wins_over_an_earlier_complainer_within_clock_skew():
    ranked = rank_services(
        [activity("caller", 0, blames={"db": 2.0}, errors=500), activity("db", 6, own=1, errors=20)],
        skew_seconds=10,
        spread_seconds=30,
    )
    assert ranked[0].name == "db"


def test_without_any_blame_the_earliest_service_with_its_own_errors_leads():
    ranked = rank_services(
        [activity("late", 240, own=3, errors=3000), activity("early", 0, own=1, errors=30)],
        skew_seconds=10,
        spread_seconds=30,
    )
    assert [s.name for s in ranked] == ["early", "late"]


def test_a_service_that_went_silent_is_a_candidate():
    ranked = rank_services(
        [activity("scheduler", 0, dropped=["heartbeat ok"]), activity("api")],
        skew_seconds=10,
        spread_seconds=30,
    )
    assert ranked[0].name == "scheduler"
    assert any("stopped" in r for r in ranked[0].reasons)


def test_every_service_is_listed_with_a_reason():
    ranked = rank_services([activity("a"), activity("b")], skew_seconds=10, spread_seconds=30)
    assert {s.name for s in ranked} == {"a", "b"}
    assert all(s.reasons for s in ranked)


@pytest.mark.parametrize(
    "message",
    [
        "HikariPool-1 - Failed to validate connection org.postgresql.jdbc.PgConnection@1f (connection closed)",
        'connection to server at "db-01" (10.0.3.15), port 5432 failed: Connection refused',
        "psycopg.OperationalError: connection failed: the database system is in recovery mode",
    ],
)
def test_data_stores_are_recognised_by_client_library_and_port(message):
    aliases = service_aliases(["checkout", "orders-postgres", "cart-redis"])
    assert blame_targets(message, aliases, own="checkout").services == {"orders-postgres": 1.0}


def test_stack_frames_are_not_hosts():
    complaint = blame_targets("at com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:181) timed out",
                              service_aliases(["api"]), own="api")
    assert complaint.external == {}


def test_complaints_about_an_unnamed_dependency_make_a_victim_not_an_origin():
    ranked = rank_services(
        [
            ServiceActivity("web", onset=T, own=[], unnamed=2.0, errors_incident=800),
            ServiceActivity("billing", onset=T + timedelta(seconds=5), own=[("NullPointerException", 1.0)]),
        ],
        skew_seconds=10,
        spread_seconds=30,
    )
    assert ranked[0].name == "billing"


def test_ports_services_announce_name_them_in_callers_errors():
    from analyzer.findings import Example
    from analyzer.service_rank import announced_ports

    texts = {
        (1, "adservice"): [Example("ad.log", 1, "AdService starting, listening on port 9555")],
        (2, "cartservice"): [Example("cart.log", 1, "Now listening on: http://0.0.0.0:7070")],
        (3, "checkout"): [Example("co.log", 1, "Tomcat started on port 8080 (http)")],
        (4, "payments"): [Example("pay.log", 1, "Tomcat started on port 8080 (http)")],
    }
    ports = announced_ports(texts)
    assert ports == {9555: "adservice", 7070: "cartservice"}
    aliases = service_aliases(["frontend", "adservice", "cartservice", "checkout", "payments"], ports)
    message = 'failed to get ads: rpc error: code = Unavailable desc = dial tcp 10.0.3.7:9555: connect: refused'
    assert blame_targets(message, aliases, own="frontend").services == {"adservice": 1.0}


def test_a_service_name_ending_in_five_letters_is_not_taken_for_a_pod():
    from analyzer.service_rank import service_aliases

    aliases = service_aliases(["user-cache", "order-queue", "payment-7d9f8b6c5-x2kqp"])
    assert "user" not in aliases and "order" not in aliases
    assert aliases.get("payment") == "payment-7d9f8b6c5-x2kqp"


def test_a_browser_version_is_not_a_host_and_port():
    from analyzer.service_rank import HOST_PORT

    agent = '"Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0"'
    assert HOST_PORT.findall(agent) == []
    assert HOST_PORT.findall("dial tcp payments:9555: connection refused") == [("payments", "9555")]
