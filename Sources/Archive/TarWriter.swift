import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Something the tar writer noticed but that did not stop it (a file changed or vanished while read).
public struct TarWarning: Sendable, Equatable, CustomStringConvertible {
    /// The file on disk.
    public var path: String
    /// What happened.
    public var message: String
    public var description: String { "\(path): \(message)" }
}

/// Writes a POSIX pax/ustar tar stream into a sink.
///
/// Regular files, directories and symlinks (stored as links, never followed) keep their mode, mtime (to the
/// nanosecond, in a pax record), uid/gid and owner names; FIFOs are stored as FIFOs (as GNU tar does), sockets
/// and devices are reported in `warnings` and `notArchived`. Names or link targets over 100 bytes or not ASCII,
/// sizes of 8 GiB or more, and ids that do not fit ustar go into pax 'x' records.
///
/// A file whose size or mtime changes while it is read (GNU tar's "file changed as we read it") is read again and
/// stored a second time under the same name: the header must come before the data, so the torn first copy stays in
/// the stream, and extraction (ours, GNU tar's, Python's) keeps the last copy. If it changes again,
/// `changedFilePolicy` decides: fail the archive, or keep the second copy and list the file in `changedFiles`.
///
/// - Important: single-owner and not thread-safe.
public final class TarWriter {
    /// Problems that did not stop the archive, such as files that changed while read.
    public private(set) var warnings: [TarWarning] = []
    /// Sockets and devices found under the folders and not archived (paths on disk).
    public private(set) var notArchived: [String] = []
    /// Entries written so far.
    public private(set) var entryCount = 0
    /// Bytes of file content written so far (without headers and padding).
    public private(set) var contentBytes: UInt64 = 0

    /// What to do with a file that still changes when it is read a second time.
    public enum ChangedFilePolicy: Sendable {
        /// Throw `ArchiveError.changedWhileRead` (the default: an archive never holds a torn file unnoticed).
        case fail
        /// Keep the second copy as read, list the file in `changedFiles` and `warnings`, and go on.
        case record
    }

    /// What to do with a file that still changes when it is read a second time.
    public var changedFilePolicy = ChangedFilePolicy.fail
    /// Files (paths on disk) stored although they changed while read twice; only with the `.record` policy.
    public private(set) var changedFiles: [String] = []
    /// Decides which paths below a folder given to `append(directory:as:)` are archived: called with the path
    /// relative to that folder (`a/b.txt`) and whether it is a directory; a directory it refuses is not entered.
    public var include: ((_ relativePath: String, _ isDirectory: Bool) -> Bool)?
    /// Paths on disk that `include` refused.
    public private(set) var excluded: [String] = []
    /// Whether folders on another file system than the one given to `append(directory:as:)` are entered; when
    /// false they are stored empty, as GNU tar's `--one-file-system` does, and listed in `skippedMountPoints`.
    public var crossFileSystems = true
    /// Folders (paths on disk) stored empty because they are on another file system.
    public private(set) var skippedMountPoints: [String] = []
    /// Called after the first chunk of each regular file is read, with its path on disk and the attempt (1 or 2).
    ///
    /// - Important: for tests, which change the file at that moment.
    package var afterFirstChunk: ((String, Int) -> Void)?

    private let sink: ByteSink
    private let buffer: UnsafeMutableRawBufferPointer
    private var finished = false
    private var userNames: [UInt32: String] = [:]
    private var groupNames: [UInt32: String] = [:]

    /// Starts a tar stream into `sink` (usually a `GzipWriter`).
    public init(sink: ByteSink) {
        self.sink = sink
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// Appends `directory` and everything below it as `rootName/…`, in sorted (byte) order, without following symlinks.
    ///
    /// `rootName` is a relative archive path (`uploads`, or `.` / empty for `./…` names as `tar -C dir .` makes).
    /// When `directory` itself is a symlink to a folder, that one link is followed (a configured source path is
    /// often a link); links below it are stored as links.
    public func append(directory: URL, as rootName: String) throws {
        var root = directory.path
        var st = stat()
        guard lstat(root, &st) == 0 else { throw ArchiveError.posix("stat", root) }
        if (st.st_mode & S_IFMT) == S_IFLNK {
            guard let resolved = realpath(root, nil) else { throw ArchiveError.posix("resolve", root) }
            root = String(cString: resolved)
            free(resolved)
            guard lstat(root, &st) == 0 else { throw ArchiveError.posix("stat", root) }
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else {
            throw ArchiveError.misuse("\(root) is not a directory")
        }
        var rootEntryName = rootName
        while rootEntryName.hasSuffix("/") { rootEntryName.removeLast() }
        if rootEntryName.isEmpty { rootEntryName = "." }
        guard !rootName.hasPrefix("/"), !rootEntryName.split(separator: "/").contains("..") else {
            throw ArchiveError.misuse("archive root name \(rootName.debugDescription) must be a relative path without '..'")
        }
        let rootDevice = st.st_dev
        // Depth-first with an explicit stack; children pushed in reverse so they come out sorted.
        var stack: [(disk: String, name: String, relative: String)] = [(root, rootEntryName, "")]
        while let item = stack.popLast() {
            let (disk, name) = (item.disk, item.name)
            let below = item.relative.isEmpty ? nil : (item.relative, rootDevice)
            guard let isDirectory = try appendOne(path: disk, as: name, below: below) else { continue }
            guard isDirectory else { continue }
            let children: [String]
            do {
                children = try listDirectory(disk)
            } catch ArchiveError.io(_, _, ENOENT) where disk != root {
                warnings.append(TarWarning(path: disk, message: "removed while being archived; its contents are not in the archive"))
                continue
            }
            let sorted = children.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            for child in sorted.reversed() {
                stack.append((disk + "/" + child, name + "/" + child, item.relative.isEmpty ? child : item.relative + "/" + child))
            }
        }
    }

    /// Appends one file, directory (without its contents) or symlink from disk under the archive name `name`.
    public func append(file: URL, as name: String) throws {
        _ = try appendOne(path: file.path, as: name)
    }

    /// Appends an entry whose content comes from `contents` (exactly `entry.size` bytes are stored).
    ///
    /// A source that ends early is padded with zeros and one that has more is cut; both are reported.
    public func append(entry: TarEntry, contents: ByteSource?) throws {
        if let change = try write(entry: entry, contents: contents, afterFirstChunk: nil) {
            warnings.append(TarWarning(path: entry.name, message: change))
        }
    }

    /// Writes the header and exactly `entry.size` bytes; returns how the source differed from that size, if it did.
    private func write(entry: TarEntry, contents: ByteSource?, afterFirstChunk: (() -> Void)?) throws -> String? {
        guard !finished else { throw ArchiveError.misuse("TarWriter.append after finish()") }
        try sink.write(TarHeader.encode(entry))
        entryCount += 1
        guard !entry.kind.isHeaderOnly else { return nil }
        var remaining = entry.size
        var change: String?
        if let contents {
            var firstChunk = true
            while remaining > 0 {
                let want = Int(min(UInt64(buffer.count), remaining))
                let n = try contents.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]))
                if firstChunk { firstChunk = false; afterFirstChunk?() }
                if n == 0 { break }
                try sink.write(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
                remaining -= UInt64(n)
                contentBytes += UInt64(n)
            }
        }
        if remaining > 0 {
            change = "shrank while being read: \(remaining) of \(entry.size) bytes were missing and are stored as zeros"
            try writeZeros(remaining)
        } else if let contents {
            let n = try contents.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<1]))
            if n > 0 { change = "grew while being read: stored only the first \(entry.size) bytes" }
        }
        try writeZeros(UInt64(TarHeader.padding(for: entry.size)))
        return change
    }

    /// Ends the archive with two zero blocks. Call once, then finish the sink (`GzipWriter.finish()`).
    public func finish() throws {
        guard !finished else { throw ArchiveError.misuse("TarWriter.finish() called twice") }
        try writeZeros(UInt64(2 * TarHeader.blockSize))
        finished = true
    }

    private func writeZeros(_ count: UInt64) throws {
        guard count > 0 else { return }
        var remaining = count
        let zeroCount = Int(min(UInt64(buffer.count), remaining))
        let zeros = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<zeroCount])
        zeros.initializeMemory(as: UInt8.self, repeating: 0)
        while remaining > 0 {
            let n = Int(min(UInt64(zeroCount), remaining))
            try sink.write(UnsafeRawBufferPointer(rebasing: zeros[0..<n]))
            remaining -= UInt64(n)
        }
    }

    /// Appends what is at `path`; returns whether it is a directory to enter, or nil when it was skipped.
    ///
    /// `below` is, for a path under a folder given to `append(directory:as:)`, its path relative to that folder
    /// and the folder's device: `include` and `crossFileSystems` apply to it.
    private func appendOne(path: String, as name: String, below: (relative: String, device: dev_t)? = nil) throws -> Bool? {
        var st = stat()
        guard lstat(path, &st) == 0 else {
            if errno == ENOENT, entryCount > 0 {
                warnings.append(TarWarning(path: path, message: "removed before it could be read; not archived"))
                return nil
            }
            throw ArchiveError.posix("stat", path)
        }
        if let below, let include, !include(below.relative, (st.st_mode & S_IFMT) == S_IFDIR) {
            excluded.append(path)
            return nil
        }
        var entry = TarEntry(name: name, kind: .regular, mode: UInt32(st.st_mode) & 0o7777,
                             mtime: Int64(st.st_mtim.tv_sec), mtimeNanoseconds: Int32(st.st_mtim.tv_nsec),
                             uid: Int(st.st_uid), gid: Int(st.st_gid),
                             uname: userName(st.st_uid), gname: groupName(st.st_gid))
        switch st.st_mode & S_IFMT {
        case S_IFDIR:
            entry.kind = .directory
            if !entry.name.hasSuffix("/") { entry.name += "/" }
            try append(entry: entry, contents: nil)
            if let below, !crossFileSystems, st.st_dev != below.device {
                skippedMountPoints.append(path)
                return false
            }
            return true
        case S_IFLNK:
            entry.kind = .symlink
            entry.linkName = try readLink(path, size: Int(st.st_size))
            try append(entry: entry, contents: nil)
            return false
        case S_IFREG:
            return try appendRegularFile(path: path, entry: entry)
        case S_IFIFO:
            entry.kind = .fifo
            try append(entry: entry, contents: nil)
            return false
        default:
            // Sockets and devices are not data a backup can restore; say so rather than skip silently.
            let what = (st.st_mode & S_IFMT) == S_IFSOCK ? "a socket" : "a device"
            warnings.append(TarWarning(path: path, message: "is \(what); not archived"))
            notArchived.append(path)
            return nil
        }
    }

    /// Stores a regular file, reading it a second time when it changed during the first read (see the type's doc).
    private func appendRegularFile(path: String, entry template: TarEntry) throws -> Bool? {
        var lastChange = ""
        attempts: for attempt in 1...2 {
            let source: FileSource
            do {
                source = try FileSource(path: path, followSymlinks: false)
            } catch ArchiveError.io(_, _, ENOENT) {
                guard attempt == 2 else {
                    warnings.append(TarWarning(path: path, message: "removed before it could be read; not archived"))
                    return nil
                }
                // Only the torn first copy is in the archive: that is a changed file like any other.
                lastChange += "; then it was removed"
                break attempts
            }
            defer { source.close() }
            // The header comes from the open file, the one whose bytes are stored.
            var before = stat()
            guard fstat(source.fileDescriptor, &before) == 0 else { throw ArchiveError.posix("stat", path) }
            guard (before.st_mode & S_IFMT) == S_IFREG else {
                throw ArchiveError.misuse("\(path) changed type while being archived")
            }
            var entry = template
            entry.size = UInt64(before.st_size)
            entry.mtime = Int64(before.st_mtim.tv_sec)
            entry.mtimeNanoseconds = Int32(before.st_mtim.tv_nsec)
            let hook = afterFirstChunk
            var change = try write(entry: entry, contents: source, afterFirstChunk: hook.map { hook in { hook(path, attempt) } })
            var after = stat()
            guard fstat(source.fileDescriptor, &after) == 0 else { throw ArchiveError.posix("stat", path) }
            if change == nil && after.st_size != before.st_size {
                change = "its size went from \(before.st_size) to \(after.st_size) bytes"
            } else if change == nil && (after.st_mtim.tv_sec != before.st_mtim.tv_sec || after.st_mtim.tv_nsec != before.st_mtim.tv_nsec) {
                change = "it was modified while being read"
            }
            guard let change else { return false }
            lastChange = change
        }
        switch changedFilePolicy {
        case .fail:
            throw ArchiveError.changedWhileRead(path: path, detail: lastChange)
        case .record:
            changedFiles.append(path)
            warnings.append(TarWarning(path: path, message: "changed while being read, twice (\(lastChange)); stored as read the second time"))
            return false
        }
    }

    private func readLink(_ path: String, size: Int) throws -> String {
        var capacity = max(size, 255) + 1
        while true {
            var bytes = [CChar](repeating: 0, count: capacity)
            let n = readlink(path, &bytes, capacity)
            guard n >= 0 else { throw ArchiveError.posix("readlink", path) }
            if n < capacity {
                return String(decoding: bytes[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
            capacity *= 2
        }
    }

    private func userName(_ uid: uid_t) -> String {
        if let cached = userNames[uid] { return cached }
        var pwd = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var storage = [CChar](repeating: 0, count: 4096)
        var name = ""
        if getpwuid_r(uid, &pwd, &storage, storage.count, &result) == 0, result != nil, let pw_name = pwd.pw_name {
            name = String(cString: pw_name)
        }
        userNames[uid] = name
        return name
    }

    private func groupName(_ gid: gid_t) -> String {
        if let cached = groupNames[gid] { return cached }
        var grp = group()
        var result: UnsafeMutablePointer<group>?
        var storage = [CChar](repeating: 0, count: 4096)
        var name = ""
        if getgrgid_r(gid, &grp, &storage, storage.count, &result) == 0, result != nil, let gr_name = grp.gr_name {
            name = String(cString: gr_name)
        }
        groupNames[gid] = name
        return name
    }
}

@available(*, unavailable)
extension TarWriter: Sendable {}

/// The names in a folder (without `.` and `..`), with the real errno on failure.
func listDirectory(_ path: String) throws -> [String] {
    guard let dir = opendir(path) else { throw ArchiveError.posix("open folder", path) }
    defer { closedir(dir) }
    var names: [String] = []
    while true {
        errno = 0
        guard let entry = readdir(dir) else {
            if errno != 0 { throw ArchiveError.posix("read folder", path) }
            return names
        }
        let name = withUnsafePointer(to: entry.pointee.d_name) {
            $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
        }
        if name != "." && name != ".." { names.append(name) }
    }
}
