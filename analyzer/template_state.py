"""Saving and loading a miner's learned templates as plain, versioned JSON that logrca writes and reads itself.

Nothing here unpickles anything: a state file is data (strings, numbers, lists), validated as it is read, so a
file from elsewhere can at worst be rejected with a one-sentence error. The Drain prefix tree is stored as it
is (not rebuilt from the templates), so a loaded miner routes new messages exactly as the saved one would have.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from drain3.drain import LogCluster, Node

from parsers.errors import UserError

if TYPE_CHECKING:
    from analyzer.templates import TemplateMiner

FORMAT = "logrca-template-state"
VERSION = 2  # 2: the memo holds digests of messages, not their text


def miner_to_state(miner: "TemplateMiner") -> dict:
    drains = {}
    for key, drain in miner._drains.items():
        drains[key] = {
            "clusters": [[c.cluster_id, list(c.log_template_tokens), c.size] for c in drain.id_to_cluster.values()],
            "counter": drain.clusters_counter,
            "tree": _node_to_json(drain.root_node),
        }
    clusters = [
        {"key": c.key, "drain_id": c.drain_id, "prefixes": c.prefixes, "suffixes": c.suffixes,
         "shortest": c.shortest, "count": c.count}
        for c in miner._clusters
    ]
    memo = [[digest, pid] for digest, pid in miner._memo.items()]
    return {"format": FORMAT, "version": VERSION, "drains": drains, "clusters": clusters, "memo": memo}


def restore_into(miner: "TemplateMiner", state: dict) -> None:
    """Fill an empty miner from a state dict; UserError when the dict is not a state this logrca wrote."""
    from analyzer.templates import _Cluster, _new_drain

    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise UserError("The state file is not a logrca template state; give a file written by --state.")
    if state.get("version") != VERSION:
        raise UserError(
            f"The state file has version {state.get('version')!r}, this logrca reads version {VERSION}; "
            "learn the templates again."
        )
    try:
        for key, saved in state["drains"].items():
            drain = _new_drain()
            for cluster_id, tokens, size in saved["clusters"]:
                cluster = LogCluster([str(t) for t in tokens], int(cluster_id))
                cluster.size = int(size)
                drain.id_to_cluster[cluster.cluster_id] = cluster
            drain.clusters_counter = int(saved["counter"])
            drain.root_node = _node_from_json(saved["tree"])
            miner._drains[str(key)] = drain
        for i, c in enumerate(state["clusters"]):
            info = _Cluster(str(c["key"]), int(c["drain_id"]), [str(p) for p in c["prefixes"]],
                            [str(s) for s in c["suffixes"]], [int(n) for n in c["shortest"]], int(c["count"]))
            if info.drain_id not in miner._drains[info.key].id_to_cluster:
                raise ValueError(f"cluster {i} names a Drain cluster the state does not hold")
            miner._clusters.append(info)
            miner._by_drain_id[(info.key, info.drain_id)] = i
        for digest, pid in state["memo"]:
            if not 0 <= int(pid) < len(miner._clusters):
                raise ValueError(f"memo entry points at unknown cluster {pid}")
            miner._memo[int(digest)] = int(pid)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UserError(f"The template state file is damaged ({exc}); learn the templates again.") from None


def _node_to_json(node: Node) -> dict:
    return {"ids": list(node.cluster_ids), "kids": {k: _node_to_json(v) for k, v in node.key_to_child_node.items()}}


def _node_from_json(data: dict) -> Node:
    # Iterative, so a deep or hostile file cannot exhaust the recursion limit.
    root = Node()
    stack = [(root, data)]
    while stack:
        node, saved = stack.pop()
        node.cluster_ids = [int(i) for i in saved["ids"]]
        for key, child in saved["kids"].items():
            child_node = Node()
            node.key_to_child_node[str(key)] = child_node
            stack.append((child_node, child))
    return root


def save_state(miner: "TemplateMiner", path) -> None:
    """Write the miner's state to `path` as JSON (atomically: a crash never leaves half a file)."""
    target = Path(path)
    tmp = target.with_name(target.name + ".tmp")
    try:
        tmp.write_text(json.dumps(miner.to_state(), ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        tmp.replace(target)
    except OSError as exc:
        raise UserError(f"Cannot write the template state to {target}: {exc.strerror}.") from None


def miner_for(path) -> "TemplateMiner":
    """A miner that starts from the templates saved at `path` when that file exists, else a fresh one (a
    --state file names where learning is kept, and the first run creates it)."""
    from analyzer.templates import TemplateMiner

    if path is None or not Path(path).exists():
        return TemplateMiner()
    return load_state(path)


def load_state(path) -> "TemplateMiner":
    """The miner saved at `path`; UserError when the file is missing, not JSON, or not a logrca state."""
    from analyzer.templates import TemplateMiner

    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"Cannot read the template state {source}: {exc.strerror}.") from None
    except UnicodeDecodeError:
        raise UserError(f"The template state {source} is not a text file; give a file written by --state.") from None
    try:
        state = json.loads(text)
    except json.JSONDecodeError:
        raise UserError(f"The template state {source} is not JSON; give a file written by --state.") from None
    return TemplateMiner.from_state(state)
