"""Deploy records: --deploys files, release tags, log markers, and resolving them to commits."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from parsers.deploys import skipped_rows_note, marker_of, merge_deploys, read_deploys, resolve_deploys, tag_deploys
from parsers.errors import UserError
from parsers.git_history import open_repository
from parsers.records import Deploy
from tests.gitrepo import T0, GitRepoBuilder


def test_csv_with_aliases_zones_and_skipped_rows(tmp_path):
    f = tmp_path / "deploys.csv"
    f.write_text(
        "deployed_at,release,sha,app,env,notes\n"
        "2024-03-10T13:54:00+01:00,1.4.0,,checkout,prod,canary\n"
        "2024-03-10 12:00:00,,abc1234,checkout,prod,\n"
        "yesterday-ish,1.5.0,,checkout,prod,\n"
        "2024-03-10T15:00:00Z,,,checkout,prod,\n")
    rec = read_deploys(str(f))
    assert [(d.time, d.version, d.commit, d.service, d.environment) for d in rec.deploys] == [
        (datetime(2024, 3, 10, 12, 0, tzinfo=timezone.utc), None, "abc1234", "checkout", "prod"),
        (datetime(2024, 3, 10, 12, 54, tzinfo=timezone.utc), "1.4.0", None, "checkout", "prod"),
    ]
    assert rec.deploys[1].description == "canary" and rec.deploys[1].ref == "deploys.csv:2"
    assert rec.skipped == {"no readable time": 1, "no version or commit": 1}
    assert skipped_rows_note(str(f), rec) == [
        "1 deploy record(s) skipped, no readable time: deploys.csv:4; the other rows were used.",
        "1 deploy record(s) skipped, no version or commit: deploys.csv:5; the other rows were used.",
    ]
    assert any("without a zone were read as UTC" in w for w in rec.warnings)
    paris = read_deploys(str(f), tz="Europe/Paris")  # --tz applies to zone-less deploy times too
    assert paris.deploys[0].time == datetime(2024, 3, 10, 11, 0, tzinfo=timezone.utc)
    assert any("Europe/Paris" in w for w in paris.warnings)


def test_json_lines_and_epoch_times(tmp_path):
    f = tmp_path / "deploys.jsonl"
    f.write_text('{"timestamp": 1710078840, "version": "v2", "service": "api"}\n'
                 "\n"
                 "{not json\n"
                 '{"time": "2024-03-10T14:00:00Z", "commit": "deadbeef1"}\n')
    rec = read_deploys(str(f))
    assert [d.version or d.commit for d in rec.deploys] == ["v2", "deadbeef1"]
    assert rec.deploys[0].time == datetime.fromtimestamp(1710078840, tz=timezone.utc)
    assert rec.skipped == {"no readable time": 1}


@pytest.mark.parametrize("content, words", [
    ("", "empty"),
    ("a,b\n1,2\n", "header naming a time column"),
    ("time,version\nnope,1\n", "no row has both"),
    ("[1, 2", "not valid JSON"),
])
def test_bad_deploy_files_are_user_errors(tmp_path, content, words):
    f = tmp_path / "d.csv"
    f.write_text(content)
    with pytest.raises(UserError, match=words):
        read_deploys(str(f))
    with pytest.raises(UserError, match="cannot read"):
        read_deploys(str(tmp_path / "missing.csv"))


@pytest.mark.parametrize("line, expected", [
    ("Starting payment-service version 1.4.2 on host pay-1", ("1.4.2", None)),
    ("Deployed v2.3.0 to production", ("v2.3.0", None)),
    ("pulling image registry.local/shop/api:2024.03.1", ("2024.03.1", None)),
    ("build info: commit=9fceb02d0ae598e95dc970b74767f19372d61af8", (None, "9fceb02d0ae598e95dc970b74767f19372d61af8")),
    ("Started OrdersApplication in 3.2 seconds (process running for 3.9)", (None, None)),
    ("GET /orders/1841 took 35 ms", (None, None)),
])
def test_deploy_markers_in_log_lines(line, expected):
    assert marker_of(line) == expected


def test_tags_and_resolution_against_a_repository(tmp_path):
    repo = GitRepoBuilder(tmp_path / "r")
    first = repo.commit({"a.txt": "1\n"}, "one", T0)
    repo.tag("v1.0.0", T0 + timedelta(minutes=5))
    second = repo.commit({"a.txt": "2\n"}, "two", T0 + timedelta(hours=1))
    repo.tag("api/v1.1.0", T0 + timedelta(hours=2))
    repo.tag("wip-experiment", T0 + timedelta(hours=2))
    api_1_0 = repo.commit({"api/a.txt": "3\n"}, "api", T0 + timedelta(hours=3))
    repo.tag("api/v1.0.0", T0 + timedelta(hours=3))
    with open_repository(str(repo.root)) as git:
        tags = git.tags()
        from_tags = tag_deploys(tags)
        assert [(d.version, d.commit, d.origin, d.service) for d in from_tags] == [
            ("v1.0.0", first, "tag", None), ("api/v1.1.0", second, "tag", "api"), ("api/v1.0.0", api_1_0, "tag", "api")]
        wanted = [Deploy(time=T0, version="1.0.0"), Deploy(time=T0, version="1.1.0"),
                  Deploy(time=T0, commit=second[:9]), Deploy(time=T0, version="9.9.9"),
                  Deploy(time=T0, version="v1.0.0", service="web"), Deploy(time=T0, version="1.0.0", service="api")]
        resolved, notes = resolve_deploys(wanted, git, tags)
    assert [d.commit for d in resolved] == [first, second, second, None, first, api_1_0]
    assert len(notes) == 1 and "9.9.9" in notes[0]


def test_merge_keeps_one_deploy_per_commit_and_time():
    t = datetime(2024, 3, 10, 12, 0, tzinfo=timezone.utc)
    file = [Deploy(time=t, version="1.4.0", commit="a" * 40, origin="file")]
    tag = [Deploy(time=t - timedelta(minutes=3), version="v1.4.0", commit="a" * 40, origin="tag"),
           Deploy(time=t - timedelta(days=3), version="v1.3.0", commit="b" * 40, origin="tag")]
    merged = merge_deploys(file, tag)
    assert [(d.version, d.origin) for d in merged] == [("v1.3.0", "tag"), ("1.4.0", "file")]
