"""Post-processing of Drain's clusters: write each template precisely, then merge what Drain split needlessly.

Pure functions over template texts; the miner calls them in `finish`.
"""

from __future__ import annotations

import itertools
import math
import re

import numpy as np

from analyzer.masking import PINNED_TOKENS, WILDCARD

# A varying token keeps its constant head up to one of these (`uid=`, `node-`, `core.`, `ret:`): what comes after
# the delimiter is the value. `_` is not one: `blk_123` or `broadcast_7` is an identifier, variable as a whole.
_HEAD_DELIMITERS = "=:-.([{/@#,"
# ...and its constant tail from one of these (`,` after `flags=<*>,`, `)` after `(uid=<*>)`).
_TAIL_DELIMITERS = ",;:)]}.\"'"
_OPENERS = "([\"'"
_WILDCARD_RUN = re.compile(r"<\*>(?:\s*<\*>)+")
_SPACES = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")


def refine_template(tokens, prefixes: list[str], suffixes: list[str], shortest: list[int]) -> str:
    """The template text with each Drain wildcard narrowed to the variable part of the token it replaced."""
    out = []
    for i, token in enumerate(tokens):
        if token != WILDCARD or i >= len(prefixes):
            out.append(token)
            continue
        head = _head(prefixes[i])
        tail = _tail(suffixes[i])
        if len(head) + len(tail) > shortest[i]:  # head and tail overlap in the shortest value: keep only head
            tail = ""
        out.append(head + WILDCARD + tail)
    return " ".join(out)


def _head(prefix: str) -> str:
    cut = max(prefix.rfind(d) for d in _HEAD_DELIMITERS)
    if cut < 0:
        return ""
    head = prefix[: cut + 1]
    # A head with digits in it is itself part of the value (`10.1.`, `2016-`, `[http-nio-8080-exec-`): keep
    # only the brackets or quotes that open it (`[<*>]`).
    if any(c.isdigit() for c in head.replace(WILDCARD, "")):
        return prefix[: len(prefix) - len(prefix.lstrip(_OPENERS))]
    return head


def _tail(suffix: str) -> str:
    cut = min((i for i in (suffix.find(d) for d in _TAIL_DELIMITERS) if i >= 0), default=-1)
    if cut < 0:
        return ""
    tail = suffix[cut:]
    # Only punctuation may follow a value (`,` `).` `]'`); letters after it (`.example.com`) are part of it.
    if any(c.isalnum() for c in tail.replace(WILDCARD, "")):
        return ""
    return tail


# Two clusters merge when their templates never disagree on a constant and agree on at least this
# share of positions with the same constant word.
MIN_SHARED_CONSTANTS = 0.5
MAX_CANDIDATES = 64


def merge_compatible(clusters: list[tuple[str, tuple[str, ...]]]) -> tuple[list[int], dict[int, tuple[str, ...]]]:
    """Fold together clusters that Drain split only because a variable was not masked.

    Drain's similarity counts an unmasked variable (a user name, a host) as a mismatch, so a short message with
    two such variables lands in several clusters whose templates are each partly concrete:
    `segment <*> wrote hana.silva cluster <*>` and `segment <*> wrote <*> cluster bo.smith`. Such templates never
    disagree on a constant (where one has a word, the other has that word, a wildcard, or the word with other
    numbers in it) and share most of their constant words. The same holds across sources: one program logging
    through two services (su and sshd both write `session closed for user <*>`) is mined by two Drains, and
    each may have seen only one user.

    Given (source key, template tokens) per cluster, in order of first appearance, returns for each cluster the
    index of the cluster it was merged into (itself when none) and the merged templates by that index. Earlier
    clusters absorb later ones, so the result is deterministic.

    Then families of templates that differ only where variables Drain could not generalise stand are folded
    (`_merge_families`), and what is compatible with a folded family's template joins it.
    """
    into, merged = _fold_compatible([tokens for _key, tokens in clusters])
    before = len(merged)
    into, merged = _merge_families(into, merged)
    if len(merged) == before:
        return into, merged
    reps = sorted(merged)
    again, folded = _fold_compatible([merged[rep] for rep in reps])
    rep_into = {rep: reps[again[k]] for k, rep in enumerate(reps)}
    return [rep_into[target] for target in into], {reps[k]: folded[k] for k in folded}


def _fold_compatible(shapes: list[tuple[str, ...]]) -> tuple[list[int], dict[int, tuple[str, ...]]]:
    """merge_compatible's first step: each template joins the earliest compatible one, or stands alone."""
    into = list(range(len(shapes)))
    merged: dict[int, tuple[str, ...]] = {}
    # length -> {(position, constant): [representative, ...]}: candidates are found by shared constants
    postings: dict[int, dict[tuple[int, str], list[int]]] = {}
    for index, tokens in enumerate(shapes):
        needed = max(1, math.ceil(MIN_SHARED_CONSTANTS * len(tokens)))
        index_of_shape = postings.setdefault(len(tokens), {})
        lists = sorted(
            (index_of_shape.get((position, token), ()) for position, token in enumerate(tokens) if token != WILDCARD),
            key=len,
        )
        # A match shares `needed` of these constants, so it is in one of the len - needed + 1 shortest lists.
        # Bounded, so that thousands of look-alike clusters cannot make this quadratic: the earliest are tried.
        candidates: set[int] = set()
        for found in lists[: max(0, len(lists) - needed + 1)]:
            candidates.update(found[:MAX_CANDIDATES])
        target = next((rep for rep in sorted(candidates)[:MAX_CANDIDATES] if _fits(merged[rep], tokens, needed)), None)
        if target is None:
            merged[index] = tuple(tokens)
            for position, token in enumerate(tokens):
                if token != WILDCARD:
                    index_of_shape.setdefault((position, token), []).append(index)
            continue
        into[index] = target
        merged[target] = tuple(a if a == b else WILDCARD for a, b in zip(merged[target], tokens))
        # Postings of the target's constants that became wildcards stay: _fits re-checks the merged template.
    return _merge_families(into, merged)


# A family: templates equal but for the same one or two positions, with at least this many different words at
# each. Drain splits a message over unmasked variables in two ways: by similarity, k variables only while it has
# fewer than k / (1 - similarity) tokens (three in four must agree), so under FAMILY_LENGTH tokens for two; and
# by its prefix tree, which routes on the first ROUTING_TOKENS tokens (depth 4: the length, then two tokens)
# whatever the length, so `alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=...` splits per user.
FAMILY_MIN = 10
FAMILY_MAX_POSITIONS = 2
FAMILY_LENGTH = 8
ROUTING_TOKENS = 2


def _merge_families(
    into: list[int], merged: dict[int, tuple[str, ...]]
) -> tuple[list[int], dict[int, tuple[str, ...]]]:
    """Fold families of short templates that differ only at the same one or two positions.

    Two unmasked variables in a short message (`lease hana.kowalski locked fay.smith account mounted attached`)
    keep Drain's similarity under its threshold, so each new pair of values opens a cluster of its own (hundreds
    on a generated million-line log), and as the values are different words no constant-compatible merge applies.
    When many templates agree on every other word, the positions where they differ hold variables. A few words
    at a position (`Transitioned from NEW to INITED`, `data TLB error`) are kept apart: Loghub's ground truth
    treats such states and kinds as different events, and so do people reading the report.
    """
    # A member agrees with FAMILY_MIN - 1 others everywhere but at the family's positions, so a template with more
    # than FAMILY_MAX_POSITIONS positions whose (length, position, token) is rarer than that has no family: the
    # cheap count that spares building keys for most templates of a large, varied log.
    shared: dict[tuple[int, int, str], int] = {}
    for tokens in merged.values():
        for position, token in enumerate(tokens):
            shared[(len(tokens), position, token)] = shared.get((len(tokens), position, token), 0) + 1
    families: dict[tuple, list[int]] = {}
    for rep in sorted(merged):
        tokens = merged[rep]
        constants = [i for i, t in enumerate(tokens) if t != WILDCARD and t not in PINNED_TOKENS]
        if len(constants) < 2 + FAMILY_MAX_POSITIONS:  # too few words left to tell that two templates are one event
            continue
        rare = [i for i, t in enumerate(tokens) if shared[(len(tokens), i, t)] < FAMILY_MIN]
        if len(rare) > FAMILY_MAX_POSITIONS:
            continue
        varying = constants if len(tokens) < FAMILY_LENGTH else [i for i in constants if i < ROUTING_TOKENS]
        for width in range(1, FAMILY_MAX_POSITIONS + 1):
            for positions in itertools.combinations(varying, width):
                if not set(rare) <= set(positions):  # a rare token outside the positions: no family of this shape
                    continue
                key = (positions, tuple(WILDCARD if i in positions else t for i, t in enumerate(tokens)))
                families.setdefault(key, []).append(rep)
    families = {key: members for key, members in families.items() if len(members) >= FAMILY_MIN}
    head = {rep: rep for rep in merged}

    def root(rep: int) -> int:
        while head[rep] != rep:
            rep = head[rep]
        return rep

    # Narrow families first, then by first appearance, so that the result does not depend on dict order.
    for (positions, _), members in sorted(families.items(), key=lambda item: (len(item[0][0]), item[1][0])):
        if len(members) < FAMILY_MIN or any(len({merged[m][i] for m in members}) < FAMILY_MIN for i in positions):
            continue
        roots = sorted({root(m) for m in members})
        for other in roots[1:]:
            head[other] = roots[0]
    roots = {rep: root(rep) for rep in merged}
    folded: dict[int, tuple[str, ...]] = {}
    for rep in sorted(merged):
        target = roots[rep]
        known = folded.get(target)
        folded[target] = merged[rep] if known is None else _widen(known, merged[rep])
    return [roots[target] for target in into], folded


def _widen(template: tuple[str, ...], tokens: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(a if a == b else WILDCARD for a, b in zip(template, tokens))


def _fits(template: tuple[str, ...], tokens: tuple[str, ...], needed: float) -> bool:
    """No constant disagrees, and enough constants agree.

    Two constants that differ only in their numbers (`[exec-3]`, `[exec-17]`) do not disagree: they are one
    variable that Drain could not generalise, as happens in messages of two or three words."""
    agree = 0
    for a, b in zip(template, tokens):
        if a == b:
            agree += a != WILDCARD
        elif a in PINNED_TOKENS or b in PINNED_TOKENS:
            return False
        elif a != WILDCARD and b != WILDCARD and not _same_but_numbers(a, b):
            return False
    return agree >= needed


def _same_but_numbers(a: str, b: str) -> bool:
    return _DIGITS.search(a) is not None and _DIGITS.sub("0", a) == _DIGITS.sub("0", b)


def normalise_template(text: str) -> str:
    """The comparison form of a template: runs of wildcards (and the spaces between them) folded into one."""
    return _WILDCARD_RUN.sub(WILDCARD, _SPACES.sub(" ", text.strip()))


def merge_equal_templates(texts: list[str]) -> tuple[np.ndarray, dict[int, str]]:
    """Map provisional ids (list positions) to final ids, merging templates equal once normalised.

    Drain keys its tree on the token count, so a variable that spans a varying number of words (a user name with a
    space, a list) splits one event into several clusters; they normalise to the same text and merge here.
    Final ids count from 1 in order of first appearance, which makes them stable run to run.
    """
    mapping = np.zeros(len(texts), dtype=np.int64)
    final_texts: dict[int, str] = {}
    by_text: dict[str, int] = {}
    for pid, text in enumerate(texts):
        norm = normalise_template(text)
        fid = by_text.get(norm)
        if fid is None:
            fid = by_text[norm] = len(by_text) + 1
            final_texts[fid] = norm
        mapping[pid] = fid
    return mapping, final_texts
