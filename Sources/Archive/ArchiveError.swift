#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything that can go wrong while reading or writing files, gzip streams and tar archives.
///
/// Each case carries the context a user needs to act: the file, the byte offset, the zlib code and message.
public enum ArchiveError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A system call failed on `path`; `errno` is the C error number.
    case io(path: String, operation: String, errno: Int32)
    /// The final name already exists; an atomic commit never replaces a file.
    case destinationExists(String)
    /// The data ends before the format says it should (a cut download, a crashed writer).
    case truncated(String, detail: String)
    /// The data is not what the format allows; `offset` is the byte position in the file when known.
    case corrupt(String, offset: UInt64?, reason: String)
    /// A stored check value (CRC-32, length, SHA-256) does not match the data.
    case checksumMismatch(String, detail: String)
    /// zlib refused an operation; `code` is its return value and `message` its `msg`.
    case zlib(path: String, code: Int32, message: String)
    /// A tar entry is refused by safe extraction (absolute path, `..`, escaping link, write through a link).
    case unsafeEntry(name: String, reason: String)
    /// Extraction would replace an existing file and `force` was not given.
    case wouldOverwrite(String)
    /// The archive holds something this implementation cannot represent faithfully.
    case unsupported(String, reason: String)
    /// An API was used out of order (write after finish, commit twice).
    case misuse(String)
    /// A file kept changing (size or mtime) while it was archived, even when read a second time.
    case changedWhileRead(path: String, detail: String)

    public var description: String {
        switch self {
        case let .io(path, operation, code):
            return "\(operation) \(path): \(String(cString: strerror(code))) (errno \(code))"
        case let .destinationExists(path):
            return "\(path) already exists; refusing to overwrite it"
        case let .truncated(path, detail):
            return "\(path) is truncated: \(detail)"
        case let .corrupt(path, offset, reason):
            if let offset { return "\(path) is corrupt at byte offset \(offset): \(reason)" }
            return "\(path) is corrupt: \(reason)"
        case let .checksumMismatch(path, detail):
            return "\(path) failed its checksum: \(detail)"
        case let .zlib(path, code, message):
            return "zlib error \(code) on \(path): \(message)"
        case let .unsafeEntry(name, reason):
            return "refusing archive entry \(name.debugDescription): \(reason)"
        case let .wouldOverwrite(path):
            return "\(path) already exists; pass --force to replace it"
        case let .unsupported(path, reason):
            return "\(path): unsupported: \(reason)"
        case let .misuse(message):
            return message
        case let .changedWhileRead(path, detail):
            return "\(path) changed while it was being archived, and again when read a second time (\(detail))"
        }
    }

    /// The error for the current `errno` after `operation` failed on `path`.
    static func posix(_ operation: String, _ path: String, _ code: Int32 = errno) -> ArchiveError {
        .io(path: path, operation: operation, errno: code)
    }
}
