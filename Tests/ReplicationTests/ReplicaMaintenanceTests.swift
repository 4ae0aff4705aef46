import Foundation
import Replication
import SQLite
import Storage
import Testing
import TestSupport
import VaultopsCore

@Suite struct ReplicaMaintenanceTests {
    /// A replica of a database with three passes of commits: segments 0 (the start), 1 and 2.
    func makeReplica(in dir: TempDir) throws -> (LocalFolderBackend, String) {
        let app = try makeAppDatabase(dir.file("app.db").path)
        let backend = LocalFolderBackend(path: dir.file("dest").path)
        let replicator = Replicator(database: dir.file("app.db"), source: "app", backend: backend, workFolder: dir.url)
        try replicator.pass()
        for batch in 0..<2 {
            for n in (batch * 10 + 1)...(batch * 10 + 10) { _ = try commit(n, on: app) }
            try replicator.pass()
        }
        replicator.close()
        return (backend, try #require(replicator.generation))
    }

    @Test func verifyFindsAWholeChainThenADamagedSegmentAndAGap() throws {
        let dir = try TempDir("repl-verify")
        let (backend, generation) = try makeReplica(in: dir)
        let layout = ReplicaLayout(source: "app")
        var checks = try verifyReplica(source: "app", on: backend)
        #expect(checks.count == 1 && checks[0].isHealthy && checks[0].segments == 3, "\(checks)")

        // A segment whose frames were changed after it was written: its hash no longer matches.
        let name = layout.segmentName(generation, index: 1)
        var segment = try Segment.decode(try backend.load(name, range: nil), name: name)
        segment.payload[100] ^= 0xFF
        _ = try backend.save(name, data: try segment.encoded(), options: SaveOptions(overwrite: true))
        checks = try verifyReplica(source: "app", on: backend)
        #expect(!checks[0].isHealthy)
        #expect(checks[0].problems.contains { $0.contains("SHA-256") }, "\(checks[0].problems)")

        // A missing segment with a later one present: a gap.
        try backend.remove(name)
        checks = try verifyReplica(source: "app", on: backend)
        #expect(checks[0].gap == 1)
        #expect(checks[0].problems.contains { $0.contains("0000000000000001 is missing") }, "\(checks[0].problems)")
        // A restore uses the chain up to the gap: the first batch is lost, the database is the one at segment 0.
        let restored = try content(of: try restoreReplica(source: "app", from: backend, to: .latest, into: dir.file("r.db"),
                                                           workFolder: dir.url).file)
        #expect(restored.count == 0)
    }

    @Test func verifyChecksTheSnapshotAgainstItsManifest() throws {
        let dir = try TempDir("repl-verify-snapshot")
        let (backend, generation) = try makeReplica(in: dir)
        let snapshot = ReplicaLayout(source: "app").snapshotName(generation)
        #expect(try verifyReplica(source: "app", on: backend, workFolder: dir.url).allSatisfy(\.isHealthy))

        // A snapshot whose bytes changed after its manifest was written (bit rot, a partial overwrite).
        var bytes = try backend.load(snapshot, range: nil)
        bytes[bytes.count / 2] ^= 0x01
        _ = try backend.save(snapshot, data: bytes, options: SaveOptions(overwrite: true))
        var checks = try verifyReplica(source: "app", on: backend, workFolder: dir.url)
        #expect(!checks[0].isHealthy)
        #expect(checks[0].problems.contains { $0.contains(snapshot) && $0.contains("SHA-256") }, "\(checks[0].problems)")

        // A snapshot without its manifest cannot be checked: said, not taken as healthy.
        try backend.remove(snapshot + Manifest.sidecarSuffix)
        checks = try verifyReplica(source: "app", on: backend, workFolder: dir.url)
        #expect(!checks[0].isHealthy)
        #expect(checks[0].problems.contains { $0.contains("no manifest") }, "\(checks[0].problems)")
        // Nothing is left behind in the work folder.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).allSatisfy { !$0.contains("verify") })
    }

    @Test func pruneKeepsEveryGenerationThatCoversTheWindow() throws {
        let day = 86_400.0
        let base = Date(timeIntervalSince1970: 1_735_689_600) // 2025-01-01 00:00 UTC
        func generation(_ days: Double, snapshot: Bool = true) -> ReplicaGeneration {
            let start = base.addingTimeInterval(days * day)
            var g = ReplicaGeneration(name: ReplicaLayout.generationName(startedAt: start, random: 1), start: start)
            if snapshot { g.snapshot = StorageEntry(name: "s", size: 1, modified: nil) }
            return g
        }
        let all = [generation(0), generation(1.5, snapshot: false), generation(2), generation(4)]
        let cases: [(now: Double, keep: Double, removed: [Int])] = [
            (6, 2, [0, 1, 2]),    // cutoff day 4: the day-4 generation covers it, the day-2 one ends at it
            (5.5, 2, [0, 1]),     // cutoff 3.5: the day-2 generation covers it
            (3, 2, []),           // cutoff 1: only day 0 covers it
            (100, 2, [0, 1, 2]),  // the newest generation is never removed
            (6, 30, []),
        ]
        for c in cases {
            let removed = replicaGenerationsToPrune(all, keep: c.keep * day, now: base.addingTimeInterval(c.now * day))
            #expect(removed.map(\.name) == c.removed.map { all[$0].name }, "now \(c.now) keep \(c.keep)")
        }
    }

    @Test func pruneRemovesOldGenerationsFromTheDestination() throws {
        let dir = try TempDir("repl-prune")
        let (backend, first) = try makeReplica(in: dir)
        // A second generation (VACUUM), so that the first one is replaced.
        let app = try makeAppDatabase(dir.file("app.db").path)
        try app.execute("DELETE FROM t; VACUUM")
        let replicator = Replicator(database: dir.file("app.db"), source: "app", backend: backend, workFolder: dir.url)
        try replicator.pass()
        let second = try #require(replicator.generation)
        replicator.close()
        #expect(try pruneReplica(source: "app", on: backend, keep: 3600, now: Date()) == [])
        #expect(try pruneReplica(source: "app", on: backend, keep: 60, now: Date().addingTimeInterval(3600), dryRun: true) == [first])
        #expect(try pruneReplica(source: "app", on: backend, keep: 60, now: Date().addingTimeInterval(3600)) == [first])
        let left = ReplicaLayout(source: "app").generations(in: try backend.list(prefix: "replica/app/", recursive: true))
        #expect(left.map(\.name) == [second])
        #expect(try verifyReplica(source: "app", on: backend).allSatisfy(\.isHealthy))
    }

    @Test func theReplicatorPrunesPastKeepWhenAGenerationStarts() throws {
        let dir = try TempDir("repl-keep")
        let app = try makeAppDatabase(dir.file("app.db").path)
        let backend = LocalFolderBackend(path: dir.file("dest").path)
        let replicator = Replicator(database: dir.file("app.db"), source: "app", backend: backend,
                                    settings: ReplicationSettings(interval: 1, keep: 0.001), workFolder: dir.url)
        try replicator.pass()
        for n in 1...50 { _ = try commit(n, on: app) }
        try replicator.pass()
        try app.execute("DELETE FROM t WHERE n > 10; UPDATE total SET s = 55; VACUUM")
        try replicator.pass()
        replicator.close()
        #expect(replicator.startedGenerations.count == 2)
        let left = ReplicaLayout(source: "app").generations(in: try backend.list(prefix: "replica/app/", recursive: true))
        #expect(left.map(\.name) == [replicator.startedGenerations[1]])
        let restored = try content(of: try restoreReplica(source: "app", from: backend, to: .latest, into: dir.file("r.db"),
                                                           workFolder: dir.url).file)
        #expect(restored.count == 10 && restored.total == 55)
    }

    /// The replicator's read transaction keeps SQLite from starting the WAL over; past `restartWALAbove` it lets it.
    @Test func theWALStaysBoundedAndTheChainWhole() throws {
        let dir = try TempDir("repl-restart")
        let app = try makeAppDatabase(dir.file("app.db").path)
        let backend = LocalFolderBackend(path: dir.file("dest").path)
        let replicator = Replicator(database: dir.file("app.db"), source: "app", backend: backend,
                                    settings: ReplicationSettings(interval: 1, restartWALAbove: 256 << 10), workFolder: dir.url)
        try replicator.pass()
        var largest: Int64 = 0
        for batch in 0..<20 {
            for n in (batch * 150 + 1)...(batch * 150 + 150) { _ = try commit(n, on: app) }
            try replicator.pass()
            let size = try FileManager.default.attributesOfItem(atPath: dir.file("app.db-wal").path)[.size] as? NSNumber
            largest = max(largest, size?.int64Value ?? 0)
        }
        replicator.close()
        // 3,000 commits of two pages each would make a WAL of ~24 MB; it restarts instead.
        #expect(largest < 2 << 20, "the WAL grew to \(largest) bytes")
        #expect(replicator.startedGenerations.count == 1)
        #expect(try verifyReplica(source: "app", on: backend).allSatisfy(\.isHealthy))
        let restored = try content(of: try restoreReplica(source: "app", from: backend, to: .latest, into: dir.file("r.db"),
                                                           workFolder: dir.url).file)
        #expect(restored.count == 3_000 && restored.max == 3_000 && restored.total == restored.sum)
    }

    /// SQLite reuses a WAL file from its start without shrinking it: once the file has grown past `restartWALAbove`
    /// it stays that size. What is in the current WAL decides, else every pass would stall the app's writers (its
    /// BEGIN IMMEDIATE) and restart the WAL again.
    @Test func aLargeWALFileWithLittleInItIsNotRestartedEveryPass() throws {
        let dir = try TempDir("repl-restart-once")
        let app = try makeAppDatabase(dir.file("app.db").path)
        let backend = LocalFolderBackend(path: dir.file("dest").path)
        let replicator = Replicator(database: dir.file("app.db"), source: "app", backend: backend,
                                    settings: ReplicationSettings(interval: 1, restartWALAbove: 256 << 10), workFolder: dir.url)
        defer { replicator.close() }
        try replicator.pass()
        for n in 1...300 { _ = try commit(n, on: app) }
        try replicator.pass()
        func checkpointSequence() throws -> UInt32 {
            try WALHeader.parse(try Data(contentsOf: dir.file("app.db-wal"))).checkpointSequence
        }
        _ = try commit(301, on: app)
        try replicator.pass()
        let afterFirstRestart = try checkpointSequence()
        for n in 302...311 {
            _ = try commit(n, on: app)
            try replicator.pass()
        }
        let size = try FileManager.default.attributesOfItem(atPath: dir.file("app.db-wal").path)[.size] as? NSNumber
        #expect((size?.int64Value ?? 0) > 256 << 10, "the WAL file keeps its size")
        let restarts = try checkpointSequence() &- afterFirstRestart
        #expect(restarts == 0, "ten small commits restarted the WAL \(restarts) times")
        let restored = try content(of: try restoreReplica(source: "app", from: backend, to: .latest, into: dir.file("r.db"),
                                                           workFolder: dir.url).file)
        #expect(restored.count == 311 && restored.total == restored.sum)
    }
}
