import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The result of checking a whole archive against a destination folder before anything is written.
public struct ExtractionPlan: Sendable {
    enum Action: Sendable, Equatable {
        /// The archive's own root (`./`): nothing to create.
        case root
        /// A device: reported, not created.
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
    /// Symlinks whose target lies outside the destination: written as links, never followed.
    public var outsideLinks: [OutsideLink] = []
    let steps: [Step]
}

/// A symlink in an archive whose target lies outside the folder it is extracted into.
public struct OutsideLink: Sendable, Equatable {
    /// The link's path inside the archive (after stripping).
    public var name: String
    /// What it points to, as stored.
    public var target: String
}

/// What `TarExtractor.check` found: the archive passes the rules that extraction applies.
public struct TarCheck: Sendable {
    /// Number of entries.
    public var entryCount: Int
    /// Total size of the regular files.
    public var fileBytes: UInt64
    /// Symlinks pointing outside the folder (restored as links).
    public var outsideLinks: [OutsideLink]
}

/// An extraction that stopped midway: what was restored completely, what was not, and why.
///
/// No file is ever left half-written under its final name: each is written under a temporary name and renamed.
public struct ExtractionFailure: Error, CustomStringConvertible {
    /// The error that stopped the extraction.
    public var underlying: any Error
    /// Files and links (relative to the destination) restored completely.
    public var restored: [String]
    /// Files and links not restored (the one being written when it stopped, and every later one).
    public var notRestored: [String]

    public var description: String {
        func list(_ names: [String]) -> String {
            names.count <= 20 ? names.joined(separator: ", ")
                : names.prefix(20).joined(separator: ", ") + " and \(names.count - 20) more"
        }
        return "\(underlying). The restore stopped: restored: \(restored.isEmpty ? "nothing" : list(restored)) "
            + "(\(restored.count)); not restored: \(list(notRestored)) (\(notRestored.count)); "
            + "no file is left half-written under its final name"
    }
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
    /// FIFOs created.
    public var fifos = 0
    /// Bytes of file content written.
    public var bytes: UInt64 = 0
    /// Existing paths that were replaced (only with `force`).
    public var replaced: [String] = []
    /// Entries not created (devices), relative to the destination.
    public var skipped: [String] = []
}

/// Extracts tar archives without letting them write outside the destination folder.
///
/// Refused, before anything is written: absolute names, `..` components, hard links to anything but a regular
/// file stored earlier in the archive, entries that would be written through a symlink (one from the archive or
/// one already on disk), and entries that would change a directory into a file or back: only an entry's *path*
/// can make it escape. A symlink may point anywhere (tar stores `current -> /srv/app/releases/v1` as it is); it is
/// written as a link, never followed, and the plan lists the ones that point outside (`outsideLinks`). Existing
/// files are replaced only with `force`. Modes (setuid/setgid only with `keepSetID`, as root), mtimes and, as
/// root, owners are restored; directories get theirs last. FIFOs are created; devices are skipped and reported.
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

    /// Reads the whole archive and checks every entry by the rules `plan` applies, without a destination.
    ///
    /// `verify --deep` calls this, and `restore` calls `plan` with the same rules: an archive that passes here
    /// is refused by a restore only for what is on disk at the destination (existing files without `force`).
    public static func check(_ reader: TarReader) throws -> TarCheck {
        var planner = Planner(root: nil, force: true)
        while let entry = try reader.next() {
            try planner.add(entry)
        }
        return TarCheck(entryCount: planner.steps.count, fileBytes: planner.fileBytes, outsideLinks: planner.outsideLinks())
    }

    /// Reads the whole archive and checks every entry against `directory` without writing anything.
    public static func plan(_ reader: TarReader, into directory: URL, force: Bool) throws -> ExtractionPlan {
        let root = directory.standardizedFileURL.path
        var planner = Planner(root: root, force: force)
        while let entry = try reader.next() {
            try planner.add(entry)
        }
        return ExtractionPlan(destination: root, force: force, fileBytes: planner.fileBytes,
                              replaced: planner.replaced, outsideLinks: planner.outsideLinks(), steps: planner.steps)
    }

    /// Extracts a reader over the same archive that `plan` checked; the entries must match the plan one for one.
    ///
    /// Each file is written under a temporary name in its folder (`.vaultops-restore-*.partial`) and renamed when
    /// complete, so an interruption never leaves a truncated file under its final name. A failure midway throws an
    /// `ExtractionFailure` that lists what was restored and what was not. setuid/setgid bits are restored only with
    /// `keepSetID`, and only as root. `beforeRename` (for tests) sees each temporary path before its rename.
    @discardableResult
    public static func extract(from reader: TarReader, into directory: URL, plan: ExtractionPlan,
                               keepSetID: Bool = false,
                               beforeRename: ((String) -> Void)? = nil) throws -> ExtractionReport {
        let root = directory.standardizedFileURL.path
        guard root == plan.destination else {
            throw ArchiveError.misuse("the extraction plan was made for \(plan.destination), not \(root)")
        }
        try makeDirectories(root)
        var writer = EntryWriter(root: root, plan: plan, isRoot: geteuid() == 0, keepSetID: keepSetID, beforeRename: beforeRename)
        var index = 0
        // Steps fully processed: the ones after are what a failure leaves not restored.
        var done = 0
        do {
            while let entry = try reader.next() {
                guard index < plan.steps.count, plan.steps[index].name == entry.name, plan.steps[index].kind == entry.kind,
                      plan.steps[index].linkName == entry.linkName else {
                    throw ArchiveError.corrupt(reader.path, offset: entry.headerOffset,
                                               reason: "the archive changed since it was checked (entry \(entry.name.debugDescription))")
                }
                index += 1
                try writer.write(entry, step: plan.steps[index - 1], from: reader)
                done = index
            }
            guard index == plan.steps.count else {
                throw ArchiveError.corrupt(reader.path, offset: nil, reason: "the archive changed since it was checked (fewer entries)")
            }
            try writer.finishDirectories()
        } catch {
            // The entry being written when it stopped, and every later one, were not restored.
            var notRestored: [String] = []
            var pending = Set<String>()
            for step in plan.steps[done...] {
                guard case .extract(let relative) = step.action, step.kind != .directory else { continue }
                if pending.insert(relative).inserted { notRestored.append(relative) }
            }
            var restored: [String] = []
            var seen = pending
            for name in writer.restoredInOrder where seen.insert(name).inserted { restored.append(name) }
            throw ExtractionFailure(underlying: error, restored: restored, notRestored: notRestored)
        }
        return writer.report
    }

    /// setuid/setgid bits are dropped unless asked for (`--same-permissions`) and running as root: a restored
    /// setuid-root binary is a privilege nobody asked for, and without root the owner is not restored at all.
    static func restoredMode(_ mode: UInt32, isRoot: Bool, keepSetID: Bool = false) -> mode_t {
        mode_t(isRoot && keepSetID ? mode & 0o7777 : mode & 0o1777)
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
}
