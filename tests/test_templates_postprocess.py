"""Post-processing: precise wildcards, merging what Drain split needlessly, and nothing else."""

import pandas as pd

from analyzer.template_postprocess import merge_compatible, merge_equal_templates, normalise_template, refine_template
from analyzer.templates import TemplateMiner

W = "<*>"


def test_unmasked_variables_do_not_split_an_event():
    # Drain makes `... hana.silva cluster <*>` of the first two and `... <*> cluster bo.smith` of the last two
    pairs = [("hana.silva", "bo.smith"), ("hana.silva", "ivo.berg"), ("eli.tan", "bo.smith"), ("fay.roy", "bo.smith")]
    messages = [f"segment 7{i} wrote {writer} cluster {owner}" for i, (writer, owner) in enumerate(pairs * 3)]
    miner = TemplateMiner()
    provisional = miner.add(pd.Series(messages, dtype="str"))
    templates = miner.finish()
    ids = templates.final_ids(provisional)
    assert len(set(ids.tolist())) == 1
    assert templates.texts[ids[0]] == "segment <*> wrote <*> cluster <*>"


def test_compatible_templates_merge_but_disagreeing_constants_do_not():
    clusters = [
        ("a", ("segment", W, "wrote", "hana", "cluster", W)),
        ("a", ("segment", W, "wrote", W, "cluster", "bo")),
        ("a", ("segment", W, "read", W, "cluster", "bo")),  # `read` against `wrote`: another event
        ("b", ("segment", W, "wrote", "eli", "cluster", W)),  # the same event seen through another source
        ("b", ("segment", W, "wrote", W, "cluster", "bo")),
    ]
    into, merged = merge_compatible(clusters)
    assert into == [0, 0, 2, 0, 0]
    assert merged[0] == ("segment", W, "wrote", W, "cluster", W)


def test_too_few_shared_constants_do_not_merge():
    into, _ = merge_compatible([("", ("open", W, W, W)), ("", ("open", "x", "y", "z"))])
    assert into == [0, 1]


def test_refine_keeps_keys_and_punctuation_around_a_wildcard():
    tokens = ("uid=<*>", W, W, W, W)
    prefixes = ["uid=<*>", "ret:", "node-", "blk_", "host"]
    suffixes = ["uid=<*>", ",", "", "", ".example.com"]
    shortest = [7, 6, 6, 6, 10]
    assert refine_template(tokens, prefixes, suffixes, shortest) == "uid=<*> ret:<*>, node-<*> <*> <*>"


def test_equal_after_folding_wildcard_runs_is_one_template():
    mapping, texts = merge_equal_templates(["user <*> <*> logged in", "boot", "user <*> logged  in"])
    assert mapping.tolist() == [1, 2, 1]
    assert texts == {1: "user <*> logged in", 2: "boot"}
    assert normalise_template(" a  <*> <*>b ") == "a <*>b"


def test_a_head_with_digits_keeps_only_its_opening_bracket():
    threads = [f"[http-nio-8080-exec-{n}] request done" for n in (3, 17, 25, 4)]
    miner = TemplateMiner()
    provisional = miner.add(pd.Series(threads, dtype="str"))
    templates = miner.finish()
    assert templates.texts[templates.final_ids(provisional)[0]] == "[<*>] request done"


PEOPLE = [f"{first}.{last}" for first in ("ana", "bo", "chen", "dev", "eli", "fay", "gus", "hana")
          for last in ("smith", "ng", "kowalski", "okafor", "silva", "berg")]


def mined_texts(messages):
    miner = TemplateMiner()
    provisional = miner.add(pd.Series(messages, dtype="str"))
    templates = miner.finish()
    return [templates.texts[i] for i in templates.final_ids(provisional)]


def test_two_unmasked_values_in_a_short_message_are_one_event_not_one_per_pair():
    # 5 of 7 tokens agree: under Drain's threshold, so each new pair of names opens a cluster of its own; no name
    # comes twice, so no partly generalised template bridges two clusters either.
    messages = [f"lease {a} locked {b} account mounted attached" for a, b in zip(PEOPLE[0::2], PEOPLE[1::2])]
    assert set(mined_texts(messages)) == {"lease <*> locked <*> account mounted attached"}


def test_a_value_in_the_first_tokens_does_not_split_a_long_event_per_value():
    # Drain's prefix tree routes on the first tokens, so a sudo line splits per user whatever its length.
    messages = [f"{who} : TTY=pts/{n % 4} ; PWD=/home/{who} ; USER=root ; COMMAND=/usr/bin/systemctl restart app"
                for n, who in enumerate(PEOPLE * 2)]
    assert set(mined_texts(messages)) == {"<*> : TTY=<*> ; PWD=<*> ; USER=root ; COMMAND=<*> restart app"}


def test_a_few_states_or_kinds_at_a_position_stay_different_events():
    states = ["NEW", "INITED", "SETUP", "RUNNING", "COMMITTING", "SUCCEEDED", "FAILED", "KILLED", "ERROR"]
    messages = [f"job_{n} Transitioned from {a} to {b}" for n, (a, b) in enumerate(zip(states, states[1:]))] * 3
    assert len(set(mined_texts(messages))) == len(states) - 1


def test_a_family_needs_ten_different_words_at_each_of_its_positions():
    def family(words):
        return [("", ("open", w, "on", "disk", "now")) for w in words]

    nine = ["red", "green", "blue", "cyan", "pink", "gold", "gray", "teal", "plum"]
    into, _ = merge_compatible(family(nine))
    assert into == list(range(9))
    into, merged = merge_compatible(family([*nine, "tenth"]))
    assert into == [0] * 10 and merged == {0: ("open", W, "on", "disk", "now")}
