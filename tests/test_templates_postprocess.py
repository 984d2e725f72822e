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
