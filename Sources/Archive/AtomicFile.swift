import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file written under `<destination>.partial` and moved to its final name only when complete.
///
/// The partial file is created fresh with mode 0600 (a stale one left by a crashed run is replaced).
/// Everything written is counted and hashed (SHA-256) on the way. `commit()` fsyncs the data, gives it
/// its final name without ever replacing an existing file, and fsyncs the folder, so after a crash there is
/// either a complete file or none. Without `commit()` the partial file is removed (`discard()` or deinit).
/// `seal()` does the first half (fsync, close, hash) when something must happen between the data being
/// final and its name appearing (a backup's manifest goes into place first).
///
/// - Important: single-owner and not thread-safe.
public final class AtomicFile: ByteSink {
    /// The final path.
    public let destination: String
    /// The path written until commit: `<destination>.partial`.
    public let partialPath: String
    /// Bytes written so far.
    public private(set) var bytesWritten: UInt64 = 0
    /// The lowercase hex SHA-256 of the content; set by `seal()` or `commit()`.
    public private(set) var sha256Hex: String?

    private var fd: Int32
    private var hasher = SHA256Hasher()
    private enum State { case writing, sealed, committed, discarded }
    private var state = State.writing

    /// Starts writing a new file that will be named `destination` on commit.
    ///
    /// Fails early with `.destinationExists` when the final name is already taken.
    public init(destination: String, mode: mode_t = 0o600) throws {
        let partialPath = destination + ".partial"
        self.destination = destination
        self.partialPath = partialPath
        var st = stat()
        if lstat(destination, &st) == 0 { throw ArchiveError.destinationExists(destination) }
        // A stale partial from a crashed run is garbage by definition: nothing renamed it into place.
        if unlink(partialPath) != 0 && errno != ENOENT { throw ArchiveError.posix("remove stale", partialPath) }
        let fd = retryOnEINTR { open(partialPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode) }
        guard fd >= 0 else { throw ArchiveError.posix("create", partialPath) }
        // The umask can only remove bits; set the mode exactly so backups are never group/world readable.
        if fchmod(fd, mode) != 0 {
            let code = errno
            _ = close(fd)
            _ = unlink(partialPath)
            throw ArchiveError.posix("chmod", partialPath, code)
        }
        self.fd = fd
    }

    /// Starts writing a new file that will be named `destination` on commit.
    public convenience init(destination: URL, mode: mode_t = 0o600) throws {
        try self.init(destination: destination.path, mode: mode)
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard state == .writing else { throw ArchiveError.misuse("write to \(destination) after commit or discard") }
        try writeAll(fd: fd, bytes, path: partialPath)
        hasher.update(bytes)
        bytesWritten += UInt64(bytes.count)
    }

    /// Makes the file durable and gives it its final name; never replaces an existing file.
    ///
    /// Order: fsync the data, link it to the final name (fails with `.destinationExists` if taken), remove
    /// the partial name, fsync the folder. On any error the partial file is removed.
    public func commit() throws {
        if state == .writing { try seal() }
        guard state == .sealed else { throw ArchiveError.misuse("commit of \(destination) twice or after discard") }
        do {
            try Self.linkNoReplace(from: partialPath, to: destination)
            state = .committed
            if unlink(partialPath) != 0 && errno != ENOENT { throw ArchiveError.posix("remove", partialPath) }
            try Self.syncDirectory(of: destination)
        } catch {
            if state == .sealed { discard() }
            throw error
        }
    }

    /// Makes the data durable and final (fsync, close) and sets `sha256Hex`, still under the partial name.
    public func seal() throws {
        guard state == .writing else { throw ArchiveError.misuse("seal of \(destination) twice or after commit or discard") }
        do {
            if retryOnEINTR({ fsync(fd) }) != 0 { throw ArchiveError.posix("fsync", partialPath) }
            let descriptor = fd
            fd = -1
            if close(descriptor) != 0 { throw ArchiveError.posix("close", partialPath) }
            sha256Hex = hasher.finalizeHex()
            state = .sealed
        } catch {
            discard()
            throw error
        }
    }

    /// Abandons the file: closes and removes the partial file. Safe to call more than once.
    public func discard() {
        guard state == .writing || state == .sealed else { return }
        state = .discarded
        if fd >= 0 { _ = close(fd); fd = -1 }
        _ = unlink(partialPath)
    }

    deinit { discard() }

    /// Writes a small file (a manifest) atomically in one call and returns its SHA-256.
    @discardableResult
    public static func write(data: some DataProtocol, to destination: String, mode: mode_t = 0o600) throws -> String {
        let file = try AtomicFile(destination: destination, mode: mode)
        try file.write(data)
        try file.commit()
        return file.sha256Hex!
    }

    /// Writes a small file (a manifest) atomically in one call and returns its SHA-256.
    @discardableResult
    public static func write(data: some DataProtocol, to destination: URL, mode: mode_t = 0o600) throws -> String {
        try write(data: data, to: destination.path, mode: mode)
    }

    /// Gives `source` the name `target` unless `target` exists, atomically.
    static func linkNoReplace(from source: String, to target: String) throws {
        if link(source, target) == 0 { return }
        let code = errno
        if code == EEXIST { throw ArchiveError.destinationExists(target) }
        // Some filesystems (vfat, some FUSE mounts) have no hard links; renameat2 gives the same guarantee.
        guard code == EPERM || code == EOPNOTSUPP || code == ENOSYS, let rename = renameat2Function else {
            throw ArchiveError.posix("link", target, code)
        }
        if rename(AT_FDCWD, source, AT_FDCWD, target, 1 /* RENAME_NOREPLACE */) == 0 { return }
        if errno == EEXIST { throw ArchiveError.destinationExists(target) }
        throw ArchiveError.posix("rename", target)
    }

    /// fsyncs the folder holding `path`, so the new name survives a power loss.
    package static func syncDirectory(of path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let dirPath = directory.isEmpty ? "." : directory
        let dfd = open(dirPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dfd >= 0 else { throw ArchiveError.posix("open folder", dirPath) }
        defer { _ = close(dfd) }
        if retryOnEINTR({ fsync(dfd) }) != 0 && errno != EINVAL { throw ArchiveError.posix("fsync folder", dirPath) }
    }
}

@available(*, unavailable)
extension AtomicFile: Sendable {}

private typealias Renameat2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32

// glibc declares renameat2 only under _GNU_SOURCE, which the Glibc module does not set; look it up instead.
private let renameat2Function: Renameat2? = {
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2") else { return nil }
    return unsafeBitCast(symbol, to: Renameat2.self)
}()
