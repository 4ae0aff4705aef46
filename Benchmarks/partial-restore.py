#!/usr/bin/env python3
"""How much of a ~300 MB dump `restore --table` reads (issue 22).

    Benchmarks/partial-restore.py [--scale 1.0] [--vaultops .build/release/vaultops]

Needs VAULTOPS_TEST_PG_URL (a superuser URL; `source .ci/pg-start` starts a server). Builds the benchmark
database of bench.py (customers, orders, events: ~300 MB of dump text at scale 1) plus a small table
`audit_notes`, backs it up with vaultops (parallel gzip, so the manifest indexes the blocks), then restores
single tables beside the live ones (--into-schema) and prints, per table, the bytes vaultops read from the
artifact against its size, as the command reports them. A pg_dump file of the same database is read whole;
that line is printed too. Never part of the test command.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (PG_SETUP: the benchmark database)


def psql(url, sql):
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url], input=sql, text=True, check=True,
                   stdout=subprocess.DEVNULL)


def restore_share(vaultops, artifact, url, table, schema):
    out = subprocess.run([vaultops, "restore", artifact, "--table", table, "--into-schema", schema, "--to", url],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"restore --table {table} failed: {out.stderr}")
    found = re.search(r"read (\d+) of (\d+) bytes", out.stdout)
    return int(found.group(1)), int(found.group(2)), out.stdout.strip().splitlines()[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--vaultops", default=".build/release/vaultops")
    args = ap.parse_args()
    admin = os.environ.get("VAULTOPS_TEST_PG_URL") or sys.exit("set VAULTOPS_TEST_PG_URL (source .ci/pg-start)")
    base = admin.rsplit("/", 1)[0]
    name = "bench_partial_" + f"{args.scale:g}".replace(".", "_")
    url = f"{base}/{name}"
    exists = subprocess.run(["psql", "-X", "-At", "-d", admin, "-c", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
                            capture_output=True, text=True).stdout.strip() == "1"
    if not exists:
        psql(admin, f"CREATE DATABASE {name}")
        s = args.scale
        psql(url, bench.PG_SETUP.format(customers=max(100, int(200_000 * s)), orders=max(100, int(800_000 * s)),
                                        events=max(100, int(500_000 * s))))
        psql(url, "CREATE TABLE audit_notes (id serial PRIMARY KEY, at timestamptz DEFAULT now(), body text NOT NULL);"
                  "INSERT INTO audit_notes (body) SELECT 'note ' || g FROM generate_series(1, 10000) g;"
                  "CREATE INDEX audit_notes_at ON audit_notes (at);")
    with tempfile.TemporaryDirectory(prefix="vaultops-partial-bench-") as work:
        subprocess.run([args.vaultops, "backup", "postgres", url, "--out", work, "--name", "bench", "--jobs", "2"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        artifact = next(os.path.join(work, f) for f in os.listdir(work) if f.endswith(".sql.gz"))
        plain = os.path.join(work, "pg_dump.sql")
        subprocess.run(["pg_dump", "-f", plain, "-d", url], check=True)
        uncompressed = os.path.getsize(plain)
        print(f"dump: {os.path.getsize(artifact)} bytes gzip, about {uncompressed} bytes of script (pg_dump's)")
        for i, table in enumerate(["public.audit_notes", "public.customers"]):
            done, size, line = restore_share(args.vaultops, artifact, url, table, f"restored_{i}")
            print(f"{table}: read {done} of {size} bytes ({done / size * 100:.2f}%) — {line}")
        done, size, _ = restore_share(args.vaultops, plain, url, "public.audit_notes", "restored_plain")
        print(f"public.audit_notes from pg_dump's plain file: read {done} of {size} bytes ({done / size * 100:.0f}%)")
        psql(url, "DROP SCHEMA restored_0 CASCADE; DROP SCHEMA restored_1 CASCADE; DROP SCHEMA restored_plain CASCADE;")


if __name__ == "__main__":
    main()
