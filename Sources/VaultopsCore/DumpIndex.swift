/// Where a dump's table contents lie in its decompressed script, and where its gzip stream may be entered, so
/// a restore of some tables reads only the blocks it needs (the manifest's `dump_index`).
public struct DumpIndex: Codable, Sendable, Equatable {
    /// `[compressed offset, uncompressed offset]` of independent deflate blocks, in order (empty when the
    /// stream was compressed as one, `--jobs 1`: then it can only be read from its start).
    public var blocks: [[Int64]]
    /// The contents entries (`TABLE DATA`, large objects) and their byte ranges in the decompressed script.
    public var data: [DataEntry]

    /// One entry of table contents.
    public struct DataEntry: Codable, Sendable, Equatable {
        /// The header's type (`TABLE DATA`, `BLOBS`).
        public var kind: String
        public var schema: String?
        public var name: String
        /// First byte (its header comment) and the byte after it in the decompressed script.
        public var start: Int64
        public var end: Int64

        public init(kind: String, schema: String?, name: String, start: Int64, end: Int64) {
            self.kind = kind
            self.schema = schema
            self.name = name
            self.start = start
            self.end = end
        }
    }

    public init(blocks: [[Int64]], data: [DataEntry]) {
        self.blocks = blocks
        self.data = data
    }

    /// What is inconsistent in the index, or nil.
    func problem(uncompressedBytes: Int64, sizeBytes: Int64) -> String? {
        var previous: [Int64] = [-1, -1]
        for block in blocks {
            guard block.count == 2, block[0] > previous[0], block[1] > previous[1], block[0] < sizeBytes,
                  block[1] < max(uncompressedBytes, 1) else {
                return "dump_index.blocks is not an increasing list of [compressed, uncompressed] offsets inside the file"
            }
            previous = block
        }
        var end: Int64 = 0
        for entry in data {
            guard entry.start >= end, entry.end >= entry.start, entry.end <= uncompressedBytes else {
                return "dump_index.data has a range outside the script or out of order (\(entry.name))"
            }
            end = entry.end
        }
        return nil
    }
}
