import Foundation
import VaultopsCore

/// What the handlers' drills share: comparing a restored copy with the manifest, and a scratch folder.
enum Drill {
    /// Runs `body` with a fresh temporary folder, removed afterwards whatever happened.
    static func inTemporaryFolder<T>(_ body: (URL) throws -> T) throws -> T {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vaultops-drill-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        return try body(folder)
    }

    /// Compares each table's count with the manifest's; throws naming every table that differs or is missing.
    static func compareRowCounts(_ expected: [String: Int64], count: (String) throws -> Int64?) throws -> String {
        var problems: [String] = []
        for (table, rows) in expected.sorted(by: { $0.key < $1.key }) {
            guard let found = try count(table) else {
                problems.append("table \(table) is missing")
                continue
            }
            if found != rows { problems.append("table \(table) has \(found) rows, the manifest says \(rows)") }
        }
        guard problems.isEmpty else {
            throw ArtifactError.failed("the restored copy differs from the manifest: " + problems.joined(separator: "; "))
        }
        return "\(expected.count) tables, \(expected.values.reduce(0, +)) rows match the manifest"
    }

    /// Entries below `folder` (not following links) and the bytes of its regular files.
    static func walk(_ folder: URL) throws -> (Int, Int64) {
        guard let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey, .fileSizeKey]) else {
            throw ArtifactError.failed("cannot list the drill's restored folder \(folder.path)")
        }
        var entries = 0
        var bytes: Int64 = 0
        for case let url as URL in enumerator {
            entries += 1
            let values = try url.resourceValues(forKeys: [.isRegularFileKey, .fileSizeKey])
            if values.isRegularFile == true { bytes += Int64(values.fileSize ?? 0) }
        }
        return (entries, bytes)
    }

    /// The error of a drill into a target its kind cannot use (the config never pairs them).
    static func wrongTarget(_ target: DrillTarget, for kind: ArtifactKind) -> ArtifactError {
        .failed("a \(kind) artifact drills into a temporary folder (drill: true), not into \(target)")
    }
}
