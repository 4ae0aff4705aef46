import ArgumentParser
import Foundation
import ObjectStorage
import Storage

/// `vaultops rm oss://BUCKET/KEY...`: deletes objects, 1,000 per request.
struct Rm: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Delete objects from OSS.")

    @Argument(help: "Objects to delete, oss://BUCKET/KEY (exact keys, no prefixes).")
    var objects: [String]

    @OptionGroup var config: ConfigOption

    mutating func run() throws {
        guard !objects.isEmpty else { throw ObjectStorageError(.invalidURL, "rm needs at least one oss://BUCKET/KEY") }
        try config.settings().removeObjects(objects) { bucket, keys in
            for key in keys { print("deleted oss://\(bucket)/\(key)") }
        }
    }
}
