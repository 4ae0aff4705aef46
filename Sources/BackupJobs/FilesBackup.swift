import Archive
import Foundation
import VaultopsCore

/// `backup files`: one or more folders into `<name>_<date>.tar.gz`, each stored under its base name.
public enum FilesBackup {
    /// Backs up `directories` into one archive.
    ///
    /// A file that changes while read, and again when read a second time, fails the backup unless `allowChanged`:
    /// then it is kept as read, listed in the result's `changedFiles` and the manifest's `extra.changed_files`.
    /// Sockets and devices are not archived; they are listed in `warnings` and `extra.not_archived`.
    public static func run(directories: [URL], options: BackupOptions, allowChanged: Bool = false,
                           now: Date = Date()) throws -> BackupResult {
        try run(directories: directories, options: options, allowChanged: allowChanged, now: now,
                afterFirstChunk: nil, betweenRenames: nil)
    }

    /// `run` with the test hooks: a file changed after its first chunk is read, a crash between the renames.
    package static func run(directories: [URL], options: BackupOptions, allowChanged: Bool = false, now: Date = Date(),
                            afterFirstChunk: ((String, Int) -> Void)?,
                            betweenRenames: (() throws -> Void)? = nil) throws -> BackupResult {
        guard !directories.isEmpty else { throw BackupJobError.failed("backup files needs at least one folder") }
        let folders = directories.map { $0.standardizedFileURL }
        var seen: [String: String] = [:]
        for folder in folders {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDir) else {
                throw BackupJobError.source(path: folder.path, reason: "no such folder")
            }
            guard isDir.boolValue else { throw BackupJobError.source(path: folder.path, reason: "is not a folder") }
            guard access(folder.path, R_OK | X_OK) == 0 else {
                throw BackupJobError.source(path: folder.path, reason: "cannot be read (\(String(cString: strerror(errno))))")
            }
            let base = folder.lastPathComponent
            if let other = seen[base] {
                throw BackupJobError.source(path: folder.path, reason: "has the same base name as \(other); archive them separately")
            }
            seen[base] = folder.path
        }
        // Never archive the output folder into itself.
        let out = options.outputDirectory.standardizedFileURL.resolvingSymlinksInPath().path
        for folder in folders where (out + "/").hasPrefix(folder.resolvingSymlinksInPath().path + "/") {
            throw BackupJobError.source(path: folder.path, reason: "contains the output folder \(out); choose another --out")
        }
        let name = options.name ?? ArtifactName.defaultSource(kind: .files, path: folders[0].path)
        var warnings: [String] = []
        var changed: [String] = []
        var result: BackupResult
        do {
            result = try ArtifactWriter.write(kind: .files, sourceName: name, options: options, now: now,
                                              betweenRenames: betweenRenames) { sink in
                let tar = TarWriter(sink: sink)
                tar.changedFilePolicy = allowChanged ? .record : .fail
                tar.afterFirstChunk = afterFirstChunk
                for folder in folders {
                    try tar.append(directory: folder, as: folder.lastPathComponent)
                }
                try tar.finish()
                warnings = tar.warnings.map(\.description)
                changed = tar.changedFiles
                var extra = ["folders": folders.map(\.path).joined(separator: "\n"), "entries": String(tar.entryCount)]
                // What a restore will not bring back, recorded where the next reader of the backup looks.
                if !tar.changedFiles.isEmpty { extra["changed_files"] = tar.changedFiles.joined(separator: "\n") }
                if !tar.notArchived.isEmpty { extra["not_archived"] = tar.notArchived.joined(separator: "\n") }
                return ProducedContent(
                    source: folders.map(\.path).joined(separator: ", "),
                    originalPath: folders.count == 1 ? folders[0].path : nil,
                    extra: extra
                )
            }
        } catch let ArchiveError.changedWhileRead(path, detail) {
            throw BackupJobError.source(path: path, reason: "changed while it was being archived, and again when read a "
                + "second time (\(detail)); no backup was written. Stop what writes it, or pass --allow-changed "
                + "(config: allow_changed: true) to keep it as read, recorded in the manifest, with exit status 5")
        }
        result.warnings = warnings
        result.changedFiles = changed
        return result
    }
}
