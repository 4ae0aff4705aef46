import Foundation

/// A lexical token of one SQL statement, enough to classify the statement and name its objects.
package struct SQLToken: Equatable, Sendable {
    package enum Kind: Equatable, Sendable {
        /// An unquoted word, folded to lower case as PostgreSQL does.
        case word
        /// A double-quoted identifier, unescaped.
        case quoted
        /// A string constant of any kind (its text is not kept).
        case string
        /// A number or a `$n` parameter.
        case number
        /// One punctuation character.
        case symbol
    }

    package var kind: Kind
    /// The folded word, the unquoted identifier, or the symbol; empty for strings and numbers.
    package var text: String
    /// Parenthesis depth before the token (an opening parenthesis has the outer depth).
    package var depth: Int
    /// Byte offsets of the token in the statement's UTF-8.
    package var range: Range<Int>

    /// Whether the token is the unquoted keyword `word` (lower case).
    package func isWord(_ word: String) -> Bool { kind == .word && text == word }
    /// Whether the token is the symbol `symbol`.
    package func isSymbol(_ symbol: String) -> Bool { kind == .symbol && text == symbol }
    /// Whether the token can be part of a name.
    package var isIdentifier: Bool { kind == .word || kind == .quoted }
}

/// A possibly schema-qualified object name.
package struct QualifiedName: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The parts as stored in the catalog (unquoted, case preserved).
    package var parts: [String]

    package init(_ parts: [String]) { self.parts = parts }

    /// The name as SQL text, every part double-quoted so it is safe whatever its spelling.
    package var sql: String { parts.map(quoteIdentifier).joined(separator: ".") }
    /// `schema.table` for people and row-count maps.
    package var description: String { parts.joined(separator: ".") }
}

/// Double-quotes an identifier for SQL (`"` doubled inside).
package func quoteIdentifier(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

/// What a statement is, for the runner's rules (`--no-owner`, `--no-privileges`, transactions, row counts).
package enum StatementKind: Equatable, Sendable {
    /// `COPY table FROM stdin`.
    case copyFromStdin(table: QualifiedName)
    /// `INSERT INTO table …`.
    case insert(table: QualifiedName)
    /// `ALTER … OWNER TO role` or `SET SESSION AUTHORIZATION`.
    case ownerChange
    /// `GRANT`, `REVOKE`, `ALTER DEFAULT PRIVILEGES`.
    case privilege
    /// `SET …`, `RESET …` or `SELECT pg_catalog.set_config(…)`: session settings, no data.
    case sessionSetup
    /// `CREATE DATABASE name`.
    case createDatabase(name: String)
    /// `DROP DATABASE [IF EXISTS] name`.
    case dropDatabase(name: String)
    /// `ALTER DATABASE`, `COMMENT ON DATABASE`, … : about the database as a whole.
    case databaseLevel
    /// `ALTER DATABASE name OWNER TO role`: database-level, and skipped by `--no-owner`.
    case databaseOwnerChange
    /// `BEGIN`, `COMMIT`, `ROLLBACK`, … : the script managing transactions itself.
    case transactionControl
    /// A statement PostgreSQL refuses inside a transaction block (VACUUM, CREATE INDEX CONCURRENTLY, …).
    case noTransaction
    /// Anything else.
    case other
}

/// Pure helpers that read SQL statements: tokenizing, classifying, naming what they create.
package enum StatementInfo {
    /// The tokens of `sql` (comments and whitespace dropped), at most `limit` of them.
    package static func tokens(_ sql: String, limit: Int = .max) -> [SQLToken] {
        let bytes = Array(sql.utf8)
        var tokens: [SQLToken] = []
        var i = 0
        var depth = 0
        let n = bytes.count
        func isStart(_ b: UInt8) -> Bool { (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b >= 0x80 }
        func isCont(_ b: UInt8) -> Bool { isStart(b) || (b >= 0x30 && b <= 0x39) || b == 0x24 }
        func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        while i < n && tokens.count < limit {
            let b = bytes[i]
            let begin = i
            if b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0C { i += 1; continue }
            if b == UInt8(ascii: "-"), i + 1 < n, bytes[i + 1] == UInt8(ascii: "-") {
                while i < n && bytes[i] != 0x0A { i += 1 }
                continue
            }
            if b == UInt8(ascii: "/"), i + 1 < n, bytes[i + 1] == UInt8(ascii: "*") {
                var level = 0
                while i < n {
                    if bytes[i] == UInt8(ascii: "/"), i + 1 < n, bytes[i + 1] == UInt8(ascii: "*") { level += 1; i += 2; continue }
                    if bytes[i] == UInt8(ascii: "*"), i + 1 < n, bytes[i + 1] == UInt8(ascii: "/") {
                        level -= 1; i += 2
                        if level == 0 { break }
                        continue
                    }
                    i += 1
                }
                continue
            }
            let escaped = (b == UInt8(ascii: "E") || b == UInt8(ascii: "e")) && i + 1 < n && bytes[i + 1] == UInt8(ascii: "'")
            if escaped || b == UInt8(ascii: "'") {
                i = endOfStringLiteral(bytes, openingQuote: escaped ? i + 1 : i, backslashEscapes: escaped)
                tokens.append(SQLToken(kind: .string, text: "", depth: depth, range: begin..<min(i, n)))
                continue
            }
            if b == UInt8(ascii: "\"") {
                i += 1
                var name: [UInt8] = []
                while i < n {
                    if bytes[i] == UInt8(ascii: "\"") {
                        if i + 1 < n, bytes[i + 1] == UInt8(ascii: "\"") { name.append(bytes[i]); i += 2; continue }
                        i += 1
                        break
                    }
                    name.append(bytes[i])
                    i += 1
                }
                tokens.append(SQLToken(kind: .quoted, text: String(decoding: name, as: UTF8.self), depth: depth, range: begin..<min(i, n)))
                continue
            }
            if b == UInt8(ascii: "$") {
                // A dollar quote $tag$…$tag$, or a $n parameter.
                var j = i + 1
                if j < n, isStart(bytes[j]) || bytes[j] == UInt8(ascii: "$") {
                    while j < n, isCont(bytes[j]), bytes[j] != UInt8(ascii: "$") { j += 1 }
                    if j < n, bytes[j] == UInt8(ascii: "$") {
                        let delimiter = Array(bytes[i...j])
                        var k = j + 1
                        var closed = n
                        while k + delimiter.count <= n {
                            if bytes[k] == UInt8(ascii: "$"), Array(bytes[k..<(k + delimiter.count)]) == delimiter {
                                closed = k + delimiter.count
                                break
                            }
                            k += 1
                        }
                        i = closed
                        tokens.append(SQLToken(kind: .string, text: "", depth: depth, range: begin..<i))
                        continue
                    }
                }
                j = i + 1
                while j < n, isDigit(bytes[j]) { j += 1 }
                i = max(j, i + 1)
                tokens.append(SQLToken(kind: .number, text: "", depth: depth, range: begin..<i))
                continue
            }
            if isStart(b) {
                while i < n, isCont(bytes[i]) { i += 1 }
                let word = String(decoding: bytes[begin..<i], as: UTF8.self).lowercased()
                tokens.append(SQLToken(kind: .word, text: word, depth: depth, range: begin..<i))
                continue
            }
            if isDigit(b) {
                while i < n, isCont(bytes[i]) || bytes[i] == UInt8(ascii: ".") { i += 1 }
                tokens.append(SQLToken(kind: .number, text: "", depth: depth, range: begin..<i))
                continue
            }
            let symbol = String(UnicodeScalar(b))
            tokens.append(SQLToken(kind: .symbol, text: symbol, depth: depth, range: begin..<(i + 1)))
            if b == UInt8(ascii: "(") { depth += 1 }
            if b == UInt8(ascii: ")") { depth = max(0, depth - 1); tokens[tokens.count - 1].depth = depth }
            i += 1
        }
        return tokens
    }

    /// Reads a qualified name starting at `index`; returns it and the index after it.
    package static func qualifiedName(_ tokens: [SQLToken], at index: Int) -> (QualifiedName, Int)? {
        var i = index
        guard i < tokens.count, tokens[i].isIdentifier else { return nil }
        var parts = [tokens[i].text]
        i += 1
        while i + 1 < tokens.count, tokens[i].isSymbol("."), tokens[i + 1].isIdentifier {
            parts.append(tokens[i + 1].text)
            i += 2
        }
        return (QualifiedName(parts), i)
    }

    /// The value a `SET [SESSION] standard_conforming_strings = on|off` statement sets, or nil for any other statement.
    package static func standardConformingStrings(_ sql: String) -> Bool? {
        let head = sql.utf8.prefix(3).map { $0 | 0x20 }
        guard head == Array("set".utf8) else { return nil }
        let t = tokens(sql, limit: 8)
        var i = 1
        if i < t.count, t[i].isWord("session") { i += 1 }
        guard i + 2 < t.count, t[i].isWord("standard_conforming_strings"), t[i + 1].isWord("to") || t[i + 1].isSymbol("=") else {
            return nil
        }
        let value: String
        if t[i + 2].kind == .string {
            let bytes = Array(sql.utf8)[t[i + 2].range]
            value = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: ["'"]).lowercased()
        } else {
            value = t[i + 2].text
        }
        switch value {
        case "on", "true", "yes", "1": return true
        case "off", "false", "no", "0": return false
        default: return nil
        }
    }

    /// Whether `sql` is a `COPY … FROM STDIN` statement (whose data follows in the script).
    package static func isCopyFromStdin(_ sql: String) -> Bool {
        // Cheap test first: nearly every statement in a dump is not a COPY.
        let head = sql.utf8.prefix(5).map { $0 | 0x20 }
        guard head.count == 5, head[0] == UInt8(ascii: "c"), head[1] == UInt8(ascii: "o"), head[2] == UInt8(ascii: "p"),
              head[3] == UInt8(ascii: "y") else { return false }
        if case .copyFromStdin = classify(sql) { return true }
        return false
    }

    /// What `sql` (one statement, starting at its first keyword) is.
    package static func classify(_ sql: String) -> StatementKind {
        var t = tokens(sql, limit: 64)
        guard let first = t.first, first.kind == .word else { return .other }
        // These read the end of the statement (COPY's FROM after a long column list, OWNER TO last).
        if t.count == 64 && (first.text == "copy" || first.text == "alter") { t = tokens(sql) }
        func word(_ i: Int) -> String? { i < t.count && t[i].kind == .word ? t[i].text : nil }
        switch first.text {
        case "copy":
            guard let (name, after) = qualifiedName(t, at: 1) else { return .other }
            var i = after
            while i + 1 < t.count {
                if t[i].depth == 0, t[i].isWord("from") {
                    return t[i + 1].isWord("stdin") ? .copyFromStdin(table: name) : .other
                }
                if t[i].depth == 0, t[i].isWord("to") { return .other }
                i += 1
            }
            return .other
        case "insert":
            guard word(1) == "into", let (name, _) = qualifiedName(t, at: 2) else { return .other }
            return .insert(table: name)
        case "grant", "revoke":
            return .privilege
        case "set":
            if word(1) == "session", word(2) == "authorization" { return .ownerChange }
            if (word(1) == "session" || word(1) == "local") && word(2) == "authorization" { return .ownerChange }
            return .sessionSetup
        case "reset":
            return .sessionSetup
        case "select":
            // pg_dump's "SELECT pg_catalog.set_config('search_path', '', false);"
            if (word(1) == "pg_catalog" && t.count > 3 && t[2].isSymbol(".") && word(3) == "set_config") || word(1) == "set_config" {
                return .sessionSetup
            }
            return .other
        case "begin", "commit", "rollback", "end", "abort":
            return .transactionControl
        case "start":
            return word(1) == "transaction" ? .transactionControl : .other
        case "prepare":
            return word(1) == "transaction" ? .transactionControl : .other
        case "vacuum", "cluster":
            return .noTransaction
        case "reindex":
            return t.contains { $0.isWord("concurrently") } ? .noTransaction : .other
        case "create":
            if word(1) == "database", let (name, _) = qualifiedName(t, at: 2) { return .createDatabase(name: name.description) }
            if word(1) == "tablespace" { return .noTransaction }
            if word(1) == "index" || (word(1) == "unique" && word(2) == "index") {
                let at = word(1) == "index" ? 2 : 3
                if word(at) == "concurrently" { return .noTransaction }
            }
            return .other
        case "drop":
            if word(1) == "database" {
                var i = 2
                if word(2) == "if", word(3) == "exists" { i = 4 }
                if let (name, _) = qualifiedName(t, at: i) { return .dropDatabase(name: name.description) }
                return .databaseLevel
            }
            if word(1) == "tablespace" { return .noTransaction }
            if word(1) == "index", word(2) == "concurrently" { return .noTransaction }
            return .other
        case "alter":
            if word(1) == "default", word(2) == "privileges" { return .privilege }
            if word(1) == "database" { return isOwnerChange(t) ? .databaseOwnerChange : .databaseLevel }
            if isOwnerChange(t) { return .ownerChange }
            if word(1) == "system" { return .noTransaction }
            return .other
        case "comment", "security":
            // COMMENT ON DATABASE x / SECURITY LABEL … ON DATABASE x
            if let on = t.firstIndex(where: { $0.isWord("on") }), word(on + 1) == "database" { return .databaseLevel }
            return .other
        default:
            return .other
        }
    }

    /// The index just past the string literal whose opening quote is at `openingQuote` (`''` is a quote inside
    /// it; with `backslashEscapes`, an E'' string, a backslash escapes the next byte), or the end of `bytes`.
    static func endOfStringLiteral(_ bytes: [UInt8], openingQuote: Int, backslashEscapes: Bool) -> Int {
        var i = openingQuote + 1
        let n = bytes.count
        while i < n {
            if backslashEscapes, bytes[i] == UInt8(ascii: "\\") { i += 2; continue }
            if bytes[i] == UInt8(ascii: "'") {
                if i + 1 < n, bytes[i + 1] == UInt8(ascii: "'") { i += 2; continue }
                return i + 1
            }
            i += 1
        }
        return n
    }

    /// `ALTER <kind> <name…> OWNER TO <role>`: the statement's last tokens are OWNER TO role.
    static func isOwnerChange(_ t: [SQLToken]) -> Bool {
        var last = t.count
        if last > 0, t[last - 1].isSymbol(";") { last -= 1 }
        guard last >= 4 else { return false }
        return t[last - 3].isWord("owner") && t[last - 2].isWord("to") && t[last - 3].depth == 0
            && (t[last - 1].isIdentifier)
    }
}
