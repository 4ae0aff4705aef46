import Foundation
import ObjectStorage

extension OSSSettings {
    /// The backend of a location as the commands take it: `oss://BUCKET/PREFIX` (through these settings), or a
    /// local folder.
    public func backend(location: String) throws -> any StorageBackend {
        guard location.lowercased().hasPrefix("oss://") else { return LocalFolderBackend(path: location) }
        let target = try OSSLocation(parsing: location)
        return try backend(bucket: target.bucket, prefix: target.key)
    }
}

/// Where `vaultops download oss://BUCKET/KEY [DEST]` writes the object.
public enum DownloadDestination {
    /// `given` (default: the key's name here), or the key's name inside it when it is a folder; throws
    /// `.invalidConfiguration` when that file exists and `force` is not set.
    public static func path(for location: OSSLocation, given: String?, force: Bool) throws -> String {
        let name = URL(fileURLWithPath: location.key).lastPathComponent
        var path = given ?? name
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            path = URL(fileURLWithPath: path).appendingPathComponent(name).path
        }
        if FileManager.default.fileExists(atPath: path) && !force {
            throw ObjectStorageError(.invalidConfiguration, "\(path) already exists: pass --force to replace it")
        }
        return path
    }
}

extension OSSSettings {
    /// Deletes single objects named `oss://BUCKET/KEY`, one batch per bucket; `deleted` hears of each bucket's keys
    /// once they are gone.
    ///
    /// Every name is checked before anything is deleted: one that names a bucket or a prefix throws `.invalidURL`.
    public func removeObjects(_ names: [String], deleted: (_ bucket: String, _ keys: [String]) -> Void) throws {
        var byBucket: [(bucket: String, keys: [String])] = []
        for text in names {
            let location = try OSSLocation(parsing: text)
            guard !location.key.isEmpty, !location.key.hasSuffix("/") else {
                throw ObjectStorageError(.invalidURL, "rm deletes single objects: \(text) names a bucket or prefix")
            }
            if let i = byBucket.firstIndex(where: { $0.bucket == location.bucket }) {
                byBucket[i].keys.append(location.key)
            } else {
                byBucket.append((location.bucket, [location.key]))
            }
        }
        for group in byBucket {
            let backend = try self.backend(bucket: group.bucket)
            if group.keys.count == 1 {
                try backend.remove(group.keys[0])
            } else {
                try backend.remove(group.keys)
            }
            deleted(group.bucket, group.keys)
        }
    }
}
