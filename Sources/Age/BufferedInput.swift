import Archive

/// A `ByteSource` with a read-ahead buffer: the header is read by lines, the payload then in chunks.
final class BufferedInput {
    private let source: ByteSource
    private var buffer: [UInt8] = []
    private var position = 0
    private var atEnd = false
    /// Set when `readLine` gave up because the line grew past its limit.
    private(set) var hitLimit = false

    init(_ source: ByteSource) { self.source = source }

    /// Refills the buffer when it is used up; false at the end of the data.
    private func fill() throws -> Bool {
        if position < buffer.count { return true }
        if atEnd { return false }
        buffer = [UInt8](repeating: 0, count: 16 * 1024)
        let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
        buffer.removeLast(buffer.count - n)
        position = 0
        if n == 0 { atEnd = true }
        return n > 0
    }

    /// The next line including its LF; nil at the end of the data before a LF, or past `limit` bytes.
    func readLine(limit: Int) throws -> [UInt8]? {
        var line: [UInt8] = []
        while try fill() {
            if let lf = buffer[position...].firstIndex(of: 0x0a) {
                line += buffer[position...lf]
                position = lf + 1
                if line.count > limit { hitLimit = true; return nil }
                return line
            }
            line += buffer[position...]
            position = buffer.count
            if line.count > limit { hitLimit = true; return nil }
        }
        return nil
    }

    /// Reads until `target` is full or the data ends; returns how many bytes were read.
    func readFully(into target: UnsafeMutableRawBufferPointer) throws -> Int {
        var filled = 0
        if position < buffer.count {
            let n = min(buffer.count - position, target.count)
            buffer.withUnsafeBytes { target.baseAddress!.copyMemory(from: $0.baseAddress! + position, byteCount: n) }
            position += n
            filled = n
        }
        while filled < target.count, !atEnd {
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: target[filled...]))
            if n == 0 { atEnd = true }
            filled += n
        }
        return filled
    }
}
