#!/usr/bin/env python3
"""Side-by-side benchmark harness for vaultops (see Benchmarks/run)."""
import argparse
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time

from replicate import replicate_suite

HERE = os.path.dirname(os.path.abspath(__file__))


def run_measured(cmd, cwd=None, env=None):
    """Runs a shell command; returns (wall seconds, peak RSS in KiB of the largest process it ran).

    GNU time execs the command, so the figure is the command's own (a forked Python child would report
    the harness's memory), and for a pipeline it is the largest process in it.
    """
    rss_file = os.path.join(HERE, ".data", f".rss-{os.getpid()}")
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss_file, "bash", "-c", cmd], cwd=cwd, env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"benchmark command failed ({proc.returncode}): {cmd}\n{proc.stderr.decode(errors='replace')}")
    with open(rss_file) as f:
        peak = int(f.read().split()[-1])
    os.remove(rss_file)
    return wall, peak


def dir_size(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            if f.endswith(".manifest.json"):
                continue
            total += os.path.getsize(os.path.join(root, f))
    return total


class Pair:
    def __init__(self, label, ours, anchors):
        self.label = label
        self.ours = ours          # (name, command template with {out})
        self.anchors = anchors    # list of (name, command template with {out})


def bench_pair(pair, rounds, workdir):
    """Alternates ours and each anchor for `rounds` rounds; returns rows for the table."""
    contenders = [pair.ours] + pair.anchors
    walls = {name: [] for name, _ in contenders}
    rss = {name: 0 for name, _ in contenders}
    sizes = {}
    for r in range(rounds):
        order = contenders if r % 2 == 0 else list(reversed(contenders))
        for name, template in order:
            out = os.path.join(workdir, "out-" + name.replace(" ", "_").replace("|", "p"))
            shutil.rmtree(out, ignore_errors=True)
            os.makedirs(out)
            wall, peak = run_measured(template.format(out=out))
            if hasattr(template, "drop_all"):
                template.drop_all()
            walls[name].append(wall)
            rss[name] = max(rss[name], peak)
            sizes[name] = dir_size(out)
            shutil.rmtree(out, ignore_errors=True)
    ours_name = pair.ours[0]
    ours_med = statistics.median(walls[ours_name])
    rows = []
    for name, _ in contenders:
        med = statistics.median(walls[name])
        rows.append((pair.label, name, med, ours_med / med if name != ours_name else 1.0,
                     sizes[name], sizes[ours_name] / sizes[name] if sizes[name] else 0, rss[name] / 1024))
    return rows


def make_sqlite(path, scale):
    """The ~90 MB materials/movements database (1M rows at scale 1): text, reals, blobs."""
    if os.path.exists(path):
        return
    tmp = path + ".tmp"
    if os.path.exists(tmp):
        os.remove(tmp)
    rnd = random.Random(42)
    db = sqlite3.connect(tmp)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("""CREATE TABLE materials (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, name TEXT,
                  unit TEXT, price REAL, stock REAL, photo BLOB)""")
    db.execute("""CREATE TABLE movements (id INTEGER PRIMARY KEY, material_id INTEGER REFERENCES materials(id),
                  qty REAL, note TEXT, created_at TEXT)""")
    n_materials = max(10, int(100_000 * scale))
    n_movements = max(100, int(900_000 * scale))
    words = ["bearing", "valve", "pump", "seal", "gasket", "motor", "belt", "filter", "bolt", "cable",
             "轴承", "阀门", "密封圈", "电机", "steel", "copper", "spare", "line 3", "workshop", "north"]
    db.executemany("INSERT INTO materials VALUES (?,?,?,?,?,?,?)", (
        (i, f"M{i:07d}", " ".join(rnd.choice(words) for _ in range(4)), rnd.choice(["pcs", "kg", "m", "set"]),
         round(rnd.uniform(0.5, 5000), 2), rnd.uniform(0, 1000), rnd.randbytes(rnd.randint(16, 160)))
        for i in range(1, n_materials + 1)))
    db.executemany("INSERT INTO movements VALUES (?,?,?,?,?)", (
        (i, rnd.randint(1, n_materials), rnd.uniform(-50, 50),
         " ".join(rnd.choice(words) for _ in range(rnd.randint(2, 8))),
         f"2025-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d} {rnd.randint(0, 23):02d}:{rnd.randint(0, 59):02d}:00")
        for i in range(1, n_movements + 1)))
    db.commit()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    os.rename(tmp, path)


def make_files(path, scale):
    """A folder of 20k small files and a few big ones (at scale 1)."""
    if os.path.exists(path):
        return
    tmp = path + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    rnd = random.Random(7)
    n_small = max(20, int(20_000 * scale))
    for i in range(n_small):
        d = os.path.join(tmp, f"d{i % 100:02d}", f"e{i % 7}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"work-order-{i:05d}.txt"), "wb") as f:
            f.write((f"order {i} " * rnd.randint(5, 200)).encode())
    big = os.path.join(tmp, "big")
    os.makedirs(big)
    for i in range(3):
        with open(os.path.join(big, f"scan-{i}.bin"), "wb") as f:
            size = max(1, int(40 * scale)) << 20
            half = size // 2
            f.write(rnd.randbytes(half))          # incompressible half, like photos
            f.write(b"log line 0123456789\n" * (half // 20))
    os.rename(tmp, path)


PG_SETUP = """
CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL, email text, tags text[], profile jsonb,
                        balance numeric(14,2), created_at timestamptz);
INSERT INTO customers
SELECT g, 'Customer ' || g, 'user' || g || '@example.com', ARRAY['tag' || (g % 17), 'vip' || (g % 5)],
       jsonb_build_object('city', 'City ' || (g % 300), 'score', g % 1000, 'prefs', jsonb_build_array(g % 7, g % 11)),
       (g % 100000) / 7.0, timestamptz '2024-01-01' + (g || ' minutes')::interval
FROM generate_series(1, {customers}) g;
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers(id), total numeric(12,2),
                     status text, note text, receipt bytea, ordered_at timestamptz);
INSERT INTO orders
SELECT g, (g % {customers}) + 1, (g % 99999) / 3.0, (ARRAY['new','paid','shipped','cancelled'])[g % 4 + 1],
       repeat('order note ' || md5(g::text) || ' ', 1 + g % 4), decode(md5(g::text) || md5((g * 7)::text), 'hex'),
       timestamptz '2024-06-01' + (g || ' seconds')::interval
FROM generate_series(1, {orders}) g;
CREATE INDEX orders_customer ON orders(customer_id);
CREATE TABLE events (id uuid PRIMARY KEY, source inet, kind text, payload json, at timestamptz);
INSERT INTO events
SELECT md5(g::text)::uuid, ('10.' || (g % 250) || '.' || (g % 200) || '.' || (g % 254 + 1))::inet,
       'kind' || (g % 40), json_build_object('g', g, 'msg', 'event ' || md5((g * 3)::text)),
       timestamptz '2025-01-01' + (g || ' seconds')::interval
FROM generate_series(1, {events}) g;
VACUUM ANALYZE;
"""


def make_postgres(admin_url, scale):
    """The ~300 MB mixed-type database (scale 1): customers, 800k orders, 500k events."""
    base = admin_url.rsplit("/", 1)[0]
    name = "bench_" + f"{scale:g}".replace(".", "_")
    exists = subprocess.run(["psql", "-X", "-At", "-d", admin_url, "-c",
                             f"SELECT 1 FROM pg_database WHERE datname = '{name}'"], capture_output=True, text=True)
    if exists.stdout.strip() != "1":
        subprocess.run(["psql", "-X", "-q", "-d", admin_url, "-c", f"CREATE DATABASE {name}"], check=True)
        sql = PG_SETUP.format(customers=max(100, int(200_000 * scale)), orders=max(100, int(800_000 * scale)),
                              events=max(100, int(500_000 * scale)))
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", f"{base}/{name}"], input=sql, text=True,
                       check=True, stdout=subprocess.DEVNULL)
    return f"{base}/{name}"


def make_catalog_db(admin_url, objects):
    """A database of `objects` catalog objects and almost no data: per group of five, a table with a serial
    key (table, sequence, key index), a view and a function, with a comment and a grant each."""
    base = admin_url.rsplit("/", 1)[0]
    name = f"bench_catalog_{objects}"
    exists = subprocess.run(["psql", "-X", "-At", "-d", admin_url, "-c",
                             f"SELECT 1 FROM pg_database WHERE datname = '{name}'"], capture_output=True, text=True)
    if exists.stdout.strip() != "1":
        subprocess.run(["psql", "-X", "-q", "-d", admin_url, "-c", f"CREATE DATABASE {name}"], check=True)
        groups = objects // 5
        sql = ["CREATE SCHEMA cat;"]
        for i in range(groups):
            sql.append(f"CREATE TABLE cat.t{i} (id serial PRIMARY KEY, v text, n int DEFAULT {i});"
                       f"COMMENT ON TABLE cat.t{i} IS 'table {i}';"
                       f"CREATE VIEW cat.v{i} AS SELECT id, v FROM cat.t{i} WHERE n > 0;"
                       f"CREATE FUNCTION cat.f{i}(x int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT x + {i}';"
                       f"GRANT SELECT ON cat.v{i} TO PUBLIC;"
                       f"INSERT INTO cat.t{i} (v) VALUES ('row');")
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", f"{base}/{name}"], input="\n".join(sql),
                       text=True, check=True, stdout=subprocess.DEVNULL)
    return f"{base}/{name}"


class Fresh:
    """A command template run against a new, empty database each time it is formatted.

    Creating the database is part of the timing, the same for every contender.
    """
    counter = 0
    created = []

    def __init__(self, admin, prefix, body):
        self.admin, self.prefix, self.body = admin, prefix, body

    def format(self, out):
        Fresh.counter += 1
        name = f"{self.prefix}_{os.getpid()}_{Fresh.counter}"
        Fresh.created.append((self.admin, name))
        base = self.admin.rsplit("/", 1)[0]
        create = f"psql -X -q -d '{self.admin}' -c 'CREATE DATABASE {name}' && "
        return create + self.body.format(target=f"{base}/{name}", out=out)

    @classmethod
    def drop_all(cls):
        """Drops the databases made so far and checkpoints (outside any timing).

        Without the checkpoint, the next contender pays for writing out the previous one's dirty buffers and
        WAL: restores of the same dump varied by a quarter from one round to the next.
        """
        admins = []
        for admin, name in cls.created:
            subprocess.run(["psql", "-X", "-q", "-d", admin, "-c", f"DROP DATABASE IF EXISTS {name}"], check=True,
                           stdout=subprocess.DEVNULL)
            if admin not in admins:
                admins.append(admin)
        for admin in admins:
            subprocess.run(["psql", "-X", "-q", "-d", admin, "-c", "CHECKPOINT"], check=True, stdout=subprocess.DEVNULL)
        cls.created.clear()


def make_migrate_db(path, rows):
    """The SQLite database `migrate` moves: four related tables, `rows` rows in all (cached)."""
    if os.path.exists(path):
        return
    tmp = path + ".partial"
    if os.path.exists(tmp):
        os.remove(tmp)
    db = sqlite3.connect(tmp)
    rnd = random.Random(42)
    db.executescript("""
      CREATE TABLE suppliers (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, rating REAL, active BOOLEAN NOT NULL);
      CREATE TABLE users (id INTEGER PRIMARY KEY, username VARCHAR(40) NOT NULL, joined DATE, balance NUMERIC(12,2));
      CREATE TABLE materials (id INTEGER PRIMARY KEY AUTOINCREMENT, code TEXT NOT NULL, name TEXT NOT NULL,
        supplier_id INTEGER REFERENCES suppliers(id), unit_price REAL, weight_kg REAL, qty INTEGER NOT NULL,
        updated_at DATETIME, photo BLOB);
      CREATE TABLE stock_movements (id INTEGER PRIMARY KEY, material_id INTEGER NOT NULL REFERENCES materials(id),
        user_id INTEGER REFERENCES users(id), qty INTEGER NOT NULL, moved_at DATETIME NOT NULL, reason TEXT);
    """)
    n_sup, n_users, n_mat = max(1, rows // 100), max(1, rows // 50), max(1, rows // 5)
    n_mov = max(1, rows - n_sup - n_users - n_mat)
    db.executemany("INSERT INTO suppliers VALUES (?,?,?,?)",
        ((i, f"Supplier {i}, \"quoted\"", rnd.random() * 5, i % 2) for i in range(1, n_sup + 1)))
    db.executemany("INSERT INTO users VALUES (?,?,?,?)",
        ((i, f"user{i}", f"20{rnd.randint(10,24)}-0{rnd.randint(1,9)}-1{rnd.randint(0,9)}", round(rnd.uniform(-1000, 1000), 2))
         for i in range(1, n_users + 1)))
    db.executemany("INSERT INTO materials VALUES (?,?,?,?,?,?,?,?,?)",
        ((i, f"M-{i:07d}", f"Material {i} ünïcödé\nsecond line", rnd.randint(1, n_sup), rnd.random() * 100,
          rnd.random() * 1e3, rnd.randint(-5, 5000), f"2024-0{rnd.randint(1,9)}-1{rnd.randint(0,9)} 1{rnd.randint(0,9)}:00:00",
          rnd.randbytes(16) if i % 4 == 0 else None) for i in range(1, n_mat + 1)))
    db.executemany("INSERT INTO stock_movements VALUES (?,?,?,?,?,?)",
        ((i, rnd.randint(1, n_mat), rnd.randint(1, n_users), rnd.randint(-100, 100) or 1,
          f"2024-0{rnd.randint(1,9)}-1{rnd.randint(0,9)} 0{rnd.randint(0,9)}:1{rnd.randint(0,9)}:00",
          rnd.choice(["issue", "receipt", "", None, "count, adjusted"])) for i in range(1, n_mov + 1)))
    db.commit()
    db.close()
    os.rename(tmp, path)


OSS2_SCRIPT = r"""
import os, sys, oss2
mode, path, key, part, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
auth = oss2.Auth(os.environ["OSS_ACCESS_KEY_ID"], os.environ["OSS_ACCESS_KEY_SECRET"])
bucket = oss2.Bucket(auth, os.environ["OSS_ENDPOINT"], "bench", is_cname=False)
store = oss2.ResumableStore(root=os.path.dirname(path) + "/.oss2-store")
if mode == "up":
    oss2.resumable_upload(bucket, key, path, store=store, multipart_threshold=part, part_size=part, num_threads=threads)
else:
    oss2.resumable_download(bucket, key, path, store=oss2.ResumableDownloadStore(root=os.path.dirname(path) + "/.oss2-store"),
                            multiget_threshold=part, part_size=part, num_threads=threads)
"""


def oss_suite(v, data, work, scale, rounds, jobs=4, part_mib=8):
    endpoint = os.environ.get("VAULTOPS_TEST_OSS_ENDPOINT")
    if not endpoint:
        sys.exit("the oss suite needs the emulator (Benchmarks/run starts it with .ci/oss-emulator/start)")
    import urllib.request
    urllib.request.urlopen(urllib.request.Request(endpoint + "/__emulator/buckets/bench", method="PUT"))
    env = dict(os.environ, OSS_ENDPOINT=endpoint, OSS_REGION=os.environ["VAULTOPS_TEST_OSS_REGION"],
               OSS_ACCESS_KEY_ID=os.environ["VAULTOPS_TEST_OSS_ACCESS_KEY_ID"],
               OSS_ACCESS_KEY_SECRET=os.environ["VAULTOPS_TEST_OSS_ACCESS_KEY_SECRET"])
    os.environ.update(env)
    big = os.path.join(data, "big.bin")
    if not os.path.exists(big):
        subprocess.run(f"head -c {max(1, int(1024 * scale)) << 20} /dev/urandom > {big}.tmp", shell=True, check=True)
        os.rename(big + ".tmp", big)
    script = os.path.join(work, "oss2_bench.py")
    with open(script, "w") as f:
        f.write(OSS2_SCRIPT)
    part = part_mib << 20
    rows = bench_pair(Pair(
        f"upload ({jobs} threads, {part_mib} MiB parts)",
        ("vaultops upload", f"{v} upload --force --jobs {jobs} --part-size {part_mib} --checkpoint-dir {{out}}/cp {big} oss://bench/v/"),
        [("oss2 resumable_upload", f"python3 {script} up {big} o/big.bin {part} {jobs}")],
    ), rounds, work)
    # Both downloads read the same object; it is uploaded once up front.
    subprocess.run([v, "upload", "--force", big, "oss://bench/d/"], check=True, env=env, stdout=subprocess.DEVNULL)
    rows += bench_pair(Pair(
        f"download ({jobs} threads)",
        ("vaultops download", f"{v} download oss://bench/d/big.bin {{out}}/big.bin"),
        [("oss2 resumable_download", f"python3 {script} down {{out}}/big.bin d/big.bin {part} {jobs}")],
    ), rounds, work)
    return rows


def pg_admin_url(suite):
    """The superuser URL of the benchmark's PostgreSQL server; exits naming `suite` when there is none."""
    admin = os.environ.get("VAULTOPS_TEST_PG_URL")
    if not admin:
        sys.exit(f"the {suite} suite needs VAULTOPS_TEST_PG_URL (Benchmarks/run starts a server with .ci/pg-start)")
    return admin


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vaultops", required=True)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--suites", default="sqlite,files,postgres,encrypt,catalog,restore,migrate,oss,replicate")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()
    data = os.path.join(HERE, ".data", f"scale-{args.scale:g}")
    work = os.path.join(data, "work")
    os.makedirs(work, exist_ok=True)
    v = args.vaultops
    suites = args.suites.split(",")
    rows = []
    if "sqlite" in suites:
        db = os.path.join(data, "mms.db")
        make_sqlite(db, args.scale)
        snap = os.path.join(work, "snap.db")
        rows += bench_pair(Pair(
            "backup sqlite (-6, 1 thread)",
            ("vaultops --jobs 1", f"{v} backup sqlite {db} --out {{out}} --level 6 --jobs 1"),
            [("VACUUM INTO + gzip -6",
              f"rm -f {snap}; sqlite3 {db} \"VACUUM INTO '{snap}'\" && gzip -6 -c {snap} > {{out}}/mms.db.gz; rm -f {snap}")],
        ), args.rounds, work)
        rows += bench_pair(Pair(
            f"backup sqlite (-6, {args.jobs} threads)",
            (f"vaultops --jobs {args.jobs}", f"{v} backup sqlite {db} --out {{out}} --level 6 --jobs {args.jobs}"),
            [(f"VACUUM INTO + pigz -p{args.jobs}",
              f"rm -f {snap}; sqlite3 {db} \"VACUUM INTO '{snap}'\" && pigz -6 -p{args.jobs} -c {snap} > {{out}}/mms.db.gz; rm -f {snap}")],
        ), args.rounds, work)
    if "files" in suites:
        folder = os.path.join(data, "uploads")
        make_files(folder, args.scale)
        rows += bench_pair(Pair(
            f"backup files (-6)",
            (f"vaultops --jobs {args.jobs}", f"{v} backup files {folder} --out {{out}} --level 6 --jobs {args.jobs}"),
            [("tar czf", f"tar czf {{out}}/uploads.tar.gz -C {data} uploads"),
             (f"tar -I pigz", f"tar -I 'pigz -6 -p{args.jobs}' -cf {{out}}/uploads.tar.gz -C {data} uploads")],
        ), args.rounds, work)
    if "postgres" in suites:
        admin = pg_admin_url("postgres")
        url = make_postgres(admin, args.scale)
        rows += bench_pair(Pair(
            "backup postgres (-6, 1 thread)",
            ("vaultops --jobs 1", f"{v} backup postgres '{url}' --out {{out}} --level 6 --jobs 1"),
            [("pg_dump -Z6", f"pg_dump -Z6 -d '{url}' -f {{out}}/db.sql.gz")],
        ), args.rounds, work)
        rows += bench_pair(Pair(
            f"backup postgres (-6, {args.jobs} threads)",
            (f"vaultops --jobs {args.jobs}", f"{v} backup postgres '{url}' --out {{out}} --level 6 --jobs {args.jobs}"),
            [("pg_dump -Z6", f"pg_dump -Z6 -d '{url}' -f {{out}}/db.sql.gz"),
             (f"pg_dump | pigz -p{args.jobs}", f"set -o pipefail; pg_dump -d '{url}' | pigz -6 -p{args.jobs} > {{out}}/db.sql.gz")],
        ), args.rounds, work)
    if "encrypt" in suites:
        # What age encryption to one recipient adds to a backup (its own thread behind the compression): the same
        # dump with and without --recipient, alternating. The goal is at most 1.10x, RSS still under 64 MB.
        admin = pg_admin_url("encrypt")
        url = make_postgres(admin, args.scale)
        identity = os.path.join(data, "bench-identity.txt")
        if not os.path.exists(identity):
            subprocess.run([v, "keygen", "-o", identity], check=True, stdout=subprocess.DEVNULL)
        with open(identity) as f:
            recipient = next(line.split(":", 1)[1].strip() for line in f if line.startswith("# public key:"))
        rows += bench_pair(Pair(
            f"backup postgres encrypted (-6, {args.jobs} threads)",
            ("vaultops --recipient", f"{v} backup postgres '{url}' --out {{out}} --level 6 --jobs {args.jobs} --recipient {recipient}"),
            [("vaultops, not encrypted", f"{v} backup postgres '{url}' --out {{out}} --level 6 --jobs {args.jobs}")],
        ), args.rounds, work)
    if "catalog" in suites:
        # The dumper's catalog work (reading, auditing and ordering every object) on a database of many objects
        # and no data, against pg_dump; the empty database gives each side's fixed cost (start, connect).
        admin = pg_admin_url("catalog")
        objects = max(50, int(5000 * args.scale))
        empty = make_catalog_db(admin, 0)
        many = make_catalog_db(admin, objects)
        catalog_rows = []
        for label, url in [("backup postgres, empty database", empty), (f"backup postgres, {objects} objects", many)]:
            catalog_rows += bench_pair(Pair(
                label,
                ("vaultops --jobs 1", f"{v} backup postgres '{url}' --out {{out}} --level 6 --jobs 1"),
                [("pg_dump -Z6", f"pg_dump -Z6 -d '{url}' -f {{out}}/db.sql.gz")],
            ), args.rounds, work)
        rows += catalog_rows
        per = {(label.split(",")[1].strip(), name): med for label, name, med, *_ in catalog_rows}
        for contender in ["vaultops --jobs 1", "pg_dump -Z6"]:
            extra = per[(f"{objects} objects", contender)] - per[("empty database", contender)]
            print(f"catalog work for {objects} objects, {contender}: {extra:.2f} s above the empty database")
    if "restore" in suites:
        admin = pg_admin_url("restore")
        url = make_postgres(admin, args.scale)
        dumps = os.path.join(data, "dumps")
        if not os.path.exists(os.path.join(dumps, "done")):
            shutil.rmtree(dumps, ignore_errors=True)
            os.makedirs(dumps)
            subprocess.run([v, "backup", "postgres", url, "--out", dumps, "--name", "bench"], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            subprocess.run(["pg_dump", "-Fd", "-f", os.path.join(dumps, "dir"), "-d", url], check=True)
            open(os.path.join(dumps, "done"), "w").close()
        ours = [os.path.join(dumps, f) for f in os.listdir(dumps) if f.endswith(".sql.gz")][0]
        # The one-transaction default, then --jobs 2 (not one transaction: data and index builds over two
        # connections), each against the same two anchors.
        for label, flag, tag in [("restore postgres", "", ""), ("restore postgres (--jobs 2)", " --jobs 2", "2")]:
            rows += bench_pair(Pair(
                label,
                (f"vaultops restore{flag}", Fresh(admin, f"r_ours{tag}", f"{v} restore {ours}{flag} --to '{{target}}'")),
                [("gunzip | psql -1", Fresh(admin, f"r_psql{tag}", f"set -o pipefail; gunzip -c {ours} | psql -X -q -v ON_ERROR_STOP=1 --single-transaction -d '{{target}}' >/dev/null")),
                 ("pg_restore -j2", Fresh(admin, f"r_pgr{tag}", f"pg_restore -j2 -d '{{target}}' {dumps}/dir"))],
            ), args.rounds, work)
    if "migrate" in suites:
        admin = pg_admin_url("migrate")
        if not shutil.which("pgloader"):
            sys.exit("the migrate suite needs pgloader (apt-get install pgloader)")
        src = os.path.join(data, "migrate.db")
        make_migrate_db(src, max(1000, int(1_000_000 * args.scale)))
        rows += bench_pair(Pair(
            "migrate sqlite -> postgres",
            (f"vaultops migrate --jobs {args.jobs}", Fresh(admin, "m_ours", f"{v} migrate {src} '{{target}}' --jobs {args.jobs}")),
            [("pgloader", Fresh(admin, "m_pgl", f"pgloader --quiet --no-ssl-cert-verification sqlite:///{src} '{{target}}'"))],
        ), args.rounds, work)
    if "oss" in suites:
        rows += oss_suite(v, data, work, args.scale, args.rounds)
    # Not a side-by-side pair: `vaultops replicate` against issue 24's goals (lag, RSS, CPU, the writer's latency).
    replicate_lines = replicate_suite(v, work, args.scale, args.rounds) if "replicate" in suites else []
    if rows:
        print_pairs(rows, args)
    for line in replicate_lines:
        print(line)


def print_pairs(rows, args):
    """The side-by-side table of every pair run."""
    print(f"\nscale {args.scale:g}, {args.rounds} rounds, alternating; ratio = vaultops median / this median\n")
    print(f"{'pair':34} {'contender':28} {'median s':>9} {'vaultops/x':>10} {'size MB':>9} {'size ratio':>10} {'peak RSS MB':>11}")
    for label, name, med, ratio, size, size_ratio, rss in rows:
        # Restores and migrations write into a database, not a file: no size to compare.
        sizes = f"{size / 1e6:9.1f} {size_ratio:10.3f}" if size else f"{'-':>9} {'-':>10}"
        print(f"{label:34} {name:28} {med:9.2f} {ratio:10.2f} {sizes} {rss:11.1f}")


if __name__ == "__main__":
    main()
