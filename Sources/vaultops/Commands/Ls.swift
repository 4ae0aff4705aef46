import ArgumentParser
import Foundation
import ObjectStorage
import Storage

/// `vaultops ls oss://BUCKET[/PREFIX] [--json]`: every object under a prefix, across all pages.
struct Ls: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List objects in OSS under a prefix.")

    @Argument(help: "oss://BUCKET or oss://BUCKET/PREFIX.")
    var location: String

    @Flag(help: "Print a JSON array of {key, size, etag, last_modified, storage_class}.")
    var json = false

    @OptionGroup var config: ConfigOption

    mutating func run() throws {
        let where_ = try OSSLocation(parsing: location)
        let objects = try config.settings().bucketBackend(where_).list(prefix: where_.key, recursive: true)
        if json {
            print(Self.json(objects))
        } else {
            for object in objects {
                let date = object.modified.map { ISO8601DateFormatter().string(from: $0) } ?? "-"
                print("\(date)  \(String(object.size).leftPadded(12))  \((object.storageClass ?? "-").padded(11))  \(object.name)")
            }
        }
    }

    static func json(_ objects: [StorageEntry]) -> String {
        let formatter = ISO8601DateFormatter()
        let rows: [[String: Any]] = objects.map { o in
            var row: [String: Any] = ["key": o.name, "size": o.size, "etag": o.etag ?? ""]
            row["last_modified"] = o.modified.map { formatter.string(from: $0) } ?? NSNull()
            row["storage_class"] = o.storageClass ?? NSNull()
            return row
        }
        let data = (try? JSONSerialization.data(withJSONObject: rows, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }

    fileprivate func padded(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
