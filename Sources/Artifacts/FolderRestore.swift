import Archive
import Foundation
import VaultopsCore

/// `restore` of a folder archive (`.tar.gz`): verified, every entry checked, then extracted file by file.
public enum FolderRestore {
    /// Restores a `.tar.gz` folder archive into `target` (default: the folder in the manifest).
    ///
    /// The whole archive is read and every entry checked before anything is written: absolute paths, `..`,
    /// entries written through a link, and (without `force`) existing files make the restore refuse. Links that
    /// point outside the target are written as links, each named in `notes`. The free space must hold the
    /// manifest's uncompressed size (`freeSpace` probes it; tests inject one). Each file is renamed into place
    /// when complete; a failure midway says which files were restored and which not. setuid/setgid bits are
    /// dropped unless `samePermissions`.
    ///
    /// With `paths` (names as the archive stores them, `restore --list` shows them; globs allowed) only the entries
    /// they match are restored, a folder with everything below it, under the same rules.
    public static func restore(_ artifact: URL, to target: URL?, force: Bool, samePermissions: Bool = false,
                               paths: [String] = [],
                               freeSpace: ((String) throws -> UInt64)? = nil) throws -> FileRestoreSummary {
        let report = Verifier.verify(artifact)
        guard report.ok else {
            throw ArtifactError.verification(path: artifact.path, reason: report.problems.joined(separator: "; ") + "; nothing was restored")
        }
        guard let destination = target ?? report.manifest?.originalPath.map({ URL(fileURLWithPath: $0) }) else {
            throw ArtifactError.refused(path: artifact.path, reason: "no --to given and no manifest with the original folder beside it; say where to restore with --to DIR")
        }
        let strip = stripComponents(for: report.manifest)
        let plan: ExtractionPlan
        // A hard link chosen by `paths` brings the entry it links to, or it could not be made.
        let linked = paths.isEmpty ? [] : try ArchivePaths.hardLinkTargets(artifact, chosenBy: paths)
        func reader() throws -> TarReader {
            let reader = try TarReader(path: artifact.path, stripComponents: strip)
            if !paths.isEmpty { reader.include = { ArchivePaths.matches($0, any: paths) || linked.contains($0) } }
            return reader
        }
        do {
            plan = try TarExtractor.plan(try reader(), into: destination, force: force)
        } catch let error as ArchiveError {
            switch error {
            case .corrupt, .truncated, .checksumMismatch:
                throw ArtifactError.verification(path: artifact.path, reason: "\(error); nothing was restored")
            default:
                throw ArtifactError.refused(path: artifact.path, reason: "\(error); nothing was restored")
            }
        }
        if !paths.isEmpty && plan.entryCount == 0 {
            throw ArtifactError.refused(path: artifact.path, reason: "no entry matches \(paths.joined(separator: ", ")) (restore --list shows the entries); nothing was restored")
        }
        let needed = paths.isEmpty ? report.manifest.map { UInt64(max($0.uncompressedBytes, 0)) } ?? plan.fileBytes : plan.fileBytes
        let (probed, free) = try availableSpace(at: destination, probe: freeSpace ?? freeBytes)
        guard free >= needed else {
            throw ArtifactError.refused(path: destination.path, reason: "needs \(needed) bytes (\(ProgressReporter.formatBytes(Int64(clamping: needed))), "
                + "the archive's uncompressed size) but only \(free) bytes (\(ProgressReporter.formatBytes(Int64(clamping: free)))) "
                + "are free on the filesystem of \(probed); nothing was restored")
        }
        let done: ExtractionReport
        do {
            done = try TarExtractor.extract(from: try reader(), into: destination, plan: plan, keepSetID: samePermissions)
        } catch let failure as ExtractionFailure {
            throw ArtifactError.failed("restore of \(artifact.path) into \(destination.path) failed: \(failure)")
        }
        var details = ["\(done.files) files, \(done.directories) folders, \(done.symlinks + done.hardlinks) links, \(done.bytes) bytes"]
        if done.fifos > 0 { details.append("\(done.fifos) FIFOs") }
        if !done.replaced.isEmpty { details.append("\(done.replaced.count) existing files replaced (--force)") }
        if !done.skipped.isEmpty { details.append("not created (devices): \(done.skipped.joined(separator: ", "))") }
        var summary = FileRestoreSummary(target: destination, previousCopy: nil, details: details)
        summary.notes = plan.outsideLinks.map {
            "link \($0.name) -> \($0.target) points outside \(destination.path); restored as a link, not followed"
        }
        return summary
    }

    /// Leading components restore strips: our archives hold each folder under its base name, and restoring one
    /// folder (the manifest names it) puts its contents at the target. Verify uses the same, to judge alike.
    package static func stripComponents(for manifest: Manifest?) -> Int {
        manifest?.originalPath != nil ? 1 : 0
    }

    /// `a -> b, c -> d` for the first `limit` links, then how many more.
    static func describe(_ links: [OutsideLink], limit: Int) -> String {
        let shown = links.prefix(limit).map { "\($0.name) -> \($0.target)" }.joined(separator: ", ")
        return links.count > limit ? shown + " and \(links.count - limit) more" : shown
    }

    /// The free bytes for `destination`, probed at it or at its nearest existing parent (it may not exist yet).
    static func availableSpace(at destination: URL, probe: (String) throws -> UInt64) throws -> (String, UInt64) {
        var path = destination.standardizedFileURL.path
        while !FileManager.default.fileExists(atPath: path), path != "/" {
            path = (path as NSString).deletingLastPathComponent
            if path.isEmpty { path = "/" }
        }
        return (path, try probe(path))
    }

    /// Bytes an unprivileged writer may still use on the filesystem holding `path` (`statvfs`'s `f_bavail`).
    static func freeBytes(_ path: String) throws -> UInt64 {
        var st = statvfs()
        guard statvfs(path, &st) == 0 else {
            throw ArtifactError.failed("cannot tell the free space at \(path): \(String(cString: strerror(errno)))")
        }
        return UInt64(st.f_bavail) * UInt64(st.f_frsize)
    }
}
