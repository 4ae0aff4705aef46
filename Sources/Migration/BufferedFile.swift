import Foundation

/// Writes bytes to a file through a large buffer (`FILE*`), owning the handle.
final class BufferedFile {
    private let file: UnsafeMutablePointer<FILE>
    let path: String
    private var buffer: [UInt8] = []
    private(set) var written: Int64 = 0

    init(creating path: String) throws {
        guard let file = fopen(path, "wx") else {
            throw MigrationError(.io, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        fchmod(fileno(file), 0o600)
        self.file = file
        self.path = path
        buffer.reserveCapacity(1 << 20)
    }

    deinit { fclose(file) }

    /// Writes `bytes` through the buffer.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        buffer.append(contentsOf: bytes)
        try flushIfFull()
    }

    func append(_ byte: UInt8) { buffer.append(byte) }
    func append(contentsOf bytes: [UInt8]) { buffer.append(contentsOf: bytes) }

    func flushIfFull() throws {
        if buffer.count >= 1 << 20 { try flush() }
    }

    func flush() throws {
        guard !buffer.isEmpty else { return }
        let count = buffer.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        guard count == buffer.count else {
            throw MigrationError(.io, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        written += Int64(count)
        buffer.removeAll(keepingCapacity: true)
    }

    func close() throws {
        try flush()
        guard fflush(file) == 0 else { throw MigrationError(.io, "cannot write \(path): \(String(cString: strerror(errno)))") }
    }
}

@available(*, unavailable)
extension BufferedFile: Sendable {}
