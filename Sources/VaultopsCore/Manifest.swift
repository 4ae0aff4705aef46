import ErrorKinds
import Foundation

/// The version of vaultops written into manifests and shown by `--version`.
public enum VaultopsVersion {
    /// The current tool version.
    public static let current = "0.1.0"
}

/// The `<artifact>.manifest.json` sidecar that describes one artifact.
///
/// JSON keys are snake_case and sorted, the output pretty-printed, so two manifests diff cleanly.
/// `source` is redacted again whenever a manifest is encoded, so a caller's slip cannot write a password.
public struct Manifest: Codable, Sendable, Equatable {
    /// The manifest format this code writes and reads.
    public static let currentFormatVersion = 1

    public var formatVersion: Int
    public var kind: ArtifactKind
    /// Where the data came from, credentials redacted (URL, file or folders).
    public var source: String
    /// When the backup started, in UTC (whole seconds).
    public var createdAt: Date
    public var toolVersion: String
    /// The artifact's file name (no folder).
    public var artifact: String
    /// The artifact's size in bytes.
    public var sizeBytes: Int64
    /// Lowercase hex SHA-256 of the artifact file.
    public var sha256: String
    /// Size of the data before compression.
    public var uncompressedBytes: Int64
    public var durationSeconds: Double
    /// The PostgreSQL server version, or the library version (SQLite, zlib) for other kinds.
    public var serverVersion: String?
    /// Row count per table, when a database is the source.
    public var tables: [String: Int64]?
    /// The path the data came from, the default target of `restore` for SQLite and folders.
    public var originalPath: String?
    /// Anything else a producer wants to record.
    public var extra: [String: String]?
    /// Dumps: where each table's contents lie and where decompression may start, for partial restores.
    public var dumpIndex: DumpIndex?
    /// How the artifact is encrypted, when it is: `size_bytes` and `sha256` are then those of the encrypted file,
    /// so they are checked without the key.
    public var encryption: ManifestEncryption?

    public init(kind: ArtifactKind, source: String, createdAt: Date, artifact: String, sizeBytes: Int64, sha256: String,
                uncompressedBytes: Int64, durationSeconds: Double, serverVersion: String? = nil,
                tables: [String: Int64]? = nil, originalPath: String? = nil, extra: [String: String]? = nil,
                toolVersion: String = VaultopsVersion.current, formatVersion: Int = Manifest.currentFormatVersion) {
        self.formatVersion = formatVersion
        self.kind = kind
        self.source = Redacted.text(Redacted.connectionString(source))
        // ISO 8601 with seconds: keep the value equal to what a reload gives back.
        self.createdAt = Date(timeIntervalSince1970: createdAt.timeIntervalSince1970.rounded(.down))
        self.toolVersion = toolVersion
        self.artifact = artifact
        self.sizeBytes = sizeBytes
        self.sha256 = sha256
        self.uncompressedBytes = uncompressedBytes
        // Milliseconds are plenty, and keep the JSON free of float noise like 12.300000000000001.
        self.durationSeconds = (durationSeconds * 1000).rounded() / 1000
        self.serverVersion = serverVersion
        self.tables = tables
        self.originalPath = originalPath
        self.extra = extra
    }

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version"
        case kind, source
        case createdAt = "created_at"
        case toolVersion = "tool_version"
        case artifact
        case sizeBytes = "size_bytes"
        case sha256
        case uncompressedBytes = "uncompressed_bytes"
        case durationSeconds = "duration_seconds"
        case serverVersion = "server_version"
        case tables
        case originalPath = "original_path"
        case extra
        case dumpIndex = "dump_index"
        case encryption
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        formatVersion = try c.decode(Int.self, forKey: .formatVersion)
        kind = try c.decode(ArtifactKind.self, forKey: .kind)
        source = try c.decode(String.self, forKey: .source)
        let created = try c.decode(String.self, forKey: .createdAt)
        guard let date = Manifest.parseTimestamp(created) else {
            throw DecodingError.dataCorruptedError(forKey: .createdAt, in: c,
                                                   debugDescription: "'\(created)' is not an ISO 8601 UTC time like 2025-01-01T02:00:00Z")
        }
        createdAt = date
        toolVersion = try c.decode(String.self, forKey: .toolVersion)
        artifact = try c.decode(String.self, forKey: .artifact)
        sizeBytes = try c.decode(Int64.self, forKey: .sizeBytes)
        sha256 = try c.decode(String.self, forKey: .sha256)
        uncompressedBytes = try c.decode(Int64.self, forKey: .uncompressedBytes)
        durationSeconds = try c.decode(Double.self, forKey: .durationSeconds)
        serverVersion = try c.decodeIfPresent(String.self, forKey: .serverVersion)
        tables = try c.decodeIfPresent([String: Int64].self, forKey: .tables)
        originalPath = try c.decodeIfPresent(String.self, forKey: .originalPath)
        extra = try c.decodeIfPresent([String: String].self, forKey: .extra)
        dumpIndex = try c.decodeIfPresent(DumpIndex.self, forKey: .dumpIndex)
        encryption = try c.decodeIfPresent(ManifestEncryption.self, forKey: .encryption)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(formatVersion, forKey: .formatVersion)
        try c.encode(kind, forKey: .kind)
        // Defensive: whatever the producer passed, no password reaches the file.
        try c.encode(Redacted.text(Redacted.connectionString(source)), forKey: .source)
        try c.encode(Manifest.timestamp(createdAt), forKey: .createdAt)
        try c.encode(toolVersion, forKey: .toolVersion)
        try c.encode(artifact, forKey: .artifact)
        try c.encode(sizeBytes, forKey: .sizeBytes)
        try c.encode(sha256, forKey: .sha256)
        try c.encode(uncompressedBytes, forKey: .uncompressedBytes)
        try c.encode(durationSeconds, forKey: .durationSeconds)
        try c.encodeIfPresent(serverVersion, forKey: .serverVersion)
        try c.encodeIfPresent(tables, forKey: .tables)
        try c.encodeIfPresent(originalPath, forKey: .originalPath)
        try c.encodeIfPresent(extra, forKey: .extra)
        try c.encodeIfPresent(dumpIndex, forKey: .dumpIndex)
        try c.encodeIfPresent(encryption, forKey: .encryption)
    }

    /// The stable JSON text of this manifest (sorted keys, pretty-printed, newline at the end).
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(self)
        data.append(0x0A)
        return data
    }

    /// The suffix of a manifest sidecar.
    public static let sidecarSuffix = ArtifactName.manifestSuffix

    /// Where the manifest of `artifact` lives: `<artifact>.manifest.json` beside it.
    public static func sidecarURL(for artifact: URL) -> URL {
        artifact.deletingLastPathComponent().appendingPathComponent(artifact.lastPathComponent + sidecarSuffix)
    }

    /// Reads and checks the manifest at `url`.
    public static func load(from url: URL) throws(ManifestError) -> Manifest {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            let reason = (error as NSError).code == NSFileReadNoSuchFileError ? "it does not exist" : "it cannot be read (\(error.localizedDescription))"
            throw ManifestError(file: url.path, problem: reason, isDamaged: false)
        }
        return try decode(data, file: url.path)
    }

    /// Decodes and checks manifest JSON; `file` names it in errors.
    public static func decode(_ data: Data, file: String) throws(ManifestError) -> Manifest {
        let manifest: Manifest
        do {
            // A newer format may change meaning; refuse it before trusting any field.
            if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
               let version = object["format_version"] as? Int, version > currentFormatVersion {
                throw ManifestError(file: file, problem: "format_version \(version) is newer than this vaultops understands (\(currentFormatVersion)); upgrade vaultops", isDamaged: false)
            }
            manifest = try JSONDecoder().decode(Manifest.self, from: data)
        } catch let error as ManifestError {
            throw error
        } catch let error as DecodingError {
            throw ManifestError(file: file, problem: describe(error), isDamaged: true)
        } catch {
            throw ManifestError(file: file, problem: "it is not valid JSON", isDamaged: true)
        }
        if let problem = manifest.problem {
            throw ManifestError(file: file, problem: problem, isDamaged: true)
        }
        return manifest
    }

    /// What is wrong with the fields, or nil when they are consistent.
    var problem: String? {
        if formatVersion < 1 { return "format_version \(formatVersion) is not valid" }
        if sha256.count != 64 || !sha256.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) {
            return "sha256 '\(sha256)' is not 64 lowercase hex digits"
        }
        if sizeBytes < 0 { return "size_bytes \(sizeBytes) is negative" }
        if uncompressedBytes < 0 { return "uncompressed_bytes \(uncompressedBytes) is negative" }
        if artifact.isEmpty || artifact.contains("/") { return "artifact '\(artifact)' is not a file name" }
        if !durationSeconds.isFinite || durationSeconds < 0 { return "duration_seconds \(durationSeconds) is not valid" }
        if let tables, let bad = tables.first(where: { $0.value < 0 }) {
            return "tables['\(bad.key)'] has a negative row count"
        }
        return dumpIndex?.problem(uncompressedBytes: uncompressedBytes, sizeBytes: sizeBytes)
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case let .keyNotFound(key, context):
            let parent = path(context.codingPath)
            return "missing field '\(parent.isEmpty ? key.stringValue : parent + "." + key.stringValue)'"
        case let .typeMismatch(type, context):
            return "field '\(path(context.codingPath))' should be \(typeName(type))"
        case let .valueNotFound(type, context):
            return "field '\(path(context.codingPath))' is null but should be \(typeName(type))"
        case let .dataCorrupted(context):
            if context.codingPath.isEmpty { return "it is not valid JSON" }
            return "field '\(path(context.codingPath))': \(context.debugDescription)"
        @unknown default:
            return "it cannot be decoded"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "an integer"
        case is Double.Type: "a number"
        case is [String: Any].Type, is [String: Int64].Type, is [String: String].Type: "an object"
        default: "\(type)"
        }
    }

    /// `date` as UTC ISO 8601 with seconds and `Z`, e.g. `2025-01-01T02:00:00Z`.
    public static func timestamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ v: Int?) -> String { let v = v ?? 0; return v < 10 ? "0\(v)" : "\(v)" }
        let year = String(c.year ?? 0)
        return String(repeating: "0", count: max(0, 4 - year.count)) + year
            + "-\(two(c.month))-\(two(c.day))T\(two(c.hour)):\(two(c.minute)):\(two(c.second))Z"
    }

    /// Parses an ISO 8601 time with an offset or `Z`, with or without fractional seconds.
    public static func parseTimestamp(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    /// A decoder for the state files vaultops writes (the run's status file, a replicator's state): snake_case keys,
    /// times as `parseTimestamp` reads them.
    public static func stateFileDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = parseTimestamp(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an ISO 8601 time: \(text)")
            }
            return date
        }
        return decoder
    }
}

/// What a manifest records of an encrypted artifact: the format and who can read it, never a secret.
public struct ManifestEncryption: Codable, Sendable, Equatable {
    /// The format around the gzip stream: `age-encryption.org/v1`.
    public var format: String
    /// The public keys the file key was wrapped for (`age1…`), or `passphrase (scrypt)`.
    public var recipients: [String]

    /// The age v1 format's name.
    public static let ageV1 = "age-encryption.org/v1"

    public init(format: String = ManifestEncryption.ageV1, recipients: [String]) {
        self.format = format
        self.recipients = recipients
    }
}

/// A manifest that cannot be read or does not make sense.
public struct ManifestError: Error, KindedError, CustomStringConvertible, Equatable {
    /// The manifest file.
    public var file: String
    /// What is wrong, in words the user can act on.
    public var problem: String
    /// The file exists but its content is wrong (a verification failure rather than an I/O one).
    public var isDamaged: Bool

    public var description: String { "manifest \(file): \(problem)" }
    public var failureKind: FailureKind { isDamaged ? .verification : .failure }
}
