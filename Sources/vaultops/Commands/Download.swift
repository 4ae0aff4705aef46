import ArgumentParser
import Foundation
import VaultopsCore
import ObjectStorage

/// `vaultops download oss://BUCKET/KEY [DEST]`: a resumable, CRC-checked download.
struct Download: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Download an object from OSS (resumes an interrupted download, checks CRC-64).")

    @Argument(help: "The object, oss://BUCKET/KEY.")
    var source: String

    @Argument(help: "Where to save it (a file or an existing folder; default: the key's name here).")
    var destination: String?

    @Flag(help: "Replace DEST if it exists.")
    var force = false

    mutating func run() throws {
        let location = try OSSLocation(parsing: source)
        guard !location.key.isEmpty, !location.key.hasSuffix("/") else {
            throw ObjectStorageError(.invalidURL, "download needs an object key: oss://BUCKET/KEY, not \(source)")
        }
        let name = URL(fileURLWithPath: location.key).lastPathComponent
        var dest = destination ?? name
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: dest, isDirectory: &isDir), isDir.boolValue {
            dest = URL(fileURLWithPath: dest).appendingPathComponent(name).path
        }
        if FileManager.default.fileExists(atPath: dest) && !force {
            throw ObjectStorageError(.invalidConfiguration, "\(dest) already exists: pass --force to replace it")
        }
        let client = OSSCommand.client(try OSSConfiguration.fromEnvironment())
        let reporter = ProgressReporter(label: name, total: nil)
        let result = try client.download(bucket: location.bucket, key: location.key, to: dest,
                                         progress: { done, total in reporter.update(done, total) })
        reporter.finish()
        var line = "downloaded \(location) -> \(dest) (\(TransferProgress.bytes(result.size)), crc64 \(result.crc64)"
        if result.resumedFrom > 0 { line += ", resumed at \(TransferProgress.bytes(result.resumedFrom))" }
        print(line + ")")
    }
}
