import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Checks entries one by one against what the archive has created so far and what is on disk.
struct Planner {
    enum Node: Equatable {
        case directory
        case file
        case symlink(String)
        case hardlink
        var isDirectory: Bool { self == .directory }
    }

    /// The destination on disk; nil when checking an archive on its own (verify), without a destination.
    let root: String?
    let force: Bool
    var steps: [ExtractionPlan.Step] = []
    var replaced: [String] = []
    var fileBytes: UInt64 = 0
    /// Final state of every path the archive touches (and the existing folders it goes through).
    var nodes: [String: Node] = [:]

    init(root: String?, force: Bool) {
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
        guard let root else { return nil }
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
                throw ArchiveError.unsafeEntry(name: entry.name, reason: "would be written through the existing symlink \(root ?? "")/\(parent)")
            default:
                throw ArchiveError.unsafeEntry(name: entry.name, reason: "\(root ?? "")/\(parent) exists and is not a directory")
            }
        }

        let node: Node
        switch entry.kind {
        case .directory: node = .directory
        case .regular: node = .file
        case .symlink:
            // A link may point anywhere (tar stores `current -> /srv/app/releases/v1` as it is): it is written as a
            // link and never followed, because no entry may be written through a link (checked above).
            if entry.linkName.isEmpty { throw ArchiveError.unsafeEntry(name: entry.name, reason: "symlink with an empty target") }
            node = .symlink(entry.linkName)
        case .hardlink:
            let target = try Self.components(entry.linkName, entry: entry.name).joined(separator: "/")
            guard nodes[target] == .file else {
                throw ArchiveError.unsafeEntry(name: entry.name, reason: "hard link to \(entry.linkName.debugDescription), which is not a regular file stored earlier in the archive")
            }
            node = .hardlink
        case .fifo:
            // Created with mkfifo, never opened; like a file, nothing may be written through it.
            node = .file
        case .characterDevice, .blockDevice:
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
            let onDisk = (root ?? "") + "/" + relative
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

    /// The symlinks whose target, followed through the final tree (archive links, then links on disk), leaves it;
    /// in archive order. They are written as links; the user is told about each.
    func outsideLinks() -> [OutsideLink] {
        var seen = Set<String>()
        var links: [OutsideLink] = []
        for step in steps where step.kind == .symlink {
            guard case .extract(let relative) = step.action, case .symlink(let target)? = nodes[relative],
                  !seen.contains(relative) else { continue }
            seen.insert(relative)
            let parent = Array(relative.split(separator: "/").map(String.init).dropLast())
            if escapes(from: parent, target: target) != nil { links.append(OutsideLink(name: relative, target: target)) }
        }
        return links
    }

    private func linkTarget(_ relative: String) -> String? {
        if let node = nodes[relative] {
            if case .symlink(let target) = node { return target }
            return nil
        }
        guard let root else { return nil }
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
        if target.hasPrefix("/") { return "is an absolute path" }
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
