import Archive

/// Buffers script text and hands it to the sink in large pieces, counting bytes for progress.
final class ScriptWriter {
    private let sink: any ByteSink
    private let progress: ((UInt64) -> Void)?
    private var buffer: [UInt8] = []
    private let flushThreshold = 256 * 1024
    private(set) var bytesWritten: UInt64 = 0

    init(sink: any ByteSink, progress: ((UInt64) -> Void)?) {
        self.sink = sink
        self.progress = progress
        buffer.reserveCapacity(flushThreshold + 64 * 1024)
    }

    func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= flushThreshold { try flush() }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        if bytes.count >= flushThreshold {
            // A huge row goes straight through rather than being copied into the buffer.
            try flush()
            try sink.write(bytes)
            bytesWritten += UInt64(bytes.count)
            progress?(bytesWritten)
            return
        }
        buffer.append(contentsOf: bytes)
        if buffer.count >= flushThreshold { try flush() }
    }

    func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try sink.write($0) }
        bytesWritten += UInt64(buffer.count)
        buffer.removeAll(keepingCapacity: true)
        progress?(bytesWritten)
    }
}
