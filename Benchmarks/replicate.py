#!/usr/bin/env python3
"""The replicate suite of Benchmarks/run: `vaultops replicate` beside an application writing 1,000 commits/s.

Issue 24's goals: replication lag under 2 s at the 99th percentile, the replicator's peak RSS under 64 MB and its
CPU under 10% of one core, and the writer's commit latency with the replicator running within 10% of without.

For each destination (a local folder, the OSS emulator), a writer process (this file, `writer` mode: Python's
sqlite3 in WAL mode with synchronous=NORMAL, as applications set it) commits one row per transaction at a paced
1,000 commits/s for a phase's length, in PAIRS_PER_ROUND pairs of phases per round: once alone and once with the
replicator running (`replicate: { interval: 1s }`), alternating which goes first. Each row carries a marker `#<n>#`.

Latency: a commit's p99 sits among rare stalls the machine causes either way (another process's fsync, the
scheduler), so one long phase each gives a ratio that swings by tens of percent between runs. The goal is judged on
the median of the per-pair ratios (each pair's two phases run back to back, so a slow spell of the machine weighs on
one pair only); the pooled ratio over all phases and the pairs' range are shown beside it.

Lag: the harness lists (in both kinds of phase, so that its load weighs on both alike) the destination's files every POLL seconds while the replicator runs and keeps each new
file's bytes with the time it was first listed; afterwards each file (snapshot or WAL segment) is gunzipped and
the highest marker in its pages is the newest commit it holds (rows are appended in key order, so the page that
holds the newest row is in the same commit). A commit's lag is the time from its COMMIT returning in the writer
until the first file holding it was listed: an upper bound by at most POLL. The OSS emulator stores each object
as one file under its data folder (written to a temporary name, then renamed), so listing that folder shows an
object within microseconds of it becoming visible to a GET; signed LIST requests would load the machine more.

RSS is the replicator's VmHWM (/proc/PID/status) just before it is stopped; CPU is its utime + stime over the
writer's phase, divided by the phase's wall time.
"""
import gzip
import json
import os
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

RATE = 1000            # commits per second the writer is paced at
POLL = 0.02            # seconds between two listings of the destination
PAIRS_PER_ROUND = 4    # without/with pairs of phases per round, each phase 15 s at scale 1
INTERVAL = "1s"        # the replicator's interval
GOALS = {"lag_p99": 2.0, "rss_mb": 64.0, "cpu_pct": 10.0, "latency_ratio": 1.10}
MARKER = re.compile(rb"#(\d{10})#")
SEGMENT_MAGIC = b"vaultops-wal-segment 1\n"
SNAPSHOT_MAGIC = b"SQLite format 3\x00"


# --- The writer (a separate process, as the application is) ---------------------------------------------------

def writer_main(db_path, seconds, out_path):
    """Commits one row per transaction at RATE per second for `seconds`.

    Writes the wall time, then a line per commit: its number, when COMMIT returned, the commit's latency (BEGIN to
    COMMIT returned) and its latency from when it was due (which adds the wait behind a slower commit before it, as
    requests queued in an application would feel it; the first figure alone hides a stall behind one slow commit).
    """
    db = sqlite3.connect(db_path, isolation_level=None)
    db.execute("PRAGMA busy_timeout=5000")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    n = (db.execute("SELECT max(id) FROM commits").fetchone()[0] or 0) + 1
    body = "material movement, qty 12.5, workshop line 3, by the night shift " * 2
    records = []
    start = time.perf_counter()
    end = start + seconds
    k = 0
    while True:
        due = start + k / RATE
        if due >= end:
            break
        now = time.perf_counter()
        if due > now:
            time.sleep(due - now)
        t0 = time.perf_counter()
        db.execute("BEGIN")
        db.execute("INSERT INTO commits (id, at, tag, body) VALUES (?, ?, ?, ?)", (n, time.time(), f"#{n:010d}#", body))
        db.execute("COMMIT")
        t1 = time.perf_counter()
        records.append((n, time.time(), t1 - t0, t1 - due))
        n += 1
        k += 1
    wall = time.perf_counter() - start
    db.close()
    with open(out_path, "w") as f:
        f.write(f"{wall}\n")
        f.writelines(f"{n} {at:.6f} {lat:.7f} {late:.7f}\n" for n, at, lat, late in records)


def run_writer(db_path, seconds, out_path):
    """Runs the writer process; returns (wall seconds, [(n, commit end time, latency s, latency from due s)])."""
    subprocess.run([sys.executable, os.path.abspath(__file__), "writer", db_path, str(seconds), out_path], check=True)
    with open(out_path) as f:
        wall = float(f.readline())
        records = [(int(a), float(b), float(c), float(d)) for a, b, c, d in (line.split() for line in f)]
    os.remove(out_path)
    return wall, records


# --- Watching the destination and the replicator --------------------------------------------------------------

class Watcher(threading.Thread):
    """Lists `folder` (recursively) every POLL seconds, keeping each new file's bytes and when it was first
    listed, and samples the replicator's VmHWM."""

    def __init__(self, folder, wal):
        super().__init__(daemon=True)
        self.folder, self.wal, self.pid = folder, wal, None
        self.seen = {}          # path -> (first listed, bytes)
        # What earlier rounds stored: not this replicator's.
        self.earlier = {os.path.join(root, name) for root, _, files in os.walk(folder) for name in files}
        self.hwm_kib = 0
        self.wal_bytes = 0      # the largest the application's WAL file got
        self.stopping = threading.Event()

    def run(self):
        last_status = 0.0
        while not self.stopping.is_set():
            now = time.time()
            for root, _, files in os.walk(self.folder):
                for name in files:
                    # Temporary names of the folder backend and of the emulator: not visible objects yet.
                    if "vaultops-tmp" in name or ".tmp-" in name:
                        continue
                    path = os.path.join(root, name)
                    if path in self.seen or path in self.earlier:
                        continue
                    try:
                        with open(path, "rb") as f:
                            self.seen[path] = (now, f.read())
                    except FileNotFoundError:
                        pass
            if self.pid and now - last_status >= 0.25:
                self.hwm_kib = max(self.hwm_kib, read_hwm(self.pid))
                try:
                    self.wal_bytes = max(self.wal_bytes, os.path.getsize(self.wal))
                except FileNotFoundError:
                    pass
                last_status = now
            time.sleep(POLL)

    def stop(self):
        self.stopping.set()
        self.join()


def read_hwm(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


def cpu_seconds(pid):
    """utime + stime of the process (all its threads) in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def decode(data):
    """(kind, newest commit marker) of a stored replica file: 'snapshot', 'segment' or 'other'."""
    try:
        plain = gzip.decompress(data)
    except OSError:
        return "other", 0
    if plain.startswith(SEGMENT_MAGIC):
        kind = "segment"
    elif plain.startswith(SNAPSHOT_MAGIC):
        kind = "snapshot"
    else:
        return "other", 0
    return kind, max((int(m) for m in MARKER.findall(plain)), default=0)


def has_snapshot(watcher):
    return any(decode(data)[0] == "snapshot" for _, data in list(watcher.seen.values()))


# --- One variant: a destination ---------------------------------------------------------------------------------

class Variant:
    def __init__(self, name, vaultops, work, dest_config, watch_folder, env):
        self.name, self.v, self.work, self.env = name, vaultops, work, env
        self.watch_folder = watch_folder
        self.db = os.path.join(work, "app.db")
        db = sqlite3.connect(self.db)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE commits (id INTEGER PRIMARY KEY, at REAL NOT NULL, tag TEXT NOT NULL, body TEXT)")
        db.commit()
        db.close()
        os.makedirs(os.path.join(work, "backups"), exist_ok=True)
        self.config = os.path.join(work, "vaultops.yml")
        with open(self.config, "w") as f:
            f.write(f"backup_dir: {work}/backups\n{dest_config}"
                    f"sources:\n  - name: bench\n    sqlite: {self.db}\n    replicate: {{ interval: {INTERVAL} }}\n")
        self.without, self.with_ = [], []        # writer records per phase kind
        self.pairs = []                           # (without records, with records) per pair of phases
        self.walls = {"without": 0.0, "with": 0.0}
        self.cpu = []                             # (cpu seconds, wall seconds) per with-phase
        self.hwm_kib = 0
        self.wal_bytes = 0
        self.files = []                           # (first listed, kind, newest marker)
        self.generations_during_writes = 0

    def phase_without(self, seconds):
        # The harness lists the destination in both phases, so that its own load weighs on both alike.
        watcher = Watcher(self.watch_folder, self.db + "-wal")
        watcher.start()
        try:
            wall, records = run_writer(self.db, seconds, os.path.join(self.work, "writer.out"))
        finally:
            watcher.stop()
        self.without += records
        self.walls["without"] += wall
        return records

    def phase_with(self, seconds):
        log_path = os.path.join(self.work, "replicate.log")
        log = open(log_path, "a")
        watcher = Watcher(self.watch_folder, self.db + "-wal")
        proc = subprocess.Popen([self.v, "replicate", "--config", self.config], stdout=subprocess.DEVNULL,
                                stderr=log, env=self.env)
        watcher.pid = proc.pid
        watcher.start()
        try:
            # The writer starts once the generation's snapshot is stored (startup is not the steady state measured).
            deadline = time.time() + 60
            while not has_snapshot(watcher):
                if proc.poll() is not None or time.time() > deadline:
                    sys.exit(f"replicate ({self.name}) did not store a snapshot: exit {proc.poll()}, see {log_path}")
                time.sleep(0.1)
            snapshots_before = sum(decode(d)[0] == "snapshot" for _, d in list(watcher.seen.values()))
            cpu0 = cpu_seconds(proc.pid)
            wall, records = run_writer(self.db, seconds, os.path.join(self.work, "writer.out"))
            cpu1 = cpu_seconds(proc.pid)
            self.with_ += records
            self.walls["with"] += wall
            self.cpu.append((cpu1 - cpu0, wall))
            # Let the replicator ship the last commits on its own (its interval, and the upload), then stop it.
            last = records[-1][0] if records else 0
            deadline = time.time() + 30
            while time.time() < deadline and not any(decode(d)[1] >= last for _, d in list(watcher.seen.values())[-3:]):
                time.sleep(0.2)
            self.hwm_kib = max(self.hwm_kib, watcher.hwm_kib, read_hwm(proc.pid))
            self.wal_bytes = max(self.wal_bytes, watcher.wal_bytes)
        finally:
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=60)
            watcher.stop()
            log.close()
        if code != 0:
            sys.exit(f"replicate ({self.name}) exited {code}; see {log_path}")
        decoded = [(t, *decode(data)) for t, data in watcher.seen.values()]
        self.files += decoded
        self.generations_during_writes += sum(kind == "snapshot" for _, kind, _ in decoded) - snapshots_before
        return records

    def lags(self):
        """Each with-phase commit's lag in seconds, and how many commits no stored file ever held."""
        files = sorted((t, newest) for t, kind, newest in self.files if kind != "other")
        visible, running = [], 0
        for t, newest in files:
            running = max(running, newest)
            visible.append((running, t))
        lags, missing, i = [], 0, 0
        for n, at, *_ in sorted(self.with_):
            while i < len(visible) and visible[i][0] < n:
                i += 1
            if i == len(visible):
                missing += 1
            else:
                lags.append(visible[i][1] - at)
        return lags, missing


def percentile(values, p):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def paired_ratios(pairs, field, p):
    """Each pair's ratio of the with-phase's to the without-phase's percentile `p` of record field `field`."""
    return [percentile([r[field] for r in b], p) / percentile([r[field] for r in a], p) for a, b in pairs]


def report(variants, seconds, rounds):
    """The suite's table: one column per destination, each figure with its goal and PASS/FAIL."""
    cols = [v.name for v in variants]
    lines = [f"\nreplicate: writer paced at {RATE} commits/s (WAL, synchronous=NORMAL), interval {INTERVAL}, "
             f"{rounds * PAIRS_PER_ROUND} pairs of {seconds:g} s without + {seconds:g} s with the replicator, alternating; "
             f"lag listed every {POLL * 1000:g} ms",
             f"{'figure':50} {'goal':>12} " + " ".join(f"{c:>26}" for c in cols)]

    def row(label, goal, cells):
        lines.append(f"{label:50} {goal:>12} " + " ".join(f"{c:>26}" for c in cells))

    lag_cells, rss_cells, cpu_cells, rate_cells, gen_cells, wal_cells = [], [], [], [], [], []
    latency_cells = {(field, p): [] for field in (2, 3) for p in (50, 99)}
    paired_cells = {(field, p): [] for field in (2, 3) for p in (50, 99)}
    for v in variants:
        lags, missing = v.lags()
        p99 = percentile(lags, 99)
        ok = lags and missing == 0 and p99 < GOALS["lag_p99"]
        lag_cells.append(f"{percentile(lags, 50):.2f}/{p99:.2f}/{max(lags, default=float('nan')):.2f} "
                         f"{'PASS' if ok else 'FAIL'}" + (f" ({missing} lost)" if missing else ""))
        rss = v.hwm_kib / 1024
        rss_cells.append(f"{rss:.1f} {'PASS' if rss < GOALS['rss_mb'] else 'FAIL'}")
        cpu = 100 * sum(c for c, _ in v.cpu) / sum(w for _, w in v.cpu)
        cpu_cells.append(f"{cpu:.1f} {'PASS' if cpu < GOALS['cpu_pct'] else 'FAIL'}")
        for (field, p), cells in latency_cells.items():
            a = percentile([r[field] for r in v.without], p) * 1000
            b = percentile([r[field] for r in v.with_], p) * 1000
            cells.append(f"{a:.3f}/{b:.3f} x{b / a:.2f}")
        for (field, p), cells in paired_cells.items():
            ratios = paired_ratios(v.pairs, field, p)
            median = statistics.median(ratios)
            cells.append(f"x{median:.2f} [{min(ratios):.2f}-{max(ratios):.2f}] "
                         f"{'PASS' if median <= GOALS['latency_ratio'] else 'FAIL'}")
        rate_cells.append(f"{len(v.without) / v.walls['without']:.0f}/{len(v.with_) / v.walls['with']:.0f}")
        gen_cells.append(str(v.generations_during_writes))
        wal_cells.append(f"{v.wal_bytes / 1e6:.1f}")
    row("lag p50/p99/max s", "p99 < 2", lag_cells)
    row("replicator peak RSS (VmHWM) MB", "< 64", rss_cells)
    row("replicator CPU % of one core", "< 10", cpu_cells)
    for (field, p), cells in latency_cells.items():
        what = "commit latency" if field == 2 else "latency from due"
        row(f"{what} p{p} ms without/with, all pairs", "-", cells)
        row(f"  ratio: median of the pairs [range]", "<= 1.10", paired_cells[(field, p)])
    row("commits/s achieved without/with", f"{RATE}", rate_cells)
    row("new generations while writing", "0", gen_cells)
    # Not a goal: the replicator reads the WAL file to its end, and SQLite never shrinks it (no journal_size_limit).
    row("largest WAL file with the replicator, MB", "-", wal_cells)
    return lines


def create_bucket(endpoint, name):
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/__emulator/buckets/{name}", method="PUT"))


def replicate_suite(v, work, scale, rounds):
    """Runs both variants; returns the lines of the suite's table (printed after the side-by-side table)."""
    seconds = max(1.0, 15 * scale)
    base = os.path.join(work, f"replicate-{os.getpid()}")
    variants = []
    folder_work = os.path.join(base, "folder")
    os.makedirs(folder_work)
    variants.append(Variant("local folder", v, folder_work, "", os.path.join(folder_work, "backups", "replica"),
                            dict(os.environ)))
    endpoint = os.environ.get("VAULTOPS_TEST_OSS_ENDPOINT")
    if not endpoint:
        sys.exit("the replicate suite needs the emulator (Benchmarks/run starts it with .ci/oss-emulator/start)")
    bucket = f"replbench{os.getpid()}"
    create_bucket(endpoint, bucket)
    oss_work = os.path.join(base, "oss")
    os.makedirs(oss_work)
    env = dict(os.environ, OSS_ENDPOINT=endpoint, OSS_REGION=os.environ["VAULTOPS_TEST_OSS_REGION"],
               OSS_ACCESS_KEY_ID=os.environ["VAULTOPS_TEST_OSS_ACCESS_KEY_ID"],
               OSS_ACCESS_KEY_SECRET=os.environ["VAULTOPS_TEST_OSS_ACCESS_KEY_SECRET"])
    variants.append(Variant("OSS emulator", v, oss_work, f"oss:\n  bucket: {bucket}\n  prefix: bench/\n",
                            os.path.join(os.environ["VAULTOPS_TEST_OSS_DIR"], "data", "objects", bucket), env))
    for variant in variants:
        for k in range(rounds * PAIRS_PER_ROUND):
            if k % 2 == 0:
                without = variant.phase_without(seconds)
                with_ = variant.phase_with(seconds)
            else:
                with_ = variant.phase_with(seconds)
                without = variant.phase_without(seconds)
            variant.pairs.append((without, with_))
    lines = report(variants, seconds, rounds)
    # The databases and the local replica (tens of MB at scale 1); the emulator's copy goes with the emulator.
    shutil.rmtree(base, ignore_errors=True)
    return lines


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "writer":
        writer_main(sys.argv[2], float(sys.argv[3]), sys.argv[4])
    else:
        sys.exit("usage: replicate.py writer DB SECONDS OUT (the suite itself runs from Benchmarks/run --suites replicate)")
