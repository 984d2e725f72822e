"""Post-processing of Drain's clusters: write each template precisely, then merge what Drain split needlessly.

Pure functions over template texts; the miner calls them in `finish`.
"""

from __future__ import annotations

import re

import numpy as np

from analyzer.masking import WILDCARD

# A varying token keeps its constant head up to one of these (`uid=`, `node-`, `core.`, `ret:`): what comes after
# the delimiter is the value. `_` is not one: `blk_123` or `broadcast_7` is an identifier, variable as a whole.
_HEAD_DELIMITERS = "=:-.([{/@#,"
# ...and its constant tail from one of these (`,` after `flags=<*>,`, `)` after `(uid=<*>)`).
_TAIL_DELIMITERS = ",;:)]}.\"'"
_WILDCARD_RUN = re.compile(r"<\*>(?:\s*<\*>)+")
_SPACES = re.compile(r"\s+")


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
    # A head with digits in it is itself a value (`10.1.`, `2016-`), unless it is a masked value already.
    if any(c.isdigit() for c in head.replace(WILDCARD, "")):
        return ""
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
