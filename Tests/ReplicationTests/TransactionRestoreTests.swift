import Foundation
import Replication
import SQLite
import Storage
import Testing
import TestSupport

/// `restore SOURCE --txid N`: exactly the state after a generation's N-th transaction (see `ReplicaRestorePoint`).
@Suite struct TransactionRestoreTests {
    @Test func txidsFromTheGenerationsStartToItsLastCommit() throws {
        let dir = try TempDir("repl-txid")
        let app = try makeAppDatabase(dir.file("app.db").path)
        for n in 1...5 { _ = try commit(n, on: app) }
        let backend = LocalFolderBackend(path: dir.file("dest").path)
        let replicator = Replicator(database: dir.file("app.db"), source: "app", backend: backend, workFolder: dir.url)
        try replicator.pass()
        let latestAtStart = try restoreReplica(source: "app", from: backend, to: .latest, into: dir.file("start.db"), workFolder: dir.url)
        let first = latestAtStart.commitsApplied
        // The schema's commits come first; commit n is txid first - 5 + n from here on.
        let startRows = try content(of: latestAtStart.file)
        #expect(startRows.max == 5)
        for n in 6...20 { _ = try commit(n, on: app) }
        try replicator.pass()
        for n in 21...40 { _ = try commit(n, on: app) }
        try replicator.pass()
        let latest = try restoreReplica(source: "app", from: backend, to: .latest, into: dir.file("latest.db"), workFolder: dir.url)
        #expect(latest.commitsApplied == first + 35)
        // verify --replica shows the same range that restore --txid accepts.
        let check = try #require(try verifyReplica(source: "app", on: backend, workFolder: dir.url).first)
        #expect(check.txids == first...(first + 35))
        #expect(check.summary.contains("txids \(first)...\(first + 35)"), "\(check.summary)")

        for n in [5, 6, 7, 13, 20, 21, 22, 39, 40] {
            let txid = first - 5 + n
            let result = try restoreReplica(source: "app", from: backend, to: .transaction(txid, generation: nil),
                                            into: dir.file("tx-\(txid).db"), workFolder: dir.url)
            let rows = try content(of: result.file)
            #expect(rows.count == Int64(n) && rows.max == Int64(n) && rows.total == rows.sum, "txid \(txid): \(rows)")
            #expect(result.commitsApplied == txid && result.generation == latestAtStart.generation)
        }
        for txid in [first - 1, first + 36, -1] {
            #expect {
                _ = try restoreReplica(source: "app", from: backend, to: .transaction(txid, generation: nil),
                                       into: dir.file("out-\(txid).db"), workFolder: dir.url)
            } throws: { error in
                guard let error = error as? ReplicationError else { return false }
                return error.kind == .noRestorePoint && error.message.contains("holds txids \(first)...\(first + 35)")
            }
            #expect(!FileManager.default.fileExists(atPath: dir.file("out-\(txid).db").path))
        }

        // After a VACUUM the newest generation is another: GENERATION:N still reaches the old one.
        try app.execute("DELETE FROM t WHERE n > 10; UPDATE total SET s = 55; VACUUM")
        try replicator.pass()
        #expect(replicator.startedGenerations.count == 2)
        let old = latestAtStart.generation
        let fromOld = try restoreReplica(source: "app", from: backend, to: .transaction(first + 10, generation: old),
                                         into: dir.file("old.db"), workFolder: dir.url)
        let oldRows = try content(of: fromOld.file)
        #expect(oldRows.max == 15 && fromOld.generation == old)
        let newestState = try restoreReplica(source: "app", from: backend, to: .latest, into: dir.file("new-latest.db"), workFolder: dir.url)
        let newest = try restoreReplica(source: "app", from: backend, to: .transaction(newestState.commitsApplied, generation: nil),
                                        into: dir.file("new.db"), workFolder: dir.url)
        let newestRows = try content(of: newest.file)
        #expect(newest.generation != old && newest.generation == newestState.generation && newestRows.max == 10)
        #expect(throws: ReplicationError.self) {
            _ = try restoreReplica(source: "app", from: backend, to: .transaction(1, generation: "20250101000000000-0000abcd"),
                                   into: dir.file("none.db"), workFolder: dir.url)
        }
        replicator.close()
    }

    /// The CLI: `restore app --txid N` prints the txid it reached; one out of range fails naming the range.
    @Test func theRestoreCommandTakesTxid() throws {
        let dir = try TempDir("repl-txid-cli")
        let app = try makeAppDatabase(dir.file("app.db").path)
        let backend = LocalFolderBackend(path: dir.file("dest").path)
        let replicator = Replicator(database: dir.file("app.db"), source: "app", backend: backend, workFolder: dir.url)
        try replicator.pass()
        for n in 1...10 { _ = try commit(n, on: app) }
        try replicator.pass()
        replicator.close()
        let latest = try restoreReplica(source: "app", from: backend, to: .latest, into: dir.file("latest.db"), workFolder: dir.url)
        let config = dir.file("vaultops.yml")
        try Data("""
            backup_dir: \(dir.file("dest").path)
            sources:
              - name: app
                sqlite: \(dir.file("app.db").path)
                replicate: true
            """.utf8).write(to: config)
        let txid = latest.commitsApplied - 4
        var r = try vaultops(["restore", "app", "--txid", "\(txid)", "--yes", "--to", dir.file("six.db").path, "--config", config.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("txid \(latest.generation):\(txid)"), "\(r.stdout)")
        #expect(try sqlite3(dir.file("six.db"), "PRAGMA integrity_check; SELECT count(*), max(n), (SELECT s FROM total) FROM t;") == "ok\n6|6|21")

        r = try vaultops(["restore", "app", "--txid", "\(latest.generation):\(latest.commitsApplied + 1)", "--yes",
                          "--to", dir.file("none.db").path, "--config", config.path])
        #expect(r.status != 0)
        #expect(r.stderr.contains("...\(latest.commitsApplied)") && r.stderr.contains(latest.generation), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("none.db").path))
        r = try vaultops(["restore", "app", "--txid", "3", "--at", "2025-01-01 00:00:00", "--config", config.path])
        #expect(r.status != 0 && r.stderr.contains("--txid"), "\(r.stderr)")
        withExtendedLifetime(app) {}
    }

    @Test(arguments: [
        ("12", ReplicaRestorePoint.transaction(12, generation: nil)),
        ("20250101030405123-0000abcd:7", .transaction(7, generation: "20250101030405123-0000abcd")),
        ("0", .transaction(0, generation: nil)),
    ])
    func parsesTxids(_ text: String, _ expected: ReplicaRestorePoint) {
        #expect(ReplicaRestorePoint.transaction(parsing: text) == expected)
    }

    @Test(arguments: ["", "-3", "x", "1.5", "gen:4", "20250101030405123-0000abcd:", "a:b:3"])
    func refusesOtherTxids(_ text: String) {
        #expect(ReplicaRestorePoint.transaction(parsing: text) == nil)
    }
}
