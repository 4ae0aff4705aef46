import Foundation
import Replication
import Storage
import Testing
import TestSupport

/// A regular stop (SIGTERM) while uploads lag: what the drain timeout leaves in the queue stays in the spool, and the
/// next start of the replicator stores it before its own generation, so the replica of the seconds before the stop
/// is not cut short.
@Suite(.serialized) struct StopWithQueuedUploadsTests {
    static let interval = 0.5

    func startReplicator(_ database: URL, bucket: String, dir: TempDir, stop: Locked<Bool>) throws -> OSSReplicatorThread {
        try OSSReplicatorThread(database, bucket: bucket, dir: dir, settings: ReplicationSettings(interval: Self.interval, drainTimeout: 1)) {
            _ in stop.current
        }
    }

    @Test func segmentsLeftAtTheDrainTimeoutAreStoredByTheNextStart() throws {
        let dir = try TempDir("repl-stopqueued")
        let bucket = try OSSEmulator.freshBucket("stopqueued")
        let backend = try OSSSettings(environment: try OSSEmulator.cliEnvironment()).backend(bucket: bucket, prefix: "r")
        let database = dir.file("app.db")
        let app = try makeAppDatabase(database.path)
        let layout = ReplicaLayout(source: "app")
        func chain() throws -> [Segment] {
            guard let generation = layout.generations(in: try backend.list(prefix: layout.root, recursive: true)).first else { return [] }
            return try generation.chain.map { try Segment.decode(try backend.load($0.name, range: nil), name: $0.name) }
        }

        let stop = Locked(false)
        let first = try startReplicator(database, bucket: bucket, dir: dir, stop: stop)
        var n = 0
        let deadline = Date().addingTimeInterval(20)
        while try chain().count < 2, Date() < deadline {
            n += 1
            _ = try commit(n, on: app)
            Thread.sleep(forTimeInterval: 0.05)
        }
        try #require(try chain().count >= 2, "\(first.messages.current)")
        // The next upload hangs until the test releases it: the passes of the next 2 s queue their segments behind
        // it, and the stop's 1 s drain cannot store them (600 s is only a backstop).
        try OSSEmulator.addFault(bucket: bucket, ["op": "PutObject", "action": "slow", "seconds": 600, "times": 1])
        let held = Date()
        while Date().timeIntervalSince(held) < 2 {
            n += 1
            _ = try commit(n, on: app)
            Thread.sleep(forTimeInterval: 0.05)
        }
        let lastBeforeStop = n
        stop.with { $0 = true }
        first.join()
        #expect(first.failure.current == nil)
        #expect(first.messages.current.contains { $0.contains("not uploaded after 1 s; they are kept in") }, "\(first.messages.current)")
        // Let the held upload end at the emulator before the next start.
        try OSSEmulator.release(bucket)
        let released = Date()
        while try OSSEmulator.activeRequests(bucket) > 0, Date().timeIntervalSince(released) < 60 { Thread.sleep(forTimeInterval: 0.1) }
        #expect(try OSSEmulator.activeRequests(bucket) == 0)

        let manager = FileManager.default
        let kept = try manager.contentsOfDirectory(atPath: dir.url.path).filter { $0.hasPrefix("vaultops-replicate-spool-") }
        #expect(!kept.isEmpty, "the stop kept no spool")
        func itemsLeft() -> Int {
            kept.reduce(0) { $0 + ((try? manager.contentsOfDirectory(atPath: dir.file($1).path)) ?? []).filter { $0 != "owner" }.count }
        }
        let again = Locked(false)
        let second = try startReplicator(database, bucket: bucket, dir: dir, stop: again)
        // Stopped once it has stored every item it adopted (each leaves the spool when stored; 60 s is a backstop).
        let adopting = Date()
        while itemsLeft() > 0, Date().timeIntervalSince(adopting) < 60 { Thread.sleep(forTimeInterval: 0.1) }
        again.with { $0 = true }
        second.join()
        #expect(second.failure.current == nil)
        #expect(second.messages.current.contains { $0.contains("an earlier replicator left queued") }, "\(second.messages.current)")

        // The first generation's chain holds every commit made before the stop (its last pass read them all).
        let segments = try chain()
        #expect(chainBreaks(segments).isEmpty)
        let commits = segments.reduce(0) { $0 + $1.header.commitCount }
        let generations = layout.generations(in: try backend.list(prefix: layout.root, recursive: true))
        let firstGeneration = try #require(generations.first).name
        let end = try restoreReplica(source: "app", from: backend, to: .transaction(Int(commits), generation: firstGeneration),
                                     into: dir.file("end.db"), workFolder: dir.url)
        let ending = try content(of: end.file).max
        #expect(ending == Int64(lastBeforeStop), "the first generation ends at row \(ending), the last commit before the stop was \(lastBeforeStop)")
        let left = try FileManager.default.contentsOfDirectory(atPath: dir.url.path).filter { $0.hasPrefix("vaultops-replicate-") }
        #expect(left.isEmpty, "\(left)")
        withExtendedLifetime(app) {}
    }
}
