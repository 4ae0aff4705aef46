import Archive
import Foundation
import VaultopsCore

/// `backup files`: folders and single files into one `<name>_<date>.tar.gz`, each stored under its base name.
public enum FilesBackup {
    /// How many excluded paths the manifest's `extra.excluded` lists at most.
    public static let excludedListLimit = 1000

    /// Backs up `directories` (folders or single files) into one archive.
    ///
    /// A file that changes while read, and again when read a second time, fails the backup unless `allowChanged`:
    /// then it is kept as read, listed in the result's `changedFiles` and the manifest's `extra.changed_files`.
    /// Sockets and devices are not archived; they are listed in `warnings` and `extra.not_archived`. Paths `exclude`
    /// matches (relative to each folder) are listed in `excluded` and `extra.excluded`; with `oneFileSystem`, folders
    /// on another file system are stored empty and listed in `extra.mount_points_skipped`.
    public static func run(directories: [URL], options: BackupOptions, allowChanged: Bool = false,
                           exclude: ExcludeRules = ExcludeRules(), oneFileSystem: Bool = false,
                           now: Date = Date()) throws -> BackupResult {
        try run(directories: directories, options: options, allowChanged: allowChanged, exclude: exclude,
                oneFileSystem: oneFileSystem, now: now, afterFirstChunk: nil, betweenRenames: nil)
    }

    /// Backs up a `files` source of the config with its `exclude:` and `one_file_system:`.
    public static func run(source: SourceConfig, paths: [String], options: BackupOptions, now: Date) throws -> BackupResult {
        try run(directories: paths.map { URL(fileURLWithPath: $0) }, options: options, exclude: source.exclude,
                oneFileSystem: source.oneFileSystem, now: now)
    }

    /// Which of `paths` are folders; throws naming a path that is missing, unreadable, shares its base name with
    /// another, or contains the output folder.
    private static func check(_ paths: [URL], outputDirectory: URL) throws -> [Bool] {
        var isFolder: [Bool] = []
        var seen: [String: String] = [:]
        for path in paths {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path.path, isDirectory: &isDir) else {
                throw ArtifactError.source(path: path.path, reason: "no such file or folder")
            }
            isFolder.append(isDir.boolValue)
            guard access(path.path, isDir.boolValue ? R_OK | X_OK : R_OK) == 0 else {
                throw ArtifactError.source(path: path.path, reason: "cannot be read (\(String(cString: strerror(errno))))")
            }
            let base = path.lastPathComponent
            if let other = seen[base] {
                throw ArtifactError.source(path: path.path, reason: "has the same base name as \(other); archive them separately")
            }
            seen[base] = path.path
        }
        // Never archive the output folder into itself.
        let out = outputDirectory.standardizedFileURL.resolvingSymlinksInPath().path
        for (path, isDir) in zip(paths, isFolder) where isDir && (out + "/").hasPrefix(path.resolvingSymlinksInPath().path + "/") {
            throw ArtifactError.source(path: path.path, reason: "contains the output folder \(out); choose another --out")
        }
        return isFolder
    }

    /// `run` with the test hooks: a file changed after its first chunk is read, a crash between the renames.
    package static func run(directories: [URL], options: BackupOptions, allowChanged: Bool = false,
                            exclude: ExcludeRules = ExcludeRules(), oneFileSystem: Bool = false, now: Date = Date(),
                            afterFirstChunk: ((String, Int) -> Void)?,
                            betweenRenames: (() throws -> Void)? = nil) throws -> BackupResult {
        guard !directories.isEmpty else { throw ArtifactError.failed("backup files needs at least one folder or file") }
        let folders = directories.map { $0.standardizedFileURL }
        let isFolder = try check(folders, outputDirectory: options.outputDirectory)
        let name = options.name ?? ArtifactName.defaultSource(kind: .files, path: folders[0].path)
        var warnings: [String] = []
        var changed: [String] = []
        var excluded: [String] = []
        var skippedMounts: [String] = []
        var result: BackupResult
        do {
            result = try ArtifactWriter.write(kind: .files, sourceName: name, options: options, now: now,
                                              betweenRenames: betweenRenames) { sink in
                let tar = TarWriter(sink: sink)
                tar.changedFilePolicy = allowChanged ? .record : .fail
                tar.afterFirstChunk = afterFirstChunk
                if !exclude.isEmpty { tar.include = { path, isDirectory in !exclude.isExcluded(path, isDirectory: isDirectory) } }
                tar.crossFileSystems = !oneFileSystem
                for (folder, isDir) in zip(folders, isFolder) {
                    if isDir {
                        try tar.append(directory: folder, as: folder.lastPathComponent)
                    } else {
                        // A single file (a `.env`): stored as its target when it is a link, like a configured folder.
                        try tar.append(file: folder.resolvingSymlinksInPath(), as: folder.lastPathComponent)
                    }
                }
                try tar.finish()
                excluded = tar.excluded
                skippedMounts = tar.skippedMountPoints
                warnings = tar.warnings.map(\.description)
                changed = tar.changedFiles
                var extra = ["folders": folders.map(\.path).joined(separator: "\n"), "entries": String(tar.entryCount)]
                // What a restore will not bring back, recorded where the next reader of the backup looks.
                if !tar.changedFiles.isEmpty { extra["changed_files"] = tar.changedFiles.joined(separator: "\n") }
                if !tar.notArchived.isEmpty { extra["not_archived"] = tar.notArchived.joined(separator: "\n") }
                if !exclude.isEmpty {
                    extra["exclude"] = exclude.rules.map(\.pattern).joined(separator: "\n")
                    extra["excluded_count"] = String(tar.excluded.count)
                    if !tar.excluded.isEmpty {
                        // An excluded folder is one line however much it holds; many matching files are capped so the
                        // manifest stays readable (the count above is complete).
                        let shown = tar.excluded.prefix(Self.excludedListLimit)
                        let more = tar.excluded.count - shown.count
                        extra["excluded"] = (shown + (more > 0 ? ["… and \(more) more"] : [])).joined(separator: "\n")
                    }
                }
                if oneFileSystem { extra["one_file_system"] = "true" }
                if !tar.skippedMountPoints.isEmpty { extra["mount_points_skipped"] = tar.skippedMountPoints.joined(separator: "\n") }
                return ProducedContent(
                    source: folders.map(\.path).joined(separator: ", "),
                    // Restore strips the folder's name and puts its contents back there; a single file has no
                    // such folder, so its archive is restored with --to DIR (as DIR/NAME).
                    originalPath: folders.count == 1 && isFolder[0] ? folders[0].path : nil,
                    extra: extra
                )
            }
        } catch let ArchiveError.changedWhileRead(path, detail) {
            throw ArtifactError.source(path: path, reason: "changed while it was being archived, and again when read a "
                + "second time (\(detail)); no backup was written. Stop what writes it, or pass --allow-changed "
                + "(config: allow_changed: true) to keep it as read, recorded in the manifest, with exit status 5")
        }
        result.warnings = warnings
        result.changedFiles = changed
        result.excluded = excluded
        result.skippedMountPoints = skippedMounts
        return result
    }
}
