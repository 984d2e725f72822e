"""The miner: stable ids, memoisation that changes nothing, state that round-trips, bad state refused."""

import json
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analyzer.template_state import load_state, save_state
from analyzer import templates as templates_module
from analyzer.templates import TemplateMiner, _new_drain, mining_text
from parsers.errors import UserError

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "loghub_2k"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="Loghub data (../shared/data) not present")

SSH_LIKE = [
    "Accepted password for alice from 10.0.0.7 port 52113 ssh2",
    "Failed password for invalid user admin from 185.1.2.3 port 40022 ssh2",
    "Accepted password for bob from 10.0.0.9 port 52999 ssh2",
    "Connection closed by 185.1.2.3 [preauth]",
    "Failed password for invalid user oracle from 185.1.2.4 port 40100 ssh2",
    "Connection closed by 185.1.9.3 [preauth]",
    "Received disconnect from 185.1.2.3: 11: Bye Bye [preauth]",
]


def content(name: str) -> pd.Series:
    frame = pd.read_csv(DATA / name / f"{name}_2k.log_structured_corrected.csv", dtype="str", keep_default_na=False)
    return frame["Content"]


def mine(messages, keys=None):
    miner = TemplateMiner()
    provisional = miner.add(pd.Series(messages, dtype="str"), None if keys is None else pd.Series(keys, dtype="str"))
    templates = miner.finish()
    return templates.final_ids(provisional), templates


def test_templates_group_the_same_event_and_name_its_variables():
    ids, templates = mine(SSH_LIKE)
    assert ids[1] == ids[4] and ids[0] == ids[2] and ids[3] == ids[5]
    assert len({ids[0], ids[1], ids[3], ids[6]}) == 4
    assert templates.texts[ids[3]] == "Connection closed by <*> [preauth]"
    assert templates.texts[ids[0]] == "Accepted password for <*> from <*> port <*> ssh2"


def test_final_ids_count_from_one_in_order_of_first_appearance():
    ids, templates = mine(SSH_LIKE)
    assert ids[0] == 1
    first_seen = list(dict.fromkeys(ids.tolist()))
    assert first_seen == list(range(1, len(first_seen) + 1))
    assert sorted(templates.texts) == first_seen


def test_same_input_gives_same_templates_and_ids_across_runs_and_batchings():
    ids_a, templates_a = mine(SSH_LIKE * 3)
    miner = TemplateMiner()
    parts = [miner.add(pd.Series(chunk, dtype="str")) for chunk in
             [(SSH_LIKE * 3)[:5], (SSH_LIKE * 3)[5:11], (SSH_LIKE * 3)[11:]]]
    templates_b = miner.finish()
    ids_b = templates_b.final_ids(np.concatenate(parts))
    assert ids_a.tolist() == ids_b.tolist()
    assert templates_a.texts == templates_b.texts


def test_keys_keep_sources_apart_but_equal_texts_share_an_id():
    ids, templates = mine(["disk 1 full", "disk 2 full", "disk 3 full"], keys=["a", "b", "a"])
    assert len(set(ids.tolist())) == 1 and templates.texts[ids[0]] == "disk <*> full"


def test_empty_batch_and_empty_messages():
    miner = TemplateMiner()
    assert miner.add(pd.Series([], dtype="str")).tolist() == []
    provisional = miner.add(pd.Series(["", "   ", "x"], dtype="str"))
    templates = miner.finish()
    ids = templates.final_ids(provisional)
    assert ids[0] == ids[1] != ids[2]


@needs_data
@pytest.mark.parametrize("name", ["Linux", "Android", "BGL"])
def test_memoised_grouping_equals_feeding_drain_every_line(name):
    """Feeding each distinct masked message once must group lines exactly as feeding Drain every line does."""
    messages = content(name)
    miner = TemplateMiner()
    provisional = miner.add(messages)

    drain = _new_drain()
    per_line = np.array([drain.add_log_message(m)[0].cluster_id for m in mining_text(messages)])
    # Same partition of the lines: a bijection between the two labellings.
    pairs = pd.DataFrame({"memo": provisional, "line": per_line}).drop_duplicates()
    assert pairs.memo.is_unique and pairs.line.is_unique


@needs_data
def test_state_round_trip_continues_exactly_like_the_saved_miner(tmp_path):
    messages = content("Linux")
    first, second = messages[:1000], messages[1000:]

    continuous = TemplateMiner()
    continuous.add(first)
    later = continuous.add(second)
    expected = continuous.finish().final_ids(later)

    learned = TemplateMiner()
    learned.add(first)
    save_state(learned, tmp_path / "state.json")
    saved = (tmp_path / "state.json").read_text()
    json.loads(saved)  # plain JSON, nothing pickled
    assert "authentication failure" not in saved.split('"memo"')[1]  # the memo keeps digests, not messages
    resumed = load_state(tmp_path / "state.json")
    later = resumed.add(second)
    got = resumed.finish().final_ids(later)
    assert got.tolist() == expected.tolist()
    assert resumed.finish().texts == continuous.finish().texts


def test_state_round_trip_in_memory():
    miner = TemplateMiner()
    miner.add(pd.Series(SSH_LIKE, dtype="str"))
    restored = TemplateMiner.from_state(json.loads(json.dumps(miner.to_state())))
    assert restored.finish().texts == miner.finish().texts
    assert restored.to_state() == miner.to_state()


@pytest.mark.parametrize(
    "text, words",
    [
        ("not json at all", "not JSON"),
        ('{"format": "something-else"}', "not a logrca template state"),
        ('{"format": "logrca-template-state", "version": 99}', "version"),
        ('{"format": "logrca-template-state", "version": 2, "drains": {"": {"clusters": [[1]]}}}', "damaged"),
        ('{"format": "logrca-template-state", "version": 2, "drains": {}, "clusters": [], "memo": [[5, 3]]}',
         "damaged"),
        ('["py/object", "os.system"]', "not a logrca template state"),
    ],
)
def test_bad_state_files_are_refused_in_one_sentence(tmp_path, text, words):
    path = tmp_path / "state.json"
    path.write_text(text)
    with pytest.raises(UserError, match=words):
        load_state(path)


def test_missing_state_file_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="Cannot read"):
        load_state(tmp_path / "nope.json")


def test_a_server_error_never_shares_a_template_with_a_success():
    agent = '"Mozilla/5.0 (X11; Linux x86_64) Firefox/123.0"'
    lines = [f'"GET /api/cart/{i} HTTP/1.1" {status} {100 + i} "-" {agent}' for i, status in
             enumerate([200, 200, 504, 201, 502, 200])]
    ids, templates = mine(lines)
    assert ids[0] == ids[1] == ids[3] == ids[5] != ids[2] == ids[4]
    assert templates.texts[ids[2]] == '"GET <*> HTTP/1.1" 5xx <*> "-" "<*>"'


def test_messages_of_any_dtype_are_read_as_text():
    miner = TemplateMiner()
    provisional = miner.add(pd.Series(["disk 1 full", None, 7, "disk 2 full"], dtype=object))
    miner.add(pd.Series(["disk 3 full", "disk 4 full"], dtype="category"))
    templates = miner.finish()
    ids = templates.final_ids(provisional)
    assert ids[0] == ids[3] and templates.texts[ids[0]] == "disk <*> full"
    assert templates.texts[ids[1]] == "" and templates.texts[ids[2]] == "<*>"


def test_unicode_tabs_and_very_long_messages():
    long_line = " ".join(f"k{i}={i}" for i in range(5000))
    messages = ["Überweisung 12 fehlgeschlagen für Jürgen", "Überweisung 13 fehlgeschlagen für Jürgen",
                "tab\tseparated\t42", long_line, long_line.replace("=1 ", "=2 ")]
    ids, templates = mine(messages)
    assert ids[0] == ids[1] and templates.texts[ids[0]] == "Überweisung <*> fehlgeschlagen für Jürgen"
    assert templates.texts[ids[2]] == "tab separated <*>"
    assert ids[3] == ids[4]


class _StockSearchDrain(templates_module._MaskAwareDrain):
    """The same Drain with stock Drain3's leaf search and insert, to check the indexed ones against."""

    def tree_search(self, root_node, tokens, sim_th, include_params):
        return templates_module.Drain.tree_search(self, root_node, tokens, sim_th, include_params)

    def add_seq_to_prefix_tree(self, root_node, cluster):
        return templates_module.Drain.add_seq_to_prefix_tree(self, root_node, cluster)


def _letters(n: int) -> str:
    out = ""
    n += 1
    while n:
        n, r = divmod(n, 20)
        out += "bcdfghjklmnpqrstvwxz"[r]
    return out


def test_indexed_leaf_search_assigns_exactly_as_stock_drain_does():
    rng = random.Random(5)
    words = [_letters(i) for i in range(400)]
    messages = []
    for i in range(6000):  # more first tokens than max_children, shared words, masked values, wildcards
        shape = rng.randrange(4)
        if shape == 0:
            messages.append(f"{rng.choice(words)} {rng.choice(words)} {rng.choice(words)} {rng.choice(words)}")
        elif shape == 1:
            messages.append(f"user {rng.choice(words[:30])} logged in from <*> after <*> ms")
        elif shape == 2:
            messages.append(f"{rng.choice(words[:150])} connection to <*> failed: {rng.choice(words[:5])}")
        else:
            messages.append(f"GET <*> HTTP/1.1 {rng.choice(['2xx', '5xx'])} <*> {rng.choice(words[:8])}")
    kwargs = dict(depth=templates_module.DRAIN_DEPTH, sim_th=templates_module.DRAIN_SIM_TH,
                  max_children=templates_module.DRAIN_MAX_CHILDREN, param_str=templates_module.WILDCARD)
    indexed, stock = templates_module._MaskAwareDrain(**kwargs), _StockSearchDrain(**kwargs)
    got = [indexed.add_tokens(tuple(m.split()))[0].cluster_id for m in messages]
    want = [stock.add_tokens(tuple(m.split()))[0].cluster_id for m in messages]
    assert got == want
    assert [c.log_template_tokens for c in indexed.clusters] == [c.log_template_tokens for c in stock.clusters]


def test_indexed_search_breaks_ties_and_keeps_status_classes_apart_as_stock_drain_does():
    # One crowded leaf (same length, same first two tokens) of near-threshold look-alikes: many clusters tie on
    # similarity, some only on wildcard count, and a status class sits among them.
    rng = random.Random(11)
    vocabulary = ["a", "b", "c", templates_module.WILDCARD]
    messages = [
        " ".join(["job", "run", *(rng.choice(vocabulary) for _ in range(length)), rng.choice(["2xx", "5xx", "ok"])])
        for length in [5, 7] * 1500  # 8 and 10 tokens: 0.75 falls on a count for one and between counts for the other
    ]
    kwargs = dict(depth=templates_module.DRAIN_DEPTH, sim_th=templates_module.DRAIN_SIM_TH,
                  max_children=templates_module.DRAIN_MAX_CHILDREN, param_str=templates_module.WILDCARD)
    indexed, stock = templates_module._MaskAwareDrain(**kwargs), _StockSearchDrain(**kwargs)
    got = [indexed.add_tokens(tuple(m.split()))[0].cluster_id for m in messages]
    want = [stock.add_tokens(tuple(m.split()))[0].cluster_id for m in messages]
    assert len(indexed.clusters) > 3 * templates_module.SMALL_LEAF  # the leaf is searched through its index
    assert got == want
    assert [c.log_template_tokens for c in indexed.clusters] == [c.log_template_tokens for c in stock.clusters]
