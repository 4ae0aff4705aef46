import VaultopsCore

/// One file on either side of a mirror: its relative path, size and, when already known, CRC-64.
public struct MirrorEntry: Sendable, Equatable {
    public var path: MirrorPath
    public var size: Int64
    /// The CRC-64/ECMA-182 (`x-oss-hash-crc64ecma`), when known without more I/O.
    public var crc64: UInt64?

    public init(path: MirrorPath, size: Int64, crc64: UInt64? = nil) {
        self.path = path
        self.size = size
        self.crc64 = crc64
    }
}

/// Something on the source side that will not be mirrored, and why (never dropped silently).
public struct MirrorProblem: Sendable, Equatable, CustomStringConvertible {
    /// The file, folder or key concerned, for humans.
    public var subject: String
    /// Its relative path, when it has one: the destination's copy at (or, for a folder, below) it is never deleted.
    public var path: MirrorPath?
    /// True when the problem covers a whole folder (an unreadable directory).
    public var isFolder: Bool
    public var message: String

    public init(subject: String, path: MirrorPath?, isFolder: Bool = false, message: String) {
        self.subject = subject
        self.path = path
        self.isFolder = isFolder
        self.message = message
    }

    public var description: String { "\(subject): \(message)" }
}

/// What a mirror run will do: a pure function of both sides' listings.
public struct MirrorPlan: Sendable, Equatable {
    /// Why a file is sent.
    public enum Reason: String, Sendable, Equatable {
        case missing = "new"
        case sizeDiffers = "size differs"
        case contentDiffers = "content differs"
    }

    /// What to do with one source file once both CRC-64s are known (or known to be unknowable).
    public enum Decision: Sendable, Equatable {
        case send(Reason)
        case skip
        /// Same size, a CRC-64 still unknown: compute/fetch both, then decide again.
        case compare
    }

    /// A file to copy.
    public struct Transfer: Sendable, Equatable {
        public var path: MirrorPath
        public var size: Int64
        public var reason: Reason
    }

    /// Files to copy.
    public var send: [Transfer] = []
    /// Same size on both sides, CRC-64 not known yet: the executor compares, then sends or skips.
    public var compare: [MirrorEntry] = []
    /// Same size and CRC-64.
    public var skip: [MirrorPath] = []
    /// Destination files without a source file (only with `delete`).
    public var delete: [MirrorPath] = []
    /// Destination files without a source file, left in place (without `delete`, or protected by a problem).
    public var extra: [MirrorPath] = []
    /// Source files that cannot be mirrored (duplicates across folders).
    public var problems: [MirrorProblem] = []

    public init() {}

    /// The rule for one file: different size → send; same size and same CRC-64 → skip; same size and
    /// different CRC-64 → send; same size and a CRC-64 not yet known → compare.
    ///
    /// `destinationCRCUnavailable` says the destination was asked and has no CRC-64 (old objects): then the
    /// file cannot be proven equal and is sent.
    public static func decide(sourceSize: Int64, sourceCRC: UInt64?, destinationSize: Int64?, destinationCRC: UInt64?,
                              destinationCRCUnavailable: Bool = false) -> Decision {
        guard let destinationSize else { return .send(.missing) }
        guard destinationSize == sourceSize else { return .send(.sizeDiffers) }
        if destinationCRCUnavailable { return .send(.contentDiffers) }
        guard let sourceCRC, let destinationCRC else { return .compare }
        return sourceCRC == destinationCRC ? .skip : .send(.contentDiffers)
    }
}

/// Plans a mirror from `source` to `destination`.
///
/// Source paths listed twice (the same relative path in two folders) are problems: the first is kept.
/// Destination files with no source file are deleted only with `delete`, and never when they lie at or
/// under the path of a `protected` problem (a symlink, an unreadable file or folder on the source side),
/// because a file the walker could not read is not a file that is gone.
public func mirrorPlan(source: [MirrorEntry], destination: [MirrorEntry], delete: Bool,
                       protected: [MirrorProblem] = []) -> MirrorPlan {
    var plan = MirrorPlan()
    var remote: [MirrorPath: MirrorEntry] = [:]
    for entry in destination { remote[entry.path] = entry }
    var seen = Set<MirrorPath>()
    for entry in source.sorted(by: { $0.path < $1.path }) {
        guard seen.insert(entry.path).inserted else {
            plan.problems.append(MirrorProblem(subject: entry.path.string, path: entry.path,
                                               message: "the same relative path comes from more than one folder; the first one is mirrored"))
            continue
        }
        let other = remote[entry.path]
        switch MirrorPlan.decide(sourceSize: entry.size, sourceCRC: entry.crc64, destinationSize: other?.size,
                                 destinationCRC: other?.crc64) {
        case let .send(reason): plan.send.append(MirrorPlan.Transfer(path: entry.path, size: entry.size, reason: reason))
        case .skip: plan.skip.append(entry.path)
        case .compare: plan.compare.append(entry)
        }
    }
    let shields = protected.compactMap { problem in problem.path.map { (path: $0, folder: problem.isFolder) } }
    for entry in destination.sorted(by: { $0.path < $1.path }) where !seen.contains(entry.path) {
        let shielded = shields.contains { $0.folder ? entry.path.isWithin($0.path) : entry.path == $0.path }
        if delete && !shielded { plan.delete.append(entry.path) } else { plan.extra.append(entry.path) }
    }
    return plan
}

/// The paths among `deletions` that are vaultops backups: manifests (`<artifact>.manifest.json`) and the
/// artifacts they describe.
///
/// `upload --delete` refuses to remove these: a mirror pointed at a backup prefix by mistake would otherwise
/// delete every backup whose file is not in the folder. Backups are pruned by `prune`, never by a mirror.
public func backupObjects(among deletions: [MirrorPath]) -> [MirrorPath] {
    let names = Set(deletions.map(\.string))
    return deletions.filter { path in
        let name = path.string
        let suffix = ".manifest.json"
        if name.hasSuffix(suffix) {
            let artifact = String(name.dropLast(suffix.count))
            return ArtifactName.parse(String(artifact.split(separator: "/").last ?? "")) != nil
        }
        return names.contains(name + suffix) && ArtifactName.parse(String(name.split(separator: "/").last ?? "")) != nil
    }
}
