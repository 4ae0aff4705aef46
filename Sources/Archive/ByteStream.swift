import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A destination for bytes: a file, a compressor, a hasher, an upload.
///
/// - Important: sinks are single-owner and not thread-safe; call them from one thread.
public protocol ByteSink: AnyObject {
    /// Writes all of `bytes` or throws.
    func write(_ bytes: UnsafeRawBufferPointer) throws
}

extension ByteSink {
    /// Writes every region of `data`.
    public func write(_ data: some DataProtocol) throws {
        for region in data.regions {
            try region.withUnsafeBytes { try write($0) }
        }
    }

    /// Writes an array of bytes.
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Writes the UTF-8 bytes of `string`.
    public func write(string: String) throws {
        var copy = string
        try copy.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }
}

/// A source of bytes: a file, a decompressor, a tar entry.
public protocol ByteSource: AnyObject {
    /// Reads up to `buffer.count` bytes into `buffer` and returns how many; 0 means the end of the data.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

extension ByteSource {
    /// Copies everything from this source into `sink` and returns the byte count.
    ///
    /// Memory stays at one buffer of `bufferSize` bytes whatever the size of the data.
    @discardableResult
    public func copy(to sink: ByteSink, bufferSize: Int = 256 * 1024) throws -> UInt64 {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        var total: UInt64 = 0
        while true {
            let n = try read(into: buffer)
            if n == 0 { return total }
            try sink.write(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            total += UInt64(n)
        }
    }

    /// Reads until `buffer` is full or the data ends; returns how many bytes were read.
    public func readFully(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            let n = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            if n == 0 { break }
            filled += n
        }
        return filled
    }

    /// Reads everything that is left into memory; for small data only (manifests, test fixtures).
    public func readAll() throws -> [UInt8] {
        var result: [UInt8] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = try read(into: buffer)
            if n == 0 { return result }
            result.append(contentsOf: buffer[0..<n])
        }
    }
}

/// Reads a file with POSIX `read(2)`.
///
/// The descriptor is closed by `close()` or when the value is released.
public final class FileSource: ByteSource {
    /// The path used in error messages.
    public let path: String
    private var fd: Int32
    private let ownsDescriptor: Bool

    /// Opens `path` for reading; with `followSymlinks: false` a symlink is refused (`ELOOP`).
    public init(path: String, followSymlinks: Bool = true) throws {
        var flags = O_RDONLY | O_CLOEXEC
        if !followSymlinks { flags |= O_NOFOLLOW }
        let fd = retryOnEINTR { open(path, flags) }
        guard fd >= 0 else { throw ArchiveError.posix("open", path) }
        self.path = path
        self.fd = fd
        self.ownsDescriptor = true
    }

    /// Reads from an already open descriptor (standard input, a pipe); it is not closed by this value.
    public init(fd: Int32, name: String) {
        self.path = name
        self.fd = fd
        self.ownsDescriptor = false
    }

    /// The descriptor, for `fstat` and friends; -1 once closed.
    public var fileDescriptor: Int32 { fd }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard fd >= 0 else { throw ArchiveError.misuse("read from closed file \(path)") }
        guard buffer.count > 0 else { return 0 }
        let n = retryOnEINTR { systemRead(fd, buffer.baseAddress, buffer.count) }
        guard n >= 0 else { throw ArchiveError.posix("read", path) }
        return n
    }

    /// Closes the descriptor now.
    public func close() {
        if fd >= 0, ownsDescriptor { _ = systemClose(fd) }
        fd = -1
    }

    deinit { close() }
}

@available(*, unavailable)
extension FileSource: Sendable {}

/// Writes to a file with POSIX `write(2)`, handling short writes and `EINTR`.
public final class FileSink: ByteSink {
    /// The path used in error messages.
    public let path: String
    private var fd: Int32
    private let ownsDescriptor: Bool
    /// Bytes written so far.
    public private(set) var bytesWritten: UInt64 = 0

    /// Creates `path` with `mode` (default 0600); an existing file is an error unless `replace` is true.
    public init(path: String, mode: mode_t = 0o600, replace: Bool = false) throws {
        var flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW
        flags |= replace ? O_TRUNC : O_EXCL
        let fd = retryOnEINTR { open(path, flags, mode) }
        guard fd >= 0 else {
            if errno == EEXIST { throw ArchiveError.destinationExists(path) }
            throw ArchiveError.posix("create", path)
        }
        self.path = path
        self.fd = fd
        self.ownsDescriptor = true
    }

    /// Writes to an already open descriptor (standard output, a pipe); it is not closed by this value.
    public init(fd: Int32, name: String = "<fd>") {
        self.path = name
        self.fd = fd
        self.ownsDescriptor = false
    }

    /// The descriptor; -1 once closed.
    public var fileDescriptor: Int32 { fd }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard fd >= 0 else { throw ArchiveError.misuse("write to closed file \(path)") }
        try writeAll(fd: fd, bytes, path: path)
        bytesWritten += UInt64(bytes.count)
    }

    /// Flushes the file's data to stable storage (`fsync(2)`).
    public func sync() throws {
        guard fd >= 0 else { return }
        if retryOnEINTR({ fsync(fd) }) != 0 { throw ArchiveError.posix("fsync", path) }
    }

    /// Closes the descriptor; reports the error that `close(2)` can return on network filesystems.
    public func close() throws {
        guard fd >= 0 else { return }
        let descriptor = fd
        fd = -1
        if ownsDescriptor, systemClose(descriptor) != 0 { throw ArchiveError.posix("close", path) }
    }

    deinit {
        if fd >= 0, ownsDescriptor { _ = systemClose(fd) }
    }
}

@available(*, unavailable)
extension FileSink: Sendable {}

/// Writes all of `bytes` to `fd`, retrying short writes and `EINTR`.
func writeAll(fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
    var offset = 0
    while offset < bytes.count {
        let n = systemWrite(fd, bytes.baseAddress! + offset, bytes.count - offset)
        if n < 0 {
            if errno == EINTR { continue }
            throw ArchiveError.posix("write", path)
        }
        offset += n
    }
}

/// Repeats a system call while it fails with `EINTR`.
@inline(__always)
func retryOnEINTR<T: BinaryInteger>(_ call: () -> T) -> T {
    while true {
        let result = call()
        if result < 0 && errno == EINTR { continue }
        return result
    }
}

// The C calls under names that the `read`/`write`/`close` methods above do not shadow.
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int { read(fd, buffer, count) }
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int { write(fd, buffer, count) }
private func systemClose(_ fd: Int32) -> Int32 { close(fd) }

/// Serves bytes held in memory, at most `chunkSize` per read (tests use small chunks to cross every boundary).
public final class BytesSource: ByteSource {
    private let bytes: [UInt8]
    private let chunkSize: Int
    private var offset = 0

    /// A source over `bytes`, handing out at most `chunkSize` bytes per read.
    public init(_ bytes: [UInt8], chunkSize: Int = .max) {
        self.bytes = bytes
        self.chunkSize = max(1, chunkSize)
    }

    /// A source over the UTF-8 bytes of `text`.
    public convenience init(_ text: String, chunkSize: Int = .max) {
        self.init(Array(text.utf8), chunkSize: chunkSize)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, chunkSize, bytes.count - offset)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { all in
            buffer.baseAddress!.copyMemory(from: all.baseAddress! + offset, byteCount: n)
        }
        offset += n
        return n
    }
}

@available(*, unavailable)
extension BytesSource: Sendable {}

/// Passes another source's bytes on and runs a check when that source reaches its end, before reporting the end.
///
/// A reader that acts only at the end (a restore that commits there) thus never sees the end of data that fails a
/// whole-stream check (a size or digest against a manifest). The check runs once; when it throws, every later read
/// throws the same error.
public final class EndCheckSource: ByteSource {
    private let source: ByteSource
    private var check: (() throws -> Void)?
    private var failure: (any Error)?

    /// Reads from `source`; `check` runs when it first reports its end.
    public init(_ source: ByteSource, atEnd check: @escaping () throws -> Void) {
        self.source = source
        self.check = check
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let failure { throw failure }
        let n = try source.read(into: buffer)
        if n == 0, buffer.count > 0, let check {
            self.check = nil
            do {
                try check()
            } catch {
                failure = error
                throw error
            }
        }
        return n
    }
}

@available(*, unavailable)
extension EndCheckSource: Sendable {}
