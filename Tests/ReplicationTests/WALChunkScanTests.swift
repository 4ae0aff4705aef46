import Foundation
@testable import Replication
import Testing
import TestSupport

/// The replicator scans the WAL file in bounded chunks; what it finds must not depend on the chunk size, on
/// reads that end inside a frame, or on stale bytes left after the valid frames.
@Suite struct WALChunkScanTests {
    static let chunkSizes = [1, 4_096, 3 * 4_120 + 17, 1 << 20]

    @Test(arguments: chunkSizes)
    func fileScanMatchesTheWholeScan(chunkBytes: Int) throws {
        let dir = try TempDir("wal-chunks")
        let wal = try makeRealWAL(in: dir, rows: 40)
        let header = try WALHeader.parse(wal)
        let whole = WALScanner.committedFrames(in: wal.dropFirst(32), header: header, offset: 32, checksum: header.checksum)
        #expect(whole.commitCount == 41 && whole.endOffset == Int64(wal.count))
        // Stale frames (the WAL's own early frames again, as after a restart that wrote less than before) and a
        // torn frame: neither is part of the WAL, whatever the chunks.
        let stale = wal + wal[32..<(32 + 3 * header.frameSize)]
        let torn = wal + wal[32..<(32 + header.frameSize / 2)]
        for bytes in [wal, stale, torn] {
            let file = dir.file("scan-\(bytes.count).wal")
            try bytes.write(to: file)
            let handle = try FileHandle(forReadingFrom: file)
            defer { try? handle.close() }
            let found = try WALScanner.committedFrames(reading: handle, header: header, offset: 32, checksum: header.checksum,
                                                       chunkBytes: chunkBytes)
            #expect(found == whole, "chunks of \(chunkBytes), file of \(bytes.count) bytes")
        }
        // From the middle: a position the last pass stopped at.
        let middle = WALScanner.committedFrames(in: wal[32..<(32 + 10 * header.frameSize)], header: header, offset: 32,
                                                checksum: header.checksum)
        let file = dir.file("middle.wal")
        try stale.write(to: file)
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        let rest = try WALScanner.committedFrames(reading: handle, header: header, offset: middle.endOffset,
                                                  checksum: middle.endChecksum, chunkBytes: chunkBytes)
        #expect(middle.commitCount + rest.commitCount == whole.commitCount)
        #expect(middle.payload + rest.payload == whole.payload)
        #expect(rest.endOffset == whole.endOffset)
    }

    @Test(arguments: [1, 999, 4_120, 5_000])
    func readsThatEndInsideAFrame(pieceBytes: Int) throws {
        let dir = try TempDir("wal-pieces")
        let wal = try makeRealWAL(in: dir, rows: 12)
        let header = try WALHeader.parse(wal)
        let whole = WALScanner.committedFrames(in: wal.dropFirst(32), header: header, offset: 32, checksum: header.checksum)
        var next = 32
        let found = WALScanner.committedFrames(header: header, offset: 32, checksum: header.checksum, chunkBytes: 3 * header.frameSize) { count in
            guard next < wal.count else { return nil }
            let end = min(wal.count, next + min(count, pieceBytes))
            defer { next = end }
            return Data(wal[next..<end])
        }
        #expect(found == whole)
    }
}
