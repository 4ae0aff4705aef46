#!/usr/bin/env bash
# vaultops migrate side by side with pgloader on the same generated SQLite database.
#
# Usage: source .ci/pg-start && Benchmarks/migrate-bench.sh [--rows 1000000] [--rounds 3] [--jobs 4]
# Builds vaultops in release mode, generates a SQLite database of --rows rows over four tables
# (cached under Benchmarks/.data), then alternates pgloader and vaultops, each into a fresh database,
# for several rounds. Prints per-round and median figures: wall time, rows/s, vaultops' load and
# verification phases (from its --json report), and peak RSS of each tool (os.wait4), plus the load
# average, since the machine may be shared. Goals: load ≥ 2× pgloader's rows/s, verification ≤ 50% of
# the load, vaultops peak RSS < 64 MB. Exits non-zero when a goal is missed or a tool fails.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${VAULTOPS_TEST_PG_URL:?start the test server with: source .ci/pg-start}"
command -v pgloader >/dev/null || { echo "pgloader is not installed (apt-get install pgloader)" >&2; exit 2; }
swift build -c release --product vaultops >/dev/null
exe="$(swift build -c release --show-bin-path)/vaultops"
exec python3 - "$exe" "$@" <<'PY'
import json, os, random, sqlite3, statistics, subprocess, sys, time, argparse

exe = sys.argv[1]
ap = argparse.ArgumentParser()
ap.add_argument("--rows", type=int, default=1_000_000)
ap.add_argument("--rounds", type=int, default=3)
ap.add_argument("--jobs", type=int, default=4)
args = ap.parse_args(sys.argv[2:])
admin = os.environ["VAULTOPS_TEST_PG_URL"]
base = admin.rsplit("/", 1)[0]

sys.path.insert(0, "Benchmarks")
from bench import make_migrate_db
os.makedirs("Benchmarks/.data", exist_ok=True)
src = f"Benchmarks/.data/migrate-{args.rows}.db"
make_migrate_db(src, args.rows)
total_rows = sum(sqlite3.connect(src).execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                 for t in ["suppliers", "users", "materials", "stock_movements"])

def psql(sql, url=admin):
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql], check=True, stdout=subprocess.DEVNULL)

def run_measured(cmd):
    start = time.monotonic()
    out_r, out_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.dup2(out_w, 1); os.close(out_r)
        devnull = os.open(os.devnull, os.O_WRONLY); os.dup2(devnull, 2)
        os.execvp(cmd[0], cmd)
    os.close(out_w)
    chunks = []
    while True:
        b = os.read(out_r, 1 << 16)
        if not b: break
        chunks.append(b)
    _, status, usage = os.wait4(pid, 0)
    return b"".join(chunks), os.waitstatus_to_exitcode(status), time.monotonic() - start, usage.ru_maxrss

results = {"pgloader": [], "vaultops": []}
for r in range(args.rounds):
    order = ["pgloader", "vaultops"] if r % 2 == 0 else ["vaultops", "pgloader"]
    for tool in order:
        db = f"bench_migrate_{tool}"
        psql(f"DROP DATABASE IF EXISTS {db}"); psql(f"CREATE DATABASE {db}")
        url = f"{base}/{db}"
        if tool == "pgloader":
            out, code, wall, rss = run_measured(["pgloader", "--quiet", "--no-ssl-cert-verification", f"sqlite:///{os.path.abspath(src)}", url])
            if code != 0: sys.exit(f"pgloader failed with {code}")
            results[tool].append({"wall": wall, "rss_kib": rss, "load": wall, "verify": 0.0})
        else:
            out, code, wall, rss = run_measured([exe, "migrate", src, url, "--json", "--jobs", str(args.jobs)])
            if code != 0: sys.exit(f"vaultops migrate failed with {code}: {out[:2000]!r}")
            rep = json.loads(out)
            verify = rep["phases"]["verify"]
            results[tool].append({"wall": wall, "rss_kib": rss, "load": wall - verify, "verify": verify})
        x = results[tool][-1]
        print(f"round {r+1} {tool:9s} wall {x['wall']:7.2f}s load {x['load']:7.2f}s verify {x['verify']:6.2f}s "
              f"rows/s {total_rows / x['load']:10.0f} peak RSS {x['rss_kib']/1024:6.1f} MiB  load avg {os.getloadavg()[0]:.2f}", flush=True)
        psql(f"DROP DATABASE IF EXISTS {db}")

med = {t: {k: statistics.median(x[k] for x in v) for k in ["wall", "load", "verify", "rss_kib"]} for t, v in results.items()}
ratio = med["pgloader"]["load"] / med["vaultops"]["load"]
verify_share = med["vaultops"]["verify"] / med["vaultops"]["load"]
print(f"\nrows: {total_rows}, rounds: {args.rounds}, cpus: {os.cpu_count()}, load average now: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
print(f"pgloader  median load {med['pgloader']['load']:.2f}s = {total_rows/med['pgloader']['load']:.0f} rows/s, peak RSS {med['pgloader']['rss_kib']/1024:.1f} MiB")
print(f"vaultops  median load {med['vaultops']['load']:.2f}s = {total_rows/med['vaultops']['load']:.0f} rows/s, verify {med['vaultops']['verify']:.2f}s, peak RSS {med['vaultops']['rss_kib']/1024:.1f} MiB")
print(f"load speed ratio vaultops/pgloader: {ratio:.2f}x (goal ≥ 2), verification adds {verify_share*100:.0f}% (goal ≤ 50%)")
ok = ratio >= 2 and verify_share <= 0.5 and med["vaultops"]["rss_kib"] < 64 * 1024
print("OK" if ok else "GOAL MISSED")
sys.exit(0 if ok else 1)
PY
