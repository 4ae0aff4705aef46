import Foundation
import Replication
import SQLite
import Testing
import TestSupport

/// A real WAL from libsqlite3: a table and `rows` inserts, one transaction each, never checkpointed.
/// Returns the WAL's bytes (copied while the writer still holds the database open).
func makeRealWAL(in dir: TempDir, rows: Int) throws -> Data {
    let path = dir.file("wal-source.db").path
    let db = try Connection(path: path)
    _ = try db.query("PRAGMA journal_mode=WAL")
    try db.execute("PRAGMA wal_autocheckpoint=0")
    try db.execute("CREATE TABLE t(n INTEGER PRIMARY KEY, v TEXT)")
    for n in 1...rows {
        try db.execute("INSERT INTO t VALUES (\(n), '\(String(repeating: "x", count: 100))')")
    }
    let bytes = try Data(contentsOf: URL(fileURLWithPath: path + "-wal"))
    withExtendedLifetime(db) {}
    return bytes
}

@Suite struct WALFormatTests {
    @Test func parsesARealWALAndFindsEveryCommit() throws {
        let dir = try TempDir("wal")
        let wal = try makeRealWAL(in: dir, rows: 3)
        let header = try WALHeader.parse(wal)
        #expect([WALHeader.magicLittleEndian, WALHeader.magicBigEndian].contains(header.magic))
        #expect(header.version == 3_007_000)
        #expect(header.pageSize == 4096)
        let frames = WALScanner.committedFrames(in: wal.dropFirst(32), header: header, offset: 32, checksum: header.checksum)
        // CREATE TABLE and three INSERTs: four transactions, every frame committed.
        #expect(frames.commitCount == 4)
        #expect(frames.endOffset == Int64(wal.count))
        #expect(frames.payload.count == frames.frameCount * header.frameSize)
        #expect(frames.commitSizes.allSatisfy { $0 >= 2 })
    }

    @Test func scanningInTwoStepsGivesTheSameAsOne() throws {
        let dir = try TempDir("wal")
        let wal = try makeRealWAL(in: dir, rows: 5)
        let header = try WALHeader.parse(wal)
        let whole = WALScanner.committedFrames(in: wal.dropFirst(32), header: header, offset: 32, checksum: header.checksum)
        // Stop after the first commit, then continue from its end with its checksum.
        let cut = 32 + header.frameSize * 2
        let first = WALScanner.committedFrames(in: wal[32..<cut], header: header, offset: 32, checksum: header.checksum)
        let rest = WALScanner.committedFrames(in: wal[Int(first.endOffset)...], header: header, offset: first.endOffset,
                                              checksum: first.endChecksum)
        #expect(first.commitCount >= 1)
        #expect(first.commitCount + rest.commitCount == whole.commitCount)
        #expect(first.payload + rest.payload == whole.payload)
        #expect(rest.endOffset == whole.endOffset)
    }

    enum Damage: String, CaseIterable, Sendable {
        case flipPageByte, cutFrameInHalf, otherSalt, flipChecksum

        func apply(to wal: inout Data, frameSize: Int) {
            switch self {
            case .flipPageByte: wal[wal.count - 10] ^= 0xFF
            case .cutFrameInHalf: wal.removeLast(frameSize / 2)
            case .otherSalt: wal[wal.count - frameSize + 8] ^= 0x01
            case .flipChecksum: wal[wal.count - frameSize + 20] ^= 0x01
            }
        }
    }

    /// Damage in the last frame stops the scan at the commit before it; what was committed before stays.
    @Test(arguments: Damage.allCases)
    func damageInTheLastTransactionDropsOnlyIt(_ damage: Damage) throws {
        let dir = try TempDir("wal")
        var wal = try makeRealWAL(in: dir, rows: 3)
        let header = try WALHeader.parse(wal)
        let intact = WALScanner.committedFrames(in: wal.dropFirst(32), header: header, offset: 32, checksum: header.checksum)
        damage.apply(to: &wal, frameSize: header.frameSize)
        let frames = WALScanner.committedFrames(in: wal.dropFirst(32), header: header, offset: 32, checksum: header.checksum)
        #expect(frames.commitCount == intact.commitCount - 1)
        #expect(intact.payload.starts(with: frames.payload))
    }

    @Test(arguments: [
        ("bad magic", 0, "magic"),
        ("bad header checksum", 24, "checksum"),
        ("bad page size", 10, "page size"),
    ])
    func rejectsABadHeader(_ label: String, _ byte: Int, _ message: String) throws {
        let dir = try TempDir("wal")
        var wal = try makeRealWAL(in: dir, rows: 1)
        wal[byte] ^= 0x40
        #expect(throws: ReplicationError.self, "\(label)") { try WALHeader.parse(wal) }
        do { _ = try WALHeader.parse(wal) } catch let error as ReplicationError {
            #expect(error.kind == .walFormat)
            #expect(error.message.contains(message), "\(label): \(error.message)")
        }
        #expect(throws: ReplicationError.self) { try WALHeader.parse(wal.prefix(20)) }
    }

    @Test func checksumFollowsSQLitesAlgorithm() {
        // s1 += a + s2; s2 += b + s1 over 32-bit words, little-endian words for magic 0x377f0682.
        let bytes = Data([1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0])
        let sum = WALChecksum().adding(bytes, bigEndian: false)
        // (1, 3) then s1 = 1 + 3 + 3 = 7, s2 = 3 + 4 + 7 = 14.
        #expect(sum == WALChecksum(7, 14))
        let bigEndian = WALChecksum().adding(Data([0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4]), bigEndian: true)
        #expect(bigEndian == WALChecksum(7, 14))
        #expect(WALChecksum(.max, 0).adding(Data([1, 0, 0, 0, 0, 0, 0, 0]), bigEndian: false) == WALChecksum(0, 0))
    }
}
