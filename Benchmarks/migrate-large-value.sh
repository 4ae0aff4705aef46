#!/usr/bin/env bash
# Peak memory of `vaultops migrate` on one very large BLOB and one very large TEXT value.
#
# Usage: source .ci/pg-start && Benchmarks/migrate-large-value.sh [--blob-mb 400] [--text-mb 300] [--exe PATH]
# Generates (cached under Benchmarks/.data) a SQLite database with one row holding a BLOB of --blob-mb MB of
# random bytes and one row holding a TEXT of --text-mb MB (with quotes and two-byte characters), migrates it
# into a fresh database under /usr/bin/time -v, and prints the peak RSS next to the goal: 64 MB + the
# largest value. Exits non-zero when the goal is missed or the migration fails. Builds and uses the release
# binary unless --exe names one.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${VAULTOPS_TEST_PG_URL:?start the test server with: source .ci/pg-start}"
exe=""
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --exe) exe="$2"; shift 2 ;;
        *) args+=("$1"); shift ;;
    esac
done
if [ -z "$exe" ]; then
    swift build -c release --product vaultops >/dev/null
    exe="$(swift build -c release --show-bin-path)/vaultops"
fi
exec python3 - "$exe" "${args[@]}" <<'PY'
import argparse, os, re, sqlite3, subprocess, sys, uuid

exe = sys.argv[1]
ap = argparse.ArgumentParser()
ap.add_argument("--blob-mb", type=int, default=400)
ap.add_argument("--text-mb", type=int, default=300)
args = ap.parse_args(sys.argv[2:])
blob = args.blob_mb * 1_000_000
text = args.text_mb * 1_000_000
os.makedirs("Benchmarks/.data", exist_ok=True)
src = f"Benchmarks/.data/migrate-large-{args.blob_mb}-{args.text_mb}.db"
if not os.path.exists(src):
    tmp = src + ".partial"
    if os.path.exists(tmp):
        os.remove(tmp)
    db = sqlite3.connect(tmp)
    db.execute("CREATE TABLE big (id INTEGER PRIMARY KEY, b BLOB, t TEXT)")
    db.execute("INSERT INTO big VALUES (1, randomblob(?), 'small')", (blob,))
    # hex() doubles the length; 'A' → '"' (doubled in the CSV), 'B' → 'ü' (two bytes).
    db.execute("INSERT INTO big VALUES (2, NULL, replace(replace(hex(randomblob(?)), 'A', '\"'), 'B', 'ü'))", (text // 2,))
    db.commit()
    db.close()
    os.rename(tmp, src)

admin = os.environ["VAULTOPS_TEST_PG_URL"]
base = admin.rsplit("/", 1)[0]
name = "vaultops_bench_large_" + uuid.uuid4().hex[:8]
def psql(sql):
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", admin, "-c", sql], check=True, stdout=subprocess.DEVNULL)
psql(f"CREATE DATABASE {name}")
try:
    run = subprocess.run(["/usr/bin/time", "-v", exe, "migrate", src, f"{base}/{name}", "--json"],
                         capture_output=True, text=True)
finally:
    psql(f"DROP DATABASE IF EXISTS {name}")
peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", run.stderr).group(1))
wall = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", run.stderr).group(1)
largest = max(blob, text)
goal = 64 * 1024 * 1024 + largest
print(f"largest value {largest / 1e6:.0f} MB; vaultops migrate exit {run.returncode}, wall {wall}, "
      f"peak RSS {peak_kb / 1024:.0f} MiB (goal < {goal / 1048576:.0f} MiB)")
if run.returncode != 0:
    print(run.stdout[-2000:], run.stderr[-2000:], file=sys.stderr)
    sys.exit(1)
sys.exit(0 if peak_kb * 1024 < goal else 1)
PY
