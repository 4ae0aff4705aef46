import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes the entries of a checked `ExtractionPlan` under the destination, one at a time, never through a link.
///
/// Files go to a temporary name in their folder and are renamed into place when complete (replacing only what
/// the plan allows), so an interrupted extraction never leaves a truncated file under its final name.
struct EntryWriter {
    let root: String
    let plan: ExtractionPlan
    let isRoot: Bool
    let keepSetID: Bool
    let beforeRename: ((String) -> Void)?
    private(set) var report = ExtractionReport()
    /// Non-directory paths (relative) restored completely, in archive order.
    private(set) var restoredInOrder: [String] = []
    /// Paths this run created: a later duplicate entry may replace them even without force.
    private var created = Set<String>()
    private var directories: [(path: String, entry: TarEntry)] = []

    init(root: String, plan: ExtractionPlan, isRoot: Bool, keepSetID: Bool, beforeRename: ((String) -> Void)?) {
        self.root = root
        self.plan = plan
        self.isRoot = isRoot
        self.keepSetID = keepSetID
        self.beforeRename = beforeRename
        report.replaced = plan.replaced
    }

    /// Writes one entry (the reader positioned on its data) as its plan step says.
    mutating func write(_ entry: TarEntry, step: ExtractionPlan.Step, from reader: TarReader) throws {
        guard case .extract(let relative) = step.action else {
            if step.action == .skip { report.skipped.append(entry.name) }
            return
        }
        let path = root + "/" + relative
        try Self.makeParents(root: root, relative: relative)
        // Something that appeared since the plan is replaced only with force, as the plan would have required.
        let mayReplace = plan.force || created.contains(relative)
        created.insert(relative)
        switch entry.kind {
        case .directory:
            var st = stat()
            if lstat(path, &st) == 0 {
                if (st.st_mode & S_IFMT) != S_IFDIR {
                    try Self.remove(path, mayReplace: mayReplace)
                    try Self.makeDirectory(path)
                }
            } else {
                try Self.makeDirectory(path)
            }
            directories.append((path, entry))
            report.directories += 1
            return
        case .regular:
            try writeFile(entry, at: path, mayReplace: mayReplace, from: reader)
            report.files += 1
        case .symlink:
            try Self.remove(path, mayReplace: mayReplace)
            // symlink(2) stores the target as text; nothing is followed, wherever it points.
            if symlink(entry.linkName, path) != 0 { throw ArchiveError.posix("symlink", path) }
            if isRoot, lchown(path, uid_t(clamping: entry.uid), gid_t(clamping: entry.gid)) != 0 {
                throw ArchiveError.posix("chown", path)
            }
            var times = TarExtractor.fileTimes(entry)
            if utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW) != 0 { throw ArchiveError.posix("set mtime", path) }
            report.symlinks += 1
        case .hardlink:
            try Self.remove(path, mayReplace: mayReplace)
            let target = root + "/" + (try Planner.components(entry.linkName, entry: entry.name)).joined(separator: "/")
            if link(target, path) != 0 { throw ArchiveError.posix("hard link to \(target)", path) }
            report.hardlinks += 1
        case .fifo:
            try Self.remove(path, mayReplace: mayReplace)
            if mkfifo(path, 0o600) != 0 { throw ArchiveError.posix("mkfifo", path) }
            try applyOwnerModeAndTimes(entry, at: path)
            report.fifos += 1
        case .characterDevice, .blockDevice, .other:
            throw ArchiveError.misuse("extraction plan lets \(entry.name) through")
        }
        restoredInOrder.append(relative)
    }

    /// Applies the directories' owners, modes and times, deepest first and after their contents, so that a
    /// read-only directory does not block its own files.
    func finishDirectories() throws {
        for (path, entry) in directories.reversed() {
            try applyOwnerModeAndTimes(entry, at: path)
        }
    }

    /// Gives `path` the entry's owner (as root only), mode and mtime.
    private func applyOwnerModeAndTimes(_ entry: TarEntry, at path: String) throws {
        if isRoot, lchown(path, uid_t(clamping: entry.uid), gid_t(clamping: entry.gid)) != 0 {
            throw ArchiveError.posix("chown", path)
        }
        if chmod(path, TarExtractor.restoredMode(entry.mode, isRoot: isRoot, keepSetID: keepSetID)) != 0 {
            throw ArchiveError.posix("chmod", path)
        }
        var times = TarExtractor.fileTimes(entry)
        if utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW) != 0 { throw ArchiveError.posix("set mtime", path) }
    }

    /// Writes a regular file under a temporary name beside `path`, then renames it into place.
    private mutating func writeFile(_ entry: TarEntry, at path: String, mayReplace: Bool, from reader: TarReader) throws {
        try Self.checkReplaceable(path, mayReplace: mayReplace)
        let folder = (path as NSString).deletingLastPathComponent
        var temporary = ""
        var fd: Int32 = -1
        // A random name; O_EXCL | O_NOFOLLOW never reuse or write through whatever is already there.
        for _ in 0..<8 {
            temporary = folder + "/.vaultops-restore-" + String(UInt64.random(in: 0...UInt64.max), radix: 16) + ".partial"
            fd = retryOnEINTR { open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600) }
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else { throw ArchiveError.posix("create", temporary) }
        var inPlace = false
        defer {
            if fd >= 0 { _ = close(fd) }
            if !inPlace { _ = unlink(temporary) }
        }
        let sink = FileSink(fd: fd, name: path)
        report.bytes += try reader.copy(to: sink)
        if isRoot, fchown(fd, uid_t(clamping: entry.uid), gid_t(clamping: entry.gid)) != 0 {
            throw ArchiveError.posix("chown", path)
        }
        if fchmod(fd, TarExtractor.restoredMode(entry.mode, isRoot: isRoot, keepSetID: keepSetID)) != 0 {
            throw ArchiveError.posix("chmod", path)
        }
        var times = TarExtractor.fileTimes(entry)
        if futimens(fd, &times) != 0 { throw ArchiveError.posix("set mtime", path) }
        let descriptor = fd
        fd = -1
        if close(descriptor) != 0 { throw ArchiveError.posix("close", temporary) }
        beforeRename?(temporary)
        if mayReplace {
            // rename(2) replaces a file or a link itself, never what a link points to.
            if rename(temporary, path) != 0 { throw ArchiveError.posix("rename into place", path) }
        } else {
            do {
                try AtomicFile.linkNoReplace(from: temporary, to: path)
            } catch ArchiveError.destinationExists {
                throw ArchiveError.wouldOverwrite(path)
            }
        }
        inPlace = true
        if !mayReplace { _ = unlink(temporary) }
    }

    /// Throws unless `path` is free, or holds a non-directory that may be replaced.
    private static func checkReplaceable(_ path: String, mayReplace: Bool) throws {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        guard mayReplace else { throw ArchiveError.wouldOverwrite(path) }
        guard (st.st_mode & S_IFMT) != S_IFDIR else {
            throw ArchiveError.unsafeEntry(name: path, reason: "a directory is in the way (changed during extraction)")
        }
    }

    /// Removes a non-directory at `path` when replacing is allowed; a directory there is an error.
    private static func remove(_ path: String, mayReplace: Bool) throws {
        try checkReplaceable(path, mayReplace: mayReplace)
        if unlink(path) != 0 && errno != ENOENT { throw ArchiveError.posix("remove", path) }
    }

    private static func makeDirectory(_ path: String) throws {
        // 0700 until the end, when the archive's mode is applied.
        if mkdir(path, 0o700) != 0 && errno != EEXIST { throw ArchiveError.posix("mkdir", path) }
    }

    /// Creates missing parent folders; a symlink among them means the folder changed since the plan.
    private static func makeParents(root: String, relative: String) throws {
        let parts = relative.split(separator: "/")
        var path = root
        for part in parts.dropLast() {
            path += "/" + part
            var st = stat()
            if lstat(path, &st) == 0 {
                guard (st.st_mode & S_IFMT) == S_IFDIR else {
                    throw ArchiveError.unsafeEntry(name: relative, reason: "\(path) is no longer a directory (changed during extraction)")
                }
                continue
            }
            if mkdir(path, 0o755) != 0 && errno != EEXIST { throw ArchiveError.posix("mkdir", path) }
        }
    }
}
