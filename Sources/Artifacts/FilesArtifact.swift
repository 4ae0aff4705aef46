import Archive
import Foundation
import VaultopsCore

/// Folder archives: `.tar.gz` (or `.tgz`) of folders and single files, each stored under its base name.
///
/// Backed up by `FilesBackup`, restored by `FolderRestore.restore`.
public struct FilesArtifact: ArtifactHandler {
    public init() {}

    public var kind: ArtifactKind { .files }
    public var description: String { "folder archive" }
    public var endings: [ArtifactEnding] {
        [ArtifactEnding(".tar.gz", gzipped: true), ArtifactEnding(".tgz", gzipped: true, listed: false)]
    }

    public func backup(_ source: SourceConfig, options: BackupOptions, now: Date) throws -> BackupResult {
        guard case let .files(paths) = source.target else { throw wrongSource(source, for: kind) }
        return try FilesBackup.run(source: source, paths: paths, options: options, now: now)
    }

    public func sourceProblem(_ source: SourceConfig) -> String? {
        guard case let .files(paths) = source.target else { return "\(wrongSource(source, for: kind))" }
        return paths.lazy.compactMap { readableProblem($0, folder: nil) }.first
    }

    /// The first tar header; with `deep`, every entry by the rules restore applies.
    public func verifyContent(_ content: any ContentSource, _ check: inout VerifyCheck) throws {
        guard check.deep else {
            // Even without --deep, the content must start like what the name promises.
            try check.checkStart(of: content, limit: TarReader.blockSize, ok: "first tar header checked") { head in
                TarReader.firstBlockProblem(head).map { "not a tar archive: \($0)" }
            }
            return
        }
        // The rules restore applies (one function for both), so a nightly ok means restore accepts it.
        let reader = TarReader(source: content, path: check.artifact.path,
                               stripComponents: FolderRestore.stripComponents(for: check.manifest))
        let result = try TarExtractor.check(reader)
        check.checks.append("tar lists \(result.entryCount) entries, every header checked, every entry passes restore's rules")
        if !result.outsideLinks.isEmpty {
            check.checks.append("\(result.outsideLinks.count) links point outside the folder and restore as links: "
                                + FolderRestore.describe(result.outsideLinks, limit: 5))
        }
    }

    public func restore(_ artifact: URL, named name: String, request: RestoreRequest) throws -> RestoreReport {
        if request.partial != nil { throw RestoreRequestError("--table and --schema apply to dumps, not to the folder archive \(name)") }
        let summary = try FolderRestore.restore(artifact, to: request.target.map { URL(fileURLWithPath: $0) }, force: request.force,
                                                samePermissions: request.samePermissions, paths: request.paths)
        return RestoreReport(lines: summary.notes
                                    + ["restored \(name) to \(summary.target.path): \(summary.details.joined(separator: "; "))"])
    }

    /// Existing files replaced (files added since stay); a source of several folders is left to the user.
    public func restore(_ artifact: URL, over source: SourceConfig) throws -> String {
        guard case let .files(paths) = source.target else { throw wrongSource(source, for: kind) }
        guard paths.count == 1 else {
            throw ArtifactError.failed("\(source.name) archives \(paths.count) folders; restore \(artifact.path) by hand with vaultops restore --to DIR")
        }
        let summary = try FolderRestore.restore(artifact, to: URL(fileURLWithPath: paths[0]), force: true)
        return "restored \(artifact.lastPathComponent): \(summary.details.joined(separator: "; "))"
    }

    /// Restores into a temporary folder and compares the number of entries with the manifest.
    public func drill(_ artifact: URL, manifest: Manifest, into target: DrillTarget) throws -> String {
        guard target == .temporaryFolder else { throw Drill.wrongTarget(target, for: kind) }
        return try Drill.inTemporaryFolder { folder in
            let target = folder.appendingPathComponent("restored")
            _ = try FolderRestore.restore(artifact, to: target, force: false)
            let (entries, bytes) = try Drill.walk(target)
            // A single folder is archived under its own name, which restore strips: that entry is not restored.
            let restored = entries + FolderRestore.stripComponents(for: manifest)
            if let expected = manifest.extra?["entries"].flatMap({ Int($0) }), expected != restored {
                throw ArtifactError.verification(path: artifact.path,
                                                  reason: "the drill restored \(restored) entries but the manifest lists \(expected)")
            }
            return "\(restored) entries, \(bytes) bytes of files restored as the manifest lists"
        }
    }
}
