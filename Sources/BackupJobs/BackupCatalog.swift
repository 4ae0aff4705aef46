import Artifacts
import Foundation
import Storage
import VaultopsCore

/// One artifact as `vaultops backups` shows it: what it is, when, how big, whether checked, and where it is.
public struct CatalogEntry: Sendable, Equatable {
    /// Where copies of the artifact are.
    public enum Place: String, Sendable, Equatable {
        case local, oss, both
    }

    public var source: String
    public var kind: ArtifactKind
    /// The file name as stored (with `.age` when encrypted).
    public var name: String
    /// When the backup was taken: the manifest's `created_at`, else the time the name records.
    public var time: Date?
    public var sizeBytes: Int64
    /// The name ends in `.age`.
    public var encrypted: Bool
    public var place: Place
    /// A run recorded verifying this artifact (status file of `backup_dir`).
    public var verified: Bool
    /// A run's drill recorded restoring this artifact successfully.
    public var drilled: Bool
    /// A manifest was found beside it (locally, else on OSS).
    public var hasManifest: Bool
    /// The OSS copy's storage class (`Standard`, `IA`, `Archive`, `ColdArchive`); nil without an OSS copy.
    public var storageClass: String? = nil
}

/// What `backups` found: the artifacts, and the places that could not be listed.
public struct BackupCatalogReport: Sendable {
    public var entries: [CatalogEntry]
    /// Problems listing a place (OSS down, no keys), already redacted; the entries come from the others.
    public var problems: [String]

    /// The replica generations of the replicated sources (`replicate:`), each with its restorable range.
    public var replicas: [ReplicaCatalogEntry]

    public init(entries: [CatalogEntry], problems: [String], replicas: [ReplicaCatalogEntry] = []) {
        self.entries = entries
        self.problems = problems
        self.replicas = replicas
    }

    /// The entries as a JSON array (keys sorted, times in UTC ISO 8601).
    public func json() -> String {
        let formatter = ISO8601DateFormatter()
        let rows: [[String: Any]] = entries.map { e in
            ["source": e.source, "kind": e.kind.rawValue, "name": e.name, "size": e.sizeBytes, "encrypted": e.encrypted,
             "where": e.place.rawValue, "verified": e.verified, "drilled": e.drilled, "manifest": e.hasManifest,
             "time": e.time.map { formatter.string(from: $0) } ?? NSNull(), "storage_class": e.storageClass ?? NSNull()]
        }
        let data = (try? JSONSerialization.data(withJSONObject: rows + replicas.map(\.json), options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]))
            ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// One line per artifact: time, size, where, states, name.
    public var text: String {
        let formatter = ISO8601DateFormatter()
        return entries.map { e in
            let states = [e.verified ? "verified" : nil, e.drilled ? "drilled" : nil, e.encrypted ? "encrypted" : nil,
                          e.hasManifest ? nil : "no-manifest",
                          // Only the classes that cost a restore (or a minimum storage time) are worth a word.
                          e.storageClass == "Standard" ? nil : e.storageClass].compactMap { $0 }.joined(separator: ",")
            let time = e.time.map { formatter.string(from: $0) } ?? "-"
            let size = ProgressReporter.formatBytes(e.sizeBytes)
            return "\(time)  \(String(repeating: " ", count: max(0, 10 - size.count)))\(size)  \(e.place.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0))  "
                + "\(e.name)\(states.isEmpty ? "" : "  \(states)")"
        }.joined(separator: "\n") + (entries.isEmpty ? "" : "\n") + ReplicaCatalogEntry.text(replicas)
    }
}

/// Every artifact of every source, in `backup_dir` and under the OSS prefix (`vaultops backups`).
public enum BackupCatalog {
    /// Lists `config`'s backup folder and OSS prefix (only `source`'s artifacts when given).
    public static func list(config: Config, source: String? = nil, settings: OSSSettings) throws -> BackupCatalogReport {
        var problems: [String] = []
        var local: [StorageEntry] = []
        var localManifests: [String: Manifest] = [:]
        if let dir = config.backupDir, FileManager.default.fileExists(atPath: dir) {
            let backend = LocalFolderBackend(path: dir)
            local = try backend.list(prefix: "", recursive: false).filter { $0.kind == .object }
            for entry in local where entry.name.hasSuffix(Manifest.sidecarSuffix) {
                localManifests[String(entry.name.dropLast(Manifest.sidecarSuffix.count))] =
                    try? Manifest.load(from: URL(fileURLWithPath: dir).appendingPathComponent(entry.name))
            }
        }
        var remote: [StorageEntry] = []
        var remoteBackend: OSSBackend?
        if let oss = config.oss {
            do {
                let backend = try settings.backend(bucket: oss.bucket, prefix: oss.prefix ?? "")
                remote = try backend.list(prefix: "", recursive: false).filter { $0.kind == .object }
                remoteBackend = backend
            } catch {
                problems.append("oss://\(oss.bucket)/\(OSSBackend.normalized(prefix: oss.prefix ?? "")) could not be listed: "
                                + Redacted.text(String(describing: error)))
            }
        }
        let status = config.backupDir.flatMap { try? RunStatus.load(from: RunStatus.fileURL(backupDir: $0)) }
        var entries = merge(local: local, remote: remote, status: status, timeZone: config.effectiveTimeZone)
        if let source { entries = entries.filter { $0.source == source } }
        for index in entries.indices {
            // The manifest says when the backup was taken; one beside a local copy, else a small read from OSS.
            let plain = entries[index].encrypted ? String(entries[index].name.dropLast(ListedArtifact.encryptedSuffix.count))
                                                 : entries[index].name
            var manifest = localManifests[entries[index].name] ?? localManifests[plain]
            if manifest == nil, let remoteBackend, entries[index].place == .oss,
               let name = [entries[index].name, plain].first(where: { n in remote.contains { $0.name == n + Manifest.sidecarSuffix } }) {
                manifest = try? Manifest.decode(remoteBackend.load(name + Manifest.sidecarSuffix, range: nil), file: name)
            }
            if let manifest {
                entries[index].time = manifest.createdAt
                entries[index].hasManifest = true
            }
        }
        let replicas = replicaEntries(config: config, source: source, remote: remoteBackend, problems: &problems)
        return BackupCatalogReport(entries: entries, problems: problems, replicas: replicas)
    }

    /// The artifacts among the two listings, merged by file name, with states from the status file; pure.
    ///
    /// `time` is the name's stamp here and `hasManifest` says whether a sidecar is listed beside a copy;
    /// `list` replaces the time with the manifest's. Oldest first within each source, sources by name.
    public static func merge(local: [StorageEntry], remote: [StorageEntry], status: RunStatus?, timeZone: TimeZone) -> [CatalogEntry] {
        let localNames = Set(local.map(\.name))
        let remoteNames = Set(remote.map(\.name))
        let classes = Dictionary(remote.map { ($0.name, $0.storageClass) }, uniquingKeysWith: { first, _ in first })
        let records = verificationRecords(status)
        var seen: [String: CatalogEntry] = [:]
        for entry in local + remote {
            guard seen[entry.name] == nil, let listed = ListedArtifact.parse(entry.name) else { continue }
            let inLocal = localNames.contains(entry.name)
            let inRemote = remoteNames.contains(entry.name)
            let plain = listed.parsed.artifactFileName
            let manifestNames = [entry.name + Manifest.sidecarSuffix, plain + Manifest.sidecarSuffix]
            let record = records[entry.name] ?? records[plain]
            seen[entry.name] = CatalogEntry(
                source: listed.parsed.source, kind: listed.parsed.kind, name: entry.name,
                time: listed.parsed.date(in: timeZone), sizeBytes: entry.size, encrypted: listed.encrypted,
                place: inLocal && inRemote ? .both : inLocal ? .local : .oss,
                verified: record?.verified ?? false, drilled: record?.drilled ?? false,
                hasManifest: manifestNames.contains { localNames.contains($0) || remoteNames.contains($0) },
                storageClass: classes[entry.name] ?? nil)
        }
        return seen.values.sorted { a, b in
            if a.source != b.source { return a.source < b.source }
            let pa = ListedArtifact.parse(a.name)!.parsed, pb = ListedArtifact.parse(b.name)!.parsed
            if pa.stamp != pb.stamp || pa.counter != pb.counter { return ParsedArtifact.chronological(pa, pb) }
            return a.name < b.name
        }
    }

    /// Per artifact file name: whether a run verified it and whether a drill restored it, from the status file
    /// (each source's history, its last success and tonight's run).
    static func verificationRecords(_ status: RunStatus?) -> [String: (verified: Bool, drilled: Bool)] {
        var records: [String: (verified: Bool, drilled: Bool)] = [:]
        func add(_ name: String?, verified: Bool, drilled: Bool) {
            guard let name else { return }
            let old = records[name] ?? (false, false)
            records[name] = (old.verified || verified, old.drilled || drilled)
        }
        for source in status?.sources ?? [] {
            for point in source.history { add(point.artifact, verified: point.verified ?? false, drilled: point.drilled ?? false) }
            if let last = source.lastSuccess { add(last.artifact, verified: last.verified, drilled: false) }
            if source.backedUp { add(source.artifact, verified: source.verified, drilled: source.drill?.ok ?? false) }
        }
        return records
    }
}
