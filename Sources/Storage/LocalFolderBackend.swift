import Foundation
import ObjectStorage
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Objects as files under one local folder: names are paths below it.
///
/// Writes go to a temporary file beside the target, are fsynced, and appear under their name in one step
/// (`link`, so a save without `overwrite` can never replace a file that appeared meanwhile); removals fsync the
/// folder. Symbolic links are listed as `.other` and never followed, read or removed.
public struct LocalFolderBackend: StorageBackend {
    /// The folder.
    public let directory: URL

    public init(path: String) {
        directory = URL(fileURLWithPath: path, isDirectory: true).standardizedFileURL
    }

    public var location: String { directory.path.hasSuffix("/") ? directory.path : directory.path + "/" }

    /// The folder's path, as prune has always named it (`/var/backups`).
    public var displayLocation: String { directory.path }

    /// Sub-folders are named as themselves (`old`), as prune has always listed them.
    public func displayName(of entry: StorageEntry) -> String {
        guard entry.kind == .folder, entry.name.hasSuffix("/") else { return entry.name }
        return String(entry.name.dropLast())
    }

    public func isNotFound(_ error: any Error) -> Bool { (error as? StorageError)?.kind == .notFound }

    /// Itself: a folder has no connection to share, and each call opens its own files.
    public func sibling(parallelism: Int) -> LocalFolderBackend { self }

    // MARK: - Reading

    public func stat(_ name: String) throws -> StorageEntry {
        let path = try self.path(name)
        var st = Glibc.stat()
        guard lstat(path, &st) == 0 else { throw failure(errno, "cannot inspect the file", path) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw StorageError(.notFound, "not a regular file", object: path) }
        return Self.entry(name, st)
    }

    public func load(_ name: String, range: ClosedRange<Int64>?) throws -> Data {
        let path = try self.path(name)
        let fd = try openForReading(path)
        defer { close(fd) }
        let size = Int64(lseek(fd, 0, SEEK_END))
        let start = range?.lowerBound ?? 0
        let end = min(size - 1, range?.upperBound ?? size - 1)
        guard start <= end else { return Data() }
        var data = Data(count: Int(end - start + 1))
        var done = 0
        while done < data.count {
            let n = data.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, $0.count - done, off_t(start) + off_t(done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw failure(errno, "cannot read the file", path) }
            done += n
        }
        return data
    }

    public func load(_ name: String, to destination: URL, listed: StorageEntry?, progress: StorageProgress?) throws -> LoadedObject {
        let source = try path(name)
        let fd = try openForReading(source)
        defer { close(fd) }
        let partial = destination.path + ".partial"
        let (size, crc) = try Self.copy(from: fd, to: partial, progress: progress)
        guard rename(partial, destination.path) == 0 else {
            let error = failure(errno, "cannot rename \(partial) into place", destination.path)
            unlink(partial)
            throw error
        }
        return LoadedObject(size: size, crc64: crc)
    }

    public func list(prefix: String, recursive: Bool) throws -> [StorageEntry] {
        let folder = prefix.contains("/") ? String(prefix[...prefix.lastIndex(of: "/")!]) : ""
        if !folder.isEmpty { _ = try path(String(folder.dropLast())) }
        var entries: [StorageEntry] = []
        try walk(folder, recursive: recursive) { name, st in
            guard name.hasPrefix(prefix) else { return }
            switch st.st_mode & S_IFMT {
            case S_IFREG: entries.append(Self.entry(name, st))
            case S_IFDIR: entries.append(StorageEntry(name: name + "/", size: 0, modified: Self.mtime(st), kind: .folder))
            default: entries.append(StorageEntry(name: name, size: 0, modified: Self.mtime(st), kind: .other))
            }
        }
        return entries.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }  // OSS's order
    }

    /// Calls `body` for each entry of `folder` (relative, empty or ending in `/`), descending when `recursive`
    /// (folders are then not reported themselves). A missing folder below the root has no entries; a missing root
    /// is an error, as a missing bucket is for OSS (a mistyped backup folder must not look empty).
    private func walk(_ folder: String, recursive: Bool, _ body: (String, Glibc.stat) throws -> Void) throws {
        let full = directory.appendingPathComponent(folder).path
        guard let dir = opendir(full) else {
            if !folder.isEmpty && (errno == ENOENT || errno == ENOTDIR) { return }
            throw failure(errno, "cannot list the folder", full)
        }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            if name != "." && name != ".." && !name.hasSuffix(".vaultops-tmp") { names.append(name) }
        }
        closedir(dir)
        for name in names {
            var st = Glibc.stat()
            // lstat: a link is judged as itself, never as what it points to; gone since readdir means skip it.
            guard lstat(full + "/" + name, &st) == 0 else { continue }
            if recursive && (st.st_mode & S_IFMT) == S_IFDIR {
                try walk(folder + name + "/", recursive: true, body)
            } else {
                try body(folder + name, st)
            }
        }
    }

    // MARK: - Writing

    public func save(_ name: String, from file: URL, options: SaveOptions, progress: StorageProgress?) throws -> SavedObject {
        let target = try path(name)
        let fd = open(file.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure(errno, "cannot open the file to store it", file.path) }
        defer { close(fd) }
        try makeParent(of: target)
        let temporary = target + ".\(UUID().uuidString.prefix(8)).vaultops-tmp"
        // Gone in every case: renamed into place, linked (the name stays), or left by a failure.
        defer { unlink(temporary) }
        let (size, crc) = try Self.copy(from: fd, to: temporary, progress: progress)
        try publish(temporary, as: target, overwrite: options.overwrite)
        return SavedObject(name: name, size: size, crc64: crc)
    }

    public func save(_ name: String, data: Data, options: SaveOptions) throws -> SavedObject {
        let target = try path(name)
        try makeParent(of: target)
        let temporary = target + ".\(UUID().uuidString.prefix(8)).vaultops-tmp"
        defer { unlink(temporary) }
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure(errno, "cannot create the file", temporary) }
        defer { close(fd) }
        try Self.writeAll(data, to: fd, path: temporary)
        guard fsync(fd) == 0 else { throw failure(errno, "cannot sync the file", temporary) }
        try publish(temporary, as: target, overwrite: options.overwrite)
        return SavedObject(name: name, size: Int64(data.count), crc64: CRC64.checksum(data))
    }

    public func remove(_ name: String) throws {
        try remove([name])
    }

    /// Unlinks every file, then syncs each folder touched once: as durable as one at a time.
    public func remove(_ names: [String]) throws {
        var folders = Set<String>()
        for name in names {
            let path = try self.path(name)
            var st = Glibc.stat()
            if lstat(path, &st) == 0 && (st.st_mode & S_IFMT) != S_IFREG {
                throw StorageError(.io, "only regular files are removed", object: path)
            }
            if unlink(path) != 0 && errno != ENOENT { throw failure(errno, "cannot remove the file", path) }
            folders.insert((path as NSString).deletingLastPathComponent)
        }
        for folder in folders.sorted() { try syncFolder(folder) }
    }

    /// Makes the fsynced `temporary` appear as `target` and syncs the folder; without `overwrite` an existing
    /// `target` is kept and the save fails.
    private func publish(_ temporary: String, as target: String, overwrite: Bool) throws {
        if overwrite {
            guard rename(temporary, target) == 0 else { throw failure(errno, "cannot move the file into place", target) }
        } else if link(temporary, target) != 0 {
            if errno == EEXIST { throw StorageError(.alreadyExists, "the file exists and is never overwritten", object: target) }
            throw failure(errno, "cannot move the file into place", target)
        }
        try syncFolder((target as NSString).deletingLastPathComponent)
    }

    private func makeParent(of target: String) throws {
        let parent = (target as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw StorageError(.io, "cannot create the folder: \(error.localizedDescription)", object: parent)
        }
    }

    private func syncFolder(_ folder: String) throws {
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw failure(errno, "cannot open the folder to sync it", folder) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw failure(errno, "cannot sync the folder", folder) }
    }

    // MARK: - Helpers

    /// The file for `name`; names that would leave the folder or are not plain relative paths are refused.
    func path(_ name: String) throws -> String {
        let segments = name.split(separator: "/", omittingEmptySubsequences: false)
        guard !name.isEmpty, !name.hasPrefix("/"), !segments.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else {
            throw StorageError(.invalidName, "the name '\(name)' is not a relative path of plain segments", object: location + name)
        }
        return directory.appendingPathComponent(name).path
    }

    private func openForReading(_ path: String) throws -> Int32 {
        // O_NOFOLLOW: a link named like an object is never read through.
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw failure(errno, "cannot open the file", path) }
        return fd
    }

    private func failure(_ code: Int32, _ message: String, _ path: String) -> StorageError {
        StorageError(code == ENOENT ? .notFound : .io, "\(message): \(String(cString: strerror(code)))", object: path)
    }

    private static func mtime(_ st: Glibc.stat) -> Date {
        Date(timeIntervalSince1970: Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9)
    }

    private static func entry(_ name: String, _ st: Glibc.stat) -> StorageEntry {
        StorageEntry(name: name, size: Int64(st.st_size), modified: mtime(st))
    }

    /// Copies the open file `source` into a new file `path` (fsynced), returning its size and CRC-64.
    private static func copy(from source: Int32, to path: String, progress: StorageProgress?) throws -> (Int64, UInt64) {
        let out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard out >= 0 else { throw StorageError(.io, "cannot create the file: \(String(cString: strerror(errno)))", object: path) }
        defer { close(out) }
        var st = Glibc.stat()
        let total = fstat(source, &st) == 0 ? Int64(st.st_size) : 0
        var crc = CRC64()
        var size: Int64 = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { pread(source, $0.baseAddress, $0.count, off_t(size)) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw StorageError(.io, "cannot read: \(String(cString: strerror(errno)))", object: path) }
            if n == 0 { break }
            let chunk = Data(buffer[0..<n])
            crc.update(chunk)
            try writeAll(chunk, to: out, path: path)
            size += Int64(n)
            progress?(size, total)
        }
        guard fsync(out) == 0 else { throw StorageError(.io, "cannot sync: \(String(cString: strerror(errno)))", object: path) }
        return (size, crc.value)
    }

    private static func writeAll(_ data: Data, to fd: Int32, path: String) throws {
        var done = 0
        while done < data.count {
            let n = data.withUnsafeBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw StorageError(.io, "cannot write: \(String(cString: strerror(errno)))", object: path) }
            done += n
        }
    }
}
