#!/usr/bin/env bash
# Checks that a PostgreSQL dump streams: peak memory of `vaultops backup postgres` must not grow with
# table size. Dumps a ~30 MB and a ~300 MB table and compares the peak RSS of the two runs.
#
# Usage: source .ci/pg-start && swift build -c release && Benchmarks/postgres-dump-memory.sh [.build/release/vaultops]
# Needs the test server (VAULTOPS_TEST_PG_URL). Exits non-zero when memory grows by more than 64 MiB.
set -euo pipefail
exe=${1:-.build/release/vaultops}
[ -x "$exe" ] || { echo "no vaultops executable at $exe (build it first)" >&2; exit 2; }
: "${VAULTOPS_TEST_PG_URL:?start the test server with: source .ci/pg-start}"
base=${VAULTOPS_TEST_PG_URL%/*}
out=$(mktemp -d /tmp/vaultops-bench.XXXXXX)
trap 'rm -rf "$out"; for n in 100000 1000000; do psql -X -q -d "$VAULTOPS_TEST_PG_URL" -c "DROP DATABASE IF EXISTS bench_dump_$n" >/dev/null; done' EXIT

peak_kib() { # runs the dump of database $1 and prints the child's peak RSS in KiB
  python3 - "$exe" "$base/$1" "$out/$1" <<'PY'
import os, resource, subprocess, sys
exe, url, dest = sys.argv[1:]
os.makedirs(dest, exist_ok=True)
r = subprocess.run([exe, "backup", "postgres", url, "--out", dest], stdout=subprocess.DEVNULL)
if r.returncode != 0:
    sys.exit(f"vaultops backup postgres failed with {r.returncode}")
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
}

declare -A peak
for n in 100000 1000000; do
  db=bench_dump_$n
  psql -X -q -d "$VAULTOPS_TEST_PG_URL" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
  psql -X -q -v ON_ERROR_STOP=1 -d "$base/$db" -c \
    "CREATE TABLE big AS SELECT g AS id, md5(g::text) || repeat('x', 250) AS pad FROM generate_series(1, $n) g" >/dev/null
  peak[$n]=$(peak_kib "$db")
  echo "rows=$n table=$(psql -X -A -t -d "$base/$db" -c "SELECT pg_size_pretty(pg_table_size('big'))") peak_rss_kib=${peak[$n]}"
done
growth=$(( ${peak[1000000]} - ${peak[100000]} ))
echo "peak RSS growth for 10x the rows: ${growth} KiB"
[ "$growth" -lt 65536 ] || { echo "FAIL: memory grows with table size" >&2; exit 1; }
echo "OK: dump memory is flat"
