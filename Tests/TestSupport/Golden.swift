import Foundation

/// Golden files: committed output that a test compares its own with, re-recorded on purpose by running the
/// tests with `VAULTOPS_RECORD_GOLDEN=1`.
public enum Golden {
    /// The repository's root folder (the one with Package.swift).
    public static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The golden file at `path` (relative to the repository's root), for `#expect(actual == expected)`.
    ///
    /// With `VAULTOPS_RECORD_GOLDEN=1` the file is first written with `actual` (its folder created).
    public static func expected(_ actual: String, at path: String) throws -> String {
        let url = repositoryRoot.appendingPathComponent(path)
        if ProcessInfo.processInfo.environment["VAULTOPS_RECORD_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(actual.utf8).write(to: url)
        }
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// What a failed comparison with the golden file at `path` says.
    public static func differs(_ path: String) -> String {
        "differs from \(path); if the change is intended, re-record with VAULTOPS_RECORD_GOLDEN=1"
    }
}
