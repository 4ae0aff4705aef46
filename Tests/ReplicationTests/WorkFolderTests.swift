import Foundation
import Replication
import Storage
import Testing
import TestSupport

/// A replicator killed with -9 while it starts a generation leaves its work folder behind, with a full copy of the
/// database in it: the next generation start removes such folders of replicators that are gone.
@Suite struct WorkFolderTests {
    @Test func aGenerationStartRemovesTheWorkFoldersOfReplicatorsThatAreGone() throws {
        let dir = try TempDir("repl-work")
        let work = dir.file("work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        // A process that has exited: its pid names a replicator that is gone.
        let gone = Process()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        let stale = work.appendingPathComponent("vaultops-replicate-\(gone.processIdentifier)-0a1b2c3d")
        let live = work.appendingPathComponent("vaultops-replicate-1-0a1b2c3d")
        let other = work.appendingPathComponent("vaultops-replicate-notes")
        for folder in [stale, live, other] {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data("copy".utf8).write(to: folder.appendingPathComponent("snapshot.db"))
        }
        _ = try makeAppDatabase(dir.file("app.db").path)
        let replicator = Replicator(database: dir.file("app.db"), source: "app", backend: LocalFolderBackend(path: dir.file("dest").path),
                                    workFolder: work)
        try replicator.pass()
        replicator.close()
        let left = try FileManager.default.contentsOfDirectory(atPath: work.path).sorted()
        // pid 1 runs (init); a name that is not a work folder's is not touched.
        #expect(left == [live.lastPathComponent, other.lastPathComponent].sorted())
    }
}
