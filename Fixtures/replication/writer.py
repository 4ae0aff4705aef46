#!/usr/bin/env python3
"""The application of the replication tests: commits numbered transactions into a WAL-mode SQLite database.

Usage: writer.py DATABASE LOG --rate R --seconds S [--truncate-every K]

Transaction n inserts row n into t and adds n to the running total in total(id 1). Before each one it appends
"n <unix time>" to LOG with an unbuffered write, so that the time just before transaction n began survives a
kill -9 (a line whose transaction was killed before COMMIT is written again, with a later time, when the
restarted writer commits that n). Restarted on the same database it continues after max(n). Every K commits
it runs PRAGMA wal_checkpoint(TRUNCATE) as an application would (with a 100 ms busy timeout: a replicator's
read transaction makes it report busy). At the end, or on SIGTERM, it prints the last n committed.
"""
import argparse
import os
import signal
import sqlite3
import time

parser = argparse.ArgumentParser()
parser.add_argument("database")
parser.add_argument("log")
parser.add_argument("--rate", type=float, default=200)
parser.add_argument("--seconds", type=float, default=10)
parser.add_argument("--truncate-every", type=int, default=0)
args = parser.parse_args()

stopping = False


def stop(_signum, _frame):
    global stopping
    stopping = True


signal.signal(signal.SIGTERM, stop)
# A parent that blocked signals in its thread (a test runner's worker) passes the mask on through exec: unblock
# SIGTERM so that a test can stop the writer when it is done with it.
signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM])

db = sqlite3.connect(args.database, isolation_level=None, timeout=10)
db.execute("PRAGMA journal_mode=WAL")
db.execute("CREATE TABLE IF NOT EXISTS t(n INTEGER PRIMARY KEY, pad TEXT)")
db.execute("CREATE TABLE IF NOT EXISTS total(id INTEGER PRIMARY KEY, s INTEGER)")
db.execute("INSERT OR IGNORE INTO total VALUES (1, 0)")
n = db.execute("SELECT coalesce(max(n), 0) FROM t").fetchone()[0]
log = os.open(args.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
pad = "p" * 200
start = time.time()
committed = 0
while not stopping and time.time() - start < args.seconds:
    n += 1
    os.write(log, f"{n} {time.time():.6f}\n".encode())
    db.execute("BEGIN IMMEDIATE")
    db.execute("INSERT INTO t VALUES (?, ?)", (n, pad))
    db.execute("UPDATE total SET s = s + ? WHERE id = 1", (n,))
    db.execute("COMMIT")
    committed += 1
    if args.truncate_every and committed % args.truncate_every == 0:
        db.execute("PRAGMA busy_timeout=100")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        db.execute("PRAGMA busy_timeout=10000")
    # Paced against the start, so that slow commits on a busy machine do not lower the rate for good.
    wait = start + committed / args.rate - time.time()
    if wait > 0:
        time.sleep(wait)
db.close()
print(n, flush=True)
