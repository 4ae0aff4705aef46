import Foundation

/// The 32-byte header of a SQLite WAL file (https://www.sqlite.org/fileformat2.html#walformat).
public struct WALHeader: Sendable, Equatable {
    /// Little-endian checksums (0x377f0682) or big-endian ones (0x377f0683).
    public static let magicLittleEndian: UInt32 = 0x377f_0682
    public static let magicBigEndian: UInt32 = 0x377f_0683
    public static let size = 32

    public var magic: UInt32
    public var version: UInt32
    public var pageSize: Int
    /// Incremented each time the WAL is restarted (rewritten from its start).
    public var checkpointSequence: UInt32
    public var salt1: UInt32
    public var salt2: UInt32
    /// The checksum of the header's first 24 bytes, which seeds the checksum of the first frame.
    public var checksum: WALChecksum

    /// Whether checksums read their 32-bit words big-endian.
    public var bigEndianChecksums: Bool { magic & 1 == 1 }

    /// Parses and checks (magic, page size, checksum) the header at the start of `bytes`.
    public static func parse(_ bytes: Data) throws -> WALHeader {
        guard bytes.count >= size else { throw ReplicationError(.walFormat, "the WAL header is \(bytes.count) bytes, not \(size)") }
        let base = bytes.startIndex
        let magic = bytes.bigEndianUInt32(at: base)
        guard magic == magicLittleEndian || magic == magicBigEndian else {
            throw ReplicationError(.walFormat, String(format: "the WAL magic is 0x%08x, not 0x377f0682 or 0x377f0683", magic))
        }
        let rawPageSize = Int(bytes.bigEndianUInt32(at: base + 8))
        // 65536 is stored as 1 in the database header; WAL headers store it as is, but accept both.
        let pageSize = rawPageSize == 1 ? 65_536 : rawPageSize
        guard pageSize >= 512, pageSize <= 65_536, pageSize & (pageSize - 1) == 0 else {
            throw ReplicationError(.walFormat, "the WAL page size \(rawPageSize) is not a power of two in 512...65536")
        }
        let stored = WALChecksum(bytes.bigEndianUInt32(at: base + 24), bytes.bigEndianUInt32(at: base + 28))
        let computed = WALChecksum().adding(bytes[base..<(base + 24)], bigEndian: magic & 1 == 1)
        guard stored == computed else { throw ReplicationError(.walFormat, "the WAL header checksum does not match") }
        return WALHeader(magic: magic, version: bytes.bigEndianUInt32(at: base + 4), pageSize: pageSize,
                         checkpointSequence: bytes.bigEndianUInt32(at: base + 12), salt1: bytes.bigEndianUInt32(at: base + 16),
                         salt2: bytes.bigEndianUInt32(at: base + 20), checksum: stored)
    }

    /// The bytes of one frame (its 24-byte header and a page).
    public var frameSize: Int { WALFrameHeader.size + pageSize }
}

/// The 24-byte header before each page in a WAL file.
public struct WALFrameHeader: Sendable, Equatable {
    public static let size = 24

    public var pageNumber: UInt32
    /// The database size in pages after this frame's transaction commits; 0 for frames that are not a commit.
    public var databaseSizeAfterCommit: UInt32
    public var salt1: UInt32
    public var salt2: UInt32
    public var checksum: WALChecksum

    /// Whether this frame ends a transaction.
    public var isCommit: Bool { databaseSizeAfterCommit != 0 }

    /// Reads the frame header at `offset` in `bytes` (no checks).
    public init(_ bytes: Data, at offset: Int) {
        pageNumber = bytes.bigEndianUInt32(at: offset)
        databaseSizeAfterCommit = bytes.bigEndianUInt32(at: offset + 4)
        salt1 = bytes.bigEndianUInt32(at: offset + 8)
        salt2 = bytes.bigEndianUInt32(at: offset + 12)
        checksum = WALChecksum(bytes.bigEndianUInt32(at: offset + 16), bytes.bigEndianUInt32(at: offset + 20))
    }
}

/// SQLite's cumulative WAL checksum: two 32-bit sums over pairs of 32-bit words.
public struct WALChecksum: Sendable, Equatable, Codable {
    public var s1: UInt32
    public var s2: UInt32

    public init(_ s1: UInt32 = 0, _ s2: UInt32 = 0) {
        self.s1 = s1
        self.s2 = s2
    }

    /// The checksum continued over `bytes` (a multiple of 8 bytes), as walChecksumBytes computes it.
    public func adding(_ bytes: Data, bigEndian: Bool) -> WALChecksum {
        var s1 = self.s1
        var s2 = self.s2
        bytes.withUnsafeBytes { raw in
            let count = raw.count / 8
            for pair in 0..<count {
                var a = raw.loadUnaligned(fromByteOffset: pair * 8, as: UInt32.self)
                var b = raw.loadUnaligned(fromByteOffset: pair * 8 + 4, as: UInt32.self)
                if bigEndian {
                    a = UInt32(bigEndian: a)
                    b = UInt32(bigEndian: b)
                } else {
                    a = UInt32(littleEndian: a)
                    b = UInt32(littleEndian: b)
                }
                s1 = s1 &+ a &+ s2
                s2 = s2 &+ b &+ s1
            }
        }
        return WALChecksum(s1, s2)
    }
}

/// The committed frames found in a stretch of a WAL file.
public struct WALCommittedFrames: Sendable, Equatable {
    /// Where in the file the first frame starts.
    public var startOffset: Int64
    /// The frames (header and page each), up to and including the last commit frame; empty when none.
    public var payload: Data
    public var frameCount: Int
    public var commitCount: Int
    /// The file offset just after the last commit frame (the start offset when there is none).
    public var endOffset: Int64
    /// The running checksum at `endOffset`, which seeds the next frame's.
    public var endChecksum: WALChecksum
    /// The database size in pages after the last commit; nil when there is none.
    public var lastDatabaseSize: UInt32? { commitSizes.last }
    /// The database size in pages after each commit, in order.
    public var commitSizes: [UInt32] = []

    /// No frames, starting at `startOffset` with the running checksum `checksum`.
    public init(startOffset: Int64, checksum: WALChecksum) {
        self.startOffset = startOffset
        self.payload = Data()
        self.frameCount = 0
        self.commitCount = 0
        self.endOffset = startOffset
        self.endChecksum = checksum
    }
}

/// Reads the frames of a WAL that belong to committed transactions, checking salts and cumulative checksums.
public enum WALScanner {
    /// The committed frames in `bytes`, which hold the WAL file from `offset` on; `checksum` is the running
    /// checksum at `offset` (the header's at offset 32). Stops at the first frame that is incomplete, carries
    /// other salts (left from before a restart) or fails its checksum, and drops frames after the last commit.
    public static func committedFrames(in bytes: Data, header: WALHeader, offset: Int64,
                                       checksum: WALChecksum) -> WALCommittedFrames {
        var next = bytes.startIndex
        return committedFrames(header: header, offset: offset, checksum: checksum) { count in
            guard next < bytes.endIndex else { return nil }
            let end = min(bytes.endIndex, next + count)
            defer { next = end }
            return Data(bytes[next..<end])
        }
    }

    /// The committed frames of the WAL file open in `handle`, from `offset` on, read in chunks of about
    /// `chunkBytes`: memory follows the frames found, not the file's size (SQLite reuses a WAL file from its start
    /// after a restart, so stale frames can follow the valid ones by megabytes). Same rules as the `Data` form.
    public static func committedFrames(reading handle: FileHandle, header: WALHeader, offset: Int64, checksum: WALChecksum,
                                       chunkBytes: Int = 1 << 20) throws -> WALCommittedFrames {
        try handle.seek(toOffset: UInt64(offset))
        return try committedFrames(header: header, offset: offset, checksum: checksum, chunkBytes: chunkBytes) { count in
            guard let data = try handle.read(upToCount: count), !data.isEmpty else { return nil }
            return data
        }
    }

    /// The scan itself: `read(n)` hands the next bytes of the file from `offset` on (at most n; nil at the end).
    /// Frames since the last commit are held back until a commit frame confirms them.
    static func committedFrames(header: WALHeader, offset: Int64, checksum: WALChecksum, chunkBytes: Int = 1 << 20,
                                read: (Int) throws -> Data?) rethrows -> WALCommittedFrames {
        var result = WALCommittedFrames(startOffset: offset, checksum: checksum)
        let frameSize = header.frameSize
        let chunkSize = max(1, chunkBytes / frameSize) * frameSize
        var running = checksum
        var framesSinceCommit = 0
        var pending = Data()
        var carry = Data()
        scan: while var bytes = try read(chunkSize - carry.count) {
            if !carry.isEmpty {
                bytes = carry + bytes
                carry = Data()
            }
            var position = bytes.startIndex
            var unconfirmed = position
            while position + frameSize <= bytes.endIndex {
                let frame = WALFrameHeader(bytes, at: position)
                guard frame.salt1 == header.salt1, frame.salt2 == header.salt2 else { break scan }
                running = running.adding(bytes[position..<(position + 8)], bigEndian: header.bigEndianChecksums)
                    .adding(bytes[(position + WALFrameHeader.size)..<(position + frameSize)], bigEndian: header.bigEndianChecksums)
                guard running == frame.checksum else { break scan }
                position += frameSize
                framesSinceCommit += 1
                if frame.isCommit {
                    result.payload.append(pending)
                    result.payload.append(bytes[unconfirmed..<position])
                    pending = Data()
                    unconfirmed = position
                    result.frameCount += framesSinceCommit
                    result.commitCount += 1
                    result.endChecksum = running
                    result.commitSizes.append(frame.databaseSizeAfterCommit)
                    framesSinceCommit = 0
                }
            }
            pending.append(bytes[unconfirmed..<position])
            // A short read can end inside a frame: its start waits for the rest.
            carry = Data(bytes[position...])
        }
        result.endOffset = offset + Int64(result.payload.count)
        return result
    }

    /// Calls `body` with each frame's header and page in `payload` (frames as `committedFrames` returns them).
    public static func forEachFrame(in payload: Data, pageSize: Int,
                                    _ body: (WALFrameHeader, Data) throws -> Void) throws {
        let frameSize = WALFrameHeader.size + pageSize
        guard payload.count % frameSize == 0 else {
            throw ReplicationError(.segmentFormat, "the frames are \(payload.count) bytes, not a multiple of \(frameSize)")
        }
        var position = payload.startIndex
        while position < payload.endIndex {
            let header = WALFrameHeader(payload, at: position)
            try body(header, payload[(position + WALFrameHeader.size)..<(position + frameSize)])
            position += frameSize
        }
    }
}

extension Data {
    func bigEndianUInt32(at offset: Int) -> UInt32 {
        var value: UInt32 = 0
        for index in offset..<(offset + 4) { value = value << 8 | UInt32(self[index]) }
        return value
    }
}
