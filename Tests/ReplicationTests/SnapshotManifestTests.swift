import Foundation
import Replication
import SQLite
import Storage
import Testing
import TestSupport

/// A generation's snapshot is a `.db.gz` artifact with its manifest, as nightly ones are (issue 24's layout).
@Suite struct SnapshotManifestTests {
    @Test func theSnapshotHasAManifestThatVerifyAcceptsAndRestoreChecks() throws {
        let dir = try TempDir("repl-manifest")
        let app = try makeAppDatabase(dir.file("app.db").path)
        for n in 1...5 { _ = try commit(n, on: app) }
        let backend = LocalFolderBackend(path: dir.file("dest").path)
        let replicator = Replicator(database: dir.file("app.db"), source: "app", backend: backend, workFolder: dir.url)
        try replicator.pass()
        replicator.close()
        let generation = try #require(replicator.generation)
        let snapshot = dir.file("dest").appendingPathComponent(ReplicaLayout(source: "app").snapshotName(generation))
        let manifestFile = URL(fileURLWithPath: snapshot.path + ".manifest.json")
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: manifestFile)) as? [String: Any])
        #expect(manifest["kind"] as? String == "sqlite" && manifest["artifact"] as? String == "snapshot.db.gz")
        #expect((manifest["tables"] as? [String: Any])?["t"] as? Int == 5, "\(manifest)")
        #expect((manifest["extra"] as? [String: Any])?["replica_generation"] as? String == generation)
        #expect(manifest["original_path"] as? String == dir.file("app.db").path, "\(manifest)")

        // `vaultops verify` checks it as it checks a nightly artifact (size, SHA-256, gzip, integrity_check).
        let r = try vaultops(["verify", snapshot.path])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")

        // A snapshot replaced by other (valid) bytes no longer matches its manifest: restore refuses it.
        let other = try makeAppDatabase(dir.file("other.db").path)
        try other.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        #expect(try runProcess("/bin/sh", ["-c", "gzip -c '\(dir.file("other.db").path)' > '\(snapshot.path)'"]).status == 0)
        #expect {
            _ = try restoreReplica(source: "app", from: backend, to: .latest, into: dir.file("r.db"), workFolder: dir.url)
        } throws: { error in
            (error as? ReplicationError)?.kind == .segmentFormat && "\(error)".contains("manifest")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("r.db").path))
    }
}
