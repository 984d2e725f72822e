"""Speed of template assignment: logrca against Drain3's defaults and against a plain read of the same files.

    python bench/templates_speed.py                      # one million lines
    python bench/templates_speed.py --lines 200000 --drain-sample 50000

Builds a realistic mixed log (five services in five formats with their headers, a few hundred templates, variable
values drawn like real ones: ids, IPs, ports, durations, sizes, paths, user names), then prints, in one run:
  (a) Drain3's `TemplateMiner.add_log_message` with its default configuration, fed every raw line header included
      (as someone without logrca would); on the first --drain-sample lines when that is smaller (it is slow),
  (b) logrca's template assignment over the same raw files: read_logs -> TemplateMiner.add -> finish -> final ids
      (and, separately, with the assignments CSV written as `logrca templates --assignments` does),
  (c) a plain read-and-split of the files,
and the ratios (b)/(a) (target >= 10) and (b)/(c) (target >= 1/6). Ratios come from the same run because this
machine is noisy; absolute lines/s are not comparable across machines.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

START = datetime(2026, 11, 20, 6, 0, tzinfo=timezone.utc)
USERS = [f"{first}.{last}" for first in ("ana", "bo", "chen", "dev", "eli", "fay", "gus", "hana", "ivo", "jo")
         for last in ("smith", "ng", "kowalski", "okafor", "silva", "berg", "tan", "roy")]
USERS += ["root", "deploy", "svc-batch"]
NOUNS = ["cart", "order", "session", "profile", "invoice", "shipment", "coupon", "item", "price", "token", "stock",
         "review", "payment", "refund", "address", "wishlist"]
VERBS = ["loaded", "saved", "evicted", "refreshed", "validated", "synced", "indexed", "queued", "flushed", "resolved",
         "rejected", "expired"]
PATH_ROOTS = ["/var/lib/app/cache", "/srv/data/uploads", "/tmp/spool", "/opt/app/tmp"]


def _ip(r: random.Random) -> str:
    return f"10.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(1, 255)}"


def _hex(r: random.Random, n: int) -> str:
    return f"{r.getrandbits(4 * n):0{n}x}"


WORDS = ("accepted adding allocated applying archived assigned attached blocked buffered cancelled checked cleaned "
         "closed committed compacted compiled completed connected created decoded deferred deleted denied detached "
         "disabled dispatched downloaded dropped enabled encoded enqueued evicted exported fetched finished flushed "
         "granted handled ignored imported indexed loaded locked merged migrated mounted opened parsed paused "
         "pending pinned polled prepared published pulled pushed queued read rebuilt received refreshed registered "
         "rejected released reloaded removed renamed replayed resolved restarted restored resumed retried rotated "
         "saved scheduled sealed sent skipped started stopped stored submitted suspended synced throttled timed "
         "trimmed unlocked updated uploaded validated verified waiting wrote account batch bucket cache channel "
         "checkpoint chunk client cluster config connection consumer container cursor dataset deployment device "
         "document endpoint event export feature file filter handler index invoice job journal key lease ledger "
         "listener lock manifest message metric module namespace node offset order package partition payload peer "
         "pipeline plugin policy pool producer profile queue quota record region replica report request resource "
         "route schema secret segment session shard snapshot socket stream subscription table task tenant thread "
         "ticket token topic transaction upload user volume webhook worker").split()


def _variable(kind: str):
    return {
        "user": lambda r: r.choice(USERS),
        "ip": lambda r: f"{_ip(r)}:{r.randrange(1024, 65535)}",
        "ms": lambda r: f"{r.randrange(1, 5000)}ms",
        "hex": lambda r: _hex(r, 16),
        "id": lambda r: str(r.randrange(10**8)),
        "path": lambda r: f"{r.choice(PATH_ROOTS)}/{r.choice(NOUNS)}-{r.randrange(10**6)}.bin",
        "size": lambda r: f"{r.randrange(1, 4096)} KB",
        "kv": lambda r: f"attempt={r.randrange(1, 6)}",
    }[kind]


def _message_templates(count: int = 300, seed: int = 2026) -> list:
    """`count` message shapes of distinct wording, each with one to three variables of real-looking kinds."""
    r = random.Random(seed)
    kinds = ["user", "ip", "ms", "hex", "id", "path", "size", "kv"]
    shapes = []
    for _ in range(count):
        words = r.sample(WORDS, r.randrange(3, 8))
        slots = sorted(r.sample(range(1, len(words) + 1), r.randrange(1, min(3, len(words)) + 1)))
        parts: list = list(words)
        for offset, slot in enumerate(slots):
            parts.insert(slot + offset, _variable(r.choice(kinds)))
        shapes.append(lambda rr, parts=tuple(parts): " ".join(p if isinstance(p, str) else p(rr) for p in parts))
    return shapes


SHAPES = _message_templates()
# Some events are far commoner than others, as in real logs: weights fall off as 1/rank.
SHAPE_WEIGHTS = [1 / (rank + 1) for rank in range(len(SHAPES))]


def _message(r: random.Random) -> str:
    return r.choices(SHAPES, SHAPE_WEIGHTS)[0](r)


def nginx(r: random.Random, t: datetime) -> str:
    path = r.choice(["/api/cart", "/api/items/{}", "/api/users/{}/orders", "/health"]).format(r.randrange(10**5))
    when = t.strftime("%d/%b/%Y:%H:%M:%S +0000")
    return (f'{_ip(r)} - - [{when}] "GET {path} HTTP/1.1" {r.choice([200] * 20 + [301, 404, 500])} '
            f'{r.randrange(200, 90000)} "-" "Mozilla/5.0 (X11; Linux x86_64)"')


def json_line(r: random.Random, t: datetime) -> str:
    msg = _message(r).replace('"', "'")
    level = r.choice(["INFO"] * 8 + ["DEBUG", "WARN"])
    return f'{{"ts":"{t.isoformat()}","level":"{level}","service":"checkout","msg":"{msg}"}}'


def logback(r: random.Random, t: datetime) -> str:
    head = t.strftime("%Y-%m-%d %H:%M:%S.") + f"{t.microsecond // 1000:03d}"
    level = r.choice(["INFO"] * 8 + ["DEBUG", "WARN"])
    return f"{head} {level} [exec-{r.randrange(1, 200)}] c.s.p.PaymentService - {_message(r)}"


def python_logging(r: random.Random, t: datetime) -> str:
    stamp = t.strftime("%Y-%m-%d %H:%M:%S,") + f"{t.microsecond // 1000:03d}"
    return f"{stamp} {r.choice(['INFO'] * 8 + ['WARNING', 'ERROR'])} inventory.worker: {_message(r)}"


def syslog(r: random.Random, t: datetime) -> str:
    port = r.randrange(1024, 65535)
    app, text = r.choice([
        ("sshd", lambda: f"Accepted publickey for {r.choice(USERS)} from {_ip(r)} port {port} ssh2"),
        ("sshd", lambda: f"Invalid user {r.choice(USERS)} from {_ip(r)} port {port}"),
        ("cron", lambda: f"(root) CMD (/usr/local/bin/rotate --keep {r.randrange(3, 9)})"),
        ("systemd", lambda: f"Started Session {r.randrange(10**5)} of user {r.choice(USERS)}."),
        ("kernel", lambda: f"Out of memory: Killed process {r.randrange(100, 40000)} (java) "
                           f"total-vm:{r.randrange(10**6)}kB"),
    ])
    stamp = t.strftime("%b %d %H:%M:%S").replace(" 0", "  ")
    return f"{stamp} host-{r.randrange(1, 9)} {app}[{r.randrange(100, 40000)}]: {text()}"


FORMATS = {"frontend/access.log": nginx, "checkout/app.jsonl": json_line, "payment/app.log": logback,
           "inventory/app.log": python_logging, "host/syslog": syslog}
WEIGHTS = [0.25, 0.25, 0.2, 0.2, 0.1]


def generate(out: Path, lines: int, seed: int = 11) -> list[Path]:
    r = random.Random(seed)
    names = list(FORMATS)
    buffers: dict[str, list[str]] = {name: [] for name in names}
    step = timedelta(hours=8) / max(lines, 1)
    for n, name in enumerate(r.choices(names, WEIGHTS, k=lines)):
        buffers[name].append(FORMATS[name](r, START + step * n))
    files = []
    for name, rows in buffers.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        files.append(path)
    return files


def plain_read_and_split(files: list[Path]) -> int:
    lines = 0
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                line.split()
                lines += 1
    return lines


def drain3_default(files: list[Path], limit: int) -> int:
    from drain3 import TemplateMiner as Drain3Miner

    miner = Drain3Miner()
    fed = 0
    per_file = max(1, limit // len(files))
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for i, line in enumerate(handle):
                if i >= per_file:
                    break
                miner.add_log_message(line.rstrip("\n"))
                fed += 1
    return fed


def read_batches(files: list[Path]) -> list:
    from parsers.ingest import read_logs
    from parsers.records import ParseOptions

    return [b for b in read_logs([str(p) for p in files], ParseOptions(tz="UTC")) if not b.events.empty]


def mine(batches) -> tuple[int, int]:
    """Mine, finish, map every event to its final id. (events, templates)"""
    import numpy as np

    from analyzer.templates import TemplateMiner

    miner = TemplateMiner()
    parts = [miner.add(batch.events["message"], keys=batch.events["service"]) for batch in batches]
    templates = miner.finish()
    return int(len(templates.final_ids(np.concatenate(parts)))), len(templates.texts)


def logrca_assign(files: list[Path]) -> tuple[int, int]:
    """Parse, mine, finish, map every event to its final id: what `logrca templates` does before printing."""
    return mine(read_batches(files))


def logrca_templates_csv(root: Path, out: Path) -> None:
    from analyzer.assignments import run_templates
    from parsers.records import ParseOptions

    run_templates([str(root)], ParseOptions(tz="UTC"), str(out), None)


def timed(fn, *args):
    started = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--drain-sample", type=int, default=200_000, help="lines fed to Drain3 (0: all)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "logs"
        files = generate(root, args.lines)
        print(f"{args.lines:,} lines, {sum(p.stat().st_size for p in files) / 1e6:.0f} MB, {len(files)} files, "
              f"{len(SHAPES) + 9} message shapes")
        plain_s, total = timed(plain_read_and_split, files)
        logrca_s, (assigned, found) = timed(logrca_assign, files)
        read_s, batches = timed(read_batches, files)
        mine_s, _ = timed(mine, batches)
        del batches
        csv_s, _ = timed(logrca_templates_csv, root, Path(tmp) / "assignments.csv")
        drain_s, fed = timed(drain3_default, files, args.drain_sample or total)
    rates = {"drain3": fed / drain_s, "logrca": total / logrca_s, "logrca+csv": total / csv_s, "plain": total / plain_s,
             "read": total / read_s, "mine": total / mine_s}
    print(f"(a) Drain3 default on raw lines:      {rates['drain3']:>12,.0f} lines/s  ({fed:,} lines)")
    print(f"(b) logrca template assignment:       {rates['logrca']:>12,.0f} lines/s  ({assigned:,} events, "
          f"{found} templates)")
    print(f"    of which reading (read_logs):     {rates['read']:>12,.0f} lines/s")
    print(f"    of which mining (add + finish):   {rates['mine']:>12,.0f} lines/s")
    print(f"    ... with the assignments CSV:     {rates['logrca+csv']:>12,.0f} lines/s")
    print(f"(c) plain read-and-split:             {rates['plain']:>12,.0f} lines/s")
    print(f"(b)/(a) = {rates['logrca'] / rates['drain3']:.1f}x (target >= 10)   "
          f"(b)/(c) = 1/{rates['plain'] / rates['logrca']:.2f} (target >= 1/6)")
    print(f"mining alone: {rates['mine'] / rates['drain3']:.1f}x (a), 1/{rates['plain'] / rates['mine']:.2f} of (c)")


if __name__ == "__main__":
    main()
