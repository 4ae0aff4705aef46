import ArgumentParser
import Foundation
import ObjectStorage
import Storage

/// `vaultops presign oss://BUCKET/KEY [--expires SECONDS]`: a time-limited download URL.
struct Presign: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a presigned download URL for an object.")

    @Argument(help: "The object, oss://BUCKET/KEY.")
    var object: String

    @Option(help: "Seconds the URL stays valid (V4 signing allows at most 604800, 7 days; with STS credentials, at most until they expire).")
    var expires: Int = 3600

    @OptionGroup var config: ConfigOption

    mutating func run() throws {
        let location = try OSSLocation(parsing: object)
        guard !location.key.isEmpty else {
            throw ObjectStorageError(.invalidURL, "presign needs an object key: oss://BUCKET/KEY")
        }
        // Presigning is OSS's own (no storage operation): the client of the backend the settings give.
        let client = try config.settings().bucketBackend(location).client
        print(try client.presignedURL(bucket: location.bucket, key: location.key, expires: expires))
    }
}
