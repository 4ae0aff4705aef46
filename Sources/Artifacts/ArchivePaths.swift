import Archive
import Foundation

/// The entries of a folder archive as `restore --list` shows them and `restore --path` chooses them.
public enum ArchivePaths {
    /// One line per entry, as GNU `tar tzf` prints them: the name as stored, with tar's default escaping
    /// (`\\` for a backslash, `\n`, `\t` and octal for other control characters).
    public static func list(_ artifact: URL) throws -> [String] {
        let reader = try TarReader(path: artifact.path)
        var lines: [String] = []
        while let entry = try reader.next() { lines.append(escaped(entry.name)) }
        return lines
    }

    /// `name` escaped as GNU tar's `escape` quoting style does.
    static func escaped(_ name: String) -> String {
        var out = ""
        for byte in name.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x09: out += "\\t"
            case 0x07: out += "\\a"
            case 0x08: out += "\\b"
            case 0x0C: out += "\\f"
            case 0x0D: out += "\\r"
            case 0x0B: out += "\\v"
            case 0..<0x20, 0x7F: out += "\\" + String(byte, radix: 8).leftPadded(to: 3)
            default: out.unicodeScalars.append(Unicode.Scalar(byte))
            }
        }
        // Bytes ≥ 0x80 were appended one by one above; decode them again as UTF-8.
        return String(decoding: out.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }, as: UTF8.self)
    }

    /// The stored names that hard links chosen by `patterns` point to (and are not chosen themselves).
    static func hardLinkTargets(_ artifact: URL, chosenBy patterns: [String]) throws -> Set<String> {
        let reader = try TarReader(path: artifact.path)
        var targets = Set<String>()
        while let entry = try reader.next() {
            if entry.kind == .hardlink, matches(entry.name, any: patterns), !matches(entry.linkName, any: patterns) {
                targets.insert(entry.linkName)
            }
        }
        return targets
    }

    /// Whether the stored `name` is chosen by one of `patterns`: the entry itself or a folder above it matches
    /// (exactly or as a glob, where `*` also crosses `/` as in GNU tar's member names).
    public static func matches(_ name: String, any patterns: [String]) -> Bool {
        var path = name
        while path.hasPrefix("./") { path.removeFirst(2) }
        while path.hasSuffix("/") { path.removeLast() }
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        for pattern in patterns {
            var wanted = pattern
            while wanted.hasPrefix("./") { wanted.removeFirst(2) }
            while wanted.hasSuffix("/") && wanted.count > 1 { wanted.removeLast() }
            for depth in stride(from: parts.count, through: 1, by: -1) {
                let candidate = parts[..<depth].joined(separator: "/")
                if candidate == wanted || fnmatch(wanted, candidate, 0) == 0 { return true }
            }
        }
        return false
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
