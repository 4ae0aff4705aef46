import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The result of checking a whole archive against a destination folder before anything is written.
public struct ExtractionPlan: Sendable {
    enum Action: Sendable, Equatable {
        /// The archive's own root (`./`): nothing to create.
        case root
        /// A FIFO or device: reported, not created.
        case skip
        /// Create the entry at this path relative to the destination.
        case extract(String)
    }

    struct Step: Sendable {
        var name: String
        var kind: TarEntry.Kind
        var linkName: String
        var action: Action
    }

    /// The folder the archive goes into.
    public let destination: String
    /// Whether existing files may be replaced.
    public let force: Bool
    /// Number of entries in the archive.
    public var entryCount: Int { steps.count }
    /// Total size of the regular files.
    public let fileBytes: UInt64
    /// Existing paths (relative to `destination`) that extraction will replace; non-empty only with `force`.
    public let replaced: [String]
    let steps: [Step]
}

/// What an extraction did.
public struct ExtractionReport: Sendable, Equatable {
    /// Regular files written.
    public var files = 0
    /// Directories created or merged into.
    public var directories = 0
    /// Symlinks created.
    public var symlinks = 0
    /// Hard links created.
    public var hardlinks = 0
    /// Bytes of file content written.
    public var bytes: UInt64 = 0
    /// Existing paths that were replaced (only with `force`).
    public var replaced: [String] = []
    /// Entries not created (FIFOs, devices), relative to the destination.
    public var skipped: [String] = []
}

/// Extracts tar archives without letting them write outside the destination folder.
///
/// Refused, before anything is written: absolute names, `..` components, symlinks whose target (followed through
/// the archive's other links and the links already on disk) leaves the folder, hard links to anything but a
/// regular file stored earlier in the archive, entries that would be written through a symlink, and entries that
/// would change a directory into a file or back. Existing files are replaced only with `force`. Modes (without
/// setuid/setgid unless running as root), mtimes and, as root, owners are restored; directories get theirs last.
///
/// Checking needs the whole archive, so extraction reads it twice: `plan` then `extract(from:into:plan:)`;
/// `extract(archive:into:force:)` does both, and because the first pass reads every byte, a damaged gzip
/// (bad CRC, truncated) is reported before any file is touched.
public enum TarExtractor {
    /// Opens the archive at `path` (tar or tar.gz), checks all of it, then extracts it into `directory`.
    @discardableResult
    public static func extract(archive path: String, into directory: URL, force: Bool) throws -> ExtractionReport {
        let plan = try plan(TarReader(path: path), into: directory, force: force)
        return try extract(from: TarReader(path: path), into: directory, plan: plan)
    }

    /// Reads the whole archive and checks every entry against `directory` without writing anything.
    public static func plan(_ reader: TarReader, into directory: URL, force: Bool) throws -> ExtractionPlan {
        let root = directory.standardizedFileURL.path
        var planner = Planner(root: root, force: force)
        while let entry = try reader.next() {
            try planner.add(entry)
        }
        try planner.checkSymlinks()
        return ExtractionPlan(destination: root, force: force, fileBytes: planner.fileBytes,
                              replaced: planner.replaced, steps: planner.steps)
    }

    /// Extracts a reader over the same archive that `plan` checked; the entries must match the plan one for one.
    @discardableResult
    public static func extract(from reader: TarReader, into directory: URL, plan: ExtractionPlan) throws -> ExtractionReport {
        let root = directory.standardizedFileURL.path
        guard root == plan.destination else {
            throw ArchiveError.misuse("the extraction plan was made for \(plan.destination), not \(root)")
        }
        try makeDirectories(root)
        let isRoot = geteuid() == 0
        var report = ExtractionReport()
        report.replaced = plan.replaced
        var directories: [(path: String, entry: TarEntry)] = []
        // Paths this run created: a later duplicate entry may replace them even without force.
        var created = Set<String>()
        var index = 0
        while let entry = try reader.next() {
            guard index < plan.steps.count, plan.steps[index].name == entry.name, plan.steps[index].kind == entry.kind,
                  plan.steps[index].linkName == entry.linkName else {
                throw ArchiveError.corrupt(reader.path, offset: entry.headerOffset,
                                           reason: "the archive changed since it was checked (entry \(entry.name.debugDescription))")
            }
            let step = plan.steps[index]
            index += 1
            guard case .extract(let relative) = step.action else {
                if step.action == .skip { report.skipped.append(entry.name) }
                continue
            }
            let path = root + "/" + relative
            try makeParents(root: root, relative: relative)
            // Something that appeared since the plan is replaced only with force, as the plan would have required.
            let mayReplace = plan.force || created.contains(relative)
            created.insert(relative)
            switch entry.kind {
            case .directory:
                var st = stat()
                if lstat(path, &st) == 0 {
                    if (st.st_mode & S_IFMT) != S_IFDIR {
                        try remove(path, mayReplace: mayReplace)
                        try makeDirectory(path)
                    }
                } else {
                    try makeDirectory(path)
                }
                directories.append((path, entry))
                report.directories += 1
            case .regular:
                try remove(path, mayReplace: mayReplace)
                // O_EXCL | O_NOFOLLOW: never write through whatever appeared at this name since the plan.
                let fd = retryOnEINTR { open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600) }
                guard fd >= 0 else { throw ArchiveError.posix("create", path) }
                defer { _ = close(fd) }
                let sink = FileSink(fd: fd, name: path)
                report.bytes += try reader.copy(to: sink)
                if isRoot, fchown(fd, uid_t(clamping: entry.uid), gid_t(clamping: entry.gid)) != 0 {
                    throw ArchiveError.posix("chown", path)
                }
                if fchmod(fd, restoredMode(entry.mode, isRoot: isRoot)) != 0 { throw ArchiveError.posix("chmod", path) }
                var times = fileTimes(entry)
                if futimens(fd, &times) != 0 { throw ArchiveError.posix("set mtime", path) }
                report.files += 1
            case .symlink:
                try remove(path, mayReplace: mayReplace)
                if symlink(entry.linkName, path) != 0 { throw ArchiveError.posix("symlink", path) }
                if isRoot, lchown(path, uid_t(clamping: entry.uid), gid_t(clamping: entry.gid)) != 0 {
                    throw ArchiveError.posix("chown", path)
                }
                var times = fileTimes(entry)
                if utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW) != 0 { throw ArchiveError.posix("set mtime", path) }
                report.symlinks += 1
            case .hardlink:
                try remove(path, mayReplace: mayReplace)
                let target = root + "/" + (try Planner.components(entry.linkName, entry: entry.name)).joined(separator: "/")
                if link(target, path) != 0 { throw ArchiveError.posix("hard link to \(target)", path) }
                report.hardlinks += 1
            case .characterDevice, .blockDevice, .fifo, .other:
                throw ArchiveError.misuse("extraction plan lets \(entry.name) through")
            }
        }
        guard index == plan.steps.count else {
            throw ArchiveError.corrupt(reader.path, offset: nil, reason: "the archive changed since it was checked (fewer entries)")
        }
        // Deepest first, and after their contents: a read-only directory must not block its own files.
        for (path, entry) in directories.reversed() {
            if isRoot, lchown(path, uid_t(clamping: entry.uid), gid_t(clamping: entry.gid)) != 0 {
                throw ArchiveError.posix("chown", path)
            }
            if chmod(path, restoredMode(entry.mode, isRoot: isRoot)) != 0 { throw ArchiveError.posix("chmod", path) }
            var times = fileTimes(entry)
            if utimensat(AT_FDCWD, path, &times, AT_SYMLINK_NOFOLLOW) != 0 { throw ArchiveError.posix("set mtime", path) }
        }
        return report
    }

    /// Without root the owner is not restored, so setuid/setgid bits would apply to the wrong user: drop them.
    static func restoredMode(_ mode: UInt32, isRoot: Bool) -> mode_t {
        mode_t(isRoot ? mode & 0o7777 : mode & 0o1777)
    }

    static func fileTimes(_ entry: TarEntry) -> [timespec] {
        [timespec(tv_sec: time_t(entry.mtime), tv_nsec: Int(entry.mtimeNanoseconds)),
         timespec(tv_sec: time_t(entry.mtime), tv_nsec: Int(entry.mtimeNanoseconds))]
    }

    /// `mkdir -p` for the destination itself, with the real errno on failure.
    static func makeDirectories(_ path: String) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o755) != 0 && errno != EEXIST { throw ArchiveError.posix("mkdir", current) }
        }
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw ArchiveError.misuse("\(path) exists and is not a directory")
        }
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

    /// Removes a non-directory at `path` when replacing is allowed; a directory there is an error.
    private static func remove(_ path: String, mayReplace: Bool) throws {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        guard mayReplace else { throw ArchiveError.wouldOverwrite(path) }
        guard (st.st_mode & S_IFMT) != S_IFDIR else {
            throw ArchiveError.unsafeEntry(name: path, reason: "a directory is in the way (changed during extraction)")
        }
        if unlink(path) != 0 { throw ArchiveError.posix("remove", path) }
    }
}

/// Checks entries one by one against what the archive has created so far and what is on disk.
struct Planner {
    enum Node: Equatable {
        case directory
        case file
        case symlink(String)
        case hardlink
        var isDirectory: Bool { self == .directory }
    }

    let root: String
    let force: Bool
    var steps: [ExtractionPlan.Step] = []
    var replaced: [String] = []
    var fileBytes: UInt64 = 0
    /// Final state of every path the archive touches (and the existing folders it goes through).
    var nodes: [String: Node] = [:]

    init(root: String, force: Bool) {
        self.root = root
        self.force = force
    }

    /// The path's components with `.` and empty ones removed; absolute paths and `..` are refused.
    static func components(_ name: String, entry: String) throws -> [String] {
        if name.hasPrefix("/") { throw ArchiveError.unsafeEntry(name: entry, reason: "absolute path \(name.debugDescription)") }
        let parts = name.split(separator: "/", omittingEmptySubsequences: true).map(String.init).filter { $0 != "." }
        if parts.contains("..") { throw ArchiveError.unsafeEntry(name: entry, reason: "\(name.debugDescription) contains '..'") }
        return parts
    }

    private func diskType(_ relative: String) -> mode_t? {
        var st = stat()
        guard lstat(root + "/" + relative, &st) == 0 else { return nil }
        return st.st_mode & S_IFMT
    }

    mutating func add(_ entry: TarEntry) throws {
        let parts = try Self.components(entry.name, entry: entry.name)
        if parts.isEmpty {
            guard entry.kind == .directory else {
                throw ArchiveError.unsafeEntry(name: entry.name, reason: "a non-directory entry names the destination folder itself")
            }
            steps.append(.init(name: entry.name, kind: entry.kind, linkName: entry.linkName, action: .root))
            return
        }
        let relative = parts.joined(separator: "/")
        for i in 1..<parts.count {
            let parent = parts[0..<i].joined(separator: "/")
            if let node = nodes[parent] {
                guard node.isDirectory else {
                    throw ArchiveError.unsafeEntry(name: entry.name, reason: "would be written through \(parent.debugDescription), which an earlier entry made a \(node == .file ? "file" : "link")")
                }
                continue
            }
            switch diskType(parent) {
            case nil, S_IFDIR?:
                nodes[parent] = .directory
            case S_IFLNK?:
                throw ArchiveError.unsafeEntry(name: entry.name, reason: "would be written through the existing symlink \(root)/\(parent)")
            default:
                throw ArchiveError.unsafeEntry(name: entry.name, reason: "\(root)/\(parent) exists and is not a directory")
            }
        }

        let node: Node
        switch entry.kind {
        case .directory: node = .directory
        case .regular: node = .file
        case .symlink:
            if entry.linkName.hasPrefix("/") {
                throw ArchiveError.unsafeEntry(name: entry.name, reason: "symlink to the absolute path \(entry.linkName.debugDescription)")
            }
            if entry.linkName.isEmpty { throw ArchiveError.unsafeEntry(name: entry.name, reason: "symlink with an empty target") }
            node = .symlink(entry.linkName)
        case .hardlink:
            let target = try Self.components(entry.linkName, entry: entry.name).joined(separator: "/")
            guard nodes[target] == .file else {
                throw ArchiveError.unsafeEntry(name: entry.name, reason: "hard link to \(entry.linkName.debugDescription), which is not a regular file stored earlier in the archive")
            }
            node = .hardlink
        case .characterDevice, .blockDevice, .fifo:
            steps.append(.init(name: entry.name, kind: entry.kind, linkName: entry.linkName, action: .skip))
            return
        case .other(let flag):
            throw ArchiveError.unsupported(entry.name, reason: "tar entry type '\(Character(Unicode.Scalar(flag)))' cannot be extracted")
        }

        if let existing = nodes[relative] {
            guard existing.isDirectory == node.isDirectory else {
                throw ArchiveError.unsafeEntry(name: entry.name, reason: "changes \(relative.debugDescription) between a directory and a non-directory")
            }
        } else if let type = diskType(relative) {
            let onDisk = root + "/" + relative
            if type == S_IFDIR {
                if !node.isDirectory {
                    if !force { throw ArchiveError.wouldOverwrite(onDisk) }
                    throw ArchiveError.unsafeEntry(name: entry.name, reason: "\(onDisk) is an existing directory; it is not replaced by a file")
                }
            } else {
                guard force else { throw ArchiveError.wouldOverwrite(onDisk) }
                replaced.append(relative)
            }
        }
        nodes[relative] = node
        if entry.kind == .regular { fileBytes += entry.size }
        steps.append(.init(name: entry.name, kind: entry.kind, linkName: entry.linkName, action: .extract(relative)))
    }

    /// Follows every symlink through the final tree (archive links, then links on disk) and refuses any that leaves it.
    func checkSymlinks() throws {
        for (relative, node) in nodes {
            guard case .symlink(let target) = node else { continue }
            let parent = Array(relative.split(separator: "/").map(String.init).dropLast())
            if let reason = escapes(from: parent, target: target) {
                throw ArchiveError.unsafeEntry(name: relative, reason: "symlink to \(target.debugDescription) \(reason)")
            }
        }
    }

    private func linkTarget(_ relative: String) -> String? {
        if let node = nodes[relative] {
            if case .symlink(let target) = node { return target }
            return nil
        }
        let path = root + "/" + relative
        var st = stat()
        guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFLNK else { return nil }
        var bytes = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &bytes, bytes.count - 1)
        guard n >= 0 else { return "/" }   // unreadable: treat as escaping
        return String(decoding: bytes[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Resolves `target` from the folder `start`; returns why it escapes, or nil when it stays inside.
    private func escapes(from start: [String], target: String) -> String? {
        var stack = start
        var pending = Array(target.split(separator: "/").map(String.init).reversed())
        var expansions = 0
        while let part = pending.popLast() {
            if part == "." { continue }
            if part == ".." {
                if stack.isEmpty { return "leaves the destination folder" }
                stack.removeLast()
                continue
            }
            let candidate = (stack + [part]).joined(separator: "/")
            if let next = linkTarget(candidate) {
                expansions += 1
                if expansions > 40 { return "loops through too many links" }
                if next.hasPrefix("/") { return "goes through \(candidate.debugDescription), which points to an absolute path" }
                pending += next.split(separator: "/").map(String.init).reversed()
            } else {
                stack.append(part)
            }
        }
        return nil
    }
}
