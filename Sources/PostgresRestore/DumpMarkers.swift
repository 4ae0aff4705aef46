/// Recognizes who wrote a script and whether it ends with its writer's completion marker.
///
/// A script truncated exactly between two statements splits cleanly and every statement succeeds,
/// so only the marker tells that the end is missing; the runner checks it before COMMIT.
public enum DumpMarkers {
    /// The writer of a script, read from its leading comment lines.
    public enum Writer: String, Sendable, Equatable {
        /// Written by vaultops' own dumper.
        case vaultops
        /// Written by PostgreSQL's pg_dump.
        case pgDump
        /// Anything else (hand-written SQL, other tools): no completion marker is expected.
        case unknown
    }

    /// The comment line pg_dump writes last (before `\unrestrict` in recent versions).
    public static let pgDumpComplete = "-- PostgreSQL database dump complete"
    /// The first comment line of a pg_dump script.
    public static let pgDumpHeader = "-- PostgreSQL database dump"
    /// The completion comment vaultops' dumper writes as its last line (prefix; details may follow).
    public static let vaultopsComplete = "-- vaultops dump complete"

    /// The writer named in the leading comment lines of `head` (the first few KiB of the script).
    public static func writer(head: [UInt8]) -> Writer {
        for line in leadingCommentLines(head) {
            let lower = line.lowercased()
            if lower.hasPrefix("--") && lower.contains("vaultops") { return .vaultops }
            if line == pgDumpHeader { return .pgDump }
        }
        return .unknown
    }

    /// Whether the end of the script (`tail`, its last bytes) holds the completion marker `writer` writes.
    ///
    /// Only comment lines, blank lines and `\unrestrict` may follow the marker.
    public static func isComplete(tail: [UInt8], writer: Writer) -> Bool {
        let marker: String
        switch writer {
        case .unknown: return true
        case .pgDump: marker = pgDumpComplete
        case .vaultops: marker = vaultopsComplete
        }
        for line in lines(tail).reversed() {
            if line.hasPrefix(marker) { return true }
            if line.isEmpty || line == "--" || line.hasPrefix("\\unrestrict") { continue }
            if line.hasPrefix("--") { continue }
            return false
        }
        return false
    }

    /// The lines of `head` up to the first one that is neither a comment nor blank.
    static func leadingCommentLines(_ head: [UInt8]) -> [String] {
        var result: [String] = []
        for line in lines(head).prefix(40) {
            if line.isEmpty { continue }
            guard line.hasPrefix("--") else { break }
            result.append(line)
        }
        return result
    }
}

/// The lines of `bytes`, split at "\n" (not at Swift's "\r\n" grapheme), without surrounding blanks or "\r".
private func lines(_ bytes: [UInt8]) -> [String] {
    bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map { raw in
        var slice = raw[...]
        while let b = slice.first, b == 0x20 || b == 0x09 { slice = slice.dropFirst() }
        while let b = slice.last, b == 0x20 || b == 0x09 || b == 0x0D { slice = slice.dropLast() }
        return String(decoding: slice, as: UTF8.self)
    }
}
