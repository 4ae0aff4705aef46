import Archive
import Foundation

/// What a WAL segment says about itself; stored in front of its frames.
public struct SegmentHeader: Sendable, Equatable, Codable {
    public var generation: String
    public var index: UInt64
    /// The salts and checkpoint sequence of the WAL the frames were read from.
    public var salt1: UInt32
    public var salt2: UInt32
    public var checkpointSequence: UInt32
    /// Where in that WAL file the first frame started.
    public var startOffset: Int64
    public var pageSize: Int
    public var frameCount: Int
    public var commitCount: Int
    /// When the replicator had seen every commit in the segment (no commit in it is later than this).
    public var commitTime: Date
    /// The lowercase hex SHA-256 of the frames.
    public var payloadSHA256: String

    public init(generation: String, index: UInt64, salt1: UInt32, salt2: UInt32, checkpointSequence: UInt32,
                startOffset: Int64, pageSize: Int, frameCount: Int, commitCount: Int, commitTime: Date, payloadSHA256: String) {
        self.generation = generation
        self.index = index
        self.salt1 = salt1
        self.salt2 = salt2
        self.checkpointSequence = checkpointSequence
        self.startOffset = startOffset
        self.pageSize = pageSize
        self.frameCount = frameCount
        self.commitCount = commitCount
        self.commitTime = commitTime
        self.payloadSHA256 = payloadSHA256
    }
}

/// A WAL segment: whole committed transactions (frames as in the WAL file) with their header.
///
/// Stored gzip-compressed as one line `vaultops-wal-segment 1`, one line of JSON (the header), then the frames.
public struct Segment: Sendable, Equatable {
    static let magicLine = "vaultops-wal-segment 1\n"

    public var header: SegmentHeader
    public var payload: Data

    public init(header: SegmentHeader, payload: Data) {
        self.header = header
        self.payload = payload
    }

    /// The stored (compressed) bytes.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        encoder.outputFormatting = .sortedKeys
        var head = Data(Self.magicLine.utf8)
        head.append(try encoder.encode(header))
        head.append(0x0A)
        let sink = DataSink()
        let gzip = try GzipWriter(sink: sink, level: 1)
        // The parts one after the other, not joined first: a joined copy of the payload (megabytes for a pass at
        // 1,000 commits/s) was the replicator's largest allocation, as large as the scan's payload itself.
        try gzip.write(head)
        try gzip.write(payload)
        try gzip.finish()
        return sink.data
    }

    /// Reads stored bytes back, checking the format, the payload's size and its SHA-256.
    public static func decode(_ stored: Data, name: String) throws -> Segment {
        let plain: Data
        do {
            plain = Data(try GzipReader(source: BytesSource([UInt8](stored)), path: name).readAll())
        } catch {
            throw ReplicationError(.segmentFormat, "\(name): not a readable gzip stream (\(error))")
        }
        let magic = Data(magicLine.utf8)
        guard plain.starts(with: magic),
              let newline = plain[(plain.startIndex + magic.count)...].firstIndex(of: 0x0A) else {
            throw ReplicationError(.segmentFormat, "\(name): not a vaultops WAL segment")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        let header: SegmentHeader
        do {
            header = try decoder.decode(SegmentHeader.self, from: plain[(plain.startIndex + magic.count)..<newline])
        } catch {
            throw ReplicationError(.segmentFormat, "\(name): the segment header is not readable (\(error))")
        }
        let payload = Data(plain[(newline + 1)...])
        guard payload.count == header.frameCount * (WALFrameHeader.size + header.pageSize) else {
            throw ReplicationError(.segmentFormat, "\(name): \(payload.count) bytes of frames, the header says \(header.frameCount)")
        }
        guard sha256Hex(of: payload) == header.payloadSHA256 else {
            throw ReplicationError(.segmentFormat, "\(name): the frames' SHA-256 does not match the header")
        }
        return Segment(header: header, payload: payload)
    }
}

/// Collects written bytes in memory (segments are small: one interval of commits).
final class DataSink: ByteSink {
    var data = Data()

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        data.append(contentsOf: bytes)
    }
}
