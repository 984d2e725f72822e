"""Change correlation on real git repositories built in the test, with real-looking traces."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from analyzer.correlate import correlate
from analyzer.findings import Anomaly, Example, Incident, ServiceScore, StateChange
from analyzer.stages import AnomalyResult, TemplateInfo
from parsers.errors import UserError
from parsers.records import Deploy
from tests.gitrepo import DB_PY, CLIENT_JAVA, REQUIREMENTS, SETTINGS_YAML, build_shop, minutes

START = datetime(2024, 2, 20, 9, 0, tzinfo=timezone.utc)
ONSET = datetime(2024, 3, 10, 14, 0, tzinfo=timezone.utc)

PY_TRACE = '''Exception on /orders/1841 [GET]
Traceback (most recent call last):
  File "/usr/local/lib/python3.11/site-packages/flask/app.py", line 1463, in wsgi_app
    response = self.full_dispatch_request()
  File "/srv/app/shop/orders/api.py", line 22, in get_order
    return jsonify(db.fetch_order(conn, order_id))
  File "/srv/app/shop/orders/db.py", line 13, in fetch_order
    return {"id": row["id"], "total": row["total"], "customer": row["customer_ref"]}
IndexError: No item with that key'''

JAVA_TRACE = '''Charge failed for account acct-8812
java.lang.NullPointerException: Cannot invoke "String.concat(String)" because "endpoint" is null
\tat com.shop.payment.Client.charge(Client.java:{line})
\tat com.shop.payment.CheckoutController.pay(CheckoutController.java:57)
\tat org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:897)
\tat java.base/java.lang.Thread.run(Thread.java:833)'''


def anomaly(tid: int, template: str, text: str, services: list[str], kind: str = "new", score: float = 10.0) -> Anomaly:
    return Anomaly(template_id=tid, template=template, kind=kind, score=score, level="ERROR", first_seen=ONSET,
                   count_baseline=0, count_incident=40, services=services,
                   examples=[Example(path=f"logs/{services[0]}.log", line=100 + tid, text=text)])


def result_for(anomalies: list[Anomaly], services: list[str], onset: datetime | None = ONSET,
               markers: list[Deploy] | None = None, state_changes: list[StateChange] | None = None) -> AnomalyResult:
    return AnomalyResult(
        incident=Incident(start=onset, end=onset + timedelta(minutes=40) if onset else None,
                          detection="auto" if onset else "none"),
        services=[ServiceScore(name=s, score=10.0 / (i + 1)) for i, s in enumerate(services)],
        anomalies=anomalies,
        deploy_markers=markers or [],
        state_changes=state_changes or [],
    )


def templates_of(anomalies: list[Anomaly]) -> dict[int, TemplateInfo]:
    return {a.template_id: TemplateInfo(id=a.template_id, text=a.template, count=a.count_incident,
                                        examples=list(a.examples)) for a in anomalies}


def ranked_ids(corr) -> list[str]:
    return [s.id for s in corr.suspects]


# -- a culprit among distractors ------------------------------------------------------------------------------
@pytest.fixture
def python_regression(tmp_path):
    repo = build_shop(tmp_path / "shop", START)
    culprit = repo.commit(
        {"orders/shop/orders/db.py": repo.read("orders/shop/orders/db.py").replace(
            'row = conn.execute("SELECT id, total FROM orders WHERE id = ?", (order_id,)).fetchone()\n'
            '    return {"id": row[0], "total": row[1]}',
            'row = conn.execute("SELECT id, total FROM orders WHERE id = ?", (order_id,)).fetchone()\n'
            '    return {"id": row["id"], "total": row["total"], "customer": row["customer_ref"]}')},
        "Return the customer reference with each order", ONSET - timedelta(hours=2),
        author="Bob Backend", email="bob@example.com")
    closer = repo.commit({"frontend/src/app.js": "import { render } from './render.js';\nexport const start = (r) => render(r, {title: 'Shop!'});\n"},
                         "Frontend: exclaim the title", ONSET - minutes(30), author="Erin Front", email="erin@example.com")
    docs = repo.commit({"docs/runbook.md": "# Runbook\n\nRestart the orders service.\n"}, "Runbook: orders",
                       ONSET - minutes(10), author="Dan Docs", email="dan@example.com")
    config = repo.commit({"payment-service/src/main/resources/application.yml": "gateway:\n  endpoint: https://pay.internal.example\n  timeout-ms: 2500\npool:\n  max-size: 20\n"},
                         "Payment: lower the gateway timeout", ONSET - timedelta(hours=5))
    after = repo.commit({"frontend/src/render.js": "export function render(root, props) {}\n"}, "Frontend: noop render",
                        ONSET + minutes(20))
    return repo, {"culprit": culprit, "closer": closer, "docs": docs, "config": config, "after": after}


def test_culprit_among_distractors_is_blamed_with_high_confidence(python_regression):
    repo, shas = python_regression
    anomalies = [anomaly(1, "Exception on /orders/<*> [GET]", PY_TRACE, ["orders"])]
    corr = correlate(result_for(anomalies, ["orders", "frontend"]), templates_of(anomalies), str(repo.root), None)

    assert corr.blamed == 0
    top = corr.suspects[0]
    assert top.id == shas["culprit"] and top.kind == "commit"
    assert corr.confidence == "high"
    assert corr.category == "code change"
    assert top.author == "Bob Backend" and top.title == "Return the customer reference with each order"
    assert "orders/shop/orders/db.py" in top.files and top.insertions == 1 and top.deletions == 1
    details = " | ".join(e.detail for e in top.evidence)
    assert "db.py:13" in details and "orders/shop/orders/db.py" in details  # the frame and the file it maps to
    assert any(e.signal == "blame" for e in top.evidence)
    # a commit after the onset is never a suspect; docs weigh nearly nothing
    assert shas["after"] not in ranked_ids(corr)
    docs = next((s for s in corr.suspects if s.id == shas["docs"]), None)
    assert docs is None or docs.score < 0.1 * top.score
    assert any("after the onset" in r or "tests, docs" in r for r in corr.ruled_out)
    assert corr.commits_considered >= 5


def test_bundle_and_bare_repository_give_the_same_ranking(python_regression, tmp_path):
    repo, shas = python_regression
    anomalies = [anomaly(1, "Exception on /orders/<*> [GET]", PY_TRACE, ["orders"])]
    bundle = repo.bundle(tmp_path / "shop.bundle")
    bare = tmp_path / "bare.git"
    repo.git("clone", "--quiet", "--bare", str(repo.root), str(bare))
    for source in (bundle, bare):
        corr = correlate(result_for(anomalies, ["orders"]), templates_of(anomalies), str(source), None)
        assert corr.suspects[0].id == shas["culprit"] and corr.blamed == 0


def test_forge_url_without_credentials(python_regression):
    repo, shas = python_regression
    repo.git("remote", "add", "origin", "https://deploy-bot:s3cr3t@github.com/acme/shop.git")
    anomalies = [anomaly(1, "Exception on /orders/<*> [GET]", PY_TRACE, ["orders"])]
    corr = correlate(result_for(anomalies, ["orders"]), templates_of(anomalies), str(repo.root), None)
    assert corr.suspects[0].url == f"https://github.com/acme/shop/commit/{shas['culprit']}"
    assert all("s3cr3t" not in (s.url or "") for s in corr.suspects)


# -- committed days earlier, deployed minutes before the onset --------------------------------------------------
@pytest.fixture
def late_deploy(tmp_path):
    """The payment client loses its endpoint key three days before the onset; it only ships at onset-6min."""
    repo = build_shop(tmp_path / "shop", START)
    repo.commit({"frontend/src/app.js": "export const x = 1;\n"}, "Frontend tweak", ONSET - timedelta(days=4))
    released = repo.git("rev-parse", "HEAD")
    repo.tag("v1.3.0", ONSET - timedelta(days=4), annotated=True)
    culprit = repo.commit(
        {"payment-service/src/main/java/com/shop/payment/Client.java":
            CLIENT_JAVA.replace('String endpoint = config.get("gateway.endpoint");\n        Response',
                                'String endpoint = config.get("gateway.url");\n        Response')},
        "Payment client: read the gateway url key", ONSET - timedelta(days=3), author="Pat Payments",
        email="pat@example.com")
    middle = repo.commit({"orders/shop/orders/gateway.py": "# gateway\n" + repo.read("orders/shop/orders/gateway.py")},
                         "Orders: header comment", ONSET - timedelta(days=2))
    tip = repo.commit({"frontend/src/render.js": "export function render(r, p) { r.innerText = p.title; }\n"},
                      "Frontend: compact render", ONSET - timedelta(days=1))
    undeployed = repo.commit({"frontend/src/app.js": "export const x = 2;\n"}, "Frontend: bump x",
                             ONSET - minutes(20), author="Erin Front", email="erin@example.com")
    line = CLIENT_JAVA.splitlines().index('        Response response = http.post(endpoint + "/charge", account, amount);') + 1
    anomalies = [anomaly(7, "Charge failed for account <*>", JAVA_TRACE.format(line=line), ["payment-service"])]
    return repo, anomalies, {"released": released, "culprit": culprit, "middle": middle, "tip": tip,
                             "undeployed": undeployed}


def _assert_deploy_blamed(corr, shas, via: str):
    assert corr.suspects[0].id == shas["culprit"], (via, [(s.title, s.score) for s in corr.suspects])
    assert corr.blamed == 0
    assert corr.confidence in ("high", "medium")
    ev = corr.suspects[0].evidence
    timing = next(e for e in ev if e.signal == "timing")
    assert "6 min before the onset" in timing.detail and "3.0 days" in timing.detail
    assert any("Client.java" in e.detail and e.signal in ("blame", "code-line", "code") for e in ev)
    undeployed = next((s for s in corr.suspects if s.id == shas["undeployed"]), None)
    assert undeployed is None or undeployed.score < corr.suspects[0].score / 3


def test_late_deploy_from_deploys_file(late_deploy, tmp_path):
    repo, anomalies, shas = late_deploy
    deploys = tmp_path / "deploys.csv"
    deploys.write_text(
        "time,version,commit,service,environment\n"
        f"{(ONSET - timedelta(days=4)).isoformat()},1.3.0,{shas['released'][:10]},payment-service,prod\n"
        f"{(ONSET - minutes(6)).isoformat()},1.4.0,{shas['tip']},payment-service,prod\n"
        "not a time,1.5.0,,payment-service,prod\n")
    corr = correlate(result_for(anomalies, ["payment-service", "orders"]), templates_of(anomalies), str(repo.root),
                     str(deploys))
    _assert_deploy_blamed(corr, shas, "file")
    assert any(e.signal == "deploy" and "payment-service" in e.detail for e in corr.suspects[0].evidence)
    assert any("skipped, no readable time: deploys.csv:" in n for n in corr.notes)
    # tag v1.3.0 names the same commit as the 1.3.0 row, at the same time: one deploy, kept from the file
    assert [(d.version, d.origin) for d in corr.deploys] == [("1.3.0", "file"), ("1.4.0", "file")]


def test_late_deploy_from_release_tag(late_deploy):
    repo, anomalies, shas = late_deploy
    repo.tag("v1.4.0", ONSET - minutes(6), rev=shas["tip"], annotated=True)
    corr = correlate(result_for(anomalies, ["payment-service"]), templates_of(anomalies), str(repo.root), None)
    _assert_deploy_blamed(corr, shas, "tag")


def test_late_deploy_from_version_banner_in_logs(late_deploy):
    repo, anomalies, shas = late_deploy
    repo.tag("v1.4.0", ONSET - timedelta(days=1), rev=shas["tip"], annotated=False)  # cut a day before it shipped
    banner = StateChange(time=ONSET - minutes(6), service="payment-service", kind="version",
                         text="Starting payment-service version 1.4.0 on host pay-2", path="logs/payment-service.log",
                         line=3)
    prior = Deploy(time=ONSET - timedelta(days=4), version="1.3.0", service="payment-service", origin="log",
                   ref="logs/payment-service.log:1")
    repo.tag("v1.3.0-rc", ONSET - timedelta(days=4), rev=shas["released"], annotated=False)
    corr = correlate(result_for(anomalies, ["payment-service"], markers=[prior], state_changes=[banner]),
                     templates_of(anomalies), str(repo.root), None)
    _assert_deploy_blamed(corr, shas, "banner")
    assert any(d.origin == "log" and d.commit == shas["tip"] for d in corr.deploys)


# -- kinds of change --------------------------------------------------------------------------------------------
def test_config_only_change_is_blamed_as_config(tmp_path):
    repo = build_shop(tmp_path / "shop", START)
    repo.commit({"frontend/src/app.js": "export const y = 1;\n"}, "Frontend: y", ONSET - timedelta(hours=3))
    culprit = repo.commit({"orders/config/settings.yaml": SETTINGS_YAML.replace("gateway_url:", "gateway_endpoint:")},
                          "Settings: rename the gateway key", ONSET - minutes(45))
    repo.commit({"orders/tests/test_db.py": "def test_fetch():\n    assert 1 == 1\n"}, "Tests: tidy", ONSET - minutes(15))
    trace = ('Charge failed for order 991\nTraceback (most recent call last):\n'
             '  File "/srv/app/shop/orders/gateway.py", line 8, in charge\n    url = settings["gateway_url"]\n'
             "KeyError: 'gateway_url'")
    anomalies = [anomaly(3, "Charge failed for order <*>", trace, ["orders"])]
    corr = correlate(result_for(anomalies, ["orders"]), templates_of(anomalies), str(repo.root), None)
    assert corr.suspects[0].id == culprit and corr.blamed == 0
    assert corr.category == "config change"
    assert any(e.signal == "text" and "gateway_url" in e.detail for e in corr.suspects[0].evidence)
    assert corr.confidence in ("medium", "low")  # no frame line points at a config file


def test_dependency_bump_is_blamed_as_dependency(tmp_path):
    repo = build_shop(tmp_path / "shop", START)
    culprit = repo.commit({"orders/requirements.txt": REQUIREMENTS.replace("urllib3==1.26.18", "urllib3==2.0.0")},
                          "Bump urllib3", ONSET - timedelta(hours=1))
    repo.commit({"orders/shop/orders/db.py": DB_PY.replace("LIMIT ?", "LIMIT ? OFFSET 0") + "\n# tidy\n"},
                "Orders: tidy db module", ONSET - minutes(20))
    trace = ('Charge failed for order 17\nTraceback (most recent call last):\n'
             '  File "/srv/app/shop/orders/gateway.py", line 9, in charge\n'
             '    resp = requests.post(url + "/charge", json=order, timeout=settings["gateway_timeout"])\n'
             '  File "/usr/local/lib/python3.11/site-packages/requests/adapters.py", line 486, in send\n'
             '  File "/usr/local/lib/python3.11/site-packages/urllib3/connectionpool.py", line 790, in urlopen\n'
             "TypeError: HTTPConnectionPool.urlopen() got an unexpected keyword argument 'strict'")
    anomalies = [anomaly(4, "Charge failed for order <*>", trace, ["orders"])]
    corr = correlate(result_for(anomalies, ["orders"]), templates_of(anomalies), str(repo.root), None)
    assert corr.suspects[0].id == culprit and corr.blamed == 0
    assert corr.category == "dependency change"
    assert any(e.signal == "library" and "urllib3" in e.detail for e in corr.suspects[0].evidence)


def test_infrastructure_incident_blames_no_change(tmp_path):
    repo = build_shop(tmp_path / "shop", START)
    repo.commit({"frontend/src/app.js": "export const z = 1;\n"}, "Frontend: z", ONSET - minutes(50))
    repo.commit({"docs/runbook.md": "# Runbook\n\nCheck disks.\n"}, "Runbook: disks", ONSET - minutes(25))
    repo.commit({"payment-service/src/main/java/com/shop/payment/Client.java": CLIENT_JAVA + "// end\n"},
                "Payment: trailing comment", ONSET - timedelta(hours=6))
    anomalies = [
        anomaly(5, "Failed to write order <*> to /var/lib/orders/orders.db: [Errno 28] No space left on device",
                "Failed to write order 77 to /var/lib/orders/orders.db: [Errno 28] No space left on device", ["orders"]),
        anomaly(6, "upstream orders returned 503", "upstream orders returned 503", ["gateway"], kind="spike"),
    ]
    corr = correlate(result_for(anomalies, ["orders", "gateway"]), templates_of(anomalies), str(repo.root), None)
    assert corr.blamed is None and corr.confidence == "none"
    assert corr.category == "infrastructure"
    assert corr.suspects  # still listed, for the reader to dismiss
    assert any("nothing in the traces" in r or "points at" in r for r in corr.ruled_out)


# -- no timestamps ---------------------------------------------------------------------------------------------
def test_timestampless_python_trace_ranks_by_code_locality(python_regression):
    repo, shas = python_regression
    anomalies = [anomaly(1, "Exception on /orders/<*> [GET]", PY_TRACE, ["orders"])]
    corr = correlate(result_for(anomalies, [], onset=None), templates_of(anomalies), str(repo.root), None)
    assert corr.suspects[0].id == shas["culprit"] and corr.blamed == 0
    assert corr.confidence == "medium"  # timing cannot confirm it
    assert not any(e.signal == "timing" for e in corr.suspects[0].evidence)
    assert any("no timestamps" in n for n in corr.notes)
    # timestamps but no onset found: the same ranking, said truthfully
    undetected = result_for(anomalies, [], onset=None)
    undetected.incident.detection = "auto"
    corr2 = correlate(undetected, templates_of(anomalies), str(repo.root), None)
    assert corr2.suspects[0].id == shas["culprit"]
    assert any("No onset was found" in n for n in corr2.notes) and not any("no timestamps" in n for n in corr2.notes)
    # --max-commits bounds the history read
    few = correlate(result_for(anomalies, [], onset=None), templates_of(anomalies), str(repo.root), None, max_commits=2)
    assert few.commits_considered == 2


# -- bad input -------------------------------------------------------------------------------------------------
def test_bad_repositories_are_one_sentence_user_errors(tmp_path):
    anomalies = [anomaly(1, "Exception on /orders/<*> [GET]", PY_TRACE, ["orders"])]
    empty = tmp_path / "empty"
    empty.mkdir()
    (tmp_path / "junk.bundle").write_text("not a bundle")
    import subprocess
    subprocess.run(["git", "init", "--quiet", str(tmp_path / "nocommits")], check=True)
    for path, words in ((empty, "not a git repository"), (tmp_path / "missing", "no such"),
                        (tmp_path / "junk.bundle", "not a git repository"), (tmp_path / "nocommits", "empty")):
        with pytest.raises(UserError) as err:
            correlate(result_for(anomalies, ["orders"]), templates_of(anomalies), str(path), None)
        assert words in str(err.value) and "\n" not in str(err.value)


def test_without_repository_a_lone_recent_deploy_is_a_low_confidence_suspect(tmp_path):
    deploys = tmp_path / "deploys.jsonl"
    deploys.write_text(
        '{"time": "2024-03-09T10:00:00Z", "version": "2.0.0", "service": "orders"}\n'
        '{"time": "2024-03-10T13:55:00Z", "version": "2.1.0", "service": "orders"}\n'
        "garbage line\n")
    anomalies = [anomaly(5, "Failed to write order <*>", "Failed to write order 77", ["orders"])]
    corr = correlate(result_for(anomalies, ["orders"]), templates_of(anomalies), None, str(deploys))
    assert [s.id for s in corr.suspects] == ["2.1.0"]
    assert corr.confidence == "low" and corr.blamed == 0
    assert len(corr.deploys) == 2 and corr.deploys_considered == 2


# -- beyond the window, reverts, libraries ----------------------------------------------------------------------
def test_a_latent_bug_older_than_the_window_is_found_by_blame_but_not_trusted_highly(python_regression):
    repo, shas = python_regression
    # the same failing line, but the incident happens two months after it landed (a rare code path)
    late_onset = ONSET + timedelta(days=60)
    repo.commit({"frontend/src/app.js": "export const late = 1;\n"}, "Frontend: late", late_onset - minutes(30))
    anomalies = [anomaly(1, "Exception on /orders/<*> [GET]", PY_TRACE, ["orders"])]
    corr = correlate(result_for(anomalies, ["orders"], onset=late_onset), templates_of(anomalies),
                     str(repo.root), None)
    assert corr.suspects[0].id == shas["culprit"]
    assert any(e.signal == "blame" for e in corr.suspects[0].evidence)
    assert corr.confidence in ("medium", "low")  # the change went live long before the onset


def test_a_revert_after_the_onset_is_evidence_and_goes_on_the_timeline(python_regression):
    repo, shas = python_regression
    revert_time = ONSET + minutes(25)
    repo.git("revert", "--no-edit", shas["culprit"], when=revert_time)
    anomalies = [anomaly(9, "upstream orders returned 500", "upstream orders returned 500", ["gateway"])]
    corr = correlate(result_for(anomalies, ["gateway", "orders"]), templates_of(anomalies), str(repo.root), None)
    assert corr.suspects[0].id == shas["culprit"]
    assert any(e.signal == "revert" for e in corr.suspects[0].evidence)
    assert [r.kind for r in corr.reverts] == ["revert"] and corr.reverts[0].time == revert_time
    assert corr.reverts[0].ref == repo.git("rev-parse", "HEAD")


def test_when_the_repository_is_the_library_its_site_packages_frames_are_its_code(tmp_path):
    from tests.gitrepo import GitRepoBuilder
    repo = GitRepoBuilder(tmp_path / "minireq")
    models = "".join(f"def helper_{i}(x):\n    return x\n\n\n" for i in range(5))
    models += "class Response:\n    def json(self):\n        return parse(self.text)\n"
    repo.commit({"src/minireq/models.py": models, "README.md": "minireq\n"}, "Initial", START)
    culprit = repo.commit({"src/minireq/models.py": models.replace("return parse(self.text)",
                                                                   "return parse(self.text, strict=True)")},
                          "Parse JSON strictly", ONSET - timedelta(hours=3))
    repo.commit({"README.md": "minireq: requests, smaller\n"}, "Docs", ONSET - minutes(5))
    line = models.splitlines().index("        return parse(self.text)") + 1
    trace = ("Traceback (most recent call last):\n"
             '  File "/srv/app/client.py", line 9, in main\n'
             f'  File "/usr/lib/python3.11/site-packages/minireq/models.py", line {line}, in json\n'
             "TypeError: parse() got an unexpected keyword argument 'strict'")
    anomalies = [anomaly(2, "TypeError: parse() got an unexpected keyword argument <*>", trace, ["client"])]
    corr = correlate(result_for(anomalies, ["client"]), templates_of(anomalies), str(repo.root), None)
    assert corr.suspects[0].id == culprit and corr.blamed == 0
    assert any(e.signal == "blame" and "models.py" in e.detail for e in corr.suspects[0].evidence)


def test_a_change_to_the_traced_file_that_was_never_deployed_is_weighed_down(late_deploy, tmp_path):
    repo, anomalies, shas = late_deploy
    pending = repo.commit(
        {"payment-service/src/main/java/com/shop/payment/Client.java":
            repo.read("payment-service/src/main/java/com/shop/payment/Client.java").replace(
                "return Receipt.from(response);", "return Receipt.from(response); // TODO retries")},
        "Payment client: note about retries", ONSET - minutes(15))
    deploys = tmp_path / "deploys.csv"
    deploys.write_text(
        "time,commit,service\n"
        f"{(ONSET - timedelta(days=4)).isoformat()},{shas['released']},payment-service\n"
        f"{(ONSET - minutes(6)).isoformat()},{shas['tip']},payment-service\n")
    corr = correlate(result_for(anomalies, ["payment-service"]), templates_of(anomalies), str(repo.root),
                     str(deploys))
    ids = ranked_ids(corr)
    assert ids[0] == shas["culprit"]
    assert pending not in ids[:1]
    pending_suspect = next((s for s in corr.suspects if s.id == pending), None)
    assert pending_suspect is None or any("no known deploy" in e.detail for e in pending_suspect.evidence)
    assert any("no known deploy" in r for r in corr.ruled_out)


def test_production_deploys_of_the_service_decide_when_code_went_live_and_a_rollback_is_evidence(late_deploy, tmp_path):
    repo, anomalies, shas = late_deploy
    deploys = tmp_path / "deploys.csv"
    deploys.write_text(
        "time,version,commit,service,environment,description\n"
        f"{(ONSET - timedelta(days=4)).isoformat()},1.3.0,{shas['released']},payment-service,production,\n"
        # staging got it hours earlier; production is what the logs come from
        f"{(ONSET - timedelta(hours=3)).isoformat()},1.4.0,{shas['tip']},payment-service,staging,\n"
        # another service of the monorepo deployed the same revision earlier: it does not ship payment code
        f"{(ONSET - timedelta(hours=2)).isoformat()},7.0.0,{shas['tip']},orders,production,\n"
        f"{(ONSET - minutes(6)).isoformat()},1.4.0,{shas['tip']},payment-service,production,\n"
        f"{(ONSET + minutes(18)).isoformat()},1.3.0,{shas['released']},payment-service,production,roll back 1.4.0\n")
    corr = correlate(result_for(anomalies, ["payment-service", "orders"]), templates_of(anomalies), str(repo.root),
                     str(deploys))
    top = corr.suspects[0]
    assert top.id == shas["culprit"] and corr.blamed == 0 and corr.confidence == "high"
    timing = next(e for e in top.evidence if e.signal == "timing")
    assert "deploy 1.4.0 6 min before the onset" in timing.detail
    assert any(e.signal == "rollback" and "18 min after the onset" in e.detail for e in top.evidence)
    rollback = [r for r in corr.reverts if "rollback" in r.text]
    assert len(rollback) == 1 and rollback[0].time == ONSET + minutes(18) and rollback[0].ref == shas["released"]


def test_a_change_live_for_days_that_only_touches_the_traced_file_is_not_blamed(tmp_path):
    repo = build_shop(tmp_path / "shop", START)
    repo.commit({"orders/shop/orders/db.py": repo.read("orders/shop/orders/db.py") + "\n\ndef count(conn):\n    return 0\n"},
                "Orders: count helper", ONSET - timedelta(days=6))
    repo.commit({"frontend/src/app.js": "export const w = 1;\n"}, "Frontend: w", ONSET - timedelta(hours=4))
    anomalies = [anomaly(1, "Exception on /orders/<*> [GET]", PY_TRACE, ["orders"])]
    corr = correlate(result_for(anomalies, ["orders"]), templates_of(anomalies), str(repo.root), None)
    assert corr.blamed is None and corr.confidence == "none"
    # still listed for the reader, with the file evidence that was weighed and dismissed
    assert "orders/shop/orders/db.py" in corr.suspects[0].files
    assert any("live for days" in r for r in corr.ruled_out)


def test_a_commit_older_than_the_window_that_shipped_just_before_the_onset_is_a_candidate(tmp_path):
    repo = build_shop(tmp_path / "shop", ONSET - timedelta(days=40))
    released = repo.git("rev-parse", "HEAD")
    culprit = repo.commit(
        {"payment-service/src/main/java/com/shop/payment/Client.java":
            CLIENT_JAVA.replace('config.get("gateway.endpoint");\n        Response', 'config.get("gateway.url");\n        Response')},
        "Payment client: read the gateway url key", ONSET - timedelta(days=20))
    repo.commit({"frontend/src/app.js": "export const v = 3;\n"}, "Frontend: v", ONSET - timedelta(days=2))
    deploys = tmp_path / "deploys.csv"
    deploys.write_text("time,commit,service\n"
                       f"{(ONSET - timedelta(days=30)).isoformat()},{released},payment-service\n"
                       f"{(ONSET - minutes(6)).isoformat()},{culprit},payment-service\n")
    line = CLIENT_JAVA.splitlines().index('        Response response = http.post(endpoint + "/charge", account, amount);') + 1
    anomalies = [anomaly(7, "Charge failed for account <*>", JAVA_TRACE.format(line=line), ["payment-service"])]
    corr = correlate(result_for(anomalies, ["payment-service"]), templates_of(anomalies), str(repo.root), str(deploys))
    assert corr.suspects[0].id == culprit and corr.blamed == 0
    assert "20.0 days" in next(e.detail for e in corr.suspects[0].evidence if e.signal == "timing")


def test_a_pasted_test_failure_in_a_library_whose_frames_look_like_a_library(tmp_path):
    """A Java library (org.apache.* frames are usually someone else's code; here they are the repository's)."""
    from tests.gitrepo import GitRepoBuilder
    repo = GitRepoBuilder(tmp_path / "commons-text")
    body = "package org.apache.commons.text;\n\npublic class WordUtils {\n" + "".join(
        f"    public static String f{i}(String s) {{\n        return s;\n    }}\n\n" for i in range(8)) + "}\n"
    main = "src/main/java/org/apache/commons/text/WordUtils.java"
    test = "src/test/java/org/apache/commons/text/WordUtilsTest.java"
    repo.commit({main: body, test: "class WordUtilsTest {}\n", "pom.xml": "<project/>\n"}, "Import", START)
    culprit = repo.commit({main: body.replace("    public static String f5(String s) {\n        return s;",
                                              "    public static String f5(String s) {\n        return s.trim();")},
                          "WordUtils.f5: trim its input", START + timedelta(days=3))
    repo.commit({test: "class WordUtilsTest { void t() {} }\n"}, "Test f5", START + timedelta(days=4))
    repo.commit({"pom.xml": "<project><version>1.2</version></project>\n"}, "Release 1.2", START + timedelta(days=5))
    line = body.splitlines().index("    public static String f5(String s) {") + 2
    trace = ("java.lang.NullPointerException\n"
             f"\tat org.apache.commons.text.WordUtils.f5(WordUtils.java:{line})\n"
             "\tat org.apache.commons.text.WordUtilsTest.t(WordUtilsTest.java:1)\n"
             "\tat java.base/jdk.internal.reflect.NativeMethodAccessorImpl.invoke0(Native Method)")
    anomalies = [anomaly(1, "java.lang.NullPointerException", trace, ["commons-text"])]
    corr = correlate(result_for(anomalies, [], onset=None), templates_of(anomalies), str(repo.root), None)
    assert corr.suspects[0].id == culprit and corr.blamed == 0 and corr.confidence == "medium"
    assert any(e.signal == "blame" and "WordUtils.java" in e.detail for e in corr.suspects[0].evidence)


def test_only_fixes_to_the_suspects_files_go_on_the_timeline(python_regression):
    repo, shas = python_regression
    fix = repo.commit({"orders/shop/orders/db.py": DB_PY.replace("LIMIT ?", "LIMIT ? OFFSET 0")}, "Hotfix: orders lookup",
                      ONSET + minutes(35))
    repo.commit({"frontend/src/app.js": "export const t = 0;\n"}, "Fix typo in the banner", ONSET + minutes(40))
    anomalies = [anomaly(1, "Exception on /orders/<*> [GET]", PY_TRACE, ["orders"])]
    corr = correlate(result_for(anomalies, ["orders"]), templates_of(anomalies), str(repo.root), None)
    assert corr.suspects[0].id == shas["culprit"]
    assert [(r.kind, r.ref) for r in corr.reverts] == [("revert", fix)]
    assert any(e.signal == "fix-after" and "again after the onset" in e.detail for e in corr.suspects[0].evidence)


def test_module_names_in_messages_point_at_code_but_host_names_do_not():
    from analyzer.change_signals import _module_names
    text = ("upstream db-01.shop.internal refused; handler com.shop.payment.Client gave up; "
            "shop.orders.db timed out; see pay.example.com")
    assert _module_names(text) == ["com.shop.payment.Client", "shop.orders.db"]


def test_an_identifier_found_all_over_the_repository_says_little(tmp_path):
    from tests.gitrepo import GitRepoBuilder
    repo = GitRepoBuilder(tmp_path / "r")
    files = {f"svc/m{i}.py": f"from db import session_pool\n\n\ndef f{i}():\n    return session_pool.get()\n"
             for i in range(12)}
    repo.commit({**files, "svc/tax.py": "RATES = {}\n"}, "Import", START)
    generic = repo.commit({"svc/m3.py": files["svc/m3.py"] + "\n\ndef g():\n    return session_pool.size\n"},
                          "m3: pool size", ONSET - timedelta(hours=2))
    rare = repo.commit({"svc/tax.py": "RATES = {}\nLEGACY_TAX_TABLE = None\n"}, "tax: legacy table",
                       ONSET - timedelta(hours=2, minutes=30))
    msg = "order 5 failed: LEGACY_TAX_TABLE is None while session_pool had 3 free"
    anomalies = [anomaly(1, "order <*> failed: LEGACY_TAX_TABLE is None while session_pool had <*> free", msg, ["svc"])]
    corr = correlate(result_for(anomalies, ["svc"]), templates_of(anomalies), str(repo.root), None)
    by_id = {s.id: s for s in corr.suspects}
    text = {sha: next((e.weight for e in by_id[sha].evidence if e.signal == "text"), 0.0) for sha in (generic, rare)}
    assert corr.suspects[0].id == rare
    assert text[rare] > 3 * text[generic]
