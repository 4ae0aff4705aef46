import Archive

/// A globals script (PostgresDump's `GlobalsDumper`) cut into its marked sections, each with its statements.
///
/// The markers are whole comment lines `-- vaultops:KIND [NAME [FLAG]]`, names percent-encoded; see
/// PostgresDump's `GlobalsMarkers` for the format. Statements are split by the restore's own `ScriptReader`.
struct GlobalsScript {
    /// One statement, the script line it starts on, and its tag (`owner`, `privileges`) when it has one.
    struct Statement: Equatable {
        var sql: String
        var line: Int
        var tag: String? = nil
    }

    /// One section of the script.
    struct Section: Equatable {
        enum Kind: Equatable {
            case header
            case roles
            case tablespace(String)
            case database(String, create: Bool)
        }
        var kind: Kind
        var statements: [Statement]
    }

    var sections: [Section]
    /// The roles the roles section creates or alters, and the line of each one's marker.
    var roles: [(name: String, line: Int)]

    static let prefix = "-- vaultops:"

    /// Parses `bytes`; throws when a marker is unknown, the script is not a globals script or it is incomplete.
    static func parse(_ bytes: [UInt8], name: String) throws -> GlobalsScript {
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        if lines.last == "" { lines.removeLast() }
        guard lines.first == prefix + "globals 1" else {
            throw PostgresRestoreError(kind: .invalidScript, message: "not a vaultops globals script (its first line is not \"\(prefix)globals 1\")", file: name, line: 1)
        }
        var result = GlobalsScript(sections: [], roles: [])
        var current = Section(kind: .header, statements: [])
        var text: [String] = []
        var firstLine = 2
        var ended = false
        var tags: [Int: String] = [:]
        func close() throws {
            current.statements = try statements(text.joined(separator: "\n"), firstLine: firstLine, name: name).map { statement in
                var statement = statement
                statement.tag = tags[statement.line]
                return statement
            }
            result.sections.append(current)
        }
        for (index, line) in lines.enumerated().dropFirst() {
            guard line.hasPrefix(prefix) else { text.append(line); continue }
            let words = line.dropFirst(prefix.count).split(separator: " ").map(String.init)
            let lineNumber = index + 1
            switch (words.first, words.count) {
            case ("owner", 1), ("privileges", 1):
                // A tag names what the statement on the next line does.
                tags[lineNumber + 1] = words[0]
                text.append("")
                continue
            case ("role", 2):
                result.roles.append((try decode(words[1], name: name, line: lineNumber), lineNumber))
                text.append("")
                continue
            case ("roles", 1), ("tablespace", 2), ("database", 3), ("end", 1):
                try close()
                text = []
                firstLine = lineNumber + 1
            default:
                throw PostgresRestoreError(kind: .invalidScript, message: "unknown section marker \"\(line.prefix(80))\"", file: name, line: lineNumber)
            }
            switch words[0] {
            case "roles": current = Section(kind: .roles, statements: [])
            case "tablespace": current = Section(kind: .tablespace(try decode(words[1], name: name, line: lineNumber)), statements: [])
            case "database":
                current = Section(kind: .database(try decode(words[1], name: name, line: lineNumber), create: words[2] == "create"), statements: [])
            default:
                ended = true
            }
            if ended { break }
        }
        guard ended else {
            throw PostgresRestoreError(kind: .truncated, message: "the globals script ends without its \"\(prefix)end\" line", file: name, line: lines.count)
        }
        return result
    }

    /// A percent-encoded marker name decoded.
    static func decode(_ text: String, name: String, line: Int) throws -> String {
        var bytes: [UInt8] = []
        var chars = Array(text.utf8)[...]
        while let c = chars.popFirst() {
            guard c == UInt8(ascii: "%") else { bytes.append(c); continue }
            guard chars.count >= 2, let value = UInt8(String(decoding: chars.prefix(2), as: UTF8.self), radix: 16) else {
                throw PostgresRestoreError(kind: .invalidScript, message: "bad name \"\(text)\" in a section marker", file: name, line: line)
            }
            bytes.append(value)
            chars.removeFirst(2)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The statements of one section's text, which starts on script line `firstLine`.
    static func statements(_ text: String, firstLine: Int, name: String) throws -> [Statement] {
        let reader = ScriptReader(source: MemorySource(Array(text.utf8)), name: name)
        var out: [Statement] = []
        while let item = try reader.next() {
            switch item {
            case .statement(let sql, let line):
                out.append(Statement(sql: sql, line: firstLine + line - 1))
            case .copy(_, let line), .metaCommand(_, let line):
                throw PostgresRestoreError(kind: .invalidScript, message: "a globals script holds only SQL statements",
                                           file: name, line: firstLine + line - 1)
            }
        }
        return out
    }
}

/// A `ByteSource` over bytes in memory.
final class MemorySource: ByteSource {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, bytes.count - offset)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + offset, byteCount: n)
        }
        offset += n
        return n
    }
}
