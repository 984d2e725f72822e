"""The template miner: Drain3's tree driven over masked, de-duplicated messages.

Why it is shaped like this:
- Most lines of a log repeat a message seen before once its variables are masked, so each batch is reduced to its
  distinct (source, masked message) pairs first and only those reach Drain; each pair is remembered with the
  cluster it joined, and a later repeat is answered from that memo. Time grows with distinct messages, not lines.
- Drain is used through `drain3.drain.Drain` itself (not `drain3.TemplateMiner`): its persistence re-serialises
  the model on every change and `max_clusters` evicts silently, both unusable here. Our state is our own JSON.
- One Drain per source key (service): templates of different programs never share a tree, which is both more
  accurate (no cross-talk in similarity) and faster (smaller leaves to scan).
- Drain scores a masked `<*>` in the message against a `<*>` in the template as a match: the masks are evidence
  that both hold a variable there (stock Drain counts it as a mismatch, which splits messages that are mostly
  masked values).
- `finish` post-processes (template_postprocess): templates that Drain split over an unmasked variable are merged
  back, each wildcard is narrowed to the variable part of its token (`uid=<*>`), and templates equal once runs of
  wildcards are folded become one. Final ids are numbered by first appearance, so the same input gives the same ids.
"""

from __future__ import annotations

import hashlib
import operator
import os
from collections import Counter
from dataclasses import dataclass, field
from itertools import chain

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from drain3.drain import Drain, LogCluster, Node

from analyzer.masking import PINNED_TOKENS, WILDCARD, event_text, mask_array
from analyzer.template_postprocess import merge_compatible, merge_equal_templates, refine_template

# Drain settings chosen once for every system (no per-dataset tuning): depth 4 is Drain's published default.
# Similarity 0.75 (three tokens in four agree, masked values counting as agreement) sits mid-plateau on Loghub:
# 0.72-0.78 give the same groups; below 0.7 unrelated events merge, above 0.8 events split on one unmasked word.
# Splits from unmasked variables are mended afterwards by template_postprocess.merge_compatible.
DRAIN_DEPTH = 4
DRAIN_SIM_TH = 0.75
DRAIN_MAX_CHILDREN = 100
SMALL_LEAF = 8  # clusters in a leaf up to which Drain's own scoring is the faster search


class _MaskAwareDrain(Drain):
    """Drain whose similarity counts a masked value facing a template wildcard as agreement.

    With `<*>` as both the mask and Drain's parameter string, "agreement" is plain token equality, so the score
    is a count of equal positions (done in C by `map`). Stock Drain would score a masked value against a
    template wildcard as a mismatch, which splits messages that are mostly masked values.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._indexes: dict[int, _LeafIndex] = {}  # id(leaf node) -> its index
        self._leaf_of: dict[int, object] = {}  # cluster id -> its leaf node

    def get_seq_distance(self, seq1, seq2, include_params):
        if not seq1:
            return 1.0, 0
        if not (PINNED_TOKENS.isdisjoint(seq2) and PINNED_TOKENS.isdisjoint(seq1)) and not _pins_agree(seq1, seq2):
            return 0.0, seq1.count(WILDCARD)  # a 5xx never joins a 2xx, however alike the rest
        sim_tokens = sum(map(operator.eq, seq1, seq2))
        param_count = seq1.count(WILDCARD)
        if include_params:  # only Drain's `match()` asks; wildcards then agree with anything
            sim_tokens += sum(1 for a, b in zip(seq1, seq2) if a == WILDCARD and b != WILDCARD)
        return sim_tokens / len(seq1), param_count

    # -- search and insert that stay fast when one leaf holds thousands of clusters ---------------------------
    # More than max_children distinct first tokens send messages to one `<*>` leaf; stock Drain then scores every
    # cluster of that leaf per message and rebuilds the leaf's id list per new cluster, which is quadratic (10,000
    # distinct messages took minutes). An index (position, token) -> cluster ids per leaf answers instead: how
    # many of a cluster's postings hold the message's (position, token) pairs is the number of positions where
    # its template equals the message, which is the similarity itself, so no cluster is scored token by token.

    def tree_search(self, root_node, tokens, sim_th, include_params):
        leaf = self._leaf(root_node, tokens)
        if leaf is None or not tokens or include_params:
            return super().tree_search(root_node, tokens, sim_th, include_params)
        if len(leaf.cluster_ids) <= SMALL_LEAF:  # scoring a few clusters costs less than gathering postings
            return self.fast_match(leaf.cluster_ids, tokens, sim_th, include_params)
        return self._best_match(self._index_of(leaf), tokens, sim_th)

    def _best_match(self, index: "_LeafIndex", tokens: tuple[str, ...], sim_th: float) -> LogCluster | None:
        """What stock `fast_match` picks among the leaf's clusters: the most similar, then the one with more
        wildcards, then the first in leaf order; None below `sim_th` or when a status class disagrees."""
        postings = index.by_token
        agree = Counter(chain.from_iterable(postings.get(key, ()) for key in enumerate(tokens)))  # counted in C
        length = len(tokens)
        pinned = not PINNED_TOKENS.isdisjoint(tokens)
        best, best_rank = None, None
        for cid, equal in agree.items():
            if equal / length < sim_th:  # the same float test as Drain's, so thresholds cut where they did
                continue
            template = self.id_to_cluster[cid].log_template_tokens
            if (pinned or not PINNED_TOKENS.isdisjoint(template)) and not _pins_agree(template, tokens):
                continue  # a 5xx never joins a 2xx, however alike the rest
            rank = (equal, template.count(WILDCARD), -index.order[cid])
            if best_rank is None or rank > best_rank:
                best, best_rank = cid, rank
        return None if best is None else self.id_to_cluster[best]

    def add_seq_to_prefix_tree(self, root_node, cluster):
        super_insert = not cluster.log_template_tokens
        if super_insert:
            return super().add_seq_to_prefix_tree(root_node, cluster)
        leaf = self._leaf_for_insert(root_node, cluster.log_template_tokens)
        index = self._index_of(leaf)
        # logrca never evicts clusters, so the leaf list only grows: append instead of rebuilding it.
        if not isinstance(leaf.cluster_ids, list):
            leaf.cluster_ids = list(leaf.cluster_ids)
        leaf.cluster_ids.append(cluster.cluster_id)
        index.order[cluster.cluster_id] = len(leaf.cluster_ids) - 1
        for position, token in enumerate(cluster.log_template_tokens):
            index.by_token.setdefault((position, token), set()).add(cluster.cluster_id)
        index.size = len(leaf.cluster_ids)
        self._leaf_of[cluster.cluster_id] = leaf

    def _widened(self, cluster: LogCluster, old: tuple[str, ...]) -> None:
        leaf = self._leaf_of.get(cluster.cluster_id)
        if leaf is None:
            return
        index = self._index_of(leaf)
        for position, (before, after) in enumerate(zip(old, cluster.log_template_tokens)):
            if before != after:
                index.by_token.get((position, before), set()).discard(cluster.cluster_id)
                index.by_token.setdefault((position, after), set()).add(cluster.cluster_id)

    def _index_of(self, leaf) -> "_LeafIndex":
        index = self._indexes.get(id(leaf))
        if index is None or index.size != len(leaf.cluster_ids):  # new, or a leaf restored from a state file
            index = self._indexes[id(leaf)] = _LeafIndex.of(leaf, self.id_to_cluster)
            for cid in leaf.cluster_ids:
                self._leaf_of[cid] = leaf
        return index

    def _leaf(self, root_node, tokens):
        """The leaf tree_search would reach for `tokens`, or None."""
        node = root_node.key_to_child_node.get(str(len(tokens)))
        depth = 1
        for token in tokens:
            if node is None or depth >= self.max_node_depth or depth == len(tokens):
                break
            children = node.key_to_child_node
            node = children.get(token) or children.get(self.param_str)
            depth += 1
        return node

    def _leaf_for_insert(self, root_node, template):
        """The leaf stock Drain's add_seq_to_prefix_tree would put `template` in, creating nodes as it does."""
        layer = root_node.key_to_child_node.setdefault(str(len(template)), Node())
        node, depth = layer, 1
        for token in template:
            if depth >= self.max_node_depth or depth >= len(template):
                break
            children = node.key_to_child_node
            if token in children:
                node = children[token]
            elif self.parametrize_numeric_tokens and self.has_numbers(token):
                node = children.setdefault(self.param_str, Node())
            elif self.param_str in children:
                node = children.setdefault(token, Node()) if len(children) < self.max_children else children[self.param_str]
            elif len(children) + 1 < self.max_children:
                node = children.setdefault(token, Node())
            elif len(children) + 1 == self.max_children:
                node = children.setdefault(self.param_str, Node())
            else:
                node = children[self.param_str]
            depth += 1
        return node

    def add_tokens(self, tokens: tuple[str, ...]) -> tuple[LogCluster, bool]:
        """`add_log_message` for an already split message, without the profiler hooks: (cluster, template changed).

        Same steps as Drain3's own: tree search, else a new cluster in the prefix tree, else widen the template."""
        cluster = self.tree_search(self.root_node, tokens, self.sim_th, False)
        if cluster is None:
            self.clusters_counter += 1
            cluster = LogCluster(tokens, self.clusters_counter)
            self.id_to_cluster[cluster.cluster_id] = cluster
            self.add_seq_to_prefix_tree(self.root_node, cluster)
            return cluster, True
        cluster.size += 1
        template = cluster.log_template_tokens
        widened = tuple(t if t == m else WILDCARD for t, m in zip(template, tokens))
        if widened == template:
            return cluster, False
        cluster.log_template_tokens = widened
        self._widened(cluster, template)
        return cluster, True


@dataclass
class _LeafIndex:
    """(position, token) -> ids of the leaf's clusters whose template has that token there; order: leaf order."""

    by_token: dict[tuple[int, str], set[int]]
    order: dict[int, int]
    size: int

    @classmethod
    def of(cls, leaf, clusters: dict) -> "_LeafIndex":
        by_token: dict[tuple[int, str], set[int]] = {}
        for cid in leaf.cluster_ids:
            cluster = clusters.get(cid)
            if cluster is not None:
                for position, token in enumerate(cluster.log_template_tokens):
                    by_token.setdefault((position, token), set()).add(cid)
        return cls(by_token, {cid: i for i, cid in enumerate(leaf.cluster_ids)}, len(leaf.cluster_ids))


def _pins_agree(template, tokens) -> bool:
    return all(a == b for a, b in zip(template, tokens) if a in PINNED_TOKENS or b in PINNED_TOKENS)


def _new_drain() -> _MaskAwareDrain:
    return _MaskAwareDrain(
        depth=DRAIN_DEPTH, sim_th=DRAIN_SIM_TH, max_children=DRAIN_MAX_CHILDREN, param_str=WILDCARD
    )


@dataclass
class _Cluster:
    """What the miner knows about one provisional cluster beyond Drain's own template."""

    key: str
    drain_id: int
    # Per token position: the longest common prefix and suffix of every value seen there. They let a varying
    # `key=value` token become `key=<*>` rather than a bare `<*>` (see template_postprocess.refine_template).
    prefixes: list[str]
    suffixes: list[str]
    shortest: list[int]
    count: int = 0


@dataclass
class TemplateSet:
    """The final templates: provisional cluster ids mapped to stable final ids numbered by first appearance."""

    texts: dict[int, str]  # final template id -> template text with <*>
    provisional_to_final: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    counts: dict[int, int] = field(default_factory=dict)  # final id -> events seen while mining

    def final_ids(self, provisional: np.ndarray) -> np.ndarray:
        return self.provisional_to_final[np.asarray(provisional, dtype=np.int64)]


class TemplateMiner:
    """Mines templates batch by batch; `add` returns provisional ids, `finish` the final templates."""

    def __init__(self, state: dict | None = None):
        self._drains: dict[str, _MaskAwareDrain] = {}
        self._clusters: list[_Cluster] = []  # indexed by provisional id
        self._by_drain_id: dict[tuple[str, int], int] = {}
        # memo_key(key, masked message) -> provisional id. A 64-bit digest rather than the text: half the memory,
        # and no message text in a saved state (a collision needs ~4e9 distinct messages to become likely).
        self._memo: dict[int, int] = {}
        self._wildcards: dict[int, list[int]] = {}  # provisional id -> wildcard positions of its template (a cache)
        if state is not None:
            from analyzer.template_state import restore_into

            restore_into(self, state)

    # -- mining -------------------------------------------------------------------------------------------
    def add(self, messages: pd.Series, keys: pd.Series | None = None) -> np.ndarray:
        """Provisional cluster id (int64) per message, in order. `keys` (same length) names the source/service of
        each message if per-source miners help accuracy. Memoised: each distinct masked message fed to Drain once."""
        return self.assign(premine(messages, keys))

    def assign(self, premined: "Premined") -> np.ndarray:
        """Provisional cluster id per message of a premined batch: Drain sees each new distinct pair once."""
        pair_ids = np.fromiter(
            (self._assign(key, masked) for key, masked in zip(premined.keys, premined.masked)),
            dtype=np.int64,
            count=len(premined.masked),
        )
        provisional = pair_ids[premined.pair_codes]
        counts = np.bincount(provisional, minlength=len(self._clusters))
        for pid in np.flatnonzero(counts).tolist():
            self._clusters[pid].count += int(counts[pid])
        return provisional

    def _assign(self, key: str, masked: str) -> int:
        memo_key = memo_key_of(key, masked)
        pid = self._memo.get(memo_key)
        if pid is not None:
            return pid
        drain = self._drains.get(key)
        if drain is None:
            drain = self._drains[key] = _new_drain()
        tokens = tuple(masked.split())
        cluster, changed = drain.add_tokens(tokens)
        pid = self._by_drain_id.get((key, cluster.cluster_id))
        if pid is None:
            pid = len(self._clusters)
            self._by_drain_id[(key, cluster.cluster_id)] = pid
            self._clusters.append(
                _Cluster(key, cluster.cluster_id, list(tokens), list(tokens), [len(t) for t in tokens])
            )
            return self._remember(memo_key, pid)
        wild = self._wildcards.get(pid)
        if wild is None or changed:
            wild = self._wildcards[pid] = [i for i, t in enumerate(cluster.log_template_tokens) if t == WILDCARD]
        _widen_affixes(self._clusters[pid], tokens, wild)
        return self._remember(memo_key, pid)

    def _remember(self, memo_key: int, pid: int) -> int:
        self._memo[memo_key] = pid
        return pid

    # -- results -------------------------------------------------------------------------------------------
    def provisional_texts(self) -> list[str]:
        """Each provisional cluster's final template text (after merging compatible clusters), by provisional id."""
        shapes = [(c.key, self._drains[c.key].id_to_cluster[c.drain_id].log_template_tokens) for c in self._clusters]
        into, merged = merge_compatible(shapes)
        affixes = {}
        for pid, target in enumerate(into):
            info = self._clusters[pid]
            if target not in affixes:
                affixes[target] = (list(info.prefixes), list(info.suffixes), list(info.shortest))
                continue
            prefixes, suffixes, shortest = affixes[target]
            for i in range(len(prefixes)):
                prefixes[i] = os.path.commonprefix([prefixes[i], info.prefixes[i]])
                suffixes[i] = _common_suffix(suffixes[i], info.suffixes[i])
                shortest[i] = min(shortest[i], info.shortest[i])
        texts = {target: refine_template(merged[target], *affixes[target]) for target in merged}
        return [texts[target] for target in into]

    def finish(self) -> TemplateSet:
        """The final templates of everything added so far (the miner can go on adding afterwards)."""
        texts = self.provisional_texts()
        counts = [info.count for info in self._clusters]
        mapping, final_texts = merge_equal_templates(texts)
        final_counts: dict[int, int] = {}
        for pid, fid in enumerate(mapping.tolist()):
            final_counts[fid] = final_counts.get(fid, 0) + counts[pid]
        return TemplateSet(texts=final_texts, provisional_to_final=mapping, counts=final_counts)

    # -- state -----------------------------------------------------------------------------------------------
    def to_state(self) -> dict:
        from analyzer.template_state import miner_to_state

        return miner_to_state(self)

    @classmethod
    def from_state(cls, state: dict) -> "TemplateMiner":
        return cls(state)


@dataclass
class Premined:
    """A batch of messages reduced to what Drain needs: each message's (key, masked text) pair as a code, and the
    distinct pairs in order of first appearance. Computing it needs no miner state, so worker processes do it."""

    pair_codes: np.ndarray  # int64 per message: index into keys/masked
    keys: list[str]
    masked: list[str]


def premine(messages: pd.Series, keys: pd.Series | None = None) -> Premined:
    """Mask `messages` and encode them as distinct (key, masked message) pairs (the pure half of mining)."""
    if len(messages) == 0:
        return Premined(np.zeros(0, dtype=np.int64), [], [])
    # Everything per line stays in Arrow/numpy; Python sees only distinct (key, masked message) pairs.
    raw_codes, raw_uniques = _encode(messages)
    masked_codes, masked_uniques = _encode(mask_array(event_text(raw_uniques)))
    line_masked = masked_codes[raw_codes]
    if keys is None:
        key_codes, key_names = np.zeros(len(messages), dtype=np.int64), [""]
    else:
        key_codes, key_uniques = _encode(keys)
        key_names = key_uniques.to_pylist()
    n_masked = len(masked_uniques)
    pair_codes, pair_uniques = pd.factorize(key_codes * n_masked + line_masked, use_na_sentinel=False)
    # Distinct pairs in order of first appearance: the order Drain would have seen them line by line.
    masked_texts = masked_uniques.to_pylist()
    pairs = pair_uniques.tolist()
    return Premined(
        pair_codes=np.asarray(pair_codes, dtype=np.int64),
        keys=[key_names[pair // n_masked] for pair in pairs],
        masked=[masked_texts[pair % n_masked] for pair in pairs],
    )


def memo_key_of(key: str, masked: str) -> int:
    """A stable 64-bit digest of (source key, masked message): the same in every process, unlike hash()."""
    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass") + b"\0" + masked.encode("utf-8", "surrogatepass"),
                             digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def mining_text(messages: pd.Series) -> pd.Series:
    """What Drain is fed for each message: its event text, masked (same index and order)."""
    values = pa.array(messages.astype("str").fillna(""), type=pa.large_string())
    return pd.Series(mask_array(event_text(values)).to_pylist(), index=messages.index, dtype="str")


def _encode(values) -> tuple[np.ndarray, pa.Array]:
    """Codes (int64, in order of first appearance) and the distinct strings, via Arrow's hash encoder."""
    if isinstance(values, pd.Series) and values.dtype == object:  # mixed Python objects: text of each, None kept
        values = values.astype("str")
    array = values if isinstance(values, (pa.Array, pa.ChunkedArray)) else pa.array(values, from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if not pa.types.is_large_string(array.type):
        array = array.cast(pa.large_string())
    encoded = pc.dictionary_encode(pc.fill_null(array, ""))
    return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64, copy=False), encoded.dictionary


def _widen_affixes(info: _Cluster, tokens: list[str], wildcards: list[int]) -> None:
    """Fold one member's tokens into the cluster's common prefixes/suffixes at the template's wildcards.

    Elsewhere every member so far has the same token, so the first member's token is already the answer."""
    if len(tokens) != len(info.prefixes):  # cannot happen with Drain (same length), guard anyway
        return
    for i in wildcards:
        token = tokens[i]
        prefix = info.prefixes[i]
        if not token.startswith(prefix):
            info.prefixes[i] = os.path.commonprefix([prefix, token])
        suffix = info.suffixes[i]
        if not token.endswith(suffix):
            info.suffixes[i] = _common_suffix(suffix, token)
        if len(token) < info.shortest[i]:
            info.shortest[i] = len(token)


def _common_suffix(a: str, b: str) -> str:
    n = 0
    for x, y in zip(reversed(a), reversed(b)):
        if x != y:
            break
        n += 1
    return a[len(a) - n :] if n else ""


__all__ = ["Premined", "TemplateMiner", "TemplateSet", "mining_text", "premine"]
