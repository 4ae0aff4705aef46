#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The COPY data of a compressed script, decompressed once (by the check pass) into an unlinked temporary
/// file, so the workers of a `jobs` > 1 restore read each table's data at its offset instead of decompressing
/// the script again up to it.
///
/// The file is unlinked as soon as it is created: nobody else can open it, and it disappears with the
/// descriptor (also when the process dies). It lives in the page cache and on disk, not in the process'
/// memory. A failed write (a full disk) does not fail the check pass: the spool marks itself unusable and
/// the restore decompresses the script again instead.
/// - Important: `append` is called from one thread (the check pass); `read(at:into:)` afterwards from any
///   number of threads (`pread` has no shared file position).
public final class CopySpool: @unchecked Sendable {
    // Safety: `fd` is immutable. `size` and `failure` are written only by `append`, which runs on one thread
    // before the spool is handed to the workers (the hand-off orders the writes before their reads);
    // readers only call `pread`, which is thread-safe.
    private let fd: Int32
    /// Bytes written so far.
    public private(set) var size: Int64 = 0
    /// Why the spool cannot be used (a write failed), or nil.
    public private(set) var failure: String?

    /// Creates the spool in `directory`, when it has room for `expectedBytes` and 1 GiB (or 10 %) more; nil otherwise.
    public static func make(in directory: String = NSTemporaryDirectory(), expectedBytes: Int64) -> CopySpool? {
        var stats = statvfs()
        guard statvfs(directory, &stats) == 0 else { return nil }
        let free = Int64(stats.f_bavail) * Int64(stats.f_frsize)
        guard free - expectedBytes > max(1 << 30, free / 10) else { return nil }
        return try? CopySpool(directory: directory)
    }

    /// Creates and unlinks a temporary file in `directory` (mode 0600).
    public init(directory: String) throws {
        var template = Array((directory.hasSuffix("/") ? directory : directory + "/").utf8CString.dropLast())
            + Array("vaultops-restore-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw PostgresRestoreError(kind: .io, message: "cannot create a temporary file in \(directory): \(String(cString: strerror(errno)))")
        }
        unlink(template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        self.fd = fd
    }

    deinit { close(fd) }

    /// Appends `bytes`; returns their offset in the spool (after a failure, nothing is written any more).
    @discardableResult
    public func append(_ bytes: UnsafeRawBufferPointer) -> Int64 {
        let offset = size
        guard failure == nil, var base = bytes.baseAddress else { return offset }
        var left = bytes.count
        while left > 0 {
            let n = write(fd, base, left)
            if n < 0 {
                if errno == EINTR { continue }
                failure = "cannot write the temporary copy of the table data: \(String(cString: strerror(errno)))"
                return offset
            }
            base += n
            left -= n
        }
        size += Int64(bytes.count)
        return offset
    }

    /// Reads up to `buffer.count` bytes at `offset`; 0 at the end.
    public func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        while true {
            let n = pread(fd, base, buffer.count, off_t(offset))
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw PostgresRestoreError(kind: .io, message: "cannot read the temporary copy of the table data: \(String(cString: strerror(errno)))")
        }
    }
}
