"""db-01's outage: the WAL archive target goes away, pg_wal grows, the volume fills, postgres crash-loops."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sample_logs.shop_background import disk_usage
from sample_logs.shop_world import DB_PASSWORD_ON_COMMAND_LINE, S, dt

if TYPE_CHECKING:
    from sample_logs.shop_sim import Simulation


def disk_story(sim: Simulation) -> None:
    """db-01: the WAL archive target goes away, pg_wal grows, the volume fills, postgres crash-loops."""
    d, r = sim.w.disk, sim.rng
    sim.syslog(
        d.nfs_lost,
        "db-01",
        "kernel",
        None,
        "nfs: server backup-nfs-01 not responding, still trying",
        severity=5,
        facility=0,
    )
    seg = 0x4A * 256 + 0xC3  # log number * 256 + segment: names are timeline, log, segment as %08X each
    for t in sim._every(60, 0.5, start=d.nfs_lost + 30 * S, end=d.full):
        wal = f"00000001{seg // 256:08X}{seg % 256:08X}"
        sim.pg(t, "LOG", "archive command failed with exit code 1", pid=1127)
        sim.pg(
            t + 150,
            "DETAIL",
            "The failed archive command was: "
            f"test ! -f /mnt/wal-archive/{wal} && cp pg_wal/{wal} /mnt/wal-archive/{wal}",
            pid=1127,
        )
        if r.random() < 0.34:
            sim.pg(
                t + 3 * S,
                "WARNING",
                f'archiving write-ahead log file "{wal}" failed too many times, will try again later',
                pid=1127,
            )
        if r.random() < 0.5:
            seg += 1
    for t in sim._every(600, 3, start=d.nfs_lost + 120 * S, end=d.fixed):
        sim.syslog(
            t,
            "db-01",
            "kernel",
            None,
            "nfs: server backup-nfs-01 not responding, still trying",
            severity=5,
            facility=0,
        )
    # Warnings from the monitoring agent once the volume passes 90%.
    for t in sim._every(300, 2, start=d.nfs_lost, end=d.full):
        used = disk_usage(sim, t)
        if used >= 90:
            sim.syslog(
                t, "db-01", "disk-usage", 812, f"WARNING /var/lib/postgresql above 90%: {used}% used", severity=4
            )
    for pod in (0, 1):
        for t in sim._every(30, 0.5, start=d.full + 5 * S, end=d.fixed + 20 * S):
            sim.payment(
                pod,
                t,
                "WARN",
                "HikariPool-1 housekeeper",
                "com.zaxxer.hikari.pool.PoolBase",
                f"HikariPool-1 - Failed to validate connection org.postgresql.jdbc.PgConnection@{sim._hex(8)} "
                "(This connection has been closed.). Possibly consider using a shorter maxLifetime value.",
            )
    t = d.full
    backend = r.randrange(30000, 40000)
    sim.symptom(t)
    sim.pg(t, "PANIC", f'could not write to file "pg_wal/xlogtemp.{backend}": No space left on device', pid=backend)
    sim.pg(
        t + 40_000,
        "LOG",
        f"server process (PID {backend}) was terminated by signal 6: Aborted",
        pid=sim.pg_pid - 10,
    )
    sim.pg(t + 41_000, "LOG", "terminating any other active server processes", pid=sim.pg_pid - 10)
    sim.pg(t + 300_000, "LOG", "all server processes terminated; reinitializing", pid=sim.pg_pid - 10)
    sim.syslog(
        t + 100_000,
        "db-01",
        "kernel",
        None,
        "EXT4-fs warning (device nvme1n1p1): ext4_dx_add_entry:2613: Directory (ino: 2621441) index full, reach max htree level :2",
        severity=4,
        facility=0,
    )
    cycle = t + 2 * S
    restart = 1
    while cycle < d.fixed - 45 * S:
        startup = r.randrange(40000, 50000)
        sim.pg(
            cycle,
            "LOG",
            "database system was interrupted; last known up at "
            + dt(d.full - 95 * S).strftime("%Y-%m-%d %H:%M:%S UTC"),
            pid=startup,
        )
        sim.pg(
            cycle + 20_000,
            "LOG",
            "database system was not properly shut down; automatic recovery in progress",
            pid=startup,
        )
        sim.pg(cycle + 30_000, "LOG", f"redo starts at 4A/{r.randrange(0x10000000, 0xFFFFFFFF):X}", pid=startup)
        for i in range(r.randrange(3, 9)):
            sim.pg(cycle + (i + 1) * 1_300_000, "FATAL", "the database system is in recovery mode")
        fail = cycle + r.randrange(9, 14) * S
        sim.pg(
            fail,
            "PANIC",
            f'could not write to file "pg_wal/xlogtemp.{startup}": No space left on device',
            pid=startup,
        )
        sim.pg(
            fail + 20_000,
            "LOG",
            f"startup process (PID {startup}) was terminated by signal 6: Aborted",
            pid=sim.pg_pid - 10,
        )
        sim.pg(fail + 21_000, "LOG", "aborting startup due to startup process failure", pid=sim.pg_pid - 10)
        sim.pg(fail + 30_000, "LOG", "database system is shut down", pid=sim.pg_pid - 10)
        sim.syslog(
            fail + 60_000,
            "db-01",
            "systemd",
            1,
            "postgresql@16-main.service: Main process exited, code=exited, status=1/FAILURE",
            severity=5,
        )
        sim.syslog(
            fail + 61_000,
            "db-01",
            "systemd",
            1,
            "postgresql@16-main.service: Failed with result 'exit-code'.",
            severity=4,
        )
        cycle = fail + 30 * S
        restart += 1
        sim.syslog(
            cycle - 100_000,
            "db-01",
            "systemd",
            1,
            f"postgresql@16-main.service: Scheduled restart job, restart counter is at {restart}.",
        )
        sim.syslog(
            cycle - 50_000,
            "db-01",
            "systemd",
            1,
            "Starting postgresql@16-main.service - PostgreSQL Cluster 16-main...",
        )
    fix = d.fixed - 40 * S
    sim.syslog(
        fix - 600 * S,
        "db-01",
        "sudo",
        44121,
        "dan : TTY=pts/0 ; PWD=/home/dan ; USER=root ; COMMAND=/usr/bin/df -h /var/lib/postgresql",
        facility=10,
    )
    sim.syslog(
        fix - 420 * S,
        "db-01",
        "sudo",
        44168,
        "dan : TTY=pts/0 ; PWD=/home/dan ; USER=root ; COMMAND=/usr/bin/du -sh /var/lib/postgresql/16/main/pg_wal",
        facility=10,
    )
    sim.syslog(
        fix - 60 * S,
        "db-01",
        "sudo",
        44390,
        "dan : TTY=pts/0 ; PWD=/home/dan ; USER=root ; COMMAND=/usr/sbin/resize2fs /dev/nvme1n1p1",
        facility=10,
    )
    sim.syslog(
        fix - 59 * S,
        "db-01",
        "kernel",
        None,
        "EXT4-fs (nvme1n1p1): resizing filesystem from 131072000 to 196608000 blocks",
        severity=6,
        facility=0,
    )
    sim.syslog(
        fix - 52 * S,
        "db-01",
        "kernel",
        None,
        "EXT4-fs (nvme1n1p1): resized filesystem to 196608000",
        severity=6,
        facility=0,
    )
    sim.syslog(fix, "db-01", "systemd", 1, "Starting postgresql@16-main.service - PostgreSQL Cluster 16-main...")
    startup = r.randrange(40000, 50000)
    sim.pg(
        fix + 500_000,
        "LOG",
        "database system was not properly shut down; automatic recovery in progress",
        pid=startup,
    )
    sim.pg(fix + 600_000, "LOG", f"redo starts at 4A/{r.randrange(0x10000000, 0xFFFFFFFF):X}", pid=startup)
    sim.pg(
        fix + 30 * S,
        "LOG",
        f"redo done at 4A/{r.randrange(0x10000000, 0xFFFFFFFF):X} system usage: CPU: user: 4.21 s, system: 9.87 s, elapsed: 29.40 s",
        pid=startup,
    )
    sim.pg(d.fixed, "LOG", "database system is ready to accept connections", pid=sim.pg_pid - 10)
    sim.syslog(
        d.fixed + 95 * S,
        "db-01",
        "sudo",
        44502,
        "dan : TTY=pts/0 ; PWD=/home/dan ; USER=postgres ; COMMAND=/usr/bin/env "
        f"PGPASSWORD={DB_PASSWORD_ON_COMMAND_LINE} psql -h 127.0.0.1 -U postgres -c SELECT pg_size_pretty(sum(size)) FROM pg_ls_waldir()",
        facility=10,
    )
    sim.syslog(
        d.fixed + 200_000, "db-01", "systemd", 1, "Started postgresql@16-main.service - PostgreSQL Cluster 16-main."
    )
