import Foundation
import Replication
import Storage
import Testing
import TestSupport
import VaultopsCore

/// A prune of a replica stopped by a failed removal (the emulator refuses one request) leaves only what verify
/// accepts, and the next prune finishes the job: nothing half-removed is reported as damage or left behind.
@Suite struct InterruptedPruneTests {
    /// The removals a prune makes of a replaced generation, each refused in turn: its segments (one batch), its
    /// snapshot, the snapshot's manifest.
    static let refusals: [(op: String, keySuffix: String)] = [
        ("DeleteMultipleObjects", ""), ("DeleteObject", "/snapshot.db.gz"), ("DeleteObject", "/snapshot.db.gz.manifest.json"),
    ]

    @Test(arguments: refusals)
    func aPruneStoppedByAFailedRemovalLeavesAVerifiablePrefix(_ refusal: (op: String, keySuffix: String)) throws {
        let dir = try TempDir("repl-prune-cut")
        let bucket = try OSSEmulator.freshBucket("prunecut")
        let backend = try OSSSettings(environment: try OSSEmulator.cliEnvironment()).backend(bucket: bucket, prefix: "r")
        let app = try makeAppDatabase(dir.file("app.db").path)
        let replicator = Replicator(database: dir.file("app.db"), source: "app", backend: backend, workFolder: dir.url)
        try replicator.pass()
        for batch in 0..<3 {
            for n in (batch * 10 + 1)...(batch * 10 + 10) { _ = try commit(n, on: app) }
            try replicator.pass()
        }
        let first = try #require(replicator.generation)
        // A second generation (VACUUM) replaces the first, which a prune past its keep then removes.
        try app.execute("DELETE FROM t WHERE n > 5; UPDATE total SET s = 15; VACUUM")
        try replicator.pass()
        let second = try #require(replicator.generation)
        replicator.close()
        let layout = ReplicaLayout(source: "app")
        let written = try backend.list(prefix: layout.generationPrefix(first), recursive: true).map(\.name)
        try #require(written.filter { $0.hasSuffix(".wal.gz") }.count >= 2 && written.count >= 4, "\(written)")

        try OSSEmulator.addFault(bucket: bucket, ["op": refusal.op, "key_suffix": refusal.keySuffix, "action": "status",
                                                  "status": 403, "code": "AccessDenied", "times": 1])
        let later = Date().addingTimeInterval(3600)
        #expect(throws: (any Error).self) { try pruneReplica(source: "app", on: backend, keep: 60, now: later) }
        for check in try verifyReplica(source: "app", on: backend, workFolder: dir.url) {
            #expect(check.problems.isEmpty && check.gap == nil, "after a refused \(refusal.op) of *\(refusal.keySuffix): \(check)")
        }

        _ = try pruneReplica(source: "app", on: backend, keep: 60, now: later)
        #expect(try backend.list(prefix: layout.generationPrefix(first), recursive: true).map(\.name) == [])
        #expect(layout.generations(in: try backend.list(prefix: layout.root, recursive: true)).map(\.name) == [second])
        #expect(try verifyReplica(source: "app", on: backend, workFolder: dir.url).allSatisfy(\.isHealthy))
    }
}
