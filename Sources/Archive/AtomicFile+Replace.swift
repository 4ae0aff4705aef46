import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension AtomicFile {
    /// Replaces the file at `url` with `data` so that readers see either the old or the new content.
    ///
    /// For files rewritten in place (the run's status, metrics, the replicator's state), where `AtomicFile` itself
    /// never replaces a name. Writes a hidden temporary file in the same folder (so node_exporter's `*.prom` glob
    /// never sees it), fsyncs it, renames it over the target and fsyncs the folder, so that after a crash the file
    /// holds one whole version. Without `durable`, no fsync: for a heartbeat rewritten every few seconds, where a
    /// version lost in a crash is replaced a moment later and the flushes would compete with the app's.
    public static func replace(at url: URL, with data: Data, mode: mode_t, durable: Bool = true) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())").path
        let fd = retryOnEINTR { open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode) }
        guard fd >= 0 else { throw ArchiveError.posix("create", temporary) }
        var renamed = false
        defer {
            if !renamed { unlink(temporary) }
        }
        do {
            defer { close(fd) }
            // The umask may have removed bits; node_exporter (another user) must be able to read metrics.
            guard fchmod(fd, mode) == 0 else { throw ArchiveError.posix("chmod", temporary) }
            try data.withUnsafeBytes { try writeAll(fd: fd, $0, path: temporary) }
            if durable, retryOnEINTR({ fsync(fd) }) != 0 { throw ArchiveError.posix("fsync", temporary) }
        }
        guard rename(temporary, url.path) == 0 else { throw ArchiveError.posix("rename into place", url.path) }
        renamed = true
        // The new content is in place; a folder that cannot be synced costs only durability, as before.
        if durable { try? syncDirectory(of: url.path) }
    }
}
