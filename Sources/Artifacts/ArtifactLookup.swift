import ErrorKinds
import Foundation
import VaultopsCore

/// An artifact file name as a folder or an OSS prefix lists it: one of ours, perhaps encrypted (`.age`).
public struct ListedArtifact: Sendable, Hashable {
    /// The suffix of an artifact encrypted with age.
    public static let encryptedSuffix = ".age"

    /// The name as stored (with `.age` when encrypted).
    public var fileName: String
    /// The name taken apart (without `.age`).
    public var parsed: ParsedArtifact
    public var encrypted: Bool

    /// The artifact `fileName` names; nil for manifests, unfinished writes and names that are not ours.
    public static func parse(_ fileName: String) -> ListedArtifact? {
        let encrypted = fileName.hasSuffix(encryptedSuffix)
        let plain = encrypted ? String(fileName.dropLast(encryptedSuffix.count)) : fileName
        guard let parsed = ArtifactName.parse(plain), !parsed.isManifest, !parsed.isPartial else { return nil }
        return ListedArtifact(fileName: fileName, parsed: parsed, encrypted: encrypted)
    }
}

/// What `restore NAME` asks for: one file by name, or a source's newest artifact (on or before a day).
public enum ArtifactQuery: Sendable, Equatable {
    /// An artifact file name (`db_20250101.sql.gz`).
    case file(String)
    /// The newest artifact of a source.
    case newest(source: String)
    /// The newest artifact of a source made on or before the day (`--at 2025-01-01`).
    case onOrBefore(source: String, day: ArtifactStamp)

    /// The query the command line states: `argument` is a file name or a source name; `at` is `YYYY-MM-DD` or
    /// `YYYYMMDD`; a source name alone means its newest artifact, as `latest` does.
    public static func parse(_ argument: String, at: String?, latest: Bool) throws(ArtifactLookupError) -> ArtifactQuery {
        if at != nil && latest { throw ArtifactLookupError("--at and --latest exclude each other: choose one") }
        if ListedArtifact.parse(argument) != nil {
            if at != nil || latest {
                throw ArtifactLookupError("\(argument) names one artifact; --at and --latest go with a source name (vaultops restore db --latest)")
            }
            return .file(argument)
        }
        guard (try? ArtifactName.validate(source: argument)) != nil, !looksLikeFile(argument) else {
            throw ArtifactLookupError("no such artifact \(argument): not a file here, nor an artifact name (NAME_YYYYMMDD.sql.gz) or a source name")
        }
        guard let at else { return .newest(source: argument) }
        guard let day = parseDay(at) else { throw ArtifactLookupError("--at \(at): expected a day as YYYY-MM-DD or YYYYMMDD") }
        return .onOrBefore(source: argument, day: day)
    }

    /// `2025-01-01` or `20250101` as a date-only stamp.
    public static func parseDay(_ text: String) -> ArtifactStamp? {
        let digits = text.filter { $0 != "-" }
        let dashes = text.count - digits.count
        guard digits.count == 8, dashes == 0 || (dashes == 2 && text.count == 10 && Array(text)[4] == "-" && Array(text)[7] == "-"),
              digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              let stamp = ArtifactName.parse("x_\(digits).db.gz")?.stamp else { return nil }
        return stamp
    }

    /// Whether a name that is not one of ours still looks like a file someone meant (`dump.sql.gz`, `x.db`):
    /// a source name never ends in an artifact or database extension.
    private static func looksLikeFile(_ name: String) -> Bool {
        [".gz", ".sql", ".db", ".tar", ".age", ".json", ".sqlite", ".sqlite3"].contains { name.hasSuffix($0) }
    }

    /// The name the user typed, for messages.
    public var subject: String {
        switch self {
        case let .file(name): name
        case let .newest(source): "of source \(source)"
        case let .onOrBefore(source, day): "of source \(source) on or before \(day.year)-\(pad2(day.month))-\(pad2(day.day))"
        }
    }
}

private func pad2(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

/// Where an artifact was found.
public enum ArtifactPlace: String, Sendable, Equatable, Codable {
    /// The path as given on the command line.
    case path
    /// The config's `backup_dir`.
    case backupDir = "backup_dir"
    /// The config's OSS prefix.
    case oss
}

/// The artifact a query picked among the names of the backup folder and the OSS prefix.
public struct ArtifactChoice: Sendable, Equatable {
    public var fileName: String
    public var place: ArtifactPlace

    public init(fileName: String, place: ArtifactPlace) {
        self.fileName = fileName
        self.place = place
    }
}

/// Picking an artifact: pure, over the listed names.
public enum ArtifactLookup {
    /// The artifact `query` picks among `local` (backup_dir) and `remote` (OSS prefix) names, or nil.
    ///
    /// A file name is looked for in the backup folder first, then on OSS. A source's newest artifact is the newest
    /// in either place (local when it is in both: no download), of `kind` when the config says the source's kind.
    public static func choose(_ query: ArtifactQuery, kind: ArtifactKind? = nil, local: [String], remote: [String]) -> ArtifactChoice? {
        switch query {
        case let .file(name):
            if local.contains(name) { return ArtifactChoice(fileName: name, place: .backupDir) }
            if remote.contains(name) { return ArtifactChoice(fileName: name, place: .oss) }
            return nil
        case let .newest(source):
            return newest(source: source, kind: kind, local: local, remote: remote) { _ in true }
        case let .onOrBefore(source, day):
            return newest(source: source, kind: kind, local: local, remote: remote) { stamp in
                (stamp.year, stamp.month, stamp.day) <= (day.year, day.month, day.day)
            }
        }
    }

    private static func newest(source: String, kind: ArtifactKind?, local: [String], remote: [String],
                               within: (ArtifactStamp) -> Bool) -> ArtifactChoice? {
        let localSet = Set(local)
        let candidates = Set(local + remote).compactMap(ListedArtifact.parse).filter {
            $0.parsed.source == source && (kind == nil || $0.parsed.kind == kind) && within($0.parsed.stamp)
        }
        // Newest by name; of an encrypted and a plain copy of the same backup, the plain one (nothing to decrypt).
        guard let best = candidates.max(by: { a, b in
            if a.parsed.stamp != b.parsed.stamp || a.parsed.counter != b.parsed.counter {
                return ParsedArtifact.chronological(a.parsed, b.parsed)
            }
            return a.encrypted && !b.encrypted
        }) else { return nil }
        return ArtifactChoice(fileName: best.fileName, place: localSet.contains(best.fileName) ? .backupDir : .oss)
    }

    /// The kinds among `names` of `source`'s artifacts, when the config does not say its kind.
    public static func kinds(of source: String, in names: [String]) -> Set<ArtifactKind> {
        Set(names.compactMap(ListedArtifact.parse).filter { $0.parsed.source == source }.map(\.parsed.kind))
    }
}

/// An artifact that cannot be found as asked: what is missing comes first, then where it was looked for.
public struct ArtifactLookupError: Error, KindedError, CustomStringConvertible, Equatable {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
    public var failureKind: FailureKind { .usage }
}
