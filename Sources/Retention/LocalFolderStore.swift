import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The backups in one local folder (not its subfolders).
///
/// Symbolic links, subfolders and other special files are listed as `.other` and never read or removed,
/// so a link named like a backup can never make prune delete something outside the folder.
public struct LocalFolderStore: RetentionStore {
    /// The folder.
    public let directory: URL

    /// A store for the folder at `path`.
    public init(path: String) {
        directory = URL(fileURLWithPath: path, isDirectory: true)
    }

    public var location: String { directory.path }

    public func list() throws(RetentionError) -> [StoredObject] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            var st = stat()
            let reason = lstat(directory.path, &st) != 0 ? errnoText()
                : (st.st_mode & S_IFMT) != S_IFDIR ? "not a folder" : "\(error.localizedDescription)"
            throw RetentionError(.listFailed, "cannot list the backup folder", object: directory.path, underlying: reason)
        }
        var objects: [StoredObject] = []
        for name in names {
            var st = stat()
            // lstat: a symbolic link is judged as the link itself, never as what it points to.
            guard lstat(path(name), &st) == 0 else {
                // Removed between listing and lstat (another prune, a backup renaming its .partial).
                if errno == ENOENT { continue }
                throw RetentionError(.listFailed, "cannot inspect a file in the backup folder", object: path(name),
                                     underlying: errnoText())
            }
            let modified = Date(timeIntervalSince1970: Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9)
            let isRegular = (st.st_mode & S_IFMT) == S_IFREG
            objects.append(StoredObject(name: name, size: isRegular ? Int64(st.st_size) : 0, modified: modified,
                                        kind: isRegular ? .file : .other))
        }
        return objects
    }

    public func read(_ object: StoredObject, limit: Int) throws(RetentionError) -> Data {
        guard object.kind == .file else {
            throw RetentionError(.readFailed, "only regular files are read", object: path(object.name))
        }
        // O_NOFOLLOW: the entry was a regular file when listed; refuse it if a link took its place since.
        let fd = open(path(object.name), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            throw RetentionError(.readFailed, "cannot open the file", object: path(object.name), underlying: errnoText())
        }
        defer { close(fd) }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while data.count < limit {
            let wanted = min(buffer.count, limit - data.count)
            let count = buffer.withUnsafeMutableBytes { readFD(fd, $0.baseAddress, wanted) }
            if count < 0 {
                if errno == EINTR { continue }
                throw RetentionError(.readFailed, "cannot read the file", object: path(object.name), underlying: errnoText())
            }
            if count == 0 { break }
            data.append(contentsOf: buffer[0..<count])
        }
        return data
    }

    public func remove(_ object: StoredObject) throws(RetentionError) {
        try unlinkFile(object)
        // Make the removal durable before the caller goes on: an artifact must be gone for good before its
        // manifest is removed, or a crash could bring back an artifact without a manifest.
        try syncDirectory()
    }

    /// Unlinks every file, then syncs the folder once: as durable as one at a time, with one fsync.
    public func remove(batch objects: [StoredObject]) -> [String: RetentionError] {
        var failures: [String: RetentionError] = [:]
        var unlinked: [String] = []
        for object in objects {
            do {
                try unlinkFile(object)
                unlinked.append(object.name)
            } catch {
                failures[object.name] = error
            }
        }
        if !unlinked.isEmpty {
            do { try syncDirectory() } catch { for name in unlinked { failures[name] = error } }
        }
        return failures
    }

    /// Reads the whole file and compares its size and SHA-256 with the manifest's.
    public func checkContent(_ object: StoredObject, against manifest: ManifestSummary) -> ContentCheck {
        guard let expected = manifest.sha256 else { return .unavailable("its manifest records no SHA-256") }
        guard object.kind == .file else { return .unavailable("not a regular file") }
        let digest: (hex: String, size: Int64)
        do {
            digest = try Self.sha256(ofFile: path(object.name))
        } catch {
            return .unavailable(error.description)
        }
        if let size = manifest.byteSize, size != digest.size {
            return .differs("size \(digest.size) differs from the manifest's \(size)")
        }
        return digest.hex == expected ? .matches("SHA-256")
            : .differs("SHA-256 \(digest.hex) differs from the manifest's \(expected): the file is damaged")
    }

    /// The lowercase hex SHA-256 and the size of the file at `path`, read in 1 MiB blocks; a link is refused.
    static func sha256(ofFile path: String) throws(RetentionError) -> (hex: String, size: Int64) {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw RetentionError(.readFailed, "cannot open the file", object: path, underlying: errnoText()) }
        defer { close(fd) }
        var hasher = SHA256()
        var size: Int64 = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { readFD(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw RetentionError(.readFailed, "cannot read the file", object: path, underlying: errnoText())
            }
            if count == 0 { break }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            size += Int64(count)
        }
        return (hasher.finalize().map { String(format: "%02x", $0) }.joined(), size)
    }

    private func unlinkFile(_ object: StoredObject) throws(RetentionError) {
        guard object.kind == .file else {
            throw RetentionError(.removeFailed, "only regular files are removed", object: path(object.name))
        }
        if unlink(path(object.name)) != 0, errno != ENOENT {
            throw RetentionError(.removeFailed, "cannot remove the file", object: path(object.name), underlying: errnoText())
        }
    }

    private func syncDirectory() throws(RetentionError) {
        let dirFD = open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dirFD >= 0 else {
            throw RetentionError(.removeFailed, "cannot open the backup folder to sync it", object: directory.path,
                                 underlying: errnoText())
        }
        defer { close(dirFD) }
        if fsync(dirFD) != 0 {
            throw RetentionError(.removeFailed, "cannot sync the backup folder", object: directory.path, underlying: errnoText())
        }
    }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
}

/// The text of the current `errno`.
func errnoText() -> String { String(cString: strerror(errno)) }

/// `read(2)`, named apart from `RetentionStore.read` so the call inside the store reaches the system.
private func readFD(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fd, buffer, count)
}
