import Foundation
@testable import Replication
import Testing
import TestSupport

/// The upload queue's copy on disk: what a dead replicator left is adopted whole, in order, and only by its owner.
@Suite struct UploadSpoolTests {
    static let owner = UploadSpool.owner(source: "app", database: URL(fileURLWithPath: "/data/app.db"), destination: "oss://b/p/")

    func segmentItem(_ index: UInt64) throws -> SegmentUploader.Item {
        let payload = Data(repeating: UInt8(index), count: 536)
        let header = SegmentHeader(generation: "20250101000000-00000001", index: index, salt1: 1, salt2: 2, checkpointSequence: 3,
                                   startOffset: 32, pageSize: 512, frameCount: 1, commitCount: 1,
                                   commitTime: Date(timeIntervalSince1970: 1_735_700_645 + Double(index)),
                                   payloadSHA256: SegmentTests().sha256(payload))
        return SegmentUploader.Item(name: "seg-\(index)", body: .data(try Segment(header: header, payload: payload).encoded(),
                                                                      contentType: "application/gzip"),
                                    commitTime: header.commitTime)
    }

    /// The pid of a process that has exited (a spool of it is a dead replicator's).
    func deadPID() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }

    /// Moves `spool`'s folder to the name a replicator with process id `pid` would have given it.
    func orphan(_ spool: UploadSpool, pid: Int32, in dir: TempDir, stamp: Int) throws -> URL {
        let moved = dir.file("\(UploadSpool.prefix)\(pid)-\(stamp)")
        try FileManager.default.moveItem(at: spool.folder, to: moved)
        return moved
    }

    @Test func aDeadReplicatorsItemsAreAdoptedInOrderWithItsSnapshot() throws {
        let dir = try TempDir("spool")
        var spool = try UploadSpool(workFolder: dir.url, owner: Self.owner)
        let work = dir.file("vaultops-replicate-1-abcdef12")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        try Data("snapshot bytes".utf8).write(to: work.appendingPathComponent("snapshot.db.gz"))
        let queued = try spool.add(SegmentUploader.Item(name: "snap", body: .file(work.appendingPathComponent("snapshot.db.gz")),
                                                        removeAfter: work))
        #expect(!FileManager.default.fileExists(atPath: work.path), "the snapshot's work folder is left")
        #expect(queued.removeAfter?.deletingLastPathComponent().path == spool.folder.path)
        for index in 0..<3 { _ = try spool.add(try segmentItem(UInt64(index))) }
        // Still running (this process): nothing is adopted.
        #expect(UploadSpool.leftovers(in: dir.url, owner: Self.owner, log: { _ in }).isEmpty)

        _ = try orphan(spool, pid: try deadPID(), in: dir, stamp: 1)
        #expect(UploadSpool.leftovers(in: dir.url, owner: "other\n", log: { _ in }).isEmpty)
        let items = UploadSpool.leftovers(in: dir.url, owner: Self.owner, log: { _ in })
        #expect(items.map(\.name) == ["snap", "seg-0", "seg-1", "seg-2"])
        #expect(items.map(\.commitTime) == [nil] + (0..<3).map { Date(timeIntervalSince1970: 1_735_700_645 + Double($0)) })
        guard case .file(let snapshot) = items[0].body else { Issue.record("the snapshot is not a file"); return }
        #expect(try Data(contentsOf: snapshot) == Data("snapshot bytes".utf8))
    }

    @Test func aDamagedSegmentEndsWhatIsTakenFromItsSpoolAndAPartialItemIsSkipped() throws {
        let dir = try TempDir("spool")
        let dead = try deadPID()
        var older = try UploadSpool(workFolder: dir.url, owner: Self.owner)
        for index in 0..<4 { _ = try older.add(try segmentItem(UInt64(index))) }
        let olderFolder = try orphan(older, pid: dead, in: dir, stamp: 1)
        // Segment 1 torn (a host crash): 1, 2 and 3 are dropped, or the chain would be stored with a hole.
        let torn = olderFolder.appendingPathComponent("000000000001/body")
        try Data(try Data(contentsOf: torn).prefix(20)).write(to: torn)
        var newer = try UploadSpool(workFolder: dir.url, owner: Self.owner)
        _ = try newer.add(try segmentItem(7))
        // An item being written at the kill.
        try FileManager.default.createDirectory(at: newer.folder.appendingPathComponent("000000000001.partial"),
                                                withIntermediateDirectories: true)
        _ = try orphan(newer, pid: dead, in: dir, stamp: 2)
        var messages: [String] = []
        let items = UploadSpool.leftovers(in: dir.url, owner: Self.owner, log: { messages.append($0) })
        #expect(items.map(\.name) == ["seg-0", "seg-7"])
        #expect(messages.contains { $0.contains("000000000001 is damaged") }, "\(messages)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: olderFolder.path).sorted() == ["000000000000", "owner"])
    }

    // In a container the replicator often has the same pid after every restart (pid 1, or the same few): a spool named
    // with this process's pid that this process did not create is an earlier process's.
    @Test func aSpoolOfAnEarlierProcessWithThisPidIsAdoptedAndOnlyThisProcesssOwnSpoolIsLive() throws {
        let dir = try TempDir("spool")
        var earlier = try UploadSpool(workFolder: dir.url, owner: Self.owner)
        for index in 0..<2 { _ = try earlier.add(try segmentItem(UInt64(index))) }
        earlier.remove(keepingItems: true)
        #expect(FileManager.default.fileExists(atPath: earlier.folder.path), "a spool kept for the next start was removed")
        var current = try UploadSpool(workFolder: dir.url, owner: Self.owner)
        _ = try current.add(try segmentItem(5))
        #expect(UploadSpool.leftovers(in: dir.url, owner: Self.owner, log: { _ in }).map(\.name) == ["seg-0", "seg-1"])
        current.remove(keepingItems: false)
        #expect(!FileManager.default.fileExists(atPath: current.folder.path))
    }

    @Test func emptyDeadSpoolsAreRemoved() throws {
        let dir = try TempDir("spool")
        let spool = try UploadSpool(workFolder: dir.url, owner: Self.owner)
        let folder = try orphan(spool, pid: try deadPID(), in: dir, stamp: 1)
        UploadSpool.removeEmpty(in: dir.url, owner: Self.owner)
        #expect(!FileManager.default.fileExists(atPath: folder.path))
    }
}
