import Foundation
import SQLite
import SQLiteSnapshot
import Testing
import TestSupport

/// Builds a WAL database of `materials` and `movements` where sum(movements.qty) == materials.stock per material.
let buildStockDatabase = """
import random, sqlite3, sys
path, materials, movements = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
c = sqlite3.connect(path)
c.execute("PRAGMA journal_mode=WAL")
c.executescript('''
CREATE TABLE materials (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, stock INTEGER NOT NULL);
CREATE TABLE movements (id INTEGER PRIMARY KEY, material_id INTEGER NOT NULL REFERENCES materials(id),
                        qty INTEGER NOT NULL, note TEXT);
CREATE INDEX movements_material ON movements(material_id);
''')
rng = random.Random(7)
c.executemany("INSERT INTO materials VALUES (?, ?, 0)", ((i, "MAT-%06d" % i) for i in range(1, materials + 1)))
c.executemany("INSERT INTO movements (material_id, qty, note) VALUES (?, ?, ?)",
              ((rng.randrange(1, materials + 1), rng.randrange(-20, 50), "initial load %d — Lieferung 轴承 " % n + "x" * 500)
               for n in range(movements)))
c.execute("UPDATE materials SET stock = (SELECT coalesce(sum(qty), 0) FROM movements WHERE material_id = materials.id)")
c.commit()
c.close()
"""

/// Keeps committing one movement plus the matching stock update per transaction, until told to stop.
///
/// Arguments: database, log file, stop file, ready file, time limit in seconds. The log is a JSON list
/// of [transaction start, commit end] wall-clock times.
let stockWriter = """
import json, os, random, sqlite3, sys, time
path, log, stop, ready, limit = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])
c = sqlite3.connect(path, isolation_level=None, timeout=30)
c.execute("PRAGMA journal_mode=WAL")
c.execute("PRAGMA synchronous=NORMAL")
count = c.execute("SELECT count(*) FROM materials").fetchone()[0]
rng = random.Random(11)
commits = []
deadline = time.time() + limit
while not os.path.exists(stop) and time.time() < deadline:
    material, qty = rng.randrange(1, count + 1), rng.randrange(-5, 30)
    started = time.time()
    c.execute("BEGIN IMMEDIATE")
    c.execute("INSERT INTO movements (material_id, qty, note) VALUES (?, ?, 'writer')", (material, qty))
    c.execute("UPDATE materials SET stock = stock + ? WHERE id = ?", (qty, material))
    c.execute("COMMIT")
    commits.append([started, time.time()])
    if len(commits) == 1:
        open(ready, "w").close()
    time.sleep(0.002)
with open(log, "w") as f:
    json.dump(commits, f)
c.close()
"""

/// Per-material and total stock invariant, checked by the sqlite3 CLI: prints "1|0" when it holds.
let stockInvariantSQL = """
SELECT (SELECT sum(qty) FROM movements) = (SELECT sum(stock) FROM materials),
       (SELECT count(*) FROM materials m
          LEFT JOIN (SELECT material_id, sum(qty) AS s FROM movements GROUP BY material_id) v ON v.material_id = m.id
         WHERE m.stock != coalesce(v.s, 0));
"""

@Suite("SQLite snapshots under a concurrent writer", .serialized)
struct ConcurrentWriterTests {
    @Test func everySnapshotIsConsistentAndTheWALWriterKeepsCommitting() throws {
        let dir = try TempDir("snap-writer")
        let live = dir.file("live.db")
        let initialRows: Int64 = 200_000
        try python(buildStockDatabase, [live.path, "2000", String(initialRows)])
        #expect(try sqlite3CLI(live, stockInvariantSQL) == "1|0")
        // How long VACUUM INTO alone takes here: a writer blocked by it would pause about that long.
        let calibrationStart = Date()
        try Connection(path: live.path, options: [.readOnly]).execute("VACUUM INTO '\(dir.file("calibration.db").path)'")
        let vacuumSeconds = Date().timeIntervalSince(calibrationStart)
        try FileManager.default.removeItem(at: dir.file("calibration.db"))
        try #require(vacuumSeconds >= 0.2, "the database is too small for VACUUM INTO to take noticeable time (\(vacuumSeconds) s)")

        let ready = dir.file("ready"), stop = dir.file("stop"), log = dir.file("commits.json")
        let writer = try BackgroundProcess(python: stockWriter, [live.path, log.path, stop.path, ready.path, "180"], scratch: dir)
        try waitForFile(ready, seconds: 120, process: writer)

        var windows: [(start: Double, end: Double)] = []
        var movementCounts: [Int64] = []
        for k in 0..<4 {
            let snap = dir.file("snap-\(k).db")
            let start = Date().timeIntervalSince1970
            let info = try snapshot(of: live, into: snap)
            let end = Date().timeIntervalSince1970
            windows.append((start, end))
            #expect(info.sourceJournalMode == "wal")
            #expect(try sqlite3CLI(snap, "PRAGMA integrity_check") == "ok")
            #expect(try sqlite3CLI(snap, stockInvariantSQL) == "1|0", "stock invariant broken in snapshot \(k)")
            #expect(try headerJournalBytes(snap) == [1, 1])
            movementCounts.append(info.rowCounts["movements"] ?? -1)
            try FileManager.default.removeItem(at: snap)
            Thread.sleep(forTimeInterval: 0.2)
        }
        try Data().write(to: stop)
        #expect(try writer.wait(seconds: 60) == 0, "writer failed: \(writer.stderrText())")

        let commits = try JSONDecoder().decode([[Double]].self, from: Data(contentsOf: log))
        try #require(commits.count > 20)
        // No transaction of the writer waited long: snapshots never block a WAL writer.
        let longest = commits.map { $0[1] - $0[0] }.max() ?? 0
        #expect(longest < 2.0, "a writer transaction took \(longest) s")
        // Each snapshot is a later point in time than the previous one, and later than the initial load.
        #expect(movementCounts.allSatisfy { $0 > initialRows })
        #expect(movementCounts == movementCounts.sorted() && Set(movementCounts).count == movementCounts.count)
        for (k, window) in windows.enumerated() {
            let duration = window.end - window.start
            let inside = commits.map { $0[1] }.filter { $0 > window.start && $0 < window.end }.sorted()
            // Commits landed while the snapshot ran, with no pause anywhere near as long as VACUUM INTO:
            // a writer that had to wait for the copy would show one gap at least that long.
            #expect(inside.count >= 5, "only \(inside.count) commits during snapshot \(k) (\(duration) s)")
            let edges = [window.start] + inside + [window.end]
            let gap = zip(edges, edges.dropFirst()).map { $1 - $0 }.max() ?? duration
            // (A writer waiting for the copy would pause for about all of it.)
            #expect(gap < vacuumSeconds, "the writer paused \(gap) s during snapshot \(k) (\(duration) s; VACUUM INTO takes \(vacuumSeconds) s)")
        }
        // The final state still holds the invariant with the writer's rows in it.
        #expect(try sqlite3CLI(live, stockInvariantSQL) == "1|0")
        #expect(try sqlite3CLI(live, "SELECT count(*) FROM movements") == String(initialRows + Int64(commits.count)))
    }
}
