import Archive
import Foundation
import VaultopsCore

/// `backup files`: one or more folders into `<name>_<date>.tar.gz`, each stored under its base name.
public enum FilesBackup {
    /// Backs up `directories` into one archive.
    public static func run(directories: [URL], options: BackupOptions, now: Date = Date()) throws -> BackupResult {
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
        return try ArtifactWriter.write(kind: .files, sourceName: name, options: options, now: now) { sink in
            let tar = TarWriter(sink: sink)
            for folder in folders {
                try tar.append(directory: folder, as: folder.lastPathComponent)
            }
            try tar.finish()
            return ProducedContent(
                source: folders.map(\.path).joined(separator: ", "),
                originalPath: folders.count == 1 ? folders[0].path : nil,
                extra: ["folders": folders.map(\.path).joined(separator: "\n"), "entries": String(tar.entryCount)]
            )
        }
    }
}
