#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A stream of script bytes (a plain file, or a decompressor over a `.sql.gz` file).
///
/// - Important: Sources are used from one thread at a time.
public protocol ScriptSource: AnyObject {
    /// Fills the start of `buffer` and returns how many bytes were written; 0 means end of stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// Reads a plain file with `read(2)`, owning its descriptor.
public final class FileScriptSource: ScriptSource {
    private let fd: Int32
    /// The path, for messages.
    public let path: String

    /// Opens `path` for reading.
    public init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw PostgresRestoreError(kind: .io, message: "cannot open the script: \(String(cString: strerror(errno)))", file: path)
        }
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        while true {
            let n = systemRead(fd, base, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw PostgresRestoreError(kind: .io, message: "cannot read the script: \(String(cString: strerror(errno)))", file: path)
        }
    }
}

@available(*, unavailable)
extension FileScriptSource: Sendable {}

private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.read(fd, buffer, count)
    #else
    return Darwin.read(fd, buffer, count)
    #endif
}

/// Serves bytes held in memory, at most `chunkSize` per read (tests use small chunks to cross every boundary).
public final class BytesScriptSource: ScriptSource {
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
extension BytesScriptSource: Sendable {}

/// Where a script comes from: a name for messages and a way to open it (twice for `--clean`, which
/// reads the script once to learn what it creates).
public struct ScriptInput {
    /// The file name or URL shown in messages.
    public var name: String
    /// Opens a fresh stream positioned at the start of the script.
    public var open: () throws -> any ScriptSource
    /// Opens further streams of the same script from any thread, for the workers of `RestoreOptions.jobs` > 1
    /// (each loads table data from a stream of its own); nil when the script can be read only once.
    public var openConcurrently: (@Sendable () throws -> any ScriptSource)?

    /// A script from `open`, called `name` in messages.
    public init(name: String, open: @escaping () throws -> any ScriptSource,
                openConcurrently: (@Sendable () throws -> any ScriptSource)? = nil) {
        self.name = name
        self.open = open
        self.openConcurrently = openConcurrently
    }

    /// A plain (uncompressed) script file.
    ///
    /// For `.sql.gz`, pass a `ScriptInput` whose `open` wraps the file in Archive's `GzipReader`.
    public static func file(_ path: String) -> ScriptInput {
        let open: @Sendable () throws -> any ScriptSource = { try FileScriptSource(path: path) }
        return ScriptInput(name: path, open: open, openConcurrently: open)
    }
}
