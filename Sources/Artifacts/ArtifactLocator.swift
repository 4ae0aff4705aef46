import Foundation
import ObjectStorage
import Storage
import VaultopsCore

/// An artifact found for `restore`: a local path, or an OSS location still to download.
public struct LocatedArtifact: Sendable, Equatable {
    /// A path, or `oss://BUCKET/KEY`.
    public var location: String
    public var place: ArtifactPlace
    /// The artifact's file name (what tells its format).
    public var fileName: String { (location as NSString).lastPathComponent }
}

/// Finds the artifact `restore` is asked for: the path given, else the config's `backup_dir`, else its OSS prefix.
public enum ArtifactLocator {
    /// Where `argument` (a path, `oss://BUCKET/KEY`, an artifact file name or a source name) is.
    ///
    /// `at` and `latest` pick among a source's artifacts (`ArtifactQuery`). `note` hears of places that could not
    /// be searched while another answered.
    public static func locate(_ argument: String, at: String? = nil, latest: Bool = false, config: Config?,
                              settings: OSSSettings, note: (String) -> Void = { _ in }) throws -> LocatedArtifact {
        let picking = at != nil || latest
        if argument.lowercased().hasPrefix("oss://") {
            if picking { throw ArtifactLookupError("--at and --latest go with a source name, not an oss:// location") }
            return LocatedArtifact(location: argument, place: .oss)
        }
        if !picking, FileManager.default.fileExists(atPath: argument) {
            return LocatedArtifact(location: argument, place: .path)
        }
        if argument.contains("/") {
            throw ArtifactLookupError("no such artifact \(argument): the file does not exist")
        }
        let query = try ArtifactQuery.parse(argument, at: at, latest: latest)
        let local = try localNames(config)
        let kind = sourceKind(query, config)
        if case .file = query, let found = ArtifactLookup.choose(query, local: local, remote: []) {
            return located(found, config: config)
        }
        var remote: [String] = []
        var ossProblem: String?
        if let oss = config?.oss {
            do {
                remote = try settings.backend(bucket: oss.bucket, prefix: OSSBackend.normalized(prefix: oss.prefix ?? ""))
                    .list(prefix: "", recursive: false).filter { $0.kind == .object }.map(\.name)
            } catch {
                ossProblem = "\(ossLocation(oss)) could not be listed: \(error)"
            }
        }
        if let found = ArtifactLookup.choose(query, kind: kind, local: local, remote: remote) {
            if let ossProblem { note("vaultops: note: \(ossProblem); using \(found.fileName) from backup_dir") }
            return located(found, config: config)
        }
        if let ossProblem, config?.oss != nil { throw ArtifactLookupError(notFound(query, config: config) + " (\(ossProblem))") }
        throw ArtifactLookupError(notFound(query, config: config))
    }

    /// "no such artifact X in ./, backup_dir Y or oss://B/P/": what is missing first, then every place searched.
    static func notFound(_ query: ArtifactQuery, config: Config?) -> String {
        var places = [query.isFile ? "./" : nil, config?.backupDir.map { "backup_dir \($0)" }, config?.oss.map(ossLocation)]
            .compactMap { $0 }
        let subject = query.isFile ? "no such artifact \(query.subject)" : "no artifact \(query.subject)"
        guard let config else {
            return subject + " in ./; no config was found to search its backup_dir and OSS prefix "
                + "(pass --config FILE, set VAULTOPS_CONFIG, or install \(ConfigLoader.defaultPath))"
        }
        if places.isEmpty { places = ["\(config.file) (it names no backup_dir or oss:)"] }
        let list = places.count > 1 ? places.dropLast().joined(separator: ", ") + " or " + places.last! : places[0]
        return "\(subject) in \(list)"
    }

    static func ossLocation(_ oss: OSSConfig) -> String { "oss://\(oss.bucket)/\(OSSBackend.normalized(prefix: oss.prefix ?? ""))" }

    private static func localNames(_ config: Config?) throws -> [String] {
        guard let dir = config?.backupDir, FileManager.default.fileExists(atPath: dir) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: dir)
    }

    private static func sourceKind(_ query: ArtifactQuery, _ config: Config?) -> ArtifactKind? {
        switch query {
        case .file: nil
        case let .newest(source), let .onOrBefore(source, _): config?.source(named: source)?.kind
        }
    }

    private static func located(_ choice: ArtifactChoice, config: Config?) -> LocatedArtifact {
        switch choice.place {
        case .oss:
            let oss = config!.oss!
            return LocatedArtifact(location: ossLocation(oss) + choice.fileName, place: .oss)
        case .backupDir, .path:
            return LocatedArtifact(location: URL(fileURLWithPath: config!.backupDir!).appendingPathComponent(choice.fileName).path,
                                   place: .backupDir)
        }
    }
}

extension ArtifactQuery {
    var isFile: Bool { if case .file = self { return true } else { return false } }
}
