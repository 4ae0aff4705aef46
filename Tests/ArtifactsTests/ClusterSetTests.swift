import Foundation
import Testing
import TestSupport
import VaultopsCore
@testable import Artifacts

/// How `restore --all` finds a whole-server backup's set: by the manifests beside the globals, not by file names.
@Suite("ClusterRestore: finding a whole-server set")
struct ClusterSetTests {
    /// Writes an (empty) artifact and its manifest for `role` of backup `name` made at `run`.
    static func write(_ dir: TempDir, _ file: String, _ name: String, _ role: ClusterRole, run: Date) throws {
        try Data().write(to: dir.file(file))
        let manifest = Manifest(kind: .postgres, source: "postgresql://h/x", createdAt: run, artifact: file, sizeBytes: 0,
                                sha256: String(repeating: "0", count: 64), uncompressedBytes: 0, durationSeconds: 0,
                                extra: ClusterArtifacts.manifestEntries(name, role, run: run))
        try manifest.encoded().write(to: dir.file(file + ".manifest.json"))
    }

    @Test("the databases of the same backup and run, globals first; another run's or another name's are left out")
    func findsTheSet() throws {
        let dir = try TempDir("clusterset")
        let run = Date(timeIntervalSince1970: 1_800_000_000)
        let earlier = run.addingTimeInterval(-3600)
        try Self.write(dir, "srv_globals_20270115.sql.gz", "srv", .globals, run: run)
        try Self.write(dir, "srv_app_20270115.sql.gz", "srv", .database("app"), run: run)
        try Self.write(dir, "srv_my_db-x0011_20270115_101500.sql.gz", "srv", .database("my db"), run: run)
        try Self.write(dir, "srv_old_20270115_090000.sql.gz", "srv", .database("old"), run: earlier)
        try Self.write(dir, "srv_globals_20270115_090000.sql.gz", "srv", .globals, run: earlier)
        try Self.write(dir, "srv_other_20270115.sql.gz", "other", .database("other"), run: run)
        try Data().write(to: dir.file("srv_lost_20270115.sql.gz.partial"))
        let set = try ClusterRestore.findSet(globals: dir.file("srv_globals_20270115.sql.gz"))
        #expect(set.map(\.role) == [.globals, .database("app"), .database("my db")])
        #expect(set[2].artifact.lastPathComponent == "srv_my_db-x0011_20270115_101500.sql.gz")
    }

    @Test("an artifact that is not a globals artifact is refused, naming what --all takes")
    func refusesOthers() throws {
        let dir = try TempDir("clusterset-refuse")
        let run = Date(timeIntervalSince1970: 1_800_000_000)
        try Self.write(dir, "srv_app_20270115.sql.gz", "srv", .database("app"), run: run)
        #expect {
            try ClusterRestore.findSet(globals: dir.file("srv_app_20270115.sql.gz"))
        } throws: { error in
            String(describing: error).contains("takes the globals artifact")
        }
    }
}
