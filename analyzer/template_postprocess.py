"""Post-processing of Drain's clusters: write each template precisely, then merge what Drain split needlessly.

Pure functions over template texts; the miner calls them in `finish`.
"""

from __future__ import annotations

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
    """

    into = list(range(len(clusters)))
    merged: dict[int, tuple[str, ...]] = {}
    # length -> {(position, constant): [representative, ...]}: candidates are found by shared constants
    postings: dict[int, dict[tuple[int, str], list[int]]] = {}
    for index, (_key, tokens) in enumerate(clusters):
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
    return into, merged


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
