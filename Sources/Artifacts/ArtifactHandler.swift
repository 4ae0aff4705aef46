import Archive
import Foundation
import VaultopsCore

/// Everything vaultops does with one kind of artifact: describe it, back a source up into it, verify it, restore
/// it, and try a restore out (the drill).
///
/// One handler per `ArtifactKind` (`PostgresArtifact`, `SQLiteArtifact`, `FilesArtifact`), found with
/// `ArtifactKind.handler`, the one place that maps a kind to its code. The nightly run, deploy's backup point,
/// `verify` and `restore` go through it. What every kind shares is done around the handler: `ArtifactWriter` names
/// the artifact, gzips it (and encrypts it to age when asked) and writes its manifest; `ArtifactPreflight` and
/// `Verifier` check the name, the gzip stream and the manifest's size and SHA-256 before the handler looks at the
/// content; `ArtifactDecryption` hands the handlers an encrypted artifact's checked, decrypted copy.
public protocol ArtifactHandler: Sendable {
    /// The kind this handler serves.
    var kind: ArtifactKind { get }
    /// The kind for humans, as messages name it (`PostgreSQL dump`).
    var description: String { get }
    /// The file name endings this kind is read from; the first is the one backups write.
    var endings: [ArtifactEnding] { get }

    /// How the writer compresses the content.
    var deflateEngine: DeflateEngine { get }
    /// Whether a backup first writes an uncompressed copy beside the artifact, so space estimates add its size.
    var stagesUncompressedCopy: Bool { get }
    /// Backs up a configured source into the options' folder (`run`, deploy's backup point).
    func backup(_ source: SourceConfig, options: BackupOptions, now: Date) throws -> BackupResult
    /// What `run --dry-run` finds wrong with `source` without writing anything, or nil.
    func sourceProblem(_ source: SourceConfig) -> String?

    /// Whether `verify --deep` of this kind needs a PostgreSQL server for a scratch database.
    var deepCheckNeedsServer: Bool { get }
    /// Whether deploy's backup point verifies this kind with `deep` (when that is cheap and needs nothing else).
    var backupPointChecksDeep: Bool { get }
    /// Reads the decompressed content as far as the kind's checks need, recording what was checked or found.
    ///
    /// `Verifier` reads the rest of the file afterwards and compares it with the manifest.
    func verifyContent(_ content: any ContentSource, _ check: inout VerifyCheck) throws
    /// Checks that need the whole artifact read and found good first (a dump restored into a scratch database).
    func verifyAfterRead(_ check: inout VerifyCheck)

    /// `restore`: puts `artifact` back as `request` asks; `name` is the artifact as the user named it.
    func restore(_ artifact: URL, named name: String, request: RestoreRequest) throws -> RestoreReport
    /// Puts `artifact` back over `source` as configured now (deploy's data rollback); returns the step's detail.
    func restore(_ artifact: URL, over source: SourceConfig) throws -> String
    /// Restores `artifact` into `target`, compares it with `manifest`, removes the copy again; returns what matched.
    func drill(_ artifact: URL, manifest: Manifest, into target: DrillTarget) throws -> String
}

extension ArtifactKind {
    /// The handler of this kind.
    public var handler: any ArtifactHandler {
        // The one switch over the kinds: a new kind is a new case here and its handler.
        switch self {
        case .postgres: PostgresArtifact()
        case .sqlite: SQLiteArtifact()
        case .files: FilesArtifact()
        }
    }
}

extension ArtifactHandler {
    /// The endings named in messages, as `.sql.gz or .sql`.
    public var expectedEndings: String { ArtifactEnding.list(endings) }

    // Defaults for the kinds that need nothing else.
    public var deflateEngine: DeflateEngine { .libdeflate }
    public var stagesUncompressedCopy: Bool { false }
    public var deepCheckNeedsServer: Bool { false }
    public var backupPointChecksDeep: Bool { false }
    public func verifyAfterRead(_ check: inout VerifyCheck) {}
}

/// A file name ending an artifact kind is read from (`.sql.gz`), and whether such a file is gzip.
public struct ArtifactEnding: Sendable, Equatable {
    public let suffix: String
    public let gzipped: Bool
    /// Named in messages; an alias that is read but not offered (`.tgz`) is not.
    public let listed: Bool

    public init(_ suffix: String, gzipped: Bool, listed: Bool = true) {
        self.suffix = suffix
        self.gzipped = gzipped
        self.listed = listed
    }

    /// The listed endings of `endings` for messages: `.sql.gz, .sql, .db.gz or .tar.gz`.
    public static func list(_ endings: [ArtifactEnding]) -> String {
        let names = endings.filter(\.listed).map(\.suffix)
        guard names.count > 1 else { return names.first ?? "" }
        return names.dropLast().joined(separator: ", ") + " or " + names.last!
    }
}

/// A mismatch between a handler and the source it was given: a caller's mistake, never the user's.
func wrongSource(_ source: SourceConfig, for kind: ArtifactKind) -> ArtifactError {
    .failed("internal: the \(source.kind) source \(source.name) was given to the \(kind) handler")
}

/// Why `path` cannot be read as a source, or nil; `folder` nil accepts a file or a folder (files sources take both).
func readableProblem(_ path: String, folder: Bool?) -> String? {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return "\(path) does not exist" }
    if let folder, isFolder.boolValue != folder { return "\(path) is \(folder ? "not a folder" : "a folder, not a SQLite file")" }
    return access(path, R_OK) == 0 ? nil : "\(path) is not readable"
}
