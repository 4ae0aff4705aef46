import ArgumentParser
import Foundation
import ObjectStorage
import Storage

/// `vaultops rm oss://BUCKET/KEY...`: deletes objects, 1,000 per request.
struct Rm: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Delete objects from OSS.")

    @Argument(help: "Objects to delete, oss://BUCKET/KEY (exact keys, no prefixes).")
    var objects: [String]

    mutating func run() throws {
        guard !objects.isEmpty else { throw ObjectStorageError(.invalidURL, "rm needs at least one oss://BUCKET/KEY") }
        var byBucket: [(bucket: String, keys: [String])] = []
        for text in objects {
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
        let settings = OSSCommand.settings()
        for group in byBucket {
            let backend = try settings.backend(bucket: group.bucket)
            if group.keys.count == 1 {
                try backend.remove(group.keys[0])
            } else {
                try backend.remove(group.keys)
            }
            for key in group.keys { print("deleted oss://\(group.bucket)/\(key)") }
        }
    }
}
