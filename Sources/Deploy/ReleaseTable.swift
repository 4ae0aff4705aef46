import Foundation
import VaultopsCore

/// How `releases` prints the history: a table for people, JSON for scripts.
public enum ReleaseTable {
    /// One row per release, oldest first; the current one marked `*`.
    public static func text(_ releases: [Release], current: Release?, timeZone: TimeZone) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        let header = ["  RELEASE", "ACTION", "VERSION", "STARTED", "DURATION", "OUTCOME", "BACKUP POINT"]
        var rows: [[String]] = [header]
        for r in releases {
            let action = r.action == .rollback ? "rollback" + (r.target.map { " to \($0)" } ?? "") + (r.withData == true ? " +data" : "")
                : "deploy"
            let backup = r.backupPoint.isEmpty ? "-" : r.backupPoint.map { URL(fileURLWithPath: $0.path).lastPathComponent }.joined(separator: ", ")
            rows.append([(r.id == current?.id ? "* " : "  ") + r.id, action, r.version, formatter.string(from: r.startedAt),
                         r.durationSeconds.map(formatSeconds) ?? "-", r.outcome.rawValue, backup])
        }
        var widths = [Int](repeating: 0, count: header.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return rows.map { row in
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    /// `{"current": "r0002", "releases": [...]}` with ISO 8601 dates.
    public static func json(_ releases: [Release], current: Release?) -> Data {
        struct Document: Encodable {
            var current: String?
            var releases: [Release]
        }
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = (try? encoder.encode(Document(current: current?.id, releases: releases))) ?? Data("{}".utf8)
        data.append(UInt8(ascii: "\n"))
        return data
    }
}
